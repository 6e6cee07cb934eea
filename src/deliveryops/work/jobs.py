"""Large work-item imports run as background jobs: progress to follow, cancel at any time, all or nothing.

An upload larger than ``DELIVERYOPS_IMPORT_BACKGROUND_MB`` is kept as a pending upload and imported by
:func:`import_upload` in one unit of work: the file's items are written batch by batch and the job reports
how many after each batch; a cancel (or any failure, a rejected file included) rolls the whole file back.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops import jobs
from deliveryops.accounts.models import User
from deliveryops.db import begin_writing, unit_of_work
from deliveryops.errors import PermissionDeniedError
from deliveryops.jobs import Job, JobContext, job
from deliveryops.teams.models import Team
from deliveryops.teams.service import can_manage_team
from deliveryops.work import service
from deliveryops.work.models import PendingUpload

__all__ = ["IMPORT_JOB", "import_job_of_team", "import_upload", "start_import"]

IMPORT_JOB = "work.import_upload"


@job(IMPORT_JOB, title="Import {file_name} into team {team_id}", lock="import:{team_id}", retries=0)
def import_upload(
    context: JobContext,
    *,
    upload_id: int,
    team_id: int,
    file_name: str,
    import_format: str | None = None,
    date_order: str | None = None,
) -> str:
    """Import a pending upload into its team; the upload is removed once the import has committed."""
    context.progress(0, None, "Checking and importing the file")
    with unit_of_work(context.session_factory) as session:
        begin_writing(session)
        pending = session.get(PendingUpload, upload_id)
        if pending is None:
            raise ValueError("The uploaded file is no longer kept (uploads are kept for an hour); upload it again.")
        team = session.get(Team, team_id)
        actor = session.get(User, pending.user_id)
        if team is None or actor is None:
            raise ValueError("The team or the person who uploaded the file no longer exists.")

        # On SQLite this unit of work holds the only write lock until it commits, so the ledger cannot be
        # written meanwhile: progress (and a cancel) is seen before the writing starts and at the end.
        # PostgreSQL reports the items written after each batch, and a cancel stops the import there.
        reports_while_writing = session.get_bind().dialect.name != "sqlite"

        def written(done: int) -> None:
            if reports_while_writing:
                context.progress(done, None, f"{done:,} items written")  # raises JobCancelledError when cancelled

        try:
            summary = service.import_file(
                session=session,
                actor=actor,
                team=team,
                data=pending.content,
                file_name=file_name,
                import_format=import_format,
                date_order=date_order,
                blocked=pending.blocked_content,
                progress=written,
            )
        except service.ImportRejectedError as error:
            raise ValueError(error.message) from None
        session.delete(pending)
    return (
        f"{summary.created:,} created, {summary.updated:,} updated, {summary.unchanged:,} unchanged; "
        f"{summary.transitions:,} status changes."
    )


def start_import(
    session: Session,
    *,
    actor: User,
    team: Team,
    pending: PendingUpload,
    import_format: str | None,
    date_order: str | None,
) -> Job:
    """Enqueue the import of ``pending`` (it exists once ``session`` commits)."""
    session.flush()
    return jobs.enqueue(
        session,
        import_upload,
        arguments={
            "upload_id": pending.id,
            "team_id": team.id,
            "file_name": pending.file_name,
            "import_format": import_format,
            "date_order": date_order,
        },
        requested_by=actor.email,
    )


def import_job_of_team(session: Session, *, actor: User, team: Team, job_id: int) -> Job:
    """An import job of ``team``, for the team's managers (admins, its delivery manager)."""
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can follow the team's imports.")
    return jobs.job_for(
        session=session,
        job_id=job_id,
        name=IMPORT_JOB,
        missing=f"No import job {job_id} for this team.",
        team_id=team.id,
    )
