"""Background work: declare a job, enqueue it, follow its progress and state.

Declare a job in the module of the domain it serves (``<domain>/jobs.py``)::

    from deliveryops.jobs import JobContext, job

    @job("sync.connection", title="Sync connection {connection_id}", lock="sync:{connection_id}", retries=3)
    def sync_connection(context: JobContext, *, connection_id: int, full: bool = False) -> str | None:
        ...
        context.progress(done, total, "Page 3")  # stored for the admin page; raises if cancelled
        return "240 items imported."  # shown as the job's result

Enqueue it in a unit of work (the job exists once that commits)::

    job = enqueue(session, sync_connection, arguments={"connection_id": 5}, requested_by=user.email)

and read it with :func:`get_or_raise` / :func:`list_`. ``@periodic`` declares a job that runs once per
period however many workers run. See docs/architecture.md ("Background work").
"""

from deliveryops.jobs import derived
from deliveryops.jobs.ledger import active_for_lock, cancel, counts, enqueue, get_or_raise, job_for, list_, retry
from deliveryops.jobs.models import JOB_STATES, Job
from deliveryops.jobs.registry import (
    JobCancelledError,
    JobContext,
    JobFailedError,
    JobSpec,
    PeriodicSpec,
    job,
    periodic,
    registered,
)
from deliveryops.jobs.runtime import JobRuntime, configure, current, queue_location

__all__ = [
    "JOB_STATES",
    "Job",
    "JobCancelledError",
    "JobContext",
    "JobFailedError",
    "JobRuntime",
    "JobSpec",
    "PeriodicSpec",
    "active_for_lock",
    "cancel",
    "configure",
    "counts",
    "current",
    "derived",
    "enqueue",
    "get_or_raise",
    "job",
    "job_for",
    "list_",
    "periodic",
    "queue_location",
    "registered",
    "retry",
]
