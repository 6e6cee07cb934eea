"""A rollout's report, computed once per version of what it depends on and stored for every process.

A rollout's report (each team's data check, the adoption curve with a check per team and day, the staggered
difference-in-differences over every team's weekly series) takes seconds on a large organisation: the pages,
the API and the CLI read it from ``derived_results`` (kind ``cockpit.rollout``, one scope per rollout), keyed by
a version of what it depends on (:func:`version`): the rollout and its teams, every team's data version and zone,
the entry's declared states and admin-defined check, and the day. The job ``cockpit.refresh_rollouts`` computes
the reports whose version changed, every quarter of an hour; a reader gets the stored report with when it was
computed, and a report older than the data while the job recomputes it (only a rollout never computed is
computed on the spot).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.cockpit.catalogue.schemas import RolloutResult
from deliveryops.cockpit.models import AdoptionState, CustomCheck, Rollout, RolloutTeam
from deliveryops.cockpit.rollouts.schemas import RolloutDetail, detail_of, result_of
from deliveryops.cockpit.rollouts.service import list_rollouts, report, rollout_teams
from deliveryops.db import unit_of_work, utcnow
from deliveryops.jobs import Job, JobContext, derived, enqueue, job, periodic
from deliveryops.teams.models import Team

__all__ = [
    "KIND",
    "StoredReport",
    "compute",
    "entry_results",
    "read",
    "refresh_rollouts",
    "request_refresh",
    "results_touching",
    "version",
]

KIND = "cockpit.rollout"


@dataclass(frozen=True)
class StoredReport:
    """A rollout's stored report, when it was computed, and whether the data has changed since."""

    detail: RolloutDetail
    computed_at: datetime
    current: bool


def _scope(rollout_id: int) -> str:
    return f"rollout:{rollout_id}"


def version(session: Session, rollout: Rollout, today: date) -> str:
    """The version of everything the rollout's report depends on (a few queries, whatever the data's size)."""
    targets = sorted(
        session.execute(select(RolloutTeam.team_id, RolloutTeam.target_on).where(RolloutTeam.rollout_id == rollout.id)).all()
    )
    teams = sorted(session.execute(select(Team.id, Team.data_version, Team.time_zone)).all())
    states = session.execute(
        select(func.count(AdoptionState.id), func.max(AdoptionState.id)).where(AdoptionState.entry_id == rollout.entry_id)
    ).one()
    check = session.scalar(select(CustomCheck.updated_at).where(CustomCheck.entry_id == rollout.entry_id))
    return derived.version_of(
        rollout.id,
        rollout.entry_id,
        rollout.title,
        rollout.metric,
        rollout.starts_on.isoformat(),
        rollout.notes,
        rollout.owner_id,
        [(team_id, day.isoformat()) for team_id, day in targets],
        [tuple(row) for row in teams],
        tuple(states),
        None if check is None else check.isoformat(),
        today.isoformat(),
    )


def compute(session: Session, rollout: Rollout, today: date) -> StoredReport:
    """Compute the rollout's report and store it for its current version."""
    started = time.perf_counter()
    detail = detail_of(session, report(session, rollout, today=today))
    derived.store(
        session,
        kind=KIND,
        scope=_scope(rollout.id),
        data_version=version(session, rollout, today),
        parameters={"rollout": rollout.id},
        payload=detail.model_dump_json().encode(),
        compute_seconds=time.perf_counter() - started,
    )
    stored = derived.latest(session, kind=KIND, scope=_scope(rollout.id))
    computed_at = stored.computed_at if stored is not None else utcnow()  # as every later reader will read it
    return StoredReport(detail.model_copy(update={"computed_at": computed_at}), computed_at, True)


def read(session: Session, rollout: Rollout, *, today: date | None = None) -> StoredReport:
    """The rollout's stored report: current, or older than the data while a refresh is queued; computed here
    only when none was ever stored (the caller has checked :func:`deliveryops.cockpit.rollouts.service.require_reader`)."""
    today = today or utcnow().date()
    stored = derived.latest(session, kind=KIND, scope=_scope(rollout.id))
    if stored is None:
        return compute(session, rollout, today)
    current = stored.data_version == version(session, rollout, today)
    if not current:
        request_refresh(session)
    detail = RolloutDetail.model_validate_json(stored.payload)
    return StoredReport(
        detail.model_copy(update={"computed_at": stored.computed_at, "recomputing": not current}), stored.computed_at, current
    )


def entry_results(session: Session, entry_id: int, *, today: date | None = None) -> list[RolloutResult]:
    """The stored results of an entry's rollouts, newest start first (the caller has checked
    :func:`deliveryops.cockpit.rollouts.service.require_reader`)."""
    return [
        result_of(read(session, rollout, today=today).detail) for rollout in list_rollouts(session=session, entry_id=entry_id)
    ]


def results_touching(session: Session, team_ids: set[int], *, today: date | None = None) -> list[RolloutResult]:
    """The stored results of the rollouts that touch any of ``team_ids``, newest start first."""
    return [
        result_of(read(session, rollout, today=today).detail)
        for rollout in list_rollouts(session=session)
        if {team.id for team, _ in rollout_teams(session, rollout)} & team_ids
    ]


@job(
    "cockpit.refresh_rollouts",
    title="Refresh the stored rollout reports",
    lock="derived:cockpit.rollout",
    retries=1,
    coalesce=True,
)
def refresh_rollouts(context: JobContext) -> str:
    """Compute again each rollout's report whose version changed (or that was never stored)."""
    with unit_of_work(context.session_factory) as session:
        ids = [rollout.id for rollout in list_rollouts(session=session)]
    refreshed = 0
    for index, rollout_id in enumerate(ids, start=1):
        with unit_of_work(context.session_factory) as session:
            rollout = session.get(Rollout, rollout_id)
            if rollout is not None:
                today = utcnow().date()
                stored = derived.latest(session, kind=KIND, scope=_scope(rollout.id))
                if stored is None or stored.data_version != version(session, rollout, today):
                    compute(session, rollout, today)
                    refreshed += 1
        context.progress(index, len(ids))
    return f"{refreshed} of {len(ids)} rollout report{'' if len(ids) == 1 else 's'} computed again."


def request_refresh(session: Session, *, requested_by: str | None = None) -> Job:
    """Queue a refresh once ``session`` commits (joining one already queued)."""
    return enqueue(session, refresh_rollouts, requested_by=requested_by)


@periodic("cockpit.refresh_rollouts_regularly", title="Refresh the stored rollout reports", every=timedelta(minutes=15))
def refresh_rollouts_regularly(context: JobContext) -> str:
    """Every quarter of an hour (syncs, imports and declared states change what the reports read), queue a refresh."""
    with unit_of_work(context.session_factory) as session:
        return f"Queued job {request_refresh(session).id}."
