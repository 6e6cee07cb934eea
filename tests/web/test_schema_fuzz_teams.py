"""Schema fuzz (tests/web/schema_fuzzing.py) of the operations on teams and their members, the signed-in user,
users and API tokens."""

from __future__ import annotations

import pytest

from tests.web.schema_fuzzing import fuzz


def test_api_has_no_server_errors_and_keeps_its_schema(tmp_path_factory: pytest.TempPathFactory) -> None:
    fuzz("teams", tmp_path_factory)
