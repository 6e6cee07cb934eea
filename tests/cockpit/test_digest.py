"""Weekly digests per role, the /digest page, and e-mail through a real local SMTP server (SQLite and PostgreSQL)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.cockpit.digest.mail import send_digests, set_subscription
from deliveryops.cockpit.digest.models import DigestSend
from deliveryops.cockpit.digest.service import build_digest, iso_week
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.impediments.models import Impediment
from deliveryops.settings import Settings
from tests.cockpit.test_portfolio import NOW, build_cockpit_world
from tests.factories import csrf_from, login, token_headers


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 at a free port."""
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _settings(port: int) -> Settings:
    return Settings(
        database_url="sqlite://",
        secret_key="t" * 48,
        smtp_host="127.0.0.1",
        smtp_port=port,
        public_url="https://ops.example.com/",
        smtp_from="DeliveryOps <ops@example.com>",
    )


def _lines(digest_sections: list[Any], key: str) -> list[str]:
    return [line.text for s in digest_sections if s.key == key for line in s.lines]


def _staging(session: Session) -> Impediment:
    row = session.scalar(select(Impediment).where(Impediment.title == "No staging database"))
    assert row is not None
    return row


def test_delivery_manager_digest_covers_their_teams(session: Session) -> None:
    world = build_cockpit_world(session)
    digest = build_digest(session=session, user=world.dm, now=NOW)
    assert (digest.role, digest.week, [t.name for t in digest.teams]) == ("delivery_manager", "2026-W48", ["Alpha"])
    assert _lines(digest.changed, "raised") == ["Alpha: No staging database"]
    assert _lines(digest.changed, "escalated") == ["Alpha: No staging database → Delivery manager"]
    assert _lines(digest.changed, "actions") == ["Alpha: WIP limit of 3"]
    assert _lines(digest.changed, "resolved") == []
    assert _lines(digest.attention, "aging") == ["Alpha: 2 items older than the SLE of 3 days"]
    assert _lines(digest.attention, "waiting") == ["Alpha: No staging database"]
    assert [s.key for s in digest.changed if s.key == "clusters"] == []


def test_product_ops_sees_every_team_and_leaders_get_rollups(session: Session) -> None:
    world = build_cockpit_world(session)
    ops = build_digest(session=session, user=world.ops, now=NOW)
    assert [t.name for t in ops.teams] == ["Alpha", "Beta", "Delta", "Gamma"]
    assert _lines(ops.attention, "aging") == ["Alpha: 2 items older than the SLE of 3 days"]
    assert _lines(ops.attention, "waiting") == []
    leader = build_digest(session=session, user=world.leader, now=NOW)
    assert _lines(leader.changed, "raised") == ["1 across the organisation (4 teams)"]
    assert _lines(leader.attention, "aging") == ["1 across the organisation (4 teams)"]
    assert _lines(leader.attention, "waiting") == []


def test_members_get_no_digest(session: Session) -> None:
    world = build_cockpit_world(session)
    with pytest.raises(PermissionDeniedError, match=r"^The weekly digest is for delivery managers, Product Ops"):
        build_digest(session=session, user=world.member, now=NOW)


def test_iso_week_label() -> None:
    assert iso_week(NOW.date()) == "2026-W48"
    assert iso_week(NOW.date().replace(year=2027, month=1, day=1)) == "2026-W53"


