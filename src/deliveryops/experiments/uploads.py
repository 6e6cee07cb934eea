"""Statistics files uploaded to an experiment: read, imported at once or kept for a background job.

The page and the API share these.
"""

from __future__ import annotations

import secrets

from fastapi import UploadFile
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.db import utcnow
from deliveryops.errors import PermissionDeniedError
from deliveryops.experiments import service, statistics
from deliveryops.experiments.jobs import start_import
from deliveryops.jobs import Job
from deliveryops.work.models import PendingUpload

__all__ = ["csv_import", "read_upload", "start_background_import"]


async def read_upload(file: UploadFile) -> bytes:
    """The uploaded file's bytes (the app refuses bodies over the upload limit, 413, while they stream in)."""
    return await file.read()


def start_background_import(session: Session, actor: User, experiment_id: int, data: bytes, name: str, period: str) -> Job:
    """Keep a large statistics file and enqueue its import (shared by the page and the API)."""
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    if not service.can_edit(session, actor, experiment):
        raise PermissionDeniedError("Only the team's people, Product Ops and admins import its statistics.")
    pending = PendingUpload(
        token=secrets.token_urlsafe(24), user_id=actor.id, team_id=experiment.team_id, file_name=name[:255], content=data
    )
    session.add(pending)
    return start_import(session, actor=actor, experiment=experiment, pending=pending, period=period)


def csv_import(
    session: Session, actor: User, experiment_id: int, data: bytes, name: str, period: str
) -> statistics.ImportSummary:
    """Read a statistics CSV and import it (shared by the page and the API)."""
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    if not service.can_edit(session, actor, experiment):
        raise PermissionDeniedError("Only the team's people, Product Ops and admins import its statistics.")
    # The reader names the line of anything it cannot read (e.g. a cell beyond the csv module's size limit).
    rows = statistics.rows_from_csv(
        data,
        name=name,
        experiment=experiment,
        default_day=utcnow().date(),
        daily={"daily": True, "cumulative": False}.get(period),
    )
    return statistics.import_statistics(session=session, actor=actor, experiment_id=experiment_id, rows=rows, cumulative=True)
