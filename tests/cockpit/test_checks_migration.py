"""Migration 0019 maps the standard catalogue entries to their checks and leaves an admin's choice alone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from deliveryops.db import make_engine
from deliveryops.migrate import upgrade


def test_standard_entries_are_mapped_by_name(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'catalogue.db'}")
    upgrade(engine, "0017_forecast_commitments")
    with engine.begin() as connection:
        for name, check in [("GitHub Actions", None), ("Slack", None), ("Jira", "deployments"), ("Our own thing", None)]:
            connection.execute(
                text(
                    "INSERT INTO cockpit_catalogue_entries (kind, name, category, guide, data_check, active, created_at, "
                    "updated_at) VALUES ('tool', :name, 'other', '', :check, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {"name": name, "check": check},
            )
    upgrade(engine)
    with engine.connect() as connection:
        rows: dict[str, str | None] = dict(
            connection.execute(text("SELECT name, data_check FROM cockpit_catalogue_entries")).all()
        )
    engine.dispose()
    assert rows == {
        "GitHub Actions": "github_actions",
        "Slack": "not_observable",
        "Jira": "deployments",  # an admin's mapping is kept
        "Our own thing": None,  # not a standard entry: left for Product Ops to map
    }
