"""CPU cost of the tests' shared per-test steps, before and after the shared fixtures changed.

On a migrated SQLite database with one person holding the tests' shared password:

- ``create_app``: building the app, which every test using the ``app`` fixture paid before;
- ``rewire``: what the ``app`` fixture does now for a test once the worker's app exists (a job queue for the
  test's session factory);
- ``sign-in (form)`` / ``sign-in (helper)``: ``login_through_form`` (the real form, one argon2id check) and
  ``login`` (the same session started without the second check), each with a fresh client as a test has.

Figures are the median CPU time of ``--runs`` repetitions after one warm-up, in milliseconds (CPU time, so a
busy machine changes them less than wall time).

Usage::

    .venv/bin/python benchmarks/suite_fixtures_bench.py --runs 7
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deliveryops.app.main import create_app
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.jobs.runtime import JobRuntime
from deliveryops.migrate import upgrade
from deliveryops.settings import Settings
from tests.factories import login, login_through_form, make_user


def _cpu_median(call: Callable[[], object], runs: int) -> float:
    call()
    times = []
    for _ in range(runs):
        start = time.process_time()
        call()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            email = make_user(session).email
        settings = Settings(database_url=url, secret_key="b" * 48, scheduler=False, sync_in_background=False)
        app = create_app(settings, factory)

        def sign_in(how: Callable[[TestClient, str], str]) -> None:
            with TestClient(app, follow_redirects=False) as client:
                how(client, email)

        rows = {
            "create_app": _cpu_median(lambda: create_app(settings, factory), runs),
            "rewire": _cpu_median(lambda: JobRuntime(settings, factory), runs),
            "sign-in (form)": _cpu_median(lambda: sign_in(login_through_form), runs),
            "sign-in (helper)": _cpu_median(lambda: sign_in(login), runs),
        }
        engine.dispose()
    for name, value in rows.items():
        print(f"{name:18} {value:8.1f} ms CPU")


if __name__ == "__main__":
    main()
