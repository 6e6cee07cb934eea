"""Benchmark of the role homes ("today" pages) on the demo organisation, in process.

Builds the demo organisation (``deliveryops demo``'s builder, seed 3, today 26 November 2026) in a SQLite file
under ``--workdir`` (kept between runs; ``--fresh`` rebuilds it), signs in as each role's demo person and times
``GET /`` through the ASGI test client (no network): the median and the spread of the process's CPU time over
``--runs`` requests after one warm-up request (CPU time, not wall time: the machine may be shared). Also times
the Product Ops home's sections alone (``today.product_ops_sections``).

Usage::

    .venv/bin/python benchmarks/home_bench.py --runs 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from deliveryops.accounts.models import User
from deliveryops.accounts.passwords import hash_password
from deliveryops.app import today
from deliveryops.app.main import create_app
from deliveryops.db import make_engine, make_session_factory
from deliveryops.demo.builder import build_demo
from deliveryops.migrate import upgrade
from deliveryops.settings import Settings

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway benchmark database
PEOPLE = {
    "delivery manager": "marta.kowalska@example.com",
    "member": "lucia.fernandez@example.com",
    "Product Ops": "fatima.zahra@example.com",
    "leader": "catherine.moreau@example.com",
}


def _database(workdir: Path, fresh: bool) -> str:
    path = workdir / "home_bench_demo.db"
    if fresh:
        path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    if not path.exists():
        engine = make_engine(url)
        upgrade(engine)
        with make_session_factory(engine)() as session:
            build_demo(session, seed=3, now=NOW)
            session.commit()
        engine.dispose()
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        for user in session.scalars(select(User).where(User.email.in_(list(PEOPLE.values())))):
            user.password_hash = hash_password(PASSWORD)
        session.commit()
    engine.dispose()
    return url


def _times(call: object, runs: int) -> list[float]:
    """CPU milliseconds of this process (server and client threads) per call: less sensitive to a busy machine."""
    assert callable(call)
    call()  # warm-up: caches, the first query plans
    out = []
    for _ in range(runs):
        start = time.process_time()
        call()
        out.append((time.process_time() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    url = _database(args.workdir, args.fresh)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    settings = Settings(database_url=url, secret_key="b" * 48, scheduler=False, sync_in_background=False)
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print(f"{'home':<18} {'median CPU ms':>14} {'min':>6} {'max':>6} {'bytes':>8}")
    with factory() as session:
        actor = session.scalar(select(User).where(User.email == PEOPLE["Product Ops"]))
        assert actor is not None
        ms = _times(lambda: (today.product_ops_sections(session, actor, NOW), session.expire_all()), args.runs)
        print(f"{'Product Ops (fn)':<18} {statistics.median(ms):>14.0f} {min(ms):>6.0f} {max(ms):>6.0f}")
    for role, email in PEOPLE.items():
        with TestClient(create_app(settings, factory), follow_redirects=False) as client:
            page = client.get("/login")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            signed = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
            assert signed.status_code == 303, (role, signed.status_code)
            home = client.get("/")
            assert home.status_code == 200, (role, home.status_code)
            ms = _times(lambda client=client: client.get("/").raise_for_status(), args.runs)
        print(f"{role:<18} {statistics.median(ms):>14.0f} {min(ms):>6.0f} {max(ms):>6.0f} {len(home.content):>8}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
