"""A real server on 127.0.0.1 for browser and schema tests, with a seeded SQLite database."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from deliveryops.app.main import create_app
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.migrate import upgrade
from deliveryops.settings import Settings

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    db_path: Path,
    seed: Callable[[Session], object],
    on_engine: Callable[[Engine], object] | None = None,
    **settings_overrides: object,
) -> Iterator[str]:
    """Migrate and seed a SQLite database, serve the app on a free port, yield its base URL.

    ``on_engine`` is called with the server's engine before it serves (to listen to its events);
    ``settings_overrides`` change the server's settings (e.g. ``max_upload_mb=1``).
    """
    url = f"sqlite:///{db_path}"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        seed(session)
    if on_engine is not None:
        on_engine(engine)
    # Jobs (cluster proposals, syncs) run in the process as soon as they are committed, as a worker would run them.
    options: dict[str, object] = {"scheduler": False, "sync_in_background": False, "jobs_inline": True, **settings_overrides}
    settings = Settings(database_url=url, secret_key="live" * 12, **options)  # type: ignore[arg-type]
    app = create_app(settings, make_session_factory(engine))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
