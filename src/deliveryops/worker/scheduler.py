"""Scheduled syncs and weekly digests for the embedded default: a thread in the web process checks every minute.

Digests go out once the configured weekday and hour (UTC) of the current ISO week has come, when SMTP is
configured and ``digests_scheduled`` is on; ``send_digests`` records every send per person and ISO week, so
restarts and later ticks never send twice (and ``deliveryops report digest --send`` from cron can coexist).

At organisation scale, web workers are stateless and syncs go to worker processes through a
PostgreSQL-backed queue instead; this scheduler is for the one-process installation.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.cockpit.digest.mail import SendReport, send_digests
from deliveryops.cockpit.digest.service import iso_week
from deliveryops.db import unit_of_work, utcnow
from deliveryops.settings import Settings
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.sync.service import start_background_sync

__all__ = ["DIGEST_RETRY", "Scheduler", "digests_due_at", "due_connections"]

log = logging.getLogger(__name__)

DIGEST_RETRY = timedelta(minutes=15)  # after a failed digest run, wait this long before trying again


def digests_due_at(now: datetime, *, weekday: int, hour: int) -> datetime:
    """When the digests of ``now``'s ISO week are due: ``weekday`` (0 Monday) at ``hour`` UTC of that week."""
    monday = now.astimezone(UTC).date() - timedelta(days=now.astimezone(UTC).weekday())
    return datetime.combine(monday + timedelta(days=weekday), time(hour), tzinfo=UTC)


def due_connections(session: Session) -> list[int]:
    """Connections with an interval whose last run started at least one interval ago."""
    now = utcnow()
    due = []
    for connection in session.scalars(
        select(Connection).where(Connection.enabled.is_(True), Connection.interval_minutes.is_not(None))
    ):
        last = session.scalar(select(SyncRun).where(SyncRun.connection_id == connection.id).order_by(SyncRun.id.desc()).limit(1))
        interval = timedelta(minutes=connection.interval_minutes or 0)
        if last is None or (last.status != "running" and last.started_at + interval <= now):
            due.append(connection.id)
    return due


class Scheduler:
    """Checks every ``tick_seconds`` for due connections (synced in background threads) and due digests.

    Args:
        factory: where each check gets its unit of work.
        app_key: decrypts connection tokens.
        tick_seconds: how often to check.
        settings: digest schedule and SMTP server; without settings no digests are sent.
        clock: the current time, timezone-aware (tests pass a fixed one).
        digest_retry: after a digest run with failures, how long to wait before the next attempt.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        app_key: str,
        tick_seconds: float = 60.0,
        settings: Settings | None = None,
        clock: Callable[[], datetime] = utcnow,
        digest_retry: timedelta = DIGEST_RETRY,
    ) -> None:
        self.factory = factory
        self.app_key = app_key
        self.tick_seconds = tick_seconds
        self.settings = settings
        self.clock = clock
        self.digest_retry = digest_retry
        self._digests_done_week: str | None = None  # this week's run had no failures: skip until next week
        self._digests_retry_at: datetime | None = None
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
        """Start every due sync now, then send the weekly digests if due; returns the connection ids started.

        A failing digest run is logged and never raises out of here, so it cannot stop sync scheduling.
        """
        try:
            with unit_of_work(self.factory) as session:
                due = due_connections(session)
            return [cid for cid in due if start_background_sync(self.factory, cid, app_key=self.app_key, trigger="schedule")]
        finally:
            try:
                self.send_due_digests()
            except Exception:
                log.exception("scheduled digest run failed")

    def send_due_digests(self) -> SendReport | None:
        """Send this ISO week's digests if they are due (in their own unit of work).

        Returns:
            What the run did, or None when nothing was attempted: digests not scheduled, no SMTP host,
            before the configured weekday and hour, this week already done, or waiting to retry.
        """
        settings = self.settings
        if settings is None or not settings.digests_scheduled or not settings.smtp_host:
            return None
        now = self.clock()
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        week = iso_week(now.date())
        if week == self._digests_done_week:
            return None
        if now < digests_due_at(now, weekday=settings.digest_weekday, hour=settings.digest_hour_utc):
            return None
        if self._digests_retry_at is not None and now < self._digests_retry_at:
            return None
        try:
            with unit_of_work(self.factory) as session:
                report = send_digests(session, settings=settings, now=now)
        except Exception:
            self._digests_retry_at = now + self.digest_retry
            raise
        if report.failed:
            self._digests_retry_at = now + self.digest_retry
            for address, error in report.failed:
                log.warning(
                    "weekly digest %s to %s failed (retried from %s): %s",
                    week,
                    address,
                    f"{self._digests_retry_at:%Y-%m-%d %H:%M} UTC",
                    error,
                )
        else:
            self._digests_done_week, self._digests_retry_at = week, None
        if report.sent or report.failed:
            log.info(
                "weekly digests %s: %d sent, %d skipped, %d failed",
                week,
                len(report.sent),
                len(report.skipped),
                len(report.failed),
            )
        return report

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                self.tick()
            except Exception:  # keep scheduling even if one check fails (the database restarting, say)
                log.exception("scheduled sync check failed")
