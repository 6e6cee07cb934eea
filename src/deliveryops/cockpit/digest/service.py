"""The weekly digest per role: what changed in the last 7 days and what needs attention.

- delivery manager: the teams they are in, line by line, with their teams' new coaching insights;
- Product Ops (and admins): every team, line by line, with confirmed clusters and adoption changes;
- leader: roll-ups (counts across the organisation, no team lines) and, in detail, the escalations
  addressed to leadership.
Nothing here ranks people; lines name teams and impediments, never persons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.actions.models import ActionStatus, ImprovementAction
from deliveryops.analytics.change import ChangeOutcome, judge_latest
from deliveryops.analytics.flow.metrics import sle, work_item_age
from deliveryops.cockpit.portfolio import sources
from deliveryops.cockpit.portfolio.service import team_timeline
from deliveryops.db import utcnow
from deliveryops.dependencies import risk as dependency_risk
from deliveryops.dependencies import service as dependency_service
from deliveryops.dependencies.models import Dependency, DependencyEvent
from deliveryops.errors import PermissionDeniedError
from deliveryops.flow.models import Forecast
from deliveryops.flow.service import today_in
from deliveryops.impediments.models import Cluster, Event, Impediment, Level
from deliveryops.impediments.service import is_overdue, service_levels
from deliveryops.teams.models import Membership, Team

__all__ = [
    "DIGEST_ROLES",
    "Digest",
    "DigestLine",
    "DigestSection",
    "attention",
    "build_digest",
    "digest_role",
    "forecasts_due",
    "iso_week",
    "past_sle",
    "throughput_signals",
]

DIGEST_ROLES = {"delivery_manager": "Delivery manager", "product_ops": "Product Ops", "leader": "Product leader"}
WAITING_LEVEL = {"delivery_manager": Level.DELIVERY_MANAGER, "product_ops": Level.PRODUCT_OPS, "leader": Level.LEADERSHIP}


def digest_role(user: User) -> str | None:
    """The digest a person gets: admins get Product Ops'; team members get none."""
    if user.role is Role.DELIVERY_MANAGER:
        return "delivery_manager"
    if user.role in (Role.PRODUCT_OPS, Role.ADMIN):
        return "product_ops"
    if user.role is Role.LEADER:
        return "leader"
    return None


def iso_week(day: date) -> str:
    """The ISO week label, e.g. "2026-W48"."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class DigestLine:
    """One line of the digest and the page it links to (a path; e-mails prefix the public URL)."""

    text: str
    href: str


@dataclass
class DigestSection:
    """A titled list of lines."""

    key: str
    title: str
    lines: list[DigestLine] = field(default_factory=list)


@dataclass
class Digest:
    """A person's weekly digest."""

    user_id: int
    name: str
    email: str
    role: str
    week: str
    start: datetime
    end: datetime
    teams: list[Team]
    changed: list[DigestSection]
    attention: list[DigestSection]

    @property
    def role_label(self) -> str:
        """Human name of the digest's role."""
        return DIGEST_ROLES[self.role]

    @property
    def is_empty(self) -> bool:
        """Whether nothing changed and nothing needs attention."""
        return not any(s.lines for s in self.changed + self.attention)


def _scope(session: Session, user: User, role: str) -> list[Team]:
    statement = select(Team).order_by(Team.name)
    if role == "delivery_manager":
        statement = statement.where(Team.id.in_(select(Membership.team_id).where(Membership.user_id == user.id)))
    return list(session.scalars(statement))


def _between(value: datetime | None, start: datetime, end: datetime) -> bool:
    return value is not None and start <= value < end


