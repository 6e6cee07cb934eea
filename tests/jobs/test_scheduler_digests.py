"""The in-process scheduler sends the weekly digests through a real local SMTP server (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import Role
from deliveryops.cockpit.digest.mail import set_subscription
from deliveryops.cockpit.digest.models import DigestSend
from deliveryops.settings import Settings
from deliveryops.worker import scheduler as scheduler_module
from deliveryops.worker.scheduler import Scheduler, digests_due_at
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


def _scheduler(factory: sessionmaker[Session], settings: Settings, clock: Callable[[], datetime]) -> Scheduler:
    return Scheduler(factory, app_key="k" * 48, settings=settings, clock=clock)


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
    default = _scheduler(session_factory, _settings(port), clock)  # Monday 07:00 UTC
    assert default.tick() == []
    assert default.send_due_digests() is None
    clock.now = NOW  # Thursday 12:00, but the digests are due Thursday 13:00
    thursday = _scheduler(session_factory, _settings(port, digest_weekday=3, digest_hour_utc=13), clock)
    thursday.tick()
    assert inbox.messages == []
    assert _sends(session) == []


@pytest.mark.parametrize("due", [{"digest_weekday": 3, "digest_hour_utc": 12}, {}], ids=["at", "after"])
def test_at_or_after_the_hour_each_subscribed_person_gets_exactly_one_message(
    session: Session, session_factory: sessionmaker[Session], smtp: tuple[Inbox, int], due: dict[str, int]
) -> None:
    inbox, port = smtp
    _world, expected = _world_with_an_opt_out(session)
    clock = Clock(NOW)  # Thursday 12:00: exactly at Thursday 12:00, or after Monday 07:00
    scheduler = _scheduler(session_factory, _settings(port, **due), clock)
    assert scheduler.tick() == []
    assert sorted(to for [to], _message in inbox.messages) == expected
    assert {message["Subject"] for _to, message in inbox.messages} == {
        "DeliveryOps weekly digest 2026-W48 (Delivery manager)",
        "DeliveryOps weekly digest 2026-W48 (Product Ops)",
        "DeliveryOps weekly digest 2026-W48 (Product leader)",
    }
    assert _sends(session) == [("2026-W48", "sent")] * 3

    clock.now = NOW + timedelta(hours=1)
    scheduler.tick()  # a later tick of the same week
    restarted = _scheduler(session_factory, _settings(port, **due), clock)
    report = restarted.send_due_digests()  # a restart: the recorded sends keep it from sending twice
    assert report is not None
    assert report.sent == []
    assert sorted(address for address, why in report.skipped if why == "already sent for 2026-W48") == expected
    assert len(inbox.messages) == 3

    clock.now = NOW + timedelta(days=7)  # the next ISO week
    scheduler.tick()
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
        scheduler = _scheduler(session_factory, settings, clock)
        assert scheduler.tick() == []
        assert scheduler.send_due_digests() is None
    assert Scheduler(session_factory, app_key="k" * 48, clock=clock).send_due_digests() is None  # no settings
    assert inbox.messages == []
    assert _sends(session) == []


def test_unreachable_server_is_recorded_logged_and_retried_later(
    session: Session, session_factory: sessionmaker[Session], smtp: tuple[Inbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    inbox, port = smtp
    world = build_cockpit_world(session)
    closed = _free_port()
    clock = Clock(NOW)
    scheduler = _scheduler(session_factory, _settings(closed), clock)
    with caplog.at_level(logging.WARNING, logger="deliveryops.jobs.scheduler"):
        assert scheduler.tick() == []
    assert _sends(session) == [("2026-W48", "failed")] * 3
    row = session.scalar(select(DigestSend).where(DigestSend.user_id == world.dm.id))
    assert row is not None
    assert row.error.startswith(f"Cannot reach the SMTP server 127.0.0.1:{closed}: ")
    assert any(f"weekly digest 2026-W48 to {world.dm.email} failed" in r.getMessage() for r in caplog.records)

    scheduler.settings = _settings(port)  # the server is back
    clock.now = NOW + timedelta(minutes=14)
    scheduler.tick()  # still waiting to retry
    assert inbox.messages == []
    clock.now = NOW + timedelta(minutes=15)
    scheduler.tick()
    assert len(inbox.messages) == 3
    assert _sends(session) == [("2026-W48", "sent")] * 3


def test_refused_messages_are_recorded_and_do_not_raise(session: Session, session_factory: sessionmaker[Session]) -> None:
    build_cockpit_world(session)
    controller, port = _serve(Rejecting())
    try:
        report = _scheduler(session_factory, _settings(port), Clock(NOW)).send_due_digests()
    finally:
        controller.stop()
    assert report is not None
    assert len(report.failed) == 3
    session.expire_all()
    errors = [row.error for row in session.scalars(select(DigestSend))]
    assert len(errors) == 3
    assert all("no digests today" in error for error in errors)


def test_a_crashing_digest_run_is_logged_and_syncs_still_start(
    session: Session,
    session_factory: sessionmaker[Session],
    smtp: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox, port = smtp
    build_cockpit_world(session)
    started: list[int] = []
    monkeypatch.setattr(scheduler_module, "due_connections", lambda _session: [7])
    monkeypatch.setattr(scheduler_module, "start_background_sync", lambda _factory, cid, **_kwargs: started.append(cid) is None)  # type: ignore[func-returns-value]
    # The local server offers no AUTH, so signing in raises out of send_digests.
    scheduler = _scheduler(session_factory, _settings(port, smtp_username="ops", smtp_password="pw"), Clock(NOW))
    with caplog.at_level(logging.ERROR, logger="deliveryops.jobs.scheduler"):
        assert scheduler.tick() == [7]
    assert started == [7]
    assert [r.getMessage() for r in caplog.records] == ["scheduled digest run failed"]
    assert caplog.records[0].exc_info is not None
    assert inbox.messages == []
    assert _sends(session) == []  # the unit of work was rolled back
