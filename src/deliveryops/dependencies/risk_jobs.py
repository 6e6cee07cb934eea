"""The chance of delivery kept current by a job: after a sync, after a negotiation step, and every quarter of an hour
(throughput windows move with the day), each accepted dependency whose inputs changed is computed again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from deliveryops.db import unit_of_work
from deliveryops.jobs import Job, JobContext, enqueue, job, periodic

__all__ = ["refresh_risk", "refresh_risk_regularly", "request_risk_refresh"]


@job(
    "dependencies.refresh_risk",
    title="Refresh the chance of delivery of dependencies",
    lock="dependencies:risk",
    retries=1,
    coalesce=True,
)
def refresh_risk(context: JobContext) -> str:
    """Compute again the chance of every accepted dependency whose provider data, dates or state changed."""
    from deliveryops.dependencies import risk  # noqa: PLC0415 (loads the flow analytics only in the worker)

    with unit_of_work(context.session_factory) as session:
        computed = risk.refresh_all(session)
        escalated = risk.escalate_at_risk(session)
    raised = f"{escalated} dependenc{'y' if escalated == 1 else 'ies'} raised as impediments"
    return f"{computed} chance{'' if computed == 1 else 's'} computed again; {raised}."


def request_risk_refresh(session: Session, *, requested_by: str | None = None) -> Job:
    """Queue a refresh once ``session`` commits (joining one already queued)."""
    return enqueue(session, refresh_risk, requested_by=requested_by)


@periodic(
    "dependencies.refresh_risk_regularly", title="Refresh the chance of delivery of dependencies", every=timedelta(minutes=15)
)
def refresh_risk_regularly(context: JobContext) -> str:
    """Every quarter of an hour, queue a refresh under its lock."""
    with unit_of_work(context.session_factory) as session:
        return f"Queued job {request_risk_refresh(session).id}."
