"""Detection of dependencies as a job: after the data changes (each sync or import bumps its team's data version),
when an admin changes what is mapped, and on request (the proposals page, the API, ``dependencies detect``).

A periodic job looks every minute whether the data changed since the last detection and, if so, queues one; one
lock means one detection at a time, and ``coalesce`` folds the requests of a busy minute into one queued run.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.db import unit_of_work
from deliveryops.dependencies import detection
from deliveryops.dependencies.models import DependencyAlias, DependencyFunction, DependencyLinkType
from deliveryops.jobs import Job, JobContext, derived, enqueue, job, periodic
from deliveryops.teams.models import Team
from deliveryops.work.models import Change

__all__ = ["data_version", "detect_dependencies", "detect_when_data_changed", "request_detection"]

DETECTED = "dependencies.detected"
SCOPE = "all"


def data_version(session: Session) -> str:
    """A version of everything detection reads: every team's data version, the mapped phrases, aliases, functions."""
    teams = tuple(tuple(row) for row in session.execute(select(Team.id, Team.data_version).order_by(Team.id)))
    counts = tuple(
        tuple(session.execute(select(func.count(), func.max(model.id))).one())
        for model in (DependencyLinkType, DependencyAlias, DependencyFunction, Change)
    )
    return derived.version_of(teams, counts)


@job("dependencies.detect", title="Look for dependencies in the data", lock="dependencies:detect", retries=2, coalesce=True)
def detect_dependencies(context: JobContext) -> str:
    """Propose every new dependency the data shows (links, blocked reasons, cross-repository references)."""
    with unit_of_work(context.session_factory) as session:
        version = data_version(session)
        result = detection.detect(session)
        derived.store(session, kind=DETECTED, scope=SCOPE, data_version=version, parameters={}, payload=b"")
    new = len(result.proposed)
    return f"{new} new proposal{'' if new == 1 else 's'}; {result.already_known} seen before, {result.covered} already recorded."


def request_detection(session: Session, *, requested_by: str | None = None) -> Job:
    """Queue a detection once ``session`` commits (joining one already queued)."""
    return enqueue(session, detect_dependencies, requested_by=requested_by)


@periodic("dependencies.detect_when_data_changed", title="Look for dependencies after data changed", every=timedelta(minutes=1))
def detect_when_data_changed(context: JobContext) -> str:
    """Every minute: queue a detection when a sync, an import or a mapping changed the data since the last one."""
    with unit_of_work(context.session_factory) as session:
        if derived.read(session, kind=DETECTED, scope=SCOPE, data_version=data_version(session)) is not None:
            return "No change since the last detection."
        return f"Queued job {request_detection(session).id}."
