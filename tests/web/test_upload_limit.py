"""Uploads over the configured limit are refused with 413, in the app's formats, while they stream in."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role
from deliveryops.app.main import create_app
from deliveryops.settings import Settings
from deliveryops.work.models import PendingUpload, WorkItem
from tests.factories import login, make_team, make_user, token_headers
from tests.live import live_server

HEADER = b"ID,Link,Name,Backlog,Development,Done,Type,Blocked Days,Labels\n"


def _csv(size: int) -> bytes:
    """A CSV file of at least ``size`` bytes: the header, then as many rows as it takes (their length summed as they go)."""
    rows = [HEADER]
    length, number = len(HEADER), 0
    while length < size:
        number += 1
        rows.append(f"K-{number},,Item {number},2026-01-01,2026-01-02,2026-01-03,Story,0,\n".encode())
        length += len(rows[-1])
    return b"".join(rows)


@pytest.fixture
def small_limit_app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    return create_app(settings.model_copy(update={"max_upload_mb": 1}), session_factory)


def test_api_upload_over_the_limit_is_refused_and_imports_nothing(small_limit_app: FastAPI, session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    team = make_team(session)
    headers = token_headers(session, admin)
    session.commit()
    with TestClient(small_limit_app) as client:
        small = client.post(
            f"/api/v1/teams/{team.id}/imports", headers=headers, files={"file": ("ok.csv", _csv(10_000), "text/csv")}
        )
        big = client.post(
            f"/api/v1/teams/{team.id}/imports",
            headers=headers,
            files={"file": ("big.csv", _csv(1024 * 1024 + 1), "text/csv")},
        )
    assert small.status_code == 201, small.text
    assert big.status_code == 413
    error = big.json()["error"]
    assert error["code"] == "upload_too_large"
    assert "limit of 1 MB" in error["message"]
    assert "DELIVERYOPS_MAX_UPLOAD_MB" in error["message"]
    assert error["details"] == {"limit_mb": 1}
    assert (
        session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.team_id == team.id)) == small.json()["created"]
    )


def test_page_upload_over_the_limit_shows_the_error_page(small_limit_app: FastAPI, session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    team = make_team(session)
    session.commit()
    with TestClient(small_limit_app, follow_redirects=False) as client:
        csrf = login(client, admin.email)
        page = client.post(
            f"/teams/{team.slug}/import",
            data={"csrf_token": csrf},
            files={"file": ("big.csv", _csv(2 * 1024 * 1024), "text/csv")},
        )
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert "limit of 1 MB" in page.text


def test_the_limit_is_enforced_while_the_body_streams_in(tmp_path: Path) -> None:
    tokens: list[str] = []
    team_ids: list[int] = []

    def seed(session: Session) -> None:
        admin = make_user(session, role=Role.ADMIN)
        team_ids.append(make_team(session).id)
        tokens.append(accounts.create_token(session=session, actor=admin, name="upload")[1])

    with live_server(tmp_path / "limit.db", seed, max_upload_mb=1) as base_url:
        host, port = base_url.removeprefix("http://").split(":")
        path = f"/api/v1/teams/{team_ids[0]}/imports"
        # An upload of unknown length (chunked): 2 MB are sent, then the client waits without finishing it.
        # A server that read the whole body before checking would never answer; this one answers 413.
        with socket.create_connection((host, int(port)), timeout=60) as connection:
            connection.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {tokens[0]}\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            )
            part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
            connection.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            chunk = b"x" * 65_536
            for _ in range(32):
                connection.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                received = connection.recv(65_536)
                if not received:
                    break
                answer += received
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413")
        assert json.loads(body)["error"]["code"] == "upload_too_large"
        announced = httpx.post(
            f"{base_url}{path}",
            content=b"x" * (2 * 1024 * 1024),
            headers={"Authorization": f"Bearer {tokens[0]}", "Content-Type": "multipart/form-data; boundary=b"},
            timeout=60,
        )
    assert announced.status_code == 413
    assert announced.json()["error"]["code"] == "upload_too_large"


def test_an_abandoned_upload_saves_nothing(tmp_path: Path) -> None:
    tokens: list[str] = []
    team_ids: list[int] = []

    def seed(session: Session) -> None:
        admin = make_user(session, role=Role.ADMIN)
        team_ids.append(make_team(session).id)
        tokens.append(accounts.create_token(session=session, actor=admin, name="upload")[1])

    engines: list[Engine] = []
    data = _csv(400_000)
    # Jobs are left queued (as for a web process with separate workers), so the whole upload's stays pending.
    with live_server(
        tmp_path / "abandoned.db", seed, on_engine=engines.append, import_background_mb=0.1, jobs_inline=False
    ) as base_url:
        host, port = base_url.removeprefix("http://").split(":")
        part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        body = part + data + b"\r\n--b--\r\n"
        head = (
            f"POST /api/v1/teams/{team_ids[0]}/imports HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {tokens[0]}\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        # The client sends half of the file and gives up.
        with socket.create_connection((host, int(port)), timeout=30) as connection:
            connection.sendall(head + body[: len(body) // 2])
        # The same file sent whole is taken (as a background import), so the server was able to take it.
        whole = httpx.post(
            f"{base_url}/api/v1/teams/{team_ids[0]}/imports",
            headers={"Authorization": f"Bearer {tokens[0]}"},
            files={"file": ("big.csv", data, "text/csv")},
            timeout=60,
        )
        assert whole.status_code == 202
        with engines[0].connect() as database:
            uploads = database.scalar(select(func.count()).select_from(PendingUpload))
            items = database.scalar(select(func.count()).select_from(WorkItem))
    assert uploads == 1  # the whole upload's, waiting for its job; none from the abandoned one
    assert items == 0
