"""Stored DORA tables kept current by a job: after a sync, and every quarter of an hour, every set of teams whose
tables were stored is computed again if its data changed, so the next page (in any web process) reads them."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from deliveryops.db import unit_of_work
from deliveryops.dora.service import DORA_TABLES, load_tables, tables_version
from deliveryops.jobs import Job, JobContext, derived, enqueue, job, periodic

__all__ = ["refresh_tables", "refresh_tables_regularly", "request_refresh"]


@job("dora.refresh_tables", title="Refresh the stored DORA tables", lock="derived:dora.tables", retries=1, coalesce=True)
def refresh_tables(context: JobContext) -> str:
    """Compute again each stored set of DORA tables whose teams' data changed since it was stored."""
    with unit_of_work(context.session_factory) as session:
        stored = derived.scopes(session, kind=DORA_TABLES)
    refreshed = 0
    for index, (_scope, version, parameters) in enumerate(stored, start=1):
        with unit_of_work(context.session_factory) as session:
            teams = [int(team_id) for team_id in parameters["teams"]]
            if derived.version_of(tables_version(session, teams)) != version:
                load_tables(
                    session, team_ids=teams, zone=ZoneInfo(parameters["time_zone"]), environments=parameters["environments"]
                )
                refreshed += 1
        context.progress(index, len(stored))
    return f"{refreshed} of {len(stored)} stored set{'' if len(stored) == 1 else 's'} of DORA tables computed again."


def request_refresh(session: Session, *, requested_by: str | None = None) -> Job:
    """Queue a refresh once ``session`` commits (joining one already queued)."""
    return enqueue(session, refresh_tables, requested_by=requested_by)


@periodic("dora.refresh_tables_regularly", title="Refresh the stored DORA tables", every=timedelta(minutes=15))
def refresh_tables_regularly(context: JobContext) -> str:
    """Every quarter of an hour (imports, webhooks and settings change data too), queue a refresh under its lock."""
    with unit_of_work(context.session_factory) as session:
        return f"Queued job {request_refresh(session).id}."
