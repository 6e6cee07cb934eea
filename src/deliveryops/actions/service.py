"""Use cases for improvement actions: create, update, list, measure, follow-through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.actions.measure import Measurement, OtherSources, Outcome, measure
from deliveryops.actions.models import ActionStatus, ImprovementAction, TargetMetric
from deliveryops.dora import service as dora
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.flow.data import load_team_data
from deliveryops.flow.service import default_types, today_in
from deliveryops.flow.timeline import counted_timeline
from deliveryops.health import service as health
from deliveryops.health.models import HealthRound, HealthRoundCard, HealthTemplateCard
from deliveryops.teams.models import Team
from deliveryops.teams.service import can_manage_team, get_team_or_raise, team_ids_of

__all__ = [
    "SOURCES",
    "FollowThrough",
    "card_results",
    "create",
    "follow_through",
    "get_or_raise",
    "health_card_keys",
    "list_team",
    "may_change",
    "measurement",
    "sources_for",
    "update",
]


def may_change(session: Session, actor: User | None, team: Team) -> bool:
    return actor is None or team.id in team_ids_of(session, actor) or can_manage_team(session, actor, team)


SOURCES = ("retro", "standup", "refinement", "planning", "impediment", "coaching", "other")
"""Where an action comes from: a retro, a stand-up, refinement or planning session, an impediment, coaching, other."""


def create(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    title: str,
    description: str = "",
    source: str = "retro",
    owner_id: int | None = None,
    due_date: date | None = None,
    started_on: date | None = None,
    target_metric: TargetMetric | None = None,
    expected_direction: str | None = None,
    expected_size: float | None = None,
    impediment_id: int | None = None,
    target_card: str | None = None,
) -> ImprovementAction:
    """Create an improvement action for a team (its people, its delivery manager, admins).

    Args:
        session: the unit of work.
        actor: who creates it (None for trusted callers).
        team_id: the team.
        title: what the team will do.
        description: why, and how.
        source: one of SOURCES.
        owner_id: who drives it.
        due_date: when it should be done.
        started_on: when it takes effect: the divider of its chart (default today).
        target_metric: the metric it should move, for a measured verdict.
        expected_direction: "increase" or "decrease" (default: the metric's better direction).
        expected_size: the expected change, in the metric's unit.
        impediment_id: the impediment it answers, if any.
        target_card: the health-check card key, for ``TargetMetric.HEALTH_CARD`` only.

    Returns:
        The action.
    """
    team = session.get(Team, team_id) if actor is None else get_team_or_raise(session=session, actor=actor, team_id=team_id)
    if team is None:
        raise ValidationFailedError(f"No team with id {team_id}.", fields={"team_id": "Choose an existing team."})
    if not may_change(session, actor, team):
        raise PermissionDeniedError("Only the team's people and its delivery manager can add its actions.")
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Say what the team will do."
    if source not in SOURCES:
        errors["source"] = f"Choose {', '.join(SOURCES[:-1])} or {SOURCES[-1]}."
    if expected_direction not in (None, "", "increase", "decrease"):
        errors["expected_direction"] = "Choose increase or decrease."
    if owner_id is not None and session.get(User, owner_id) is None:
        errors["owner_id"] = "Choose an existing person."
    card = (target_card or "").strip() or None
    if target_metric is TargetMetric.HEALTH_CARD:
        known = health_card_keys(session, team.id)
        if card is None:
            errors["target_card"] = "Choose the health-check card the action should move."
        elif card not in known:
            errors["target_card"] = (
                f"No health-check card with the key {card!r}; choose one of: {', '.join(sorted(known)) or 'none yet'}."
            )
    elif card is not None:
        errors["target_card"] = "A card is only chosen when the target metric is a health-check card."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    action = ImprovementAction(
        team_id=team.id,
        title=title.strip()[:200],
        description=description.strip(),
        source=source,
        owner_id=owner_id,
        due_date=due_date,
        started_on=started_on or today_in(team),
        target_metric=target_metric,
        target_card=card,
        expected_direction=expected_direction or None,
        expected_size=expected_size,
        impediment_id=impediment_id,
    )
    session.add(action)
    session.flush()
    return action


def health_card_keys(session: Session, team_id: int) -> dict[str, str]:
    """Card key -> title of every card the team can aim at: those asked in its rounds and those of the templates."""
    keys: dict[str, str] = {}
    for key, title in session.execute(select(HealthTemplateCard.key, HealthTemplateCard.title)).all():
        keys.setdefault(key, title)
    rounds = select(HealthRound.id).where(HealthRound.team_id == team_id)
    for key, title in session.execute(
        select(HealthRoundCard.key, HealthRoundCard.title).where(HealthRoundCard.round_id.in_(rounds))
    ).all():
        keys[key] = title
    return keys


def get_or_raise(*, session: Session, actor: User | None, action_id: int) -> ImprovementAction:
    """One action, if the actor may see its team (None: a trusted caller)."""
    action = session.get(ImprovementAction, action_id)
    if action is None:
        raise NotFoundError(f"No improvement action with id {action_id}.")
    if actor is not None:
        get_team_or_raise(session=session, actor=actor, team_id=action.team_id)
    return action


def update(
    *, session: Session, actor: User | None, action_id: int, status: ActionStatus, done_on: date | None = None
) -> ImprovementAction:
    """Change an action's status (done records the day)."""
    action = get_or_raise(session=session, actor=actor, action_id=action_id)
    team = session.get(Team, action.team_id)
    assert team is not None
    if not may_change(session, actor, team):
        raise PermissionDeniedError("Only the team's people and its delivery manager can change its actions.")
    action.status = status
    action.done_on = (done_on or today_in(team)) if status is ActionStatus.DONE else None
    session.flush()
    return action


def list_team(*, session: Session, actor: User | None, team_id: int) -> list[ImprovementAction]:
    """The team's actions, open ones first, newest first."""
    if actor is not None:
        get_team_or_raise(session=session, actor=actor, team_id=team_id)
    rows = list(
        session.scalars(
            select(ImprovementAction)
            .where(ImprovementAction.team_id == team_id)
            .order_by(ImprovementAction.started_on.desc(), ImprovementAction.id.desc())
        )
    )
    return sorted(rows, key=lambda row: row.status in (ActionStatus.DONE, ActionStatus.DROPPED))


def sources_for(session: Session, team: Team, action: ImprovementAction) -> OtherSources:
    """The DORA tables or the health-card results an action on a DORA key or a health card is judged by."""
    metric = action.target_metric
    if metric is None or metric.source == "flow":
        return OtherSources()
    if metric.source == "dora":
        tables = dora.load_tables(
            session,
            team_ids=[team.id],
            zone=team.zone,
            environments=dora.production_environments(session, team.id),
        )
        return OtherSources(dora=tables)
    return OtherSources(health=card_results(session, team, action.target_card))


def card_results(session: Session, team: Team, card_key: str | None) -> tuple[tuple[date, float, int], ...]:
    """A health-check card's results of a team: (day the round closed in the team's zone, score 0..100, answers),
    for rounds shown (enough respondents)."""
    zone = team.zone
    return tuple(
        (summary.closed_at.astimezone(zone).date(), round(100 * card.score, 2), card.answers)
        for summary in health.team_history(session, team_id=team.id)
        if summary.shown
        for card in summary.cards
        if card.key == card_key
    )


def measurement(session: Session, action: ImprovementAction) -> Measurement | None:
    """The action's before/after effect and verdict (None without a target metric)."""
    team = session.get(Team, action.team_id)
    assert team is not None
    data = load_team_data(session, team)
    return measure(
        action,
        data.only_types(default_types(data)),
        today=today_in(team),
        sources=sources_for(session, team, action),
        timeline=counted_timeline(session, team),
    )


@dataclass
class FollowThrough:
    """How a team follows through on its actions."""

    actions: int
    done: int
    done_on_time: int
    measured: int
    improved: int


def follow_through(session: Session, team: Team) -> FollowThrough:
    """Counts of the team's actions: done, done on time, measured (a final verdict of improved, worsened or no
    change), improved (a verdict of improved)."""
    rows = list_team(session=session, actor=None, team_id=team.id)
    measured = [m for m in (measurement(session, row) for row in rows if row.target_metric) if m is not None]
    return FollowThrough(
        actions=len(rows),
        done=sum(1 for r in rows if r.status is ActionStatus.DONE),
        done_on_time=sum(
            1 for r in rows if r.status is ActionStatus.DONE and r.due_date and r.done_on and r.done_on <= r.due_date
        ),
        measured=sum(1 for m in measured if m.verdict.outcome in (Outcome.IMPROVED, Outcome.WORSENED, Outcome.NO_CHANGE)),
        improved=sum(1 for m in measured if m.verdict.outcome is Outcome.IMPROVED),
    )
