"""Concurrent writes on the embedded SQLite database wait their turn instead of failing.

Sign-in reads the account and then writes (its last sign-in, throttling counters). In a deferred SQLite
transaction, turning a read into a write fails at once with "database is locked" when another request
committed in between; requests that change data therefore start their transaction holding the write lock.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, csrf_from, make_user
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
