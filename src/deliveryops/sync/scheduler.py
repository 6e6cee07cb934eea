"""Scheduled syncs for the embedded default: a thread in the web process checks every minute.

At organisation scale, web workers are stateless and syncs go to worker processes through a
PostgreSQL-backed queue instead; this scheduler is for the one-process installation.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.db import unit_of_work, utcnow
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.sync.service import start_background_sync

__all__ = ["Scheduler", "due_connections"]

log = logging.getLogger(__name__)


def due_connections(session: Session) -> list[int]:
    """Connections with an interval whose last run started at least one interval ago."""
    now = utcnow()
    due = []
    for connection in session.scalars(select(Connection).where(Connection.enabled.is_(True),
                                                               Connection.interval_minutes.is_not(None))):
        last = session.scalar(select(SyncRun).where(SyncRun.connection_id == connection.id)
                              .order_by(SyncRun.id.desc()).limit(1))
        interval = timedelta(minutes=connection.interval_minutes or 0)
        if last is None or (last.status != "running" and last.started_at + interval <= now):
            due.append(connection.id)
    return due


class Scheduler:
    """Checks for due connections every ``tick_seconds`` and syncs them in background threads."""

    def __init__(self, factory: sessionmaker[Session], *, app_key: str, tick_seconds: float = 60.0) -> None:
        self.factory = factory
        self.app_key = app_key
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start checking in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="sync-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop checking (running syncs finish on their own)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def tick(self) -> list[int]:
        """Start every due sync now; returns the connection ids started."""
        with unit_of_work(self.factory) as session:
            due = due_connections(session)
        return [cid for cid in due
                if start_background_sync(self.factory, cid, app_key=self.app_key, trigger="schedule")]

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                self.tick()
            except Exception:  # keep scheduling even if one check fails (the database restarting, say)
                log.exception("scheduled sync check failed")
