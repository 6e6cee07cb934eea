"""Health-check cards as a key result's source, and a decision's expected effect on a team metric, on a
hand-worked series of fortnightly health-check rounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.leadership.service import add_question, decide_question
from deliveryops.errors import ValidationFailedError
from deliveryops.health import service as health
from deliveryops.health.models import Colour, Trend
from deliveryops.health.service import AnswerIn
from deliveryops.outcomes import decisions, service
from deliveryops.outcomes.models import SourceKind
from deliveryops.outcomes.schemas import BriefUpdate, KeyResultCreate, ObjectiveCreate
from deliveryops.teams.models import Team, TeamRole
from tests.factories import join, make_team, make_user

FIRST_ROUND = date(2026, 3, 3)  # a Tuesday; a round every other week
START, END = date(2026, 6, 1), date(2026, 8, 30)
TODAY = date(2026, 7, 27)  # a Monday: the last complete week holds the round of 21 July


def _rounds(session: Session) -> Team:
    """Seven rounds before 1 June scoring 40, 60, 40, ... (2 or 3 of 5 green), then four scoring 100."""
    team = make_team(session, time_zone="UTC")
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    members = [make_user(session) for _ in range(5)]
    for member in members:
        join(session, team, member)
    for n in range(11):
        day = FIRST_ROUND + timedelta(weeks=2 * n)
        greens = 5 if day >= START else (2 if n % 2 == 0 else 3)
        opened = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        health_round = health.open_round(session=session, actor=dm, team_id=team.id, now=opened)
        for i, member in enumerate(members):
            colour = Colour.GREEN if i < greens else Colour.RED
            answers = {card.key: AnswerIn(colour, Trend.SAME) for card in health_round.cards}
            health.submit_answers(session=session, actor=member, round_id=health_round.id, answers=answers, now=opened)
        health.close_round(session=session, actor=dm, round_id=health_round.id, now=opened + timedelta(hours=8))
    return team


# Before: 40 60 40 60 40 60 40 (mean 48.571); during: 100 100 100 100. Moving ranges: six of 20 and three of 0,
# σ̂ = (120 / 9) / 1.128 = 11.82; alternating values have a negative lag-1 autocorrelation: factor 1.
# Limit for the move: 3.5 × 11.82 × sqrt(1/4 + 1/7) = 25.93; moved 100 − 48.571 = 51.43 → a signal.
MOVED, LIMIT = 100 - 340 / 7, 3.5 * (120 / 9 / 1.128) * (1 / 4 + 1 / 7) ** 0.5


def test_a_health_card_key_result_is_on_track_from_the_rounds(session: Session) -> None:
    team = _rounds(session)
    objective = service.create_objective(
        session=session,
        actor=None,
        body=ObjectiveCreate(title="Quality", team_id=team.id, period=f"{START.isoformat()}..{END.isoformat()}"),
        today=TODAY,
    )
    body = KeyResultCreate(
        title="Tech quality card from 50 to 90",
        source=SourceKind.METRIC,
        metric="health_card",
        metric_team_id=team.id,
        metric_card="tech_quality",
        baseline=50,
        target=90,
        direction="increase",
    )
    row = service.add_key_result(session=session, actor=None, objective=objective, body=body)
    read = service.key_result_read(session, row, today=TODAY)
    assert (read.status, read.current, read.progress) == ("on_track", 100.0, 1.25)
    assert read.source_label.startswith(f"{team.name}: health-check card ")
    assert read.unit == "points (of 100)"
    detail = service.key_result_detail(session, row, today=TODAY)
    assert [p.value for p in detail.points] == [40.0, 60.0, 40.0, 60.0, 40.0, 60.0, 40.0, 100.0, 100.0, 100.0, 100.0]

    with pytest.raises(ValidationFailedError) as missing:
        service.add_key_result(
            session=session, actor=None, objective=objective, body=body.model_copy(update={"metric_card": "no_such_card"})
        )
    assert missing.value.fields == {"metric_card": "Choose one of the team's cards."}


def test_a_decision_expecting_a_team_metric_to_move_is_followed_up(session: Session) -> None:
    team = _rounds(session)
    question = add_question(session=session, actor=None, period="2026-Q2", text="Pause features for two sprints of quality?")
    decide_question(session=session, actor=None, question_id=question.id, decision="Pause features")
    body = BriefUpdate(
        effect_team_metric="health_card",
        effect_team_id=team.id,
        effect_card="tech_quality",
        effect_direction="increase",
        effect_size=30,
        decided_on=START,
        follow_up_on=TODAY,
    )
    decisions.update_brief(session=session, actor=None, question_id=question.id, body=body)
    read = decisions.brief_read(session, question, today=TODAY)
    assert read.effect_metric is not None
    assert read.effect_metric.startswith(f"{team.name}: health-check card ")
    follow_up = read.follow_up
    assert follow_up is not None
    assert (follow_up.outcome, follow_up.size_reached) == ("appeared", True)
    assert follow_up.change == pytest.approx(MOVED)
    assert follow_up.detail == f"change of the mean {MOVED:+.4g}; natural variation ±{LIMIT:.3g}; expected +30"
    # Expecting it to fall: the same data says it moved the other way.
    decisions.update_brief(
        session=session, actor=None, question_id=question.id, body=body.model_copy(update={"effect_direction": "decrease"})
    )
    opposite = decisions.brief_read(session, question, today=TODAY).follow_up
    assert opposite is not None
    assert opposite.outcome == "opposite"
    # Before the follow-up date nothing is judged yet.
    early = decisions.brief_read(session, question, today=TODAY - timedelta(days=3)).follow_up
    assert early is not None
    assert (early.due, early.detail) == (False, "follow-up in 3 days")

    with pytest.raises(ValidationError, match="Choose the team whose metric is expected to move"):
        BriefUpdate.model_validate({**body.model_dump(), "effect_team_id": None})
    with pytest.raises(ValidationFailedError):
        decisions.update_brief(
            session=session, actor=None, question_id=question.id, body=body.model_copy(update={"effect_team_id": 999_999})
        )
