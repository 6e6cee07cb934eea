"""The demo organisation's objectives: one key result on track, one off track, one within normal variation, and
a decision whose follow-up shows the expected effect appeared."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.cockpit.digest.models import LeadershipQuestion
from deliveryops.outcomes import decisions, service
from deliveryops.outcomes.models import KeyResult

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_demo_outcomes(demo_session: Session) -> None:
    session = demo_session
    today = NOW.date()
    read = [service.objective_read(session, o, today=today) for o in service.list_objectives_all(session=session)]
    verdicts = {kr.title: kr.status for o in read for kr in o.key_results}
    assert {title: verdicts[title] for title in list(verdicts)[:3]} == {
        "Weekly sign-ups from 1,200 to 1,500": "on_track",
        "Checkout conversion from 3.1% to 3.6%": "off_track",
        "Support tickets from 340 to 300 a week": "within_normal_variation",
    }
    # A health-check card as the source: five rounds in all, three before the quarter, too few to judge.
    assert verdicts["Easy to release card from 50 to 75 points"] == "not_enough_data"
    assert {o.period for o in read} == {"2026-Q4"}
    signups = next(kr for o in read for kr in o.key_results if kr.title.startswith("Weekly sign-ups"))
    row = session.get(KeyResult, signups.id)
    assert row is not None
    detail = service.key_result_detail(session, row, today=today)
    assert [link.kind.value for link in detail.links] == ["epic", "action", "experiment", "dependency"]
    assert detail.links[0].state.startswith("forecast ")
    question = session.scalars(select(LeadershipQuestion).where(LeadershipQuestion.text.startswith("Launch the referral"))).one()
    brief = decisions.brief_read(session, question, today=today)
    assert brief.follow_up is not None
    assert (brief.follow_up.due, brief.follow_up.outcome) == (True, "appeared")
    release = session.scalars(select(LeadershipQuestion).where(LeadershipQuestion.text.startswith("Give Payments"))).one()
    team_metric = decisions.brief_read(session, release, today=today)
    assert team_metric.effect_metric == "Payments: DORA: deployment frequency (production deployments per week)"
    assert team_metric.follow_up is not None
    assert (team_metric.follow_up.due, team_metric.follow_up.detail) == (False, "follow-up in 21 days")
    waiting = decisions.waiting(session, today=today)
    assert [q.text for q, _ in waiting.follow_ups_due] == [question.text]
    assert len(waiting.open_questions) == 3
