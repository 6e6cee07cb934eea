"""`deliveryops worker`: a process that runs background jobs (syncs, imports, digests, derived tables)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from deliveryops.cli.common import console, ensure_migrated, friendly_errors, load_settings
from deliveryops.db import make_engine, make_session_factory

__all__ = ["worker"]


@friendly_errors
def worker(
    threads: Annotated[
        int | None,
        typer.Option("--threads", min=1, max=64, help="Jobs run at the same time; default DELIVERYOPS_WORKER_THREADS."),
    ] = None,
    burst: Annotated[bool, typer.Option("--burst", help="Run every job that is due, then exit (no schedule).")] = False,
    database: Annotated[
        str | None, typer.Option("--database", help="Database URL; default DELIVERYOPS_DATABASE_URL or sqlite:///deliveryops.db.")
    ] = None,
) -> None:
    """Run background jobs from the queue, and the scheduled ones, until stopped (Ctrl+C or SIGTERM)."""
    from deliveryops.jobs import JobRuntime, configure, queue_location  # noqa: PLC0415 (loads the queue library)
    from deliveryops.worker import load_jobs  # noqa: PLC0415 (imports every domain that declares jobs)

    settings = load_settings(database)
    engine = make_engine(settings.database_url)
    ensure_migrated(engine)
    load_jobs()
    runtime = JobRuntime(settings, make_session_factory(engine))
    configure(runtime)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if burst:
            runtime.reap()
            ran = runtime.run_queued()
            console.print(f"Ran {ran} job{'' if ran == 1 else 's'}.")
            return
        console.print(
            f"Worker {runtime.worker}: {threads or settings.worker_threads} thread(s), queue {_shown(queue_location(settings))}"
            "  (Ctrl+C to stop)"
        )
        runtime.run_forever(threads=threads)
    finally:
        configure(None)
        runtime.stop()
        engine.dispose()


def _shown(location: str) -> str:
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    return location if location.startswith("memory") else make_url(location).render_as_string(hide_password=True)
