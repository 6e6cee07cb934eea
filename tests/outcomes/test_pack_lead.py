"""The leadership pack's PDF and JSON lead with outcomes: key results, decisions waiting, follow-ups due; the same
function serves the leader's home."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.leadership.pdf import render_pdf
from deliveryops.cockpit.leadership.service import add_question, build_pack, current_quarter, pack_sections
from deliveryops.db import utcnow
from deliveryops.outcomes import series, service
from deliveryops.outcomes.lead import leader_today
from deliveryops.outcomes.models import SourceKind
from deliveryops.outcomes.schemas import KeyResultCreate, ObjectiveCreate, SeriesCreate, ValueIn
from deliveryops.teams.models import Group
from tests.factories import make_group, make_team, make_user, token_headers


def _outcomes(session: Session, group: Group, today: date) -> None:
    """A key result on track (hand-worked in tests/outcomes/test_web.py) and a question waiting for a decision."""
    make_team(session, name="Checkout", group=group)
    kpi, _token = series.create(session=session, actor=None, body=SeriesCreate(name="Sign-ups", group_id=group.id))
    start = today - timedelta(days=27)
    values = [ValueIn(on=start - timedelta(weeks=6 - i), value=v) for i, v in enumerate([10, 12, 10, 12, 10, 12])]
    values += [ValueIn(on=start + timedelta(weeks=i), value=v) for i, v in enumerate([16, 18, 16, 18])]
    series.write_values(session, kpi, values)
    period = f"{start.isoformat()}..{(start + timedelta(days=90)).isoformat()}"
    objective = service.create_objective(
        session=session, actor=None, body=ObjectiveCreate(title="Grow", group_id=group.id, period=period), today=today
    )
    body = KeyResultCreate(
        title="Sign-ups to 21", source=SourceKind.KPI, series_id=kpi.id, baseline=11, target=21, direction="increase"
    )
    service.add_key_result(session=session, actor=None, objective=objective, body=body)
    add_question(
        session=session, actor=None, period=current_quarter(today), text="Fund the referral programme?", group_id=group.id
    )


def test_pack_json_and_pdf_lead_with_outcomes(client: TestClient, session: Session) -> None:
    today = utcnow().date()
    group = make_group(session, name="Commerce")
    _outcomes(session, group, today)
    leader = make_user(session, role=Role.LEADER)
    pack = client.get("/api/v1/cockpit/leadership", params={"group": group.slug}, headers=token_headers(session, leader))
    assert pack.status_code == 200, pack.text
    lead = pack.json()["lead"]
    assert [(x["key"], x["title"]) for x in lead] == [("outcomes", f"Outcomes, {current_quarter(today)}")]
    data = lead[0]["data"]
    assert [(kr["objective"], kr["title"], kr["status"]) for kr in data["key_results"]] == [
        ("Grow", "Sign-ups to 21", "on_track")
    ]
    assert data["counts"]["on_track"] == 1
    assert [q["question"] for q in data["decisions_waiting"]] == ["Fund the referral programme?"]
    assert data["follow_ups_due"] == []

    built = build_pack(session=session, actor=leader, period=current_quarter(today), group_slug=group.slug)
    sections = pack_sections(session, leader, today=today, group_slug=group.slug, period=built.period.label)
    text = render_pdf(built, base_url="https://delivery.example.org/", sections=sections, compress=False)
    first = text.index(b"Outcomes, ")
    assert first < text.index(b"Headline numbers")
    for words in (b"Sign-ups to 21", b"On track", b"Fund the referral programme?", b"No decision's follow-up is due."):
        assert words in text[first:], words
    assert b"Outcomes, " not in render_pdf(built, base_url="https://delivery.example.org/", compress=False)

    # The leader's home reads the same.
    home = leader_today(session, leader)
    assert [kr.title for _objective, kr in home.key_results] == ["Sign-ups to 21"]
    assert [text for _id, text in home.waiting] == ["Fund the referral programme?"]
