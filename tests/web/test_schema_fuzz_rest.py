"""Schema fuzz (tests/web/schema_fuzzing.py) of every operation no other group names: dependencies and risks,
groups, connections, webhooks, jobs, DORA, forecasts and the health check."""

from __future__ import annotations

import pytest

from tests.web.schema_fuzzing import fuzz


def test_api_has_no_server_errors_and_keeps_its_schema(tmp_path_factory: pytest.TempPathFactory) -> None:
    fuzz("rest", tmp_path_factory)
