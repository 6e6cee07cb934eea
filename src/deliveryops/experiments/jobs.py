"""Large experiment statistics files import as background jobs: progress, cancel, all or nothing.

An upload larger than ``DELIVERYOPS_IMPORT_BACKGROUND_MB`` is kept as a pending upload and imported by
:func:`import_upload` in one unit of work; a cancel (or any failure, a rejected file included) rolls the whole
file back, so the experiment keeps the statistics it had.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops import jobs
from deliveryops.accounts.models import User
from deliveryops.db import begin_writing, unit_of_work
from deliveryops.errors import PermissionDeniedError
from deliveryops.experiments import service, statistics
from deliveryops.experiments.models import Experiment
from deliveryops.jobs import Job, JobContext, job
from deliveryops.work.models import PendingUpload

__all__ = ["IMPORT_JOB", "import_job_of_experiment", "import_upload", "start_import"]

IMPORT_JOB = "experiments.import_statistics"


@job(IMPORT_JOB, title="Import statistics from {file_name} into experiment {experiment_id}", retries=0)
def import_upload(context: JobContext, *, upload_id: int, experiment_id: int, file_name: str, period: str = "") -> str:
    """Import a pending statistics upload into its experiment; the upload is removed once the import has committed."""
    context.progress(0, None, "Reading the file")
    with unit_of_work(context.session_factory) as session:
        begin_writing(session)
        pending = session.get(PendingUpload, upload_id)
        if pending is None:
            raise ValueError("The uploaded file is no longer kept (uploads are kept for an hour); upload it again.")
        actor = session.get(User, pending.user_id)
        if actor is None:
            raise ValueError("The person who uploaded the file no longer exists.")
        experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
        rows = statistics.rows_from_csv(
            pending.content,
            name=file_name,
            experiment=experiment,
            default_day=pending.created_at.date(),
            daily={"daily": True, "cumulative": False}.get(period),
        )
        # On SQLite this unit of work holds the only write lock, so the ledger is written at the end only;
        # PostgreSQL records this report, and a cancel made meanwhile stops the import here.
        if session.get_bind().dialect.name != "sqlite":
            context.progress(len(rows), len(rows), f"{len(rows):,} rows read; storing them")
        summary = statistics.import_statistics(
            session=session, actor=actor, experiment_id=experiment_id, rows=rows, cumulative=True
        )
        session.delete(pending)
    return f"{summary.rows:,} rows over {summary.days:,} days stored ({summary.snapshots:,} snapshots)."


def start_import(session: Session, *, actor: User, experiment: Experiment, pending: PendingUpload, period: str) -> Job:
    """Enqueue the import of ``pending`` (it exists once ``session`` commits)."""
    session.flush()
    return jobs.enqueue(
        session,
        import_upload,
        arguments={"upload_id": pending.id, "experiment_id": experiment.id, "file_name": pending.file_name, "period": period},
        requested_by=actor.email,
    )


def import_job_of_experiment(session: Session, *, actor: User, experiment: Experiment, job_id: int) -> Job:
    """A statistics import job of ``experiment``, for those who may import its statistics."""
    if not service.can_edit(session, actor, experiment):
        raise PermissionDeniedError("Only the team's people, Product Ops and admins follow its statistics imports.")
    return jobs.job_for(
        session=session,
        job_id=job_id,
        name=IMPORT_JOB,
        missing=f"No statistics import job {job_id} for this experiment.",
        experiment_id=experiment.id,
    )
