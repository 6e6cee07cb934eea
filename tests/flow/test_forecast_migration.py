"""Forecasts stored before commitments existed stay scored, once per question (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, make_url

from deliveryops.db import make_engine
from deliveryops.migrate import upgrade
from tests.conftest import POSTGRES_ADMIN_URL, need_or_skip
from tests.conftest import _postgres_problem as postgres_problem

PREVIOUS = "0016"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of its own (the migration is run step by step on it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('migration') / 'old.db'}"
        return
    need_or_skip(postgres_problem())
    name = f"deliveryops_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_old_forecasts_stay_commitments_once_per_question(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, PREVIOUS)
        metadata = sa.MetaData()
        teams = sa.Table("teams", metadata, autoload_with=engine)
        forecasts = sa.Table("forecasts", metadata, autoload_with=engine)
        base = {
            "kind": "when",
            "start_date": date(2026, 3, 1),
            "window_start": date(2025, 12, 1),
            "window_end": date(2026, 2, 28),
            "window_throughput": [1, 0, 2],
            "item_types": ["Story"],
            "trials": 10_000,
            "seed": 1,
            "item_keys": [],
            "predicted": {"85": "2026-03-20"},
            "created_at": sa.func.now(),
        }
        with engine.begin() as connection:
            connection.execute(
                teams.insert().values(id=1, name="Old", slug="old", description="", time_zone="UTC", created_at=sa.func.now())
            )
            connection.execute(forecasts.insert().values(id=1, team_id=1, label="Epic E-1: 3 items", **base))
            connection.execute(forecasts.insert().values(id=2, team_id=1, label="Epic E-1: 3 items", **{**base, "seed": 2}))
            connection.execute(forecasts.insert().values(id=3, team_id=1, label="10 items", **base))
        upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, commitment, committed_at FROM forecasts ORDER BY id")).all()
        assert [(row[0], row[1]) for row in rows] == [(1, "before_commitments"), (2, None), (3, "before_commitments")]
        assert rows[0][2] is not None
    finally:
        engine.dispose()