def _changed(session: Session, teams: list[Team], role: str, start: datetime, end: datetime) -> list[DigestSection]:
    names = {t.id: t for t in teams}
    ids = list(names)
    impediments = list(session.scalars(select(Impediment).where(Impediment.team_id.in_(ids)))) if ids else []
    raised = DigestSection(
        "raised",
        "Impediments raised",
        [
            DigestLine(f"{names[i.team_id].name}: {i.title}", f"/impediments/{i.id}")
            for i in impediments
            if _between(i.created_at, start, end)
        ],
    )
    resolved = DigestSection(
        "resolved",
        "Impediments resolved",
        [
            DigestLine(f"{names[i.team_id].name}: {i.title} ({i.status.label})", f"/impediments/{i.id}")
            for i in impediments
            if i.status.is_closed and _between(i.resolved_at, start, end)
        ],
    )
    by_id = {i.id: i for i in impediments}
    events: list[Event] = (
        list(
            session.scalars(
                select(Event)
                .where(Event.kind == "escalated", Event.at >= start, Event.at < end, Event.impediment_id.in_(list(by_id)))
                .order_by(Event.at)
            )
        )
        if by_id
        else []
    )
    escalated = DigestSection(
        "escalated",
        "Impediments escalated",
        [
            DigestLine(
                f"{names[by_id[e.impediment_id].team_id].name}: {by_id[e.impediment_id].title} → "
                f"{Level(e.to_value).label if e.to_value else 'next level'}",
                f"/impediments/{e.impediment_id}",
            )
            for e in events
        ],
    )
    sections = [raised, resolved, escalated]
    if role in ("product_ops", "leader"):
        confirmed = session.scalars(
            select(Cluster)
            .where(Cluster.status == "confirmed", Cluster.decided_at >= start, Cluster.decided_at < end)
            .order_by(Cluster.id)
        )
        sections.append(
            DigestSection(
                "clusters",
                "Cross-team clusters confirmed",
                [DigestLine(c.title, f"/impediments/clusters#cluster-{c.id}") for c in confirmed],
            )
        )
    actions: list[ImprovementAction] = (
        list(
            session.scalars(
                select(ImprovementAction).where(
                    ImprovementAction.team_id.in_(ids),
                    ImprovementAction.status == ActionStatus.DONE,
                    ImprovementAction.done_on >= start.date(),
                    ImprovementAction.done_on <= end.date(),
                )
            )
        )
        if ids
        else []
    )
    sections.append(
        DigestSection(
            "actions",
            "Improvement actions done",
            [DigestLine(f"{names[a.team_id].name}: {a.title}", f"/actions/{a.id}") for a in actions],
        )
    )
    sections.append(DigestSection("forecasts", "Forecasts due in the next 7 days (85% date)", forecasts_due(session, names, end)))
    if role == "delivery_manager":
        insights = sources.coaching_insights(session, team_ids=ids, now=end) or []
        sections.append(
            DigestSection(
                "insights",
                "New coaching insights",
                [
                    DigestLine(f"{names[i.team_id].name}: {i.title}", f"/teams/{names[i.team_id].slug}/coaching")
                    for i in insights
                    if _between(i.created_at, start, end)
                ],
            )
        )
    health_lines = []
    for team in teams:
        for point in sources.health_trend(session, team_id=team.id) or []:
            if isinstance(point.closed_at, datetime) and _between(point.closed_at, start, end):
                health_lines.append(
                    DigestLine(f"{team.name}: round closed, score {round(point.score * 100)}", f"/teams/{team.slug}/health")
                )
    sections.append(DigestSection("health", "Health-check rounds closed", health_lines))
    sections.append(DigestSection("throughput", "Throughput signals", throughput_signals(session, teams, end)))
    sections.append(DigestSection("experiments", "Experiments concluded", _experiments_concluded(session, names, start, end)))
    if role in ("product_ops", "leader"):
        changes = sources.adoption_changes(session, team_ids=ids, start=start, end=end) or []
        sections.append(
            DigestSection(
                "adoption",
                "Adoption changes",
                [
                    DigestLine(f"{c.team_name}: {c.entry_name} {c.from_state or 'new'} → {c.to_state}", "/cockpit/adoption")
                    for c in changes
                ],
            )
        )
    sections.append(DigestSection("dependencies", "Dependencies", _dependency_changes(session, ids, start, end)))
    return sections


