"""Links in exports follow the address being served unless a public URL is configured."""

from __future__ import annotations

import os

import pytest

from deliveryops.cli.serve import served_url
from deliveryops.settings import Settings


def test_the_served_address_becomes_the_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DELIVERYOPS_PUBLIC_URL", raising=False)
    settings = served_url(Settings(), "127.0.0.1", 8123)
    assert settings.public_url == "http://127.0.0.1:8123"
    # The web processes of --workers N read it from the environment.
    assert os.environ["DELIVERYOPS_PUBLIC_URL"] == "http://127.0.0.1:8123"
    assert Settings().public_url == "http://127.0.0.1:8123"


def test_a_configured_public_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELIVERYOPS_PUBLIC_URL", "https://delivery.example.org")
    assert served_url(Settings(), "0.0.0.0", 9000).public_url == "https://delivery.example.org"  # noqa: S104


def test_a_wildcard_host_is_replaced_by_the_machine_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DELIVERYOPS_PUBLIC_URL", raising=False)
    url = served_url(Settings(), "0.0.0.0", 9000).public_url  # noqa: S104
    assert url.startswith("http://")
    assert url.endswith(":9000")
    assert "0.0.0.0" not in url  # noqa: S104
