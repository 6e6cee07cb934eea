"""The periodic job ``digests.weekly`` sends the weekly digests through a real local SMTP server (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import Role
from deliveryops.cockpit.digest import jobs as digest_jobs
from deliveryops.cockpit.digest.jobs import digests_due_at, send_due_digests
from deliveryops.cockpit.digest.mail import SendReport, set_subscription
from deliveryops.cockpit.digest.models import DigestSend
from deliveryops.jobs import Job, JobRuntime
from deliveryops.jobs.registry import registered
from deliveryops.settings import Settings
from tests.cockpit.test_digest import Inbox, _free_port
from tests.cockpit.test_portfolio import NOW, CockpitWorld, build_cockpit_world
from tests.factories import make_user

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # the Monday of NOW's ISO week, 2026-W48


class Rejecting(Inbox):
    """An SMTP server that refuses every message."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        return "554 Transaction failed: no digests today"


def _serve(handler: Inbox) -> tuple[Controller, int]:
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 at a free port."""
    inbox = Inbox()
    controller, port = _serve(inbox)
    yield inbox, port
    controller.stop()


def _settings(port: int | None, **changes: Any) -> Settings:
    return Settings(
        database_url="sqlite://",
        secret_key="t" * 48,
        scheduler=False,
        smtp_host="127.0.0.1" if port is not None else None,
        smtp_port=port or 25,
        public_url="https://ops.example.com",
        smtp_from="DeliveryOps <ops@example.com>",
        **changes,
    )


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _send(factory: sessionmaker[Session], settings: Settings, clock: Clock) -> SendReport | None:
    return send_due_digests(factory, settings, now=clock())


def _sends(session: Session) -> list[tuple[str, str]]:
    session.expire_all()
    return sorted((row.week, row.status) for row in session.scalars(select(DigestSend)))


def _world_with_an_opt_out(session: Session) -> tuple[CockpitWorld, list[str]]:
    """The cockpit world plus an unsubscribed Product Ops person; returns who should get the digest."""
    world = build_cockpit_world(session)
    opted_out = make_user(session, role=Role.PRODUCT_OPS)
    set_subscription(session=session, user=opted_out, subscribed=False)
    return world, sorted([world.dm.email, world.ops.email, world.leader.email])


def test_due_moment_is_the_weekday_and_hour_of_the_current_iso_week() -> None:
    assert digests_due_at(NOW, weekday=0, hour=7) == datetime(2026, 11, 23, 7, tzinfo=UTC)
    assert digests_due_at(NOW, weekday=6, hour=23) == datetime(2026, 11, 29, 23, tzinfo=UTC)
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert digests_due_at(sunday_night, weekday=0, hour=7) == datetime(2026, 11, 23, 7, tzinfo=UTC)
    assert digests_due_at(sunday_night + timedelta(hours=1), weekday=0, hour=7) == datetime(2026, 11, 30, 7, tzinfo=UTC)


def test_nothing_is_sent_before_the_weekday_and_hour(
    session: Session, session_factory: sessionmaker[Session], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    _world_with_an_opt_out(session)
    clock = Clock(MONDAY + timedelta(hours=6, minutes=59))
    assert _send(session_factory, _settings(port), clock) is None  # Monday 07:00 UTC
    clock.now = NOW  # Thursday 12:00, but the digests are due Thursday 13:00
    assert _send(session_factory, _settings(port, digest_weekday=3, digest_hour_utc=13), clock) is None
    assert inbox.messages == []
    assert _sends(session) == []


@pytest.mark.parametrize("due", [{"digest_weekday": 3, "digest_hour_utc": 12}, {}], ids=["at", "after"])
def test_at_or_after_the_hour_each_subscribed_person_gets_exactly_one_message(
    session: Session, session_factory: sessionmaker[Session], smtp: tuple[Inbox, int], due: dict[str, int]
) -> None:
    inbox, port = smtp
    _world, expected = _world_with_an_opt_out(session)
    clock = Clock(NOW)  # Thursday 12:00: exactly at Thursday 12:00, or after Monday 07:00
    first = _send(session_factory, _settings(port, **due), clock)
    assert first is not None
    assert sorted(first.sent) == expected
    assert sorted(to for [to], _message in inbox.messages) == expected
    assert {message["Subject"] for _to, message in inbox.messages} == {
        "DeliveryOps weekly digest 2026-W48 (Delivery manager)",
        "DeliveryOps weekly digest 2026-W48 (Product Ops)",
        "DeliveryOps weekly digest 2026-W48 (Product leader)",
    }
    assert _sends(session) == [("2026-W48", "sent")] * 3

    clock.now = NOW + timedelta(minutes=15)  # the next period's run, on this worker or another
    report = _send(session_factory, _settings(port, **due), clock)
    assert report is not None
    assert report.sent == []
    assert sorted(address for address, why in report.skipped if why == "already sent for 2026-W48") == expected
    assert len(inbox.messages) == 3

    clock.now = NOW + timedelta(days=7)  # the next ISO week
    _send(session_factory, _settings(port, **due), clock)
    assert len(inbox.messages) == 6
    assert _sends(session) == [("2026-W48", "sent")] * 3 + [("2026-W49", "sent")] * 3


def test_without_smtp_host_or_when_switched_off_nothing_is_attempted(
    session: Session, session_factory: sessionmaker[Session], smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    build_cockpit_world(session)

    def no_smtp(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("no SMTP connection expected")

    monkeypatch.setattr(smtplib, "SMTP", no_smtp)
    clock = Clock(NOW)
    for settings in (_settings(None), _settings(port, digests_scheduled=False)):
        assert _send(session_factory, settings, clock) is None
    assert inbox.messages == []
    assert _sends(session) == []


def test_unreachable_server_is_recorded_logged_and_retried_by_the_next_period(
    session: Session, session_factory: sessionmaker[Session], smtp: tuple[Inbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    inbox, port = smtp
    world = build_cockpit_world(session)
    closed = _free_port()
    clock = Clock(NOW)
    with caplog.at_level(logging.WARNING, logger="deliveryops.cockpit.digest.jobs"):
        report = _send(session_factory, _settings(closed), clock)
    assert report is not None
    assert len(report.failed) == 3
    assert _sends(session) == [("2026-W48", "failed")] * 3
    row = session.scalar(select(DigestSend).where(DigestSend.user_id == world.dm.id))
    assert row is not None
    assert row.error.startswith(f"Cannot reach the SMTP server 127.0.0.1:{closed}: ")
    assert any(f"weekly digest 2026-W48 to {world.dm.email} failed" in r.getMessage() for r in caplog.records)

    clock.now = NOW + timedelta(minutes=15)  # the next period, the server back
    _send(session_factory, _settings(port), clock)
    assert len(inbox.messages) == 3
    assert _sends(session) == [("2026-W48", "sent")] * 3


def test_refused_messages_are_recorded_and_do_not_raise(session: Session, session_factory: sessionmaker[Session]) -> None:
    build_cockpit_world(session)
    controller, port = _serve(Rejecting())
    try:
        report = _send(session_factory, _settings(port), Clock(NOW))
    finally:
        controller.stop()
    assert report is not None
    assert len(report.failed) == 3
    session.expire_all()
    errors = [row.error for row in session.scalars(select(DigestSend))]
    assert len(errors) == 3
    assert all("no digests today" in error for error in errors)


def _fire_and_run(runtime: JobRuntime, name: str, moment: datetime) -> Job | None:
    """What every worker's scheduler does at ``moment`` for the periodic job ``name``, then running it."""
    fired = runtime.fire_periodic(registered()[1][name], now=moment)
    if fired is None:
        return None
    return runtime.run(fired.id)


