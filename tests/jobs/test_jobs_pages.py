"""The admin jobs page and API: jobs by state with counts, retry and cancel with CSRF, an empty state, admins only."""

from __future__ import annotations

from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops import jobs
from deliveryops.accounts.models import Role
from deliveryops.db import utcnow
from deliveryops.jobs import Job
from tests.factories import login, make_user, token_headers
from tests.jobs import sample_jobs


def _failed(session: Session, **arguments: int) -> Job:
    job = jobs.enqueue(session, sample_jobs.add, arguments=arguments or {"a": 1})
    job.state, job.attempts, job.error, job.finished_at = "failed", 1, "RuntimeError: the source timed out", utcnow()
    session.flush()
    return job


def test_empty_state_and_the_navigation_entry_for_admins_only(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    member = make_user(session)
    session.commit()
    login(client, admin.email)
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    assert "No jobs here" in page.text
    assert 'href="/admin/people"' in client.get("/").text  # the Admin entry, whose tabs lead to the jobs
    assert 'href="/admin/jobs"' in client.get("/admin/people").text
    client.cookies.clear()
    login(client, member.email)
    assert 'href="/admin/people"' not in client.get("/").text
    assert 'href="/admin/jobs"' not in client.get("/").text
    assert client.get("/admin/jobs").status_code == 403


def test_the_page_lists_jobs_by_state_and_retries_and_cancels_with_csrf(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    failed = _failed(session)
    queued = jobs.enqueue(session, sample_jobs.add, arguments={"a": 2, "b": 3})
    session.commit()
    csrf = login(client, admin.email)
    page = client.get("/admin/jobs")
    text = unescape(page.text)
    assert "Queued (1)" in text
    assert "Failed (1)" in text
    assert "RuntimeError: the source timed out" in text
    assert f'aria-label="Retry job {failed.id}: Add 1 and 0"' in text
    assert f'aria-label="Cancel job {queued.id}: Add 2 and 3"' in text
    only_failed = unescape(client.get("/admin/jobs?state=failed").text)
    assert "Add 1 and 0" in only_failed
    assert "Add 2 and 3" not in only_failed

    assert client.post(f"/admin/jobs/{failed.id}/retry", data={}).status_code == 403  # no CSRF token
    session.expire_all()
    assert session.get(Job, failed.id).state == "failed"  # type: ignore[union-attr]
    retried = client.post(f"/admin/jobs/{failed.id}/retry", data={"csrf_token": csrf})
    assert (retried.status_code, retried.headers["location"]) == (303, "/admin/jobs?done=retried")
    cancelled = client.post(
        f"/admin/jobs/{queued.id}/cancel",
        data={"csrf_token": csrf},
        headers={"referer": f"http://testserver/admin/jobs/{queued.id}"},
    )
    assert cancelled.headers["location"] == f"/admin/jobs/{queued.id}?done=cancelled"
    session.expire_all()
    assert (session.get(Job, failed.id).state, session.get(Job, queued.id).state) == ("queued", "cancelled")  # type: ignore[union-attr]
    again = client.post(f"/admin/jobs/{queued.id}/cancel", data={"csrf_token": csrf})
    detail = unescape(client.get(again.headers["location"]).text)
    assert f"Job {queued.id} has finished (cancelled); there is nothing to cancel." in detail
    job_page = unescape(client.get(f"/admin/jobs/{queued.id}").text)
    assert "Cancelled before it started." in job_page
    assert "Retry</button>" in job_page


def test_the_api_lists_reads_retries_and_cancels(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    headers = token_headers(session, admin)
    failed = _failed(session)
    done = jobs.enqueue(session, sample_jobs.add, arguments={"a": 5})
    done.state, done.attempts, done.result = "succeeded", 2, "5 + 0 = 5"
    session.commit()
    listing = client.get("/api/v1/jobs?state=failed", headers=headers).json()
    assert listing["counts"] == {"queued": 0, "running": 0, "succeeded": 1, "failed": 1, "cancelled": 0, "retried": 1}
    assert [job["id"] for job in listing["items"]] == [failed.id]
    assert (listing["total"], listing["limit"], listing["offset"]) == (1, 100, 0)
    assert [job["id"] for job in client.get("/api/v1/jobs?state=retried", headers=headers).json()["items"]] == [done.id]
    everything = client.get("/api/v1/jobs?limit=1", headers=headers).json()
    assert (everything["total"], [job["id"] for job in everything["items"]]) == (2, [done.id])
    assert client.get("/api/v1/jobs?state=lost", headers=headers).status_code == 422
    read = client.get(f"/api/v1/jobs/{failed.id}", headers=headers).json()
    assert (read["state"], read["error"], read["arguments"]) == ("failed", "RuntimeError: the source timed out", {"a": 1, "b": 0})
    retried = client.post(f"/api/v1/jobs/{failed.id}/retry", headers=headers).json()
    assert (retried["state"], retried["max_attempts"]) == ("queued", 2)
    refused = client.post(f"/api/v1/jobs/{done.id}/retry", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == f"Job {done.id} is succeeded; only failed or cancelled jobs can be retried."
    assert client.post(f"/api/v1/jobs/{failed.id}/cancel", headers=headers).json()["state"] == "cancelled"
    assert client.get("/api/v1/jobs/999999", headers=headers).status_code == 404
