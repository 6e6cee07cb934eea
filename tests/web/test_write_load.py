"""The write-load benchmark, at a small size, against a real ``deliveryops serve`` process on each database."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import need_or_skip

BENCH = Path(__file__).parents[2] / "benchmarks" / "write_load_bench.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("write_load_bench", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_concurrent_writers_see_no_error_and_every_acknowledged_write_is_stored(kind: str) -> None:
    bench = _bench()
    if kind == "postgresql":
        need_or_skip(bench.postgres_problem())
    result = bench.run_load(kind, writers=4, seconds=3)
    assert result.acknowledged > 0
    assert dict(result.errors) == {}
    assert dict(result.dropped) == {}
    assert result.acknowledged == result.attempted
    assert result.missing == 0
    assert result.duplicated == 0
