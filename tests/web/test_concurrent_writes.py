"""Concurrent writes on the embedded SQLite database wait their turn instead of failing.

Sign-in reads the account and then writes (its last sign-in, throttling counters). In a deferred SQLite
transaction, turning a read into a write fails at once with "database is locked" when another request
committed in between; requests that change data therefore start their transaction holding the write lock.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role, User
from deliveryops.web.errors import UNEXPECTED_MESSAGE
from deliveryops.web.security import SessionDep
from tests.factories import PASSWORD, csrf_from, join, make_team, make_user
from tests.live import live_server

PEOPLE = 8


def _seed(session: Session) -> None:
    for index in range(PEOPLE):
        make_user(session, email=f"person{index}@example.com")


def _sign_in(base_url: str, index: int) -> int:
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as client:
        token = csrf_from(client.get("/login").text)
        response = client.post(
            "/login", data={"email": f"person{index}@example.com", "password": PASSWORD, "csrf_token": token, "next": "/"}
        )
        return response.status_code


def test_simultaneous_sign_ins_all_succeed(tmp_path: Path) -> None:
    with live_server(tmp_path / "concurrent.db", _seed) as base_url:
        for _round in range(2):
            with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
                statuses = list(pool.map(lambda index: _sign_in(base_url, index), range(PEOPLE)))
            assert statuses == [303] * PEOPLE


WRITERS = 8


class _CheckedOut:
    """How many pooled connections are out at once, at most."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.lock = threading.Lock()

    def listen(self, engine: Engine) -> None:
        event.listen(engine, "checkout", self._out)
        event.listen(engine, "checkin", self._in)

    def _out(self, *_args: object) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def _in(self, *_args: object) -> None:
        with self.lock:
            self.now -= 1


def test_writers_take_turns_without_holding_a_connection(tmp_path: Path) -> None:
    tokens: list[str] = []
    team_ids: list[int] = []

    def seed(session: Session) -> None:
        team = make_team(session)
        team_ids.append(team.id)
        for _index in range(WRITERS):
            person = make_user(session)
            join(session, team, person)
            tokens.append(accounts.create_token(session=session, actor=person, name="writes")[1])

    def raise_one(index: int, round_: int) -> tuple[int, str]:
        with httpx.Client(base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {tokens[index]}"}) as client:
            response = client.post(f"/api/v1/teams/{team_ids[0]}/impediments", json={"title": f"Turn {round_}-{index}"})
            return response.status_code, response.json().get("title", "")

    checked_out = _CheckedOut()
    # The cluster-proposal job each impediment queues is handed to the queue, as a web process does.
    with live_server(tmp_path / "turns.db", seed, on_engine=checked_out.listen, jobs_inline=False) as base_url:
        checked_out.most = 0  # seeding and start-up are not requests
        for round_ in range(3):
            with ThreadPoolExecutor(max_workers=WRITERS) as pool:
                answers = list(pool.map(lambda index, r=round_: raise_one(index, r), range(WRITERS)))
            assert answers == [(201, f"Turn {round_}-{index}") for index in range(WRITERS)]
    # Waiting writers queue in the event loop: one unit of work (one connection) writes at a time,
    # instead of every waiting request holding a thread and a connection while SQLite makes it retry.
    # The one extra connection is the job hand-over after a commit (the ledger marks the queued job delivered).
    assert checked_out.most <= 2 < WRITERS


def _app_with_failures(app: FastAPI) -> FastAPI:
    @app.get("/api/v1/test-failure")
    def api_failure() -> None:
        raise RuntimeError("a bug")

    @app.get("/test-failure")
    def page_failure() -> None:
        raise RuntimeError("a bug")

    @app.post("/api/v1/test-commit-failure")
    def commit_failure(session: SessionDep) -> dict[str, str]:
        # Two people with one e-mail: the route returns, the unit of work's commit then fails.
        for _ in range(2):
            session.add(User(email="same@example.com", name="Same", role=Role.MEMBER))
        return {"status": "returned"}

    return app


def test_unexpected_errors_answer_in_the_apps_formats(app: FastAPI) -> None:
    with TestClient(_app_with_failures(app), raise_server_exceptions=False) as client:
        api = client.get("/api/v1/test-failure")
        page = client.get("/test-failure")
        commit = client.post("/api/v1/test-commit-failure")
    assert api.status_code == 500
    assert api.json() == {"error": {"code": "internal_error", "message": UNEXPECTED_MESSAGE, "details": {}}}
    assert commit.status_code == 500
    assert commit.json()["error"]["code"] == "internal_error"
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in page.text
    assert "not saved" in page.text