def test_send_once_per_week_through_smtp(session: Session, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    world = build_cockpit_world(session)
    staging = _staging(session)
    report = send_digests(session, settings=_settings(port), roles=["delivery_manager"], now=NOW)
    assert (report.sent, report.skipped, report.failed) == ([world.dm.email], [], [])
    [(recipients, message)] = inbox.messages
    assert recipients == [world.dm.email]
    assert message["To"] == f"{world.dm.name} <{world.dm.email}>"
    assert message["From"] == "DeliveryOps <ops@example.com>"
    assert message["Subject"] == "DeliveryOps weekly digest 2026-W48 (Delivery manager)"
    plain, html = cast("list[Message]", message.get_payload())
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    body = cast(bytes, plain.get_payload(decode=True)).decode("utf-8").splitlines()
    assert f"- Alpha: No staging database <https://ops.example.com/impediments/{staging.id}>" in body
    assert "- Alpha: 2 items older than the SLE of 3 days <https://ops.example.com/teams/alpha/flow>" in body
    assert "Open the digest: https://ops.example.com/digest" in body
    assert f'href="https://ops.example.com/impediments/{staging.id}"' in cast(bytes, html.get_payload(decode=True)).decode()
    again = send_digests(session, settings=_settings(port), roles=["delivery_manager"], now=NOW)
    assert (again.sent, again.skipped) == ([], [(world.dm.email, "already sent for 2026-W48")])
    assert len(inbox.messages) == 1
    [row] = session.scalars(select(DigestSend).where(DigestSend.user_id == world.dm.id))
    assert (row.week, row.status, row.error) == ("2026-W48", "sent", "")


def test_opt_out_and_explicit_address(session: Session, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    world = build_cockpit_world(session)
    set_subscription(session=session, user=world.ops, subscribed=False)
    report = send_digests(session, settings=_settings(port), roles=["product_ops", "leader"], now=NOW)
    assert report.sent == [world.leader.email]
    assert report.skipped == [(world.ops.email, "unsubscribed")]
    assert [to for to, _message in inbox.messages] == [[world.leader.email]]
    with pytest.raises(ValidationFailedError, match="is a team member; digests are for"):
        send_digests(session, settings=_settings(port), to=world.member.email, now=NOW)
    with pytest.raises(ValidationFailedError, match="Unknown role 'boss'"):
        send_digests(session, settings=_settings(port), roles=["boss"], now=NOW)


def test_unreachable_server_is_recorded_and_retried(session: Session, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    world = build_cockpit_world(session)
    closed = _free_port()
    failed = send_digests(session, settings=_settings(closed), to=world.dm.email, now=NOW)
    assert failed.sent == []
    assert failed.failed[0][0] == world.dm.email
    assert failed.failed[0][1].startswith(f"Cannot reach the SMTP server 127.0.0.1:{closed}: ")
    [row] = session.scalars(select(DigestSend).where(DigestSend.user_id == world.dm.id))
    assert row.status == "failed"
    retried = send_digests(session, settings=_settings(port), to=world.dm.email, now=NOW)
    assert retried.sent == [world.dm.email]
    session.refresh(row)
    assert (row.status, row.error) == ("sent", "")
    assert len(inbox.messages) == 1


def test_no_smtp_host_is_a_clear_error(session: Session) -> None:
    with pytest.raises(ValidationFailedError, match=r"^E-mail is off: set DELIVERYOPS_SMTP_HOST"):
        send_digests(session, settings=Settings(database_url="sqlite://", secret_key="t" * 48), now=NOW)


def test_digest_page_and_opt_out_form(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    login(client, world.dm.email)
    page = client.get("/digest")
    assert page.status_code == 200
    assert "Delivery manager digest" in page.text
    assert '<a href="/digest" aria-current="page">Digest</a>' in page.text
    assert "You get this digest by e-mail every week" in page.text
    assert 'aria-label="Cockpit"' not in page.text  # delivery managers have no cockpit
    response = client.post("/digest/subscription", data={"csrf_token": csrf_from(page.text), "subscribed": "no"})
    assert response.headers["location"] == "/digest#subscription"
    assert "You do not get this digest by e-mail" in client.get("/digest").text
    assert client.post("/digest/subscription", data={"subscribed": "yes"}).status_code == 403


def test_digest_page_refuses_members_and_api_answers(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    login(client, world.member.email)
    assert client.get("/digest").status_code == 403
    body = client.get("/api/v1/digest", headers=token_headers(session, world.ops)).json()
    assert body["role"] == "product_ops"
    assert body["teams"] == ["Alpha", "Beta", "Delta", "Gamma"]
    # Built at the real "now", so only what does not move with the clock is asserted here.
    assert [s["key"] for s in body["attention"]] == ["aging", "waiting", "overdue", "dependencies_at_risk"]
    assert [s["key"] for s in body["changed"]] == [
        "raised",
        "resolved",
        "escalated",
        "clusters",
        "actions",
        "forecasts",
        "health",
        "throughput",
        "experiments",
        "adoption",
        "dependencies",
    ]


def test_throughput_is_reported_only_as_a_signal(session: Session) -> None:
    from datetime import date  # noqa: PLC0415

    from deliveryops.work.importing import import_records  # noqa: PLC0415
    from tests.cockpit.test_portfolio import WORKFLOW  # noqa: PLC0415
    from tests.flow.test_flow_service import item  # noqa: PLC0415

    world = build_cockpit_world(session)
    # The digest's last 7 days (19 to 25 November) finished nothing: within the natural range, not reported.
    assert _lines(build_digest(session=session, user=world.dm, now=NOW).changed, "throughput") == []
    spike = [item(f"S-{n}", date(2026, 11, 23), date(2026, 11, 24)) for n in range(12)]
    import_records(session=session, actor=None, team=world.alpha, records=spike, import_format="test", workflow=WORKFLOW)
    # The 12 weeks before: 1,2,3,1,2,3,... (centre 2, mean moving range 14/11 = 1.27): upper limit
    # 2 + 2.66 x 1.27 = 5.4, the lower one below zero; 12 items is a signal.
    assert _lines(build_digest(session=session, user=world.dm, now=NOW).changed, "throughput") == [
        "Alpha: 12 items finished in the last 7 days, above the natural range of the 12 weeks before (0 to 5.4): a signal"
    ]
