"""Large imports run as background jobs: progress to follow (API and page), cancel, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops import jobs
from deliveryops.accounts.models import Role
from deliveryops.app.main import create_app
from deliveryops.db import unit_of_work
from deliveryops.jobs import Job
from deliveryops.settings import Settings
from deliveryops.teams.models import Team, TeamRole
from deliveryops.work.jobs import IMPORT_JOB, import_upload
from deliveryops.work.models import ImportRun, PendingUpload, WorkItem
from tests.factories import join, login, make_team, make_user, token_headers

EXAMPLE = (Path(__file__).parents[2] / "docs" / "examples" / "full-history.csv").read_bytes()
BAD = EXAMPLE + b"OPS-999,Story,Broken,not a date,Backlog,2026-03-02,,\n"


@pytest.fixture
def background_app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    # Files over 500 bytes import in the background (the example file has 1,240).
    update = {"import_background_mb": 500 / 1024 / 1024, "queue_url": "memory://"}
    return create_app(settings.model_copy(update=update), session_factory)


@pytest.fixture
def background_client(background_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(background_app, follow_redirects=False) as client:
        yield client


def _items(session: Session, team: Team) -> int:
    return session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.team_id == team.id)) or 0


def _upload(client: TestClient, team: Team, headers: dict[str, str], data: bytes) -> tuple[int, dict[str, Any], str]:
    response = client.post(f"/api/v1/teams/{team.id}/imports", headers=headers, files={"file": ("history.csv", data, "text/csv")})
    return response.status_code, response.json(), response.headers.get("location", "")


def test_a_large_file_imports_in_the_background(background_client: TestClient, background_app: FastAPI, session: Session) -> None:
    team = make_team(session)
    manager = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, manager, TeamRole.DELIVERY_MANAGER)
    headers = token_headers(session, manager)
    session.commit()
    status, body, location = _upload(background_client, team, headers, EXAMPLE)
    assert status == 202
    assert (body["name"], body["state"], body["arguments"]["file_name"]) == ("work.import_upload", "queued", "history.csv")
    assert location == f"/api/v1/teams/{team.id}/import-jobs/{body['id']}"
    assert _items(session, team) == 0
    assert background_app.state.jobs.run_queued() == 1
    done = background_client.get(location, headers=headers).json()
    assert done["state"] == "succeeded", done
    assert done["result"] == "6 created, 0 updated, 0 unchanged; 20 status changes."
    assert _items(session, team) == 6
    assert session.scalar(select(func.count()).select_from(PendingUpload)) == 0
    assert session.scalar(select(ImportRun.file_name).where(ImportRun.team_id == team.id)) == "history.csv"
    # Small files still import at once.
    small = background_client.post(
        f"/api/v1/teams/{team.id}/imports",
        headers=headers,
        files={"file": ("small.csv", EXAMPLE[:400].rsplit(b"\n", 1)[0] + b"\n", "text/csv")},
    )
    assert small.status_code == 201, small.text


def test_a_cancelled_import_writes_nothing(background_client: TestClient, background_app: FastAPI, session: Session) -> None:
    team = make_team(session)
    admin = make_user(session, role=Role.ADMIN)
    headers = token_headers(session, admin)
    session.commit()
    _status, body, location = _upload(background_client, team, headers, EXAMPLE)
    cancelled = background_client.post(location + "/cancel", headers=headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    background_app.state.jobs.run_queued()
    assert background_client.get(location, headers=headers).json()["state"] == "cancelled"
    again = background_client.post(location + "/cancel", headers=headers)
    assert again.status_code == 409
    assert _items(session, team) == 0
    assert body["id"]


def test_a_rejected_file_fails_the_job_with_its_problems_and_writes_nothing(
    background_client: TestClient, background_app: FastAPI, session: Session
) -> None:
    team = make_team(session)
    headers = token_headers(session, make_user(session, role=Role.ADMIN))
    session.commit()
    _status, _body, location = _upload(background_client, team, headers, BAD)
    background_app.state.jobs.run_queued()
    failed = background_client.get(location, headers=headers).json()
    assert failed["state"] == "failed"
    assert failed["error"].endswith(
        'line 22, column "created_at": expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, got "not a date"'
    )
    assert "not a date" in failed["error"]
    assert _items(session, team) == 0


def test_other_teams_people_cannot_follow_an_import(background_client: TestClient, session: Session) -> None:
    team = make_team(session)
    other = make_team(session)
    admin_headers = token_headers(session, make_user(session, role=Role.ADMIN))
    manager = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, other, manager, TeamRole.DELIVERY_MANAGER)
    member = make_user(session)
    join(session, team, member)
    session.commit()
    _status, body, location = _upload(background_client, team, admin_headers, EXAMPLE)
    assert background_client.get(location, headers=token_headers(session, member)).status_code == 403
    assert background_client.post(location + "/cancel", headers=token_headers(session, manager)).status_code == 403
    wrong_team = f"/api/v1/teams/{other.id}/import-jobs/{body['id']}"
    assert background_client.get(wrong_team, headers=admin_headers).status_code == 404


def test_the_page_follows_and_cancels_a_background_import(
    background_client: TestClient, background_app: FastAPI, session: Session
) -> None:
    team = make_team(session)
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    csrf = login(background_client, admin.email)
    preview = background_client.post(
        f"/teams/{team.slug}/import", data={"csrf_token": csrf}, files={"file": ("history.csv", EXAMPLE, "text/csv")}
    )
    assert preview.status_code == 200
    token = preview.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    confirmed = background_client.post(f"/teams/{team.slug}/import/confirm", data={"csrf_token": csrf, "token": token})
    assert confirmed.status_code == 303
    job_page = confirmed.headers["location"]
    assert job_page.startswith(f"/teams/{team.slug}/import/jobs/")
    waiting = background_client.get(job_page)
    assert "Waiting to start" in waiting.text
    assert 'http-equiv="refresh"' in waiting.text
    assert "Cancel the import" in waiting.text
    stopped = background_client.post(job_page + "/cancel", data={"csrf_token": csrf})
    assert stopped.status_code == 303
    background_app.state.jobs.run_queued()
    page = background_client.get(job_page)
    assert "Cancelled: nothing was imported" in page.text
    assert 'http-equiv="refresh"' not in page.text
    assert _items(session, team) == 0


def test_a_running_import_cancelled_mid_write_rolls_the_whole_file_back(
    background_app: FastAPI, session: Session, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("on SQLite the ledger cannot be written while the import holds the write lock (docs/import-formats.md)")
    team = make_team(session)
    admin = make_user(session, role=Role.ADMIN)
    rows = [b"key,type,title,created_at,status,entered_at,parent,labels"]
    for number in range(1, 5001):  # 5,000 items: three batches of at most 2,000
        rows.append(f"K-{number},Story,Item {number},2026-01-01,Backlog,2026-01-01,,".encode())
    pending = PendingUpload(
        token="mid-write", user_id=admin.id, team_id=team.id, file_name="big.csv", content=b"\n".join(rows) + b"\n"
    )
    session.add(pending)
    session.commit()
    runtime = background_app.state.jobs
    runtime.progress_every_seconds = 0  # every batch reports, so the cancel is seen after the first batch
    seen: list[int] = []

    def cancel_after_the_first_batch(done: int, _total: int | None, _message: str | None) -> None:
        seen.append(done)
        if done == 2000:
            with unit_of_work(runtime.session_factory) as other:
                job_id = other.scalar(select(Job.id).where(Job.name == IMPORT_JOB, Job.state == "running"))
                assert job_id is not None
                jobs.cancel(session=other, job_id=job_id)

    job = runtime.run_now(
        import_upload,
        arguments={"upload_id": pending.id, "team_id": team.id, "file_name": "big.csv"},
        on_progress=cancel_after_the_first_batch,
    )
    assert job.state == "cancelled"
    assert seen == [0, 2000]  # it stopped at the report after the first batch was written
    assert _items(session, team) == 0  # ... and the batch written was rolled back with the rest
    assert session.scalar(select(func.count()).select_from(ImportRun).where(ImportRun.team_id == team.id)) == 0
