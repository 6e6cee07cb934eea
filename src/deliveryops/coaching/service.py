"""Use cases of coaching: refresh insights, list them (recomputed lazily), dismiss, turn into actions, counts.

Notes live in :mod:`deliveryops.coaching.notes`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.actions import service as actions
from deliveryops.actions.models import ImprovementAction, TargetMetric
from deliveryops.coaching import evidence as gathering
from deliveryops.coaching.findings import SEVERITY_RANK, Finding
from deliveryops.coaching.models import CoachingState, Dismissal, Insight
from deliveryops.coaching.rules import KIND_LABELS, KINDS, evaluate
from deliveryops.db import Base, utcnow
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.flow.models import Forecast
from deliveryops.flow.service import today_in
from deliveryops.impediments.models import Impediment
from deliveryops.retros.models import Retro
from deliveryops.teams.models import Team
from deliveryops.teams.service import can_manage_team, get_team_or_raise, list_teams

__all__ = [
    "WORSE_FACTOR",
    "KindCount",
    "TeamInsights",
    "counts_by_kind",
    "dismiss",
    "ensure_fresh",
    "get_insight_or_raise",
    "inputs_fingerprint",
    "list_insights",
    "refresh",
    "to_action",
]

WORSE_FACTOR = 1.5
"""A dismissed insight comes back when its magnitude reaches this many times the dismissed one, or its severity rises."""
# Tables of capabilities built in parallel (DORA, health): their row counts join the fingerprint when present.
_OPTIONAL_TABLE_PREFIXES = ("health_", "deployments", "incidents")


def _team(session: Session, actor: User | None, team_id: int) -> Team:
    if actor is not None:
        return get_team_or_raise(session=session, actor=actor, team_id=team_id)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    return team


def inputs_fingerprint(session: Session, team: Team, *, now: datetime) -> str:
    """A cheap hash of everything the rules read: when it changes, the insights are recomputed.

    The team's data version (bumped by every import and workflow change), today's date in the team's
    time zone (ages grow daily), and the state of its impediments, actions, forecasts and retros,
    plus row counts of the health and DORA tables when those capabilities are installed.
    """
    parts: list[object] = [team.data_version or 0, today_in(team, now).isoformat()]
    parts.append(
        [
            tuple(map(str, row))
            for row in session.execute(
                select(Impediment.id, Impediment.status, Impediment.level, Impediment.severity, Impediment.level_entered_at)
                .where(Impediment.team_id == team.id)
                .order_by(Impediment.id)
            )
        ]
    )
    parts.append(
        [
            tuple(map(str, row))
            for row in session.execute(
                select(
                    ImprovementAction.id,
                    ImprovementAction.status,
                    ImprovementAction.started_on,
                    ImprovementAction.target_metric,
                    ImprovementAction.expected_direction,
                )
                .where(ImprovementAction.team_id == team.id)
                .order_by(ImprovementAction.id)
            )
        ]
    )
    parts.append(
        tuple(
            map(
                str,
                session.execute(
                    select(
                        func.count(Forecast.id),
                        func.max(Forecast.id),
                        func.count(Forecast.scored_at),
                        func.count(Forecast.commitment),
                    ).where(Forecast.team_id == team.id)
                ).one(),
            )
        )
    )
    parts.append(
        tuple(
            map(
                str,
                session.execute(select(func.count(Retro.id), func.max(Retro.finished_at)).where(Retro.team_id == team.id)).one(),
            )
        )
    )
    for name, table in sorted(Base.metadata.tables.items()):
        if name.startswith(_OPTIONAL_TABLE_PREFIXES) and "team_id" in table.c:
            parts.append((name, session.scalar(select(func.count()).select_from(table).where(table.c.team_id == team.id))))
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _active_dismissal(session: Session, team_id: int, kind: str, subject: str, now: datetime) -> Dismissal | None:
    rows = session.scalars(
        select(Dismissal)
        .where(Dismissal.team_id == team_id, Dismissal.kind == kind, Dismissal.subject == subject, Dismissal.lifted_at.is_(None))
        .order_by(Dismissal.at.desc(), Dismissal.id.desc())
    )
    return next((row for row in rows if row.until is None or row.until > now), None)


def materially_worse(finding_severity: str, finding_magnitude: float, dismissal: Dismissal) -> bool:
    """Whether a finding is materially worse than when it was dismissed (see docs/coaching.md)."""
    if SEVERITY_RANK[finding_severity] > SEVERITY_RANK.get(dismissal.severity, 0):
        return True
    return finding_magnitude >= WORSE_FACTOR * dismissal.magnitude if dismissal.magnitude > 0 else False


def refresh(session: Session, *, team_id: int, now: datetime | None = None) -> list[Insight]:
    """Recompute a team's insights and store them (idempotent for unchanged inputs).

    A finding updates the insight of its kind and subject, or creates it (reopening a resolved one);
    insights whose rule no longer fires are resolved. A dismissal is lifted when the finding has got
    materially worse.

    Args:
        session: the unit of work.
        team_id: the team.
        now: the current instant.

    Returns:
        The team's open insights (dismissed ones included), most severe first.
    """
    now = now or utcnow()
    team = _team(session, None, team_id)
    findings = evaluate(gathering.gather(session, team, now=now))
    existing = {(row.kind, row.subject): row for row in session.scalars(select(Insight).where(Insight.team_id == team.id))}
    seen: set[tuple[str, str]] = set()
    for finding in findings:
        key = (finding.kind, finding.subject)
        if key in seen:
            continue
        seen.add(key)
        row = existing.get(key)
        if row is None:
            row = Insight(team_id=team.id, kind=finding.kind, subject=finding.subject, first_seen_at=now)
            session.add(row)
        elif row.resolved_at is not None:
            row.resolved_at, row.first_seen_at, row.action_id = None, now, None
        _apply(row, finding, now)
        dismissal = _active_dismissal(session, team.id, finding.kind, finding.subject, now)
        if dismissal is not None and materially_worse(finding.severity, finding.magnitude, dismissal):
            dismissal.lifted_at = now
    for key, row in existing.items():
        if key not in seen and row.resolved_at is None:
            row.resolved_at = now
    state = session.get(CoachingState, team.id)
    fingerprint = inputs_fingerprint(session, team, now=now)
    if state is None:
        session.add(CoachingState(team_id=team.id, inputs=fingerprint, computed_at=now))
    else:
        state.inputs, state.computed_at = fingerprint, now
    session.flush()
    return _open(session, team.id)


def _apply(row: Insight, finding: Finding, now: datetime) -> None:
    payload = finding.payload()
    if row.payload != payload:
        row.payload = payload
    row.severity = finding.severity
    row.magnitude = finding.magnitude
    row.last_seen_at = now


def _open(session: Session, team_id: int) -> list[Insight]:
    rows = list(session.scalars(select(Insight).where(Insight.team_id == team_id, Insight.resolved_at.is_(None))))
    return sorted(rows, key=lambda row: (-SEVERITY_RANK.get(row.severity, 0), row.kind, row.subject))


def ensure_fresh(session: Session, team: Team, *, now: datetime | None = None) -> bool:
    """Recompute the team's insights when any input changed since the last computation; True if it did."""
    now = now or utcnow()
    state = session.get(CoachingState, team.id)
    if state is not None and state.inputs == inputs_fingerprint(session, team, now=now):
        return False
    refresh(session, team_id=team.id, now=now)
    return True


