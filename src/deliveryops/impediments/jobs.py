"""Cross-team cluster proposals as a job: queued when an impediment is raised, and every quarter of an hour.

The job looks at every open impediment of every team, so it runs on a worker rather than in a request; one
lock means one such look at a time, and ``coalesce`` folds the requests of a busy hour into one queued run.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from deliveryops.db import unit_of_work
from deliveryops.jobs import Job, JobContext, enqueue, job, periodic

__all__ = ["propose_clusters", "propose_clusters_regularly", "request_cluster_proposals"]


@job(
    "impediments.propose_clusters",
    title="Look for cross-team impediment clusters",
    lock="impediments:clusters",
    retries=2,
    retry_delay=timedelta(seconds=30),
    coalesce=True,
)
def propose_clusters(context: JobContext) -> str:
    """Propose clusters among open impediments of different teams (updating the existing ones)."""
    from deliveryops.impediments import clusters  # noqa: PLC0415 (clusters imports the service, which queues this job)

    with unit_of_work(context.session_factory) as session:
        created = clusters.propose(session, escalation_teams=context.settings.cluster_escalation_teams)
        return f"{len(created)} new proposal{'' if len(created) == 1 else 's'}."


def request_cluster_proposals(session: Session, *, requested_by: str | None = None) -> Job:
    """Queue a look for clusters once ``session`` commits (joining one already queued)."""
    return enqueue(session, propose_clusters, requested_by=requested_by)


@periodic("impediments.propose_clusters_regularly", title="Look for impediment clusters", every=timedelta(minutes=15))
def propose_clusters_regularly(context: JobContext) -> str:
    """Every quarter of an hour, queue a look (under its lock): impediments age in and out of the escalation window."""
    with unit_of_work(context.session_factory) as session:
        queued = request_cluster_proposals(session)
        return f"Queued job {queued.id}."
