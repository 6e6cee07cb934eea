"""The portfolio's stored team rows kept current by a job: every five minutes, and whenever a page finds rows older
than the data, the rows whose version changed (data, actions, forecasts, health rounds, the team's day) are
computed again, so the next page (in any web process) reads them instead of computing the organisation."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.cockpit.portfolio import stored
from deliveryops.db import unit_of_work, utcnow
from deliveryops.jobs import Job, JobContext, enqueue, job, periodic
from deliveryops.teams.models import Team

__all__ = ["refresh_changed", "refresh_portfolio", "refresh_portfolio_regularly", "request_refresh"]

_BATCH = 50
"""Teams computed together (their flow in one pass) and stored in one unit of work."""


def _changed(session: Session, *, now: datetime, min_group_size: int) -> tuple[dict[int, str], list[int]]:
    """Every team's current version and the teams whose stored cells are missing or older (forgets deleted teams)."""
    teams = list(session.scalars(select(Team).order_by(Team.id)))
    current = stored.versions(session, teams, now=now, min_group_size=min_group_size)
    kept = stored.stored_versions(session)
    stored.forget(session, [team_id for team_id in kept if team_id not in current])  # teams deleted since
    return current, [team_id for team_id, version in current.items() if kept.get(team_id) != version]


def refresh_changed(session: Session, *, now: datetime, min_group_size: int) -> int:
    """Compute and store, in ``session``, the cells of every team whose stored version differs; return how many.

    The job does the same in batches of teams, each in a unit of work of its own; the demo calls this once it is built, so its
    first portfolio view reads stored rows instead of computing them.
    """
    current, changed = _changed(session, now=now, min_group_size=min_group_size)
    _store_many(session, changed, current, now=now)
    return len(changed)


def _store_many(session: Session, team_ids: list[int], versions: dict[int, str], *, now: datetime) -> None:
    """Compute the cells of ``team_ids`` (their flow in one pass, :func:`stored.compute_many`) and store them."""
    teams = [team for team_id in team_ids if (team := session.get(Team, team_id)) is not None]  # deleted meanwhile
    started = time.perf_counter()
    cells = stored.compute_many(session, teams, now=now)
    seconds = (time.perf_counter() - started) / max(len(teams), 1)
    for team in teams:
        stored.store(session, team, version=versions[team.id], now=now, cells=cells[team.id], seconds=seconds)


@job(
    "cockpit.refresh_portfolio",
    title="Compute the portfolio's changed team rows",
    lock="derived:cockpit.team",
    retries=1,
    coalesce=True,
)
def refresh_portfolio(context: JobContext) -> str:
    """Compute and store the cells of every team whose version differs from the stored one."""
    now = utcnow()
    min_group_size = context.settings.min_group_size
    with unit_of_work(context.session_factory) as session:
        current, changed = _changed(session, now=now, min_group_size=min_group_size)
    for index in range(0, len(changed), _BATCH):
        with unit_of_work(context.session_factory) as session:
            batch = [team for team_id in changed[index : index + _BATCH] if (team := session.get(Team, team_id)) is not None]
            versions = stored.versions(session, batch, now=now, min_group_size=min_group_size)
            _store_many(session, [team.id for team in batch], versions, now=now)
        context.progress(min(index + _BATCH, len(changed)), len(changed))
    return f"{len(changed)} of {len(current)} team row{'' if len(current) == 1 else 's'} computed again."


def request_refresh(session: Session, *, requested_by: str | None = None) -> Job:
    """Queue a refresh once ``session`` commits (joining one already queued)."""
    return enqueue(session, refresh_portfolio, requested_by=requested_by)


@periodic("cockpit.refresh_portfolio_regularly", title="Compute the portfolio's changed team rows", every=timedelta(minutes=5))
def refresh_portfolio_regularly(context: JobContext) -> str:
    """Every five minutes (imports, syncs, edits and a new day change the rows), queue a refresh under its lock."""
    with unit_of_work(context.session_factory) as session:
        return f"Queued job {request_refresh(session).id}."