@dataclass
class TeamInsights:
    """A team's open insights, split into those to act on and those dismissed (with their dismissal)."""

    team: Team
    active: list[Insight] = field(default_factory=list)
    dismissed: list[tuple[Insight, Dismissal]] = field(default_factory=list)
    can_act: bool = False


def list_insights(*, session: Session, actor: User | None, team_id: int, now: datetime | None = None) -> TeamInsights:
    """The team's open insights (recomputed first when its data changed), for anyone who may see the team."""
    now = now or utcnow()
    team = _team(session, actor, team_id)
    ensure_fresh(session, team, now=now)
    result = TeamInsights(team=team, can_act=actor is None or can_manage_team(session, actor, team))
    for row in _open(session, team.id):
        dismissal = _active_dismissal(session, team.id, row.kind, row.subject, now)
        if dismissal is None:
            result.active.append(row)
        else:
            result.dismissed.append((row, dismissal))
    return result


def get_insight_or_raise(*, session: Session, actor: User | None, insight_id: int) -> Insight:
    """One insight, if the actor may see its team."""
    row = session.get(Insight, insight_id)
    if row is None:
        raise NotFoundError(f"No coaching insight with id {insight_id}.")
    _team(session, actor, row.team_id)
    return row


def _require_manage(session: Session, actor: User | None, team_id: int) -> Team:
    team = _team(session, actor, team_id)
    if actor is not None and not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only the team's delivery manager (or an admin) can act on its coaching insights.")
    return team