def test_the_periodic_job_sends_once_per_period_and_a_failure_shows_on_the_job(
    session: Session,
    session_factory: sessionmaker[Session],
    smtp: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp
    build_cockpit_world(session)
    session.commit()
    clock = Clock(NOW)
    monkeypatch.setattr(digest_jobs, "utcnow", clock)
    # The local server offers no AUTH, so signing in raises out of send_digests: the job fails and says why.
    failing = JobRuntime(_settings(port, smtp_username="ops", smtp_password="pw"), session_factory, clock=clock)
    crashed = _fire_and_run(failing, "digests.weekly", clock.now)
    assert crashed is not None
    assert (crashed.state, crashed.attempts) == ("failed", 1)
    assert crashed.error is not None
    assert crashed.error.startswith("SMTPNotSupportedError: ")
    assert _sends(session) == []  # the unit of work was rolled back
    assert _fire_and_run(failing, "digests.weekly", clock.now + timedelta(minutes=5)) is None  # same period: not again

    clock.now = NOW + timedelta(minutes=15)
    runtime = JobRuntime(_settings(port), session_factory, clock=clock)
    sent = _fire_and_run(runtime, "digests.weekly", clock.now)
    assert sent is not None
    assert (sent.state, sent.result) == ("succeeded", "3 sent, 0 skipped.")
    assert len(inbox.messages) == 3
    assert _fire_and_run(JobRuntime(_settings(port), session_factory, clock=clock), "digests.weekly", clock.now) is None
    failing.stop()
    runtime.stop()
