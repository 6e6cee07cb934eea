"""Decision briefs: the options, evidence and recommendation for a question to leadership, the decision's
expected effect and, from its follow-up date, whether that effect appeared in the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.accounts.service import require_role
from deliveryops.actions.models import TargetMetric
from deliveryops.analytics.key_results import Direction, expected_effect
from deliveryops.cockpit.digest.models import LeadershipQuestion
from deliveryops.errors import NotFoundError, ValidationFailedError
from deliveryops.outcomes import series as kpi
from deliveryops.outcomes import service
from deliveryops.outcomes.models import DecisionBrief, DecisionEvidence, KeyResult, KpiSeries
from deliveryops.outcomes.schemas import BriefRead, BriefUpdate, EvidenceCreate, EvidenceRead, FollowUpRead
from deliveryops.teams.models import Team

__all__ = [
    "Waiting",
    "add_evidence",
    "brief_of",
    "brief_read",
    "follow_up",
    "get_question_or_raise",
    "require_readers",
    "update_brief",
    "waiting",
]

READERS = (Role.LEADER, Role.PRODUCT_OPS, Role.ADMIN)
EDITORS = (Role.PRODUCT_OPS, Role.ADMIN)


def require_readers(actor: User) -> None:
    """Leaders, Product Ops and admins read questions to leadership and their briefs."""
    require_role(actor, *READERS)


def get_question_or_raise(*, session: Session, actor: User | None, question_id: int) -> LeadershipQuestion:
    """A question to leadership (leaders, Product Ops and admins read them)."""
    if actor is not None:
        require_role(actor, *READERS)
    question = session.get(LeadershipQuestion, question_id)
    if question is None:
        raise NotFoundError(f"No leadership question with id {question_id}.")
    return question


def brief_of(session: Session, question: LeadershipQuestion, *, create: bool = False) -> DecisionBrief | None:
    """The question's brief (created empty when ``create``)."""
    brief = session.scalar(select(DecisionBrief).where(DecisionBrief.question_id == question.id))
    if brief is None and create:
        brief = DecisionBrief(question_id=question.id)
        session.add(brief)
        session.flush()
    return brief


def update_brief(*, session: Session, actor: User | None, question_id: int, body: BriefUpdate) -> DecisionBrief:
    """Write the brief's options, recommendation and expected effect (Product Ops and admins)."""
    if actor is not None:
        require_role(actor, *EDITORS)
    question = get_question_or_raise(session=session, actor=None, question_id=question_id)
    if body.effect_series_id is not None and session.get(KpiSeries, body.effect_series_id) is None:
        raise ValidationFailedError(
            f"No KPI series {body.effect_series_id}.", fields={"effect_series_id": "Choose an existing KPI series."}
        )
    if body.effect_key_result_id is not None:
        key_result = session.get(KeyResult, body.effect_key_result_id)
        if key_result is None or key_result.series_id is None:
            raise ValidationFailedError(
                f"No key result {body.effect_key_result_id} measured by a KPI series.",
                fields={"effect_key_result_id": "Choose a key result measured by a KPI series."},
            )
    if body.effect_team_metric is not None:
        service.check_team_metric(
            session, team_id=body.effect_team_id, metric=body.effect_team_metric, card=body.effect_card, prefix="effect_"
        )
    brief = brief_of(session, question, create=True)
    assert brief is not None
    for name, value in body.model_dump().items():
        setattr(brief, name, value)
    session.flush()
    return brief


def add_evidence(*, session: Session, actor: User | None, question_id: int, body: EvidenceCreate) -> DecisionEvidence:
    """Attach a page (its address and a snapshot of what it showed) to the brief (Product Ops and admins)."""
    if actor is not None:
        require_role(actor, *EDITORS)
    question = get_question_or_raise(session=session, actor=None, question_id=question_id)
    brief = brief_of(session, question, create=True)
    assert brief is not None
    row = DecisionEvidence(
        brief_id=brief.id, label=body.label, url=body.url, snapshot=body.snapshot, added_by_id=actor.id if actor else None
    )
    session.add(row)
    session.flush()
    return row


def _effect_series(session: Session, brief: DecisionBrief) -> KpiSeries | None:
    if brief.effect_series_id is not None:
        return session.get(KpiSeries, brief.effect_series_id)
    if brief.effect_key_result_id is not None:
        key_result = session.get(KeyResult, brief.effect_key_result_id)
        if key_result is not None and key_result.series_id is not None:
            return session.get(KpiSeries, key_result.series_id)
    return None


def _effect_points(session: Session, brief: DecisionBrief, end: date) -> list[tuple[date, float]] | None:
    """The dated values the expected effect is read from, up to ``end`` (None: nothing named).

    A KPI series (or a key result's series) as stored; a team metric (flow, DORA, a health card) weekly, from
    two years before the decision (a health card's rounds are weeks apart)."""
    if brief.effect_team_metric is not None and brief.decided_on is not None:
        team = session.get(Team, brief.effect_team_id) if brief.effect_team_id is not None else None
        if team is None:
            return None
        metric = TargetMetric(brief.effect_team_metric)
        start = brief.decided_on - timedelta(weeks=104)
        return service.team_metric_points(session, team, metric, brief.effect_card, start=start, end=end)
    found = _effect_series(session, brief)
    return kpi.values_of(session, found.id, up_to=end) if found is not None else None