def dismiss(
    *,
    session: Session,
    actor: User | None,
    insight_id: int,
    reason: str,
    until: datetime | None = None,
    now: datetime | None = None,
) -> Dismissal:
    """Dismiss an insight with a reason; the same kind and subject stays quiet unless it gets materially worse.

    Args:
        session: the unit of work.
        actor: the team's delivery manager or an admin (None for trusted callers).
        insight_id: the insight.
        reason: why it is not worth acting on (required).
        until: optionally, when the dismissal ends by itself.
        now: the current instant.

    Returns:
        The dismissal.
    """
    now = now or utcnow()
    insight = get_insight_or_raise(session=session, actor=actor, insight_id=insight_id)
    _require_manage(session, actor, insight.team_id)
    if not reason.strip():
        raise ValidationFailedError(
            "Say why you dismiss it, so that the next look starts from there.", fields={"reason": "Give a reason."}
        )
    if until is not None and until <= now:
        raise ValidationFailedError("The end of a dismissal must be in the future.", fields={"until": "Choose a future date."})
    if insight.resolved_at is not None:
        raise ConflictError("This insight is resolved: its rule no longer fires.")
    if _active_dismissal(session, insight.team_id, insight.kind, insight.subject, now) is not None:
        raise ConflictError("This insight is already dismissed.")
    row = Dismissal(
        team_id=insight.team_id,
        kind=insight.kind,
        subject=insight.subject,
        reason=reason.strip()[:2000],
        severity=insight.severity,
        magnitude=insight.magnitude,
        by_id=actor.id if actor else None,
        at=now,
        until=until,
    )
    session.add(row)
    session.flush()
    return row


def to_action(
    *, session: Session, actor: User | None, insight_id: int, title: str = "", now: datetime | None = None
) -> ImprovementAction:
    """Turn an insight into an improvement action (source "coaching") that measures its effect.

    The action gets the insight's target metric when it has one, so its process behaviour chart and
    verdict show whether the change worked; the insight links to the action.

    Returns:
        The action.
    """
    insight = get_insight_or_raise(session=session, actor=actor, insight_id=insight_id)
    team = _require_manage(session, actor, insight.team_id)
    if insight.action_id is not None:
        raise ConflictError("This insight is already an improvement action.")
    if insight.resolved_at is not None:
        raise ConflictError("This insight is resolved: its rule no longer fires.")
    payload = insight.payload
    metric = payload.get("target_metric")
    description = f"From a coaching insight: {payload.get('observed', '')}\n\nSuggested practice: {payload.get('practice', '')}."
    action = actions.create(
        session=session,
        actor=actor,
        team_id=team.id,
        title=title.strip() or str(payload.get("action_title") or payload.get("title") or insight.kind),
        description=description,
        source="coaching",
        started_on=today_in(team, now),
        target_metric=TargetMetric(metric) if metric else None,
    )
    insight.action_id = action.id
    session.flush()
    return action


@dataclass(frozen=True)
class KindCount:
    """How many teams have an open, undismissed insight of one kind, and the practice it suggests."""

    kind: str
    label: str
    practice: str
    total: int
    by_team: dict[str, int]


def counts_by_kind(*, session: Session, actor: User, now: datetime | None = None) -> tuple[list[Team], list[KindCount]]:
    """Open insights counted by kind across the teams (Product Ops, leaders, admins).

    Returns:
        The teams (columns) and one row per kind, most frequent first; kinds with no insight are left out.
    """
    if not actor.role.sees_all_teams:
        raise PermissionDeniedError("Insight counts across teams are for Product Ops, leaders and admins.")
    now = now or utcnow()
    teams = list_teams(session=session, actor=actor)
    counts: dict[str, dict[str, int]] = {}
    for team in teams:
        for row in list_insights(session=session, actor=None, team_id=team.id, now=now).active:
            counts.setdefault(row.kind, {}).setdefault(team.name, 0)
            counts[row.kind][team.name] += 1
    rows = [
        KindCount(kind, KIND_LABELS.get(kind, kind), KINDS.get(kind, ""), sum(per.values()), per) for kind, per in counts.items()
    ]
    return teams, sorted(rows, key=lambda row: (-row.total, row.kind))
