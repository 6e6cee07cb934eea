"""The weekly digests as a periodic job: every quarter of an hour, once however many workers run, send them if due.

They go out once the configured weekday and hour (UTC) of the current ISO week has come, when SMTP is
configured and ``digests_scheduled`` is on. ``send_digests`` records every send per person and ISO week, so
later periods, restarts and ``deliveryops report digest --send`` from cron never send twice; a send that failed
is tried again by the next period's run.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from deliveryops.cockpit.digest.highlights import post_highlights
from deliveryops.cockpit.digest.mail import SendReport, send_digests
from deliveryops.cockpit.digest.service import iso_week
from deliveryops.db import unit_of_work, utcnow
from deliveryops.jobs import JobContext, JobFailedError, periodic
from deliveryops.settings import Settings

__all__ = ["DIGEST_CHECK", "digests_due_at", "send_due_digests", "weekly_digests", "weekly_highlights"]

log = logging.getLogger(__name__)

DIGEST_CHECK = timedelta(minutes=15)  # how often a worker looks whether the digests are due (and retries failures)


def digests_due_at(now: datetime, *, weekday: int, hour: int) -> datetime:
    """When the digests of ``now``'s ISO week are due: ``weekday`` (0 Monday) at ``hour`` UTC of that week."""
    monday = now.astimezone(UTC).date() - timedelta(days=now.astimezone(UTC).weekday())
    return datetime.combine(monday + timedelta(days=weekday), time(hour), tzinfo=UTC)


def send_due_digests(factory: sessionmaker[Session], settings: Settings, *, now: datetime | None = None) -> SendReport | None:
    """Send this ISO week's digests if they are due (in their own unit of work).

    Returns:
        What the run did, or None when nothing was attempted: digests not scheduled, no SMTP host, or before
        the configured weekday and hour.
    """
    if not settings.digests_scheduled or not settings.smtp_host:
        return None
    now = now or utcnow()
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    if now < digests_due_at(now, weekday=settings.digest_weekday, hour=settings.digest_hour_utc):
        return None
    with unit_of_work(factory) as session:
        report = send_digests(session, settings=settings, now=now)
    week = iso_week(now.date())
    for address, error in report.failed:
        log.warning("weekly digest %s to %s failed (tried again in %s): %s", week, address, DIGEST_CHECK, error)
    if report.sent or report.failed:
        log.info(
            "weekly digests %s: %d sent, %d skipped, %d failed", week, len(report.sent), len(report.skipped), len(report.failed)
        )
    return report


@periodic("digests.weekly", title="Send the weekly digests when due", every=DIGEST_CHECK)
def weekly_digests(context: JobContext) -> str:
    """Send the digests if due; a failed send fails the job (shown to admins) and is tried again next period."""
    report = send_due_digests(context.session_factory, context.settings)
    if report is None:
        return "Nothing to send: digests are off, e-mail is not configured, or this week's are not due yet."
    if report.failed:
        address, error = report.failed[0]
        raise JobFailedError(
            f"{len(report.failed)} digest{'' if len(report.failed) == 1 else 's'} could not be sent (first: {address}: {error}); "
            f"{len(report.sent)} sent. The next run, within {DIGEST_CHECK.seconds // 60} minutes, tries the failed ones again.",
            retry=False,
        )
    return f"{len(report.sent)} sent, {len(report.skipped)} skipped."


@periodic("digests.highlights", title="Post the weekly highlights to teams' channels when due", every=DIGEST_CHECK)
def weekly_highlights(context: JobContext) -> str:
    """From the digests' weekday and hour on, queue each subscribed team's highlights of the week once."""
    now = utcnow()
    settings = context.settings
    if now < digests_due_at(now, weekday=settings.digest_weekday, hour=settings.digest_hour_utc):
        return "Not due yet this week."
    with unit_of_work(context.session_factory) as session:
        posted = post_highlights(session, now=now)
    return f"Highlights queued for {posted} team{'' if posted == 1 else 's'}."