def _dependency_changes(session: Session, team_ids: list[int], start: datetime, end: datetime) -> list[DigestLine]:
    """Each negotiation step of the week on a dependency requested by or from the teams."""
    if not team_ids:
        return []
    rows = session.execute(
        select(DependencyEvent, Dependency)
        .join(Dependency, Dependency.id == DependencyEvent.dependency_id)
        .where(or_(Dependency.requester_team_id.in_(team_ids), Dependency.provider_team_id.in_(team_ids)))
        .where(DependencyEvent.at > start, DependencyEvent.at <= end)
        .order_by(DependencyEvent.at, DependencyEvent.id)
    ).all()
    reads = {r.id: r for r in dependency_service.reads(session, list({d.id: d for _e, d in rows}.values()), today=end.date())}
    lines = []
    for event, dependency in rows:
        read = reads[dependency.id]
        dated = f" ({event.on_date.isoformat()})" if event.on_date else ""
        what = dependency_service.ACTION_LABELS.get(event.action, event.action)
        lines.append(
            DigestLine(
                f"{read.requester_team} ← {read.provider}: {dependency.title} {what}{dated}", f"/dependencies/{dependency.id}"
            )
        )
    return lines


SIGNAL_WEEKS = 12  # the weeks before the digest's week whose natural process limits it is judged against


def throughput_signals(session: Session, teams: list[Team], end: datetime) -> list[DigestLine]:
    """Teams whose items finished in the digest's 7 days fall outside the natural process limits of the
    12 weeks before (a signal). Anything within them is normal variation and is not reported."""
    lines = []
    for team in teams:
        timeline = team_timeline(session, team)
        last_day = today_in(team, end) - timedelta(days=1)
        days = [d for d in timeline["finished_date"].to_list() if d is not None]
        weeks = [
            sum(1 for d in days if last_day - timedelta(days=7 * (k + 1)) < d <= last_day - timedelta(days=7 * k))
            for k in range(SIGNAL_WEEKS, -1, -1)
        ]
        if sum(weeks[:-1]) == 0:
            continue
        change = judge_latest(weeks)
        if change.is_signal:
            side = "above" if change.outcome is ChangeOutcome.UP else "below"
            lines.append(
                DigestLine(
                    f"{team.name}: {weeks[-1]} items finished in the last 7 days, {side} the natural range of the "
                    f"{SIGNAL_WEEKS} weeks before ({change.detail.split('; ')[-1].removeprefix('natural range ')}): a signal",
                    f"/teams/{team.slug}/flow",
                )
            )
    return lines


def forecasts_due(session: Session, teams: dict[int, Team], end: datetime) -> list[DigestLine]:
    """Committed "when" forecasts not yet scored whose 85% date falls in the 7 days from ``end``."""
    if not teams:
        return []
    lines = []
    rows = session.scalars(
        select(Forecast)
        .where(
            Forecast.team_id.in_(list(teams)),
            Forecast.kind == "when",
            Forecast.scored_at.is_(None),
            Forecast.commitment.is_not(None),
        )
        .order_by(Forecast.id)
    )
    for row in rows:
        team = teams[row.team_id]
        today = today_in(team, end)
        value = row.predicted.get("85")
        if value and today <= date.fromisoformat(value) < today + timedelta(days=7):
            lines.append(DigestLine(f"{team.name}: {row.label}, 85% by {value}", f"/teams/{team.slug}/forecasts"))
    return lines


def _experiments_concluded(session: Session, teams: dict[int, Team], start: datetime, end: datetime) -> list[DigestLine]:
    lines = []
    for e in sources.concluded_experiments(session, team_ids=list(teams), start=start, end=end) or []:
        team = teams.get(e.team_id or 0)
        outcome = f"decision: {e.decision}" if e.decision else "awaiting a decision"
        lines.append(
            DigestLine(
                f"{team.name if team else 'A team'}: {e.title} — {outcome}",
                f"/teams/{team.slug}/experiments" if team else "/cockpit",
            )
        )
    return lines


def past_sle(session: Session, team: Team, now: datetime) -> tuple[int | None, pl.DataFrame]:
    """The team's SLE (None without finished items) and its items in progress older than it, oldest first."""
    timeline = team_timeline(session, team)
    today = today_in(team, now)
    target = sle(timeline, today=today)
    if target is None:
        return None, timeline.clear()
    late = work_item_age(timeline, today=today).filter(pl.col("age_days") > target)
    return target, late.sort("age_days", descending=True)


