"""Large statistics files import as background jobs: follow (API and page), cancel, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.app.main import create_app
from deliveryops.experiments.jobs import IMPORT_JOB
from deliveryops.experiments.models import Experiment, MetricSnapshot
from deliveryops.settings import Settings
from deliveryops.work.models import PendingUpload
from deliveryops.worker import JOB_MODULES
from tests.experiments.builders import crew, running
from tests.factories import login, make_user, token_headers

HEADER = "date,metric,kind,variation,n,sum,sum_squares\n"
# Ten days of cumulative conversion for both variations: 20 rows, about 1 KB (over the 500-byte threshold below).
LARGE = (
    HEADER
    + "".join(
        f"2026-11-{day:02d},conversion,proportion,{variation},{100 * day},{10 * day},{10 * day}\n"
        for day in range(2, 12)
        for variation in ("control", "one-page")
    )
).encode()
SMALL = (
    HEADER + "2026-11-02,conversion,proportion,control,100,10,10\n2026-11-02,conversion,proportion,one-page,100,12,12\n"
).encode()


@pytest.fixture
def background_app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    update = {"import_background_mb": 500 / 1024 / 1024, "queue_url": "memory://"}
    return create_app(settings.model_copy(update=update), session_factory)


@pytest.fixture
def background_client(background_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(background_app, follow_redirects=False) as client:
        yield client


def _snapshots(session: Session, experiment: Experiment) -> int:
    statement = select(func.count()).select_from(MetricSnapshot).where(MetricSnapshot.experiment_id == experiment.id)
    return session.scalar(statement) or 0


def test_the_worker_runs_statistics_imports() -> None:
    assert "deliveryops.experiments.jobs" in JOB_MODULES


def test_a_large_file_imports_in_the_background(background_client: TestClient, background_app: FastAPI, session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    headers = token_headers(session, c.member)
    session.commit()
    url = f"/api/v1/experiments/{experiment.id}/statistics.csv"
    response = background_client.post(url, headers=headers, files={"file": ("stats.csv", LARGE, "text/csv")})
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["name"], body["state"], body["arguments"]["file_name"]) == (IMPORT_JOB, "queued", "stats.csv")
    location = response.headers["location"]
    assert location == f"/api/v1/experiments/{experiment.id}/statistics-jobs/{body['id']}"
    assert _snapshots(session, experiment) == 0
    assert background_app.state.jobs.run_queued() == 1
    done = background_client.get(location, headers=headers).json()
    assert done["state"] == "succeeded", done
    assert done["result"] == "20 rows over 10 days stored (20 snapshots)."
    assert _snapshots(session, experiment) == 20
    assert session.scalar(select(func.count()).select_from(PendingUpload)) == 0
    # A small file still imports at once, and replaces the statistics.
    small = background_client.post(url, headers=headers, files={"file": ("small.csv", SMALL, "text/csv")})
    assert small.status_code == 200, small.text
    assert small.json()["snapshots"] == 2
    # People who may not import statistics may not follow the import either.
    outsider = token_headers(session, make_user(session))
    session.commit()
    assert background_client.get(location, headers=outsider).status_code in (403, 404)


def test_a_cancelled_or_rejected_import_writes_nothing(
    background_client: TestClient, background_app: FastAPI, session: Session
) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    headers = token_headers(session, c.member)
    session.commit()
    url = f"/api/v1/experiments/{experiment.id}/statistics.csv"
    assert background_client.post(url, headers=headers, files={"file": ("small.csv", SMALL, "text/csv")}).status_code == 200
    sent = background_client.post(url, headers=headers, files={"file": ("stats.csv", LARGE, "text/csv")})
    location = sent.headers["location"]
    cancelled = background_client.post(location + "/cancel", headers=headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    background_app.state.jobs.run_queued()
    assert background_client.get(location, headers=headers).json()["state"] == "cancelled"
    assert background_client.post(location + "/cancel", headers=headers).status_code == 409
    assert _snapshots(session, experiment) == 2  # the statistics it had
    bad = LARGE + b"2026-11-12,conversion,proportion,control,100,abc,\n"
    failed_at = background_client.post(url, headers=headers, files={"file": ("bad.csv", bad, "text/csv")}).headers["location"]
    background_app.state.jobs.run_queued()
    failed = background_client.get(failed_at, headers=headers).json()
    assert failed["state"] == "failed"
    assert failed["error"] == 'bad.csv: line 22, column sum: expected a number, got "abc"'
    assert _snapshots(session, experiment) == 2


def test_the_page_follows_and_cancels_a_background_import(
    background_client: TestClient, background_app: FastAPI, session: Session
) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    session.commit()
    csrf = login(background_client, c.member.email)
    sent = background_client.post(
        f"/experiments/{experiment.id}/statistics",
        data={"csrf_token": csrf},
        files={"file": ("stats.csv", LARGE, "text/csv")},
    )
    assert sent.status_code == 303
    job_page = sent.headers["location"]
    assert job_page.startswith(f"/experiments/{experiment.id}/statistics/jobs/")
    waiting = background_client.get(job_page)
    assert "Waiting to start" in waiting.text
    assert 'http-equiv="refresh"' in waiting.text
    assert background_client.post(job_page + "/cancel", data={"csrf_token": csrf}).status_code == 303
    background_app.state.jobs.run_queued()
    page = background_client.get(job_page)
    assert "Cancelled: nothing was imported" in page.text
    assert 'http-equiv="refresh"' not in page.text
    again = background_client.post(
        f"/experiments/{experiment.id}/statistics",
        data={"csrf_token": csrf},
        files={"file": ("stats.csv", LARGE, "text/csv")},
    )
    background_app.state.jobs.run_queued()
    done = background_client.get(again.headers["location"])
    assert "20 rows over 10 days stored" in done.text
    assert _snapshots(session, experiment) == 20