def _effect_label(session: Session, brief: DecisionBrief) -> str | None:
    """What the effect is expected on, in words (None: nothing named)."""
    if brief.effect_team_metric is not None:
        label, unit = service.team_metric_label(session, brief.effect_team_id, brief.effect_team_metric, brief.effect_card)
        return f"{label} ({unit})" if unit and f"({unit})" not in label else label
    found = _effect_series(session, brief)
    return f"{found.name} ({found.unit})" if found is not None else None


def follow_up(session: Session, brief: DecisionBrief, *, today: date) -> FollowUpRead | None:
    """Whether the expected effect appeared: the values from the decision to the follow-up date against the up to
    26 values before the decision (the same signal test as the key results). None without an expected effect."""
    if brief.decided_on is None or brief.follow_up_on is None or brief.effect_size is None:
        return None
    if brief.effect_team_metric is None and _effect_series(session, brief) is None:
        return None
    if today < brief.follow_up_on:
        days = (brief.follow_up_on - today).days
        return FollowUpRead(
            due=False, outcome=None, outcome_label=None, change=None, size_reached=False, detail=f"follow-up in {days} days"
        )
    values = _effect_points(session, brief, brief.follow_up_on) or []
    before = [v for on, v in values if on < brief.decided_on][-26:]
    after = [v for on, v in values if on >= brief.decided_on]
    direction: Direction = "decrease" if brief.effect_direction == "decrease" else "increase"
    result = expected_effect(before, after, direction=direction, size=brief.effect_size)
    return FollowUpRead(
        due=True,
        outcome=result.outcome.value,
        outcome_label=result.outcome.label,
        change=result.change,
        size_reached=result.size_reached,
        detail=result.detail,
    )


def brief_read(session: Session, question: LeadershipQuestion, *, today: date) -> BriefRead:
    """The API shape of a question with its brief and follow-up."""
    brief = brief_of(session, question)
    effect_label = _effect_label(session, brief) if brief else None
    evidence = []
    if brief is not None:
        for row in brief.evidence:
            author = session.get(User, row.added_by_id) if row.added_by_id is not None else None
            evidence.append(
                EvidenceRead(
                    id=row.id, label=row.label, url=row.url, snapshot=row.snapshot, added_by=author.name if author else None
                )
            )
    direction = brief.effect_direction if brief else None
    return BriefRead(
        question_id=question.id,
        question=question.text,
        context=question.context,
        period=question.period,
        group_id=question.group_id,
        status=question.status,
        decision=question.decision,
        options=[line.strip() for line in (brief.options if brief else "").splitlines() if line.strip()],
        recommendation=brief.recommendation if brief else "",
        evidence=evidence,
        effect_series_id=brief.effect_series_id if brief else None,
        effect_key_result_id=brief.effect_key_result_id if brief else None,
        effect_team_metric=brief.effect_team_metric if brief else None,
        effect_team_id=brief.effect_team_id if brief else None,
        effect_card=brief.effect_card if brief else None,
        effect_metric=effect_label,
        effect_direction="increase" if direction == "increase" else "decrease" if direction == "decrease" else None,
        effect_size=brief.effect_size if brief else None,
        decided_on=brief.decided_on if brief else None,
        follow_up_on=brief.follow_up_on if brief else None,
        follow_up=follow_up(session, brief, today=today) if brief else None,
    )


@dataclass(frozen=True)
class Waiting:
    """What the leader's home and the pack lead with: questions waiting for a decision and follow-ups due."""

    open_questions: list[LeadershipQuestion]
    follow_ups_due: list[tuple[LeadershipQuestion, FollowUpRead]]


def waiting(session: Session, *, today: date, group_id: int | None = None) -> Waiting:
    """Open questions (oldest first) and decided ones whose follow-up date has come (latest first)."""
    statement = select(LeadershipQuestion).order_by(LeadershipQuestion.created_at, LeadershipQuestion.id)
    if group_id is not None:
        statement = statement.where(LeadershipQuestion.group_id == group_id)
    questions = list(session.scalars(statement))
    open_questions = [q for q in questions if q.status == "open"]
    due: list[tuple[LeadershipQuestion, FollowUpRead]] = []
    for question in questions:
        brief = brief_of(session, question)
        if question.status != "decided" or brief is None or brief.follow_up_on is None or brief.follow_up_on > today:
            continue
        result = follow_up(session, brief, today=today)
        if result is not None:
            due.append((question, result))
    due.sort(key=lambda pair: pair[0].id, reverse=True)
    return Waiting(open_questions, due)