def attention(session: Session, teams: list[Team], role: str, now: datetime) -> list[DigestSection]:
    """What needs attention in these teams: items aging past the SLE, escalations waiting at the role's level,
    overdue impediments and dependencies at risk (the digest's and the delivery manager's home's)."""
    aging = []
    for team in teams:
        target, late = past_sle(session, team, now)
        if target is not None and late.height:
            aging.append(
                DigestLine(f"{team.name}: {late.height} items older than the SLE of {target} days", f"/teams/{team.slug}/flow")
            )
    ids = {t.id: t for t in teams}
    open_rows = (
        [i for i in session.scalars(select(Impediment).where(Impediment.team_id.in_(list(ids)))) if not i.status.is_closed]
        if ids
        else []
    )
    level = WAITING_LEVEL[role]
    waiting = [DigestLine(f"{ids[i.team_id].name}: {i.title}", f"/impediments/{i.id}") for i in open_rows if i.level is level]
    levels = service_levels(session)
    overdue = [
        DigestLine(f"{ids[i.team_id].name}: {i.title} ({i.level.label})", f"/impediments/{i.id}")
        for i in open_rows
        if is_overdue(i, levels, now=now)
    ]
    return [
        DigestSection("aging", "Items aging past the SLE", aging),
        DigestSection("waiting", f"Escalations waiting at {level.label}", waiting),
        DigestSection("overdue", "Overdue impediments", overdue),
        DigestSection(
            "dependencies_at_risk",
            "Dependencies at risk",
            [
                DigestLine(
                    f"{r.dependency.requester_team} ← {r.dependency.provider}: {r.dependency.title}, "
                    f"{round((r.chance_needed or 0.0) * 100)}% chance by {r.dependency.needed_by.isoformat()}",
                    f"/dependencies/{r.dependency.id}",
                )
                for r in dependency_risk.at_risk(session, actor=None, team_ids=set(ids), today=now.date())
            ],
        ),
    ]


def _rolled_up(section: DigestSection, teams: int) -> DigestSection:
    if not section.lines:
        return section
    count = len(section.lines)
    return DigestSection(section.key, section.title, [DigestLine(f"{count} across the organisation ({teams} teams)", "/cockpit")])


def build_digest(*, session: Session, user: User, now: datetime | None = None) -> Digest:
    """Build ``user``'s digest for the 7 days ending ``now``.

    Args:
        session: the unit of work (coaching insights may be recomputed, as their page does).
        user: a delivery manager, Product Ops, a leader or an admin.
        now: the end of the 7 days (tests pass it).

    Returns:
        The digest; leaders get roll-up lines, except for the escalations waiting at leadership.
    """
    role = digest_role(user)
    if role is None:
        raise PermissionDeniedError("The weekly digest is for delivery managers, Product Ops and leaders.")
    end = now or utcnow()
    start = end - timedelta(days=7)
    teams = _scope(session, user, role)
    changed = _changed(session, teams, role, start, end)
    needs = attention(session, teams, role, end)
    if role == "leader":
        changed = [_rolled_up(s, len(teams)) for s in changed]
        needs = [s if s.key == "waiting" else _rolled_up(s, len(teams)) for s in needs]
    return Digest(
        user_id=user.id,
        name=user.name,
        email=user.email,
        role=role,
        week=iso_week(end.date()),
        start=start,
        end=end,
        teams=teams,
        changed=changed,
        attention=needs,
    )


def team_highlights(*, session: Session, team: Team, now: datetime | None = None, limit: int = 8) -> list[DigestLine]:
    """The week's highlights of one team for its channels: what its delivery manager's digest says of it.

    What changed in the 7 days ending ``now`` first, then what needs attention, at most ``limit`` lines.
    """
    end = now or utcnow()
    sections = _changed(session, [team], "delivery_manager", end - timedelta(days=7), end)
    sections += attention(session, [team], "delivery_manager", end)
    prefix = f"{team.name}: "
    lines = [
        DigestLine(f"{section.title}: {line.text.removeprefix(prefix)}", line.href)
        for section in sections
        for line in section.lines
    ]
    return lines[:limit]
