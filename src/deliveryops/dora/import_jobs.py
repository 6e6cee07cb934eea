"""Large DORA files (deployments, changes, incidents) import as background jobs: progress, cancel, all or nothing.

An upload larger than ``DELIVERYOPS_IMPORT_BACKGROUND_MB`` is kept as a pending upload and imported by
:func:`import_upload` in one unit of work: the rows are written in batches and the job reports how many after
each batch; a cancel (or any failure, a rejected file included) rolls the whole file back.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops import jobs
from deliveryops.accounts.models import User
from deliveryops.db import begin_writing, unit_of_work
from deliveryops.dora.csv_formats import import_csv
from deliveryops.dora.service import can_upload
from deliveryops.errors import PermissionDeniedError
from deliveryops.jobs import Job, JobContext, job
from deliveryops.teams.models import Team
from deliveryops.work.models import PendingUpload

__all__ = ["IMPORT_JOB", "import_job_of_team", "import_upload", "start_import"]

IMPORT_JOB = "dora.import_upload"


@job(IMPORT_JOB, title="Import {kind} from {file_name} into team {team_id}", lock="dora-import:{team_id}", retries=0)
def import_upload(context: JobContext, *, upload_id: int, team_id: int, file_name: str, kind: str) -> str:
    """Import a pending DORA upload into its team; the upload is removed once the import has committed."""
    context.progress(0, None, "Checking and importing the file")
    with unit_of_work(context.session_factory) as session:
        begin_writing(session)
        pending = session.get(PendingUpload, upload_id)
        if pending is None:
            raise ValueError("The uploaded file is no longer kept (uploads are kept for an hour); upload it again.")
        team = session.get(Team, team_id)
        if team is None:
            raise ValueError("The team no longer exists.")

        # On SQLite this unit of work holds the only write lock until it commits, so the ledger cannot be
        # written meanwhile: progress (and a cancel) is seen before the writing starts and at the end.
        # PostgreSQL reports the rows handled after each batch, and a cancel stops the import there.
        reports_while_writing = session.get_bind().dialect.name != "sqlite"

        def handled(done: int) -> None:
            if reports_while_writing:
                context.progress(done, None, f"{done:,} {kind} handled")  # raises JobCancelledError when cancelled

        # A rejected file raises ValidationFailedError: the job fails with its message and nothing is written.
        outcome = import_csv(session, team=team, kind=kind, content=pending.content, file_name=file_name, progress=handled)
        session.delete(pending)
    skipped = f" {len(outcome.skipped):,} skipped: they belong to other teams." if outcome.skipped else ""
    return f"{outcome.written:,} {kind} written (new or changed).{skipped}"


def start_import(session: Session, *, actor: User, team: Team, pending: PendingUpload, kind: str) -> Job:
    """Enqueue the import of ``pending`` (it exists once ``session`` commits)."""
    session.flush()
    return jobs.enqueue(
        session,
        import_upload,
        arguments={"upload_id": pending.id, "team_id": team.id, "file_name": pending.file_name, "kind": kind},
        requested_by=actor.email,
    )


def import_job_of_team(session: Session, *, actor: User, team: Team, job_id: int) -> Job:
    """A DORA import job of ``team``, for the team's managers (admins, its delivery manager)."""
    if not can_upload(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can follow the team's DORA imports.")
    return jobs.job_for(
        session=session,
        job_id=job_id,
        name=IMPORT_JOB,
        missing=f"No DORA import job {job_id} for this team.",
        team_id=team.id,
    )
