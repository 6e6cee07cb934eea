"""Timings of the suspects for the test suite's slowdown, each measured as the tests meet it, in process.

On a fresh migrated database (SQLite file, and PostgreSQL when ``--postgres-url`` answers) with a small
organisation like the tests' (a group, two teams, one person per role, no history):

- ``sign-in``: the tests' ``login`` helper in parts: ``GET /login``, ``POST /login`` (one argon2 check) and
  ``GET /`` (the role's home), per role;
- ``gzip``: ``GET /`` and the team page with ``Accept-Encoding: gzip`` (what the test client sends) and
  ``identity``;
- ``hooks``: creating teams and memberships through the services, with the onboarding hooks and without them.

Each figure is the median of ``--runs`` repetitions after one warm-up, in milliseconds.

Usage::

    .venv/bin/python benchmarks/suite_suspects_bench.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.orm import Session

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role
from deliveryops.accounts.passwords import hash_password
from deliveryops.app.main import create_app
from deliveryops.db import make_engine, make_session_factory
from deliveryops.enablement import models as enablement
from deliveryops.migrate import upgrade
from deliveryops.settings import Settings
from deliveryops.teams import service as teams
from deliveryops.teams.models import Membership, Team, TeamRole

PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway benchmark database
ROLES = {
    "member": (Role.MEMBER, TeamRole.MEMBER),
    "delivery manager": (Role.DELIVERY_MANAGER, TeamRole.DELIVERY_MANAGER),
    "Product Ops": (Role.PRODUCT_OPS, None),
    "leader": (Role.LEADER, None),
    "admin": (Role.ADMIN, None),
}


def _median(call: Callable[[], object], runs: int) -> float:
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _organisation(session: Session) -> str:
    group = teams.create_group(session=session, actor=None, name="Commerce")
    alpha = teams.create_team(session=session, actor=None, name="Alpha", time_zone="UTC", group_id=group.id)
    teams.create_team(session=session, actor=None, name="Beta", time_zone="UTC", group_id=group.id)
    password_hash = hash_password(PASSWORD)
    for label, (role, team_role) in ROLES.items():
        user = accounts.create(
            session=session, actor=None, email=f"{label.replace(' ', '.')}@example.com", name=label.title(), role=role
        )
        user.password_hash = password_hash
        session.flush()
        if team_role is not None:
            teams.add_member(session=session, actor=None, team_id=alpha.id, user_id=user.id, team_role=team_role)
    session.commit()
    return alpha.slug


def _teams_and_members(session: Session, count: int) -> None:
    user = accounts.create(
        session=session, actor=None, email=f"joiner{time.perf_counter_ns()}@example.com", name="J", role=Role.MEMBER
    )
    for _ in range(count):
        team = teams.create_team(session=session, actor=None, name=f"T{time.perf_counter_ns()}", time_zone="UTC")
        teams.add_member(session=session, actor=None, team_id=team.id, user_id=user.id, team_role=TeamRole.MEMBER)
    session.rollback()


def _hooks(on: bool) -> None:
    for target, name, hook in (
        (Team, "after_insert", enablement._new_team),
        (Membership, "after_insert", enablement._new_member),
    ):
        present = event.contains(target, name, hook)
        if on and not present:
            event.listen(target, name, hook)
        if not on and present:
            event.remove(target, name, hook)


def _measure(url: str, runs: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        slug = _organisation(session)
    settings = Settings(database_url=url, secret_key="b" * 48, scheduler=False, sync_in_background=False)
    app = create_app(settings, factory)
    print(f"\n{make_url(url).get_backend_name()}, load average {os.getloadavg()[0]:.1f}")
    print(f"{'sign-in (ms)':<18} {'GET /login':>10} {'POST /login':>12} {'GET /':>8}")
    for label in ROLES:
        email = f"{label.replace(' ', '.')}@example.com"
        parts: list[list[float]] = [[], [], []]
        for _ in range(runs + 1):  # a fresh client (no cookies) each time, as each test has
            with TestClient(app, follow_redirects=False) as client:
                start = time.perf_counter()
                form = client.get("/login").text
                signed_out = time.perf_counter()
                token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
                signed = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
                assert signed.status_code == 303, signed.status_code
                posted = time.perf_counter()
                assert client.get("/").status_code == 200
                done = time.perf_counter()
            for part, ms in zip(parts, (signed_out - start, posted - signed_out, done - posted), strict=True):
                part.append(ms * 1000)
        get_login, post, home = (statistics.median(part[1:]) for part in parts)  # the first is the warm-up
        print(f"{label:<18} {get_login:>10.1f} {post:>12.1f} {home:>8.1f}")
    print(f"{'gzip (ms)':<18} {'gzip':>10} {'identity':>12}")
    with TestClient(app, follow_redirects=False) as client:
        form = client.get("/login").text
        token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token})
        for path in ("/", f"/teams/{slug}", "/definitions"):
            zipped = _median(lambda path=path: client.get(path, headers={"Accept-Encoding": "gzip"}), runs)
            plain = _median(lambda path=path: client.get(path, headers={"Accept-Encoding": "identity"}), runs)
            print(f"{path:<18} {zipped:>10.1f} {plain:>12.1f}")
    print(f"{'hooks (ms)':<18} {'with':>10} {'without':>12}   (10 teams + 10 memberships)")
    with factory() as session:
        with_hooks = _median(lambda: _teams_and_members(session, 10), runs)
        _hooks(False)
        without = _median(lambda: _teams_and_members(session, 10), runs)
        _hooks(True)
    print(f"{'create':<18} {with_hooks:>10.1f} {without:>12.1f}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        _measure(f"sqlite:///{Path(workdir) / 'suspects.db'}", args.runs)
    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    name = f"deliveryops_suspects_{os.getpid()}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        print(f"\nPostgreSQL skipped: {error.__class__.__name__}")
        return
    try:
        _measure(make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False), args.runs)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
