"""Schema fuzz (tests/web/schema_fuzzing.py) of the operations on the cockpit, retros (one team's and
multi-team), sessions, health checks, coaching, onboarding and the digest."""

from __future__ import annotations

import pytest

from tests.web.schema_fuzzing import fuzz


def test_api_has_no_server_errors_and_keeps_its_schema(tmp_path_factory: pytest.TempPathFactory) -> None:
    fuzz("rituals", tmp_path_factory)
