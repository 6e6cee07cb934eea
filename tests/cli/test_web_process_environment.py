"""What the web processes of `serve --workers N` read from the environment when they start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deliveryops.cli.serve import web_process_environment
from deliveryops.settings import Settings


def test_each_web_process_gets_the_database_and_one_polars_thread(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POLARS_MAX_THREADS", raising=False)
    monkeypatch.delenv("DELIVERYOPS_DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'processes.db'}"
    web_process_environment(Settings(database_url=url))
    assert os.environ["DELIVERYOPS_DATABASE_URL"] == url
    assert os.environ["POLARS_MAX_THREADS"] == "1"


def test_a_polars_thread_count_set_by_the_operator_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POLARS_MAX_THREADS", "2")
    monkeypatch.delenv("DELIVERYOPS_DATABASE_URL", raising=False)
    web_process_environment(Settings(database_url=f"sqlite:///{tmp_path / 'processes.db'}"))
    assert os.environ["POLARS_MAX_THREADS"] == "2"
