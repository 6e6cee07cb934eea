"""The "today" part of each role's home: what the product already knows that asks for an action now.

Nothing here computes new analytics: each section reads an existing service (retros, health rounds, the
digest's attention lists, impediment queues, cluster proposals, the adoption matrix, decisions waiting,
leadership questions) and turns its rows into lines that link to the page where one acts on them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.digest import service as digest
from deliveryops.cockpit.leadership.service import current_quarter, list_questions
from deliveryops.health import service as health
from deliveryops.impediments import impact
from deliveryops.impediments import service as impediments
from deliveryops.impediments.models import Cluster, ClusterMember, Impediment, Level
from deliveryops.outcomes.lead import Lead
from deliveryops.retros.models import Phase, Retro
from deliveryops.retros.multi_models import MultiPhase, MultiRetro
from deliveryops.teams.models import Team

__all__ = ["TodayLine", "TodaySection", "delivery_manager_sections", "leader_sections", "member_sections", "product_ops_sections"]

LIVE_FOR = timedelta(hours=12)  # a retro started this long ago and not finished still counts as running
MAX_LINES = 8  # per section; the section's "all" link leads to the rest


@dataclass(frozen=True)
class TodayLine:
    """One thing to act on: the words, the page where one acts, and an optional badge and detail."""

    text: str
    href: str
    detail: str = ""
    badge: str = ""
    badge_href: str = ""
    urgent: bool = False


@dataclass
class TodaySection:
    """A titled list of lines, with what to do when it is empty and where the full list is."""

    key: str
    title: str
    empty: str
    lines: list[TodayLine] = field(default_factory=list)
    more_href: str = ""
    more_label: str = ""
    empty_href: str = ""
    empty_action: str = ""

    @property
    def shown(self) -> list[TodayLine]:
        """The first lines (the rest are behind ``more_href``)."""
        return self.lines[:MAX_LINES]


def _when(moment: datetime, now: datetime) -> str:
    days = (moment.date() - now.date()).days
    clock = moment.strftime("%H:%M UTC")
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    return f"{moment.strftime('%a %d %b')} at {clock}"


def retros(session: Session, teams: list[Team], now: datetime, *, runs: bool) -> TodaySection:
    """The retro running now in each team (join it), else the next one scheduled."""
    names = {t.id: t for t in teams}
    rows = (
        list(
            session.scalars(
                select(Retro)
                .where(Retro.team_id.in_(list(names)), Retro.phase != Phase.FINISHED)
                .order_by(Retro.scheduled_for, Retro.id)
            )
        )
        if names
        else []
    )
    lines = []
    for team in teams:
        mine = [r for r in rows if r.team_id == team.id]
        started = [r for r in mine if r.scheduled_for <= now]
        live = [r for r in started if r.scheduled_for >= now - LIVE_FOR or r.phase is not Phase.REVIEW]
        if live:
            retro = live[-1]
            lines.append(
                TodayLine(
                    f"{team.name}: {retro.title} is running now, join it",
                    f"/retros/{retro.id}",
                    detail=f"{retro.phase.value} phase",
                    badge="live",
                    urgent=True,
                )
            )
            continue
        upcoming = [r for r in mine if r.scheduled_for > now]
        if upcoming:
            retro = upcoming[0]
            lines.append(TodayLine(f"{team.name}: {retro.title}, {_when(retro.scheduled_for, now)}", f"/retros/{retro.id}"))
        elif runs:
            lines.append(TodayLine(f"{team.name}: no retro scheduled; schedule the next one", f"/teams/{team.slug}/retros"))
    first = teams[0].slug if teams else ""
    return TodaySection(
        "retros",
        "Retrospectives",
        "No retro is running or scheduled in your teams. Your delivery manager schedules them on the team's Retros page."
        if not runs
        else "You are not the delivery manager of a team yet.",
        lines,
        empty_href=f"/teams/{first}/retros" if first else "",
        empty_action="Open the team's retros" if first else "",
    )


def open_health_checks(session: Session, actor: User, teams: list[Team], now: datetime) -> TodaySection:
    """Health-check rounds open in the person's teams that they have not answered."""
    lines = []
    for team in teams:
        for health_round in health.list_rounds(session=session, actor=actor, team_id=team.id, now=now):
            if health.closed_at_of(health_round, now) is not None or health.has_answered(session, health_round.id, actor):
                continue
            closes = f", closes {_when(health_round.closes_at, now)}" if health_round.closes_at else ""
            lines.append(TodayLine(f"{team.name}: answer “{health_round.title}”{closes}", f"/health/rounds/{health_round.id}"))
    first = teams[0].slug if teams else ""
    return TodaySection(
        "health",
        "Health checks waiting for your answer",
        "No open health check waits for your answer.",
        lines,
        empty_href=f"/teams/{first}/health" if first else "",
        empty_action="See your team's health history" if first else "",
    )


def items_past_sle(session: Session, teams: list[Team], now: datetime) -> TodaySection:
    """Each team's items in progress that are older than its service level expectation (85th percentile cycle time)."""
    lines = []
    for team in teams:
        target, late = digest.past_sle(session, team, now)
        for row in late.iter_rows(named=True):
            name = " ".join(str(row[c]) for c in ("key", "title") if row.get(c)) or f"item {row['item_id']}"
            lines.append(
                TodayLine(
                    f"{team.name}: {name}",
                    f"/teams/{team.slug}/flow#aging-title",
                    detail=f"{row['age_days']} days old, SLE {target} days, in {row.get('current_status') or 'progress'}",
                )
            )
    first = teams[0].slug if teams else ""
    return TodaySection(
        "aging",
        "Items older than the SLE",
        "No item in progress is older than its team's service level expectation.",
        lines,
        more_href=f"/teams/{first}/flow#aging-title" if first else "",
        more_label="Work item age chart",
    )


def _from_digest(section: digest.DigestSection, empty: str, title: str | None = None) -> TodaySection:
    return TodaySection(section.key, title or section.title, empty, [TodayLine(line.text, line.href) for line in section.lines])


def delivery_manager_sections(session: Session, actor: User, teams: list[Team], now: datetime) -> list[TodaySection]:
    """A delivery manager's today: the live or next retro, impediments at their level and overdue, items past
    the SLE, forecasts coming due (coaching insights follow in their own panel)."""
    attention = {s.key: s for s in digest.attention(session, teams, "delivery_manager", now)}
    forecasts = digest.forecasts_due(session, {t.id: t for t in teams}, now)
    first = teams[0].slug if teams else ""
    return [
        retros(session, teams, now, runs=True),
        _from_digest(
            attention["waiting"],
            "No impediment waits for you: your teams solve theirs, or have not escalated one to you.",
            "Impediments escalated to you",
        ),
        _from_digest(attention["overdue"], "No open impediment of your teams is past its service level."),
        items_past_sle(session, teams, now),
        TodaySection(
            "forecasts",
            "Forecasts coming due (85% date in the next 7 days)",
            "No committed forecast comes due this week.",
            [TodayLine(line.text, line.href) for line in forecasts],
            empty_href=f"/teams/{first}/forecasts" if first else "",
            empty_action="Make or commit a forecast" if first else "",
        ),
    ]


def member_sections(session: Session, actor: User, teams: list[Team], now: datetime) -> list[TodaySection]:
    """A team member's today: the live retro to join, open health checks, their team's items past the SLE."""
    return [
        retros(session, teams, now, runs=False),
        open_health_checks(session, actor, teams, now),
        items_past_sle(session, teams, now),
    ]


def _clusters_of(session: Session, rows: list[Impediment]) -> dict[int, Cluster]:
    """The cluster each impediment belongs to: the confirmed one it is linked to, else a proposed one listing it."""
    ids = [row.id for row in rows]
    if not ids:
        return {}
    statement = (
        select(ClusterMember.impediment_id, Cluster)
        .join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(ClusterMember.impediment_id.in_(ids), Cluster.status.in_(("proposed", "confirmed")))
    )
    found: dict[int, Cluster] = {row[0]: row[1] for row in session.execute(statement)}
    linked = {row.id: row.cluster_id for row in rows if row.cluster_id is not None}
    if linked:
        confirmed = {c.id: c for c in session.scalars(select(Cluster).where(Cluster.id.in_(set(linked.values()))))}
        found.update({impediment_id: confirmed[cluster_id] for impediment_id, cluster_id in linked.items()})
    return found


def _queue(session: Session, actor: User, level: Level, now: datetime) -> TodaySection:
    costs = impact.blocked_days(
        session,
        list(session.scalars(select(Impediment).where(Impediment.level == level))),
        now=now,
    )
    entries = impediments.queue(session=session, actor=actor, level=level, now=now, blocked_days=costs)
    cluster_of = _clusters_of(session, [e.impediment for e in entries])
    shared = Counter(c.id for c in cluster_of.values())
    lines = []
    for e in entries:
        cluster = cluster_of.get(e.impediment.id)
        detail = f"{e.impediment.severity.value} severity · {e.working_days} working days at this level · impact {e.impact:.1f}"
        lines.append(
            TodayLine(
                f"{e.team.name}: {e.impediment.title}",
                f"/impediments/{e.impediment.id}",
                detail=detail + (" · overdue" if e.overdue else ""),
                badge=f"{'proposed ' if cluster.status == 'proposed' else ''}cluster: {cluster.title} "
                f"({shared[cluster.id]} of {len(entries)} rows)"
                if cluster
                else "",
                badge_href=f"/impediments/clusters/{cluster.id}" if cluster else "",
                urgent=e.overdue,
            )
        )
    return TodaySection(
        f"queue-{level.value}",
        f"{level.label} queue, most impact first",
        f"No open impediment waits at the {level.label} level.",
        lines,
        more_href="/impediments",
        more_label="All queues",
    )


def _overdue_escalations(session: Session, now: datetime) -> TodaySection:
    levels = impediments.service_levels(session)
    rows = session.scalars(select(Impediment).where(Impediment.level != Level.TEAM).order_by(Impediment.id))
    lines = []
    for row in rows:
        if row.status.is_closed or not impediments.is_overdue(row, levels, now=now):
            continue
        team = session.get(Team, row.team_id)
        lines.append(
            TodayLine(
                f"{team.name if team else 'A team'}: {row.title}",
                f"/impediments/{row.id}",
                detail=f"at {row.level.label}, {impediments.working_days_at_level(row, now=now)} working days",
                urgent=True,
            )
        )
    return TodaySection(
        "overdue",
        "Overdue escalations",
        "No escalated impediment is past its service level.",
        lines,
        more_href="/impediments/digest",
        more_label="Daily digest of overdue impediments",
    )


def product_ops_sections(session: Session, actor: User, now: datetime) -> list[TodaySection]:
    """Product Ops' today: their queue with cluster badges, proposed clusters, overdue escalations, adoption mismatches."""
    proposed = list(session.scalars(select(Cluster).where(Cluster.status == "proposed").order_by(Cluster.id)))
    # Only the adopted practices' checks run (not the whole matrix's): the home shows the mismatches alone.
    mismatches = [
        TodayLine(
            f"{m.team.name}: {m.entry.name} declared adopted, the data disagrees",
            f"/teams/{m.team.slug}/practices#entry-{m.entry.id}",
            detail=m.result.evidence,
        )
        for m in adoption.mismatches(session, team_ids=adoption.matrix_team_ids(session, actor), now=now)
    ]
    return [
        _queue(session, actor, Level.PRODUCT_OPS, now),
        TodaySection(
            "clusters",
            "Proposed clusters to confirm or reject",
            "No proposed cluster waits for a decision.",
            [
                TodayLine(
                    c.title,
                    f"/impediments/clusters/{c.id}",
                    detail=f"{len(c.members)} impediments proposed as one problem",
                )
                for c in proposed
            ],
            more_href="/impediments/clusters",
            more_label="Cross-team problems",
        ),
        _overdue_escalations(session, now),
        TodaySection(
            "mismatches",
            "Adoption mismatches",
            "Every practice declared adopted agrees with its data check.",
            mismatches,
            more_href="/cockpit/adoption",
            more_label="Adoption matrix",
        ),
        _multi_retros(session),
    ]


def _multi_retros(session: Session) -> TodaySection:
    """Multi-team retros still running, with the way to the recurring themes across teams' retros."""
    running = session.scalars(
        select(MultiRetro).where(MultiRetro.phase != MultiPhase.FINISHED).order_by(MultiRetro.scheduled_for)
    )
    return TodaySection(
        "multi-retros",
        "Retros across teams",
        "No multi-team retro is running.",
        [TodayLine(m.title, f"/multi-retros/{m.id}", detail=f"{m.phase.value} phase") for m in running],
        more_href="/retro-themes",
        more_label="Recurring themes across teams' retros",
        empty_href="/multi-retros",
        empty_action="Start a multi-team retro",
    )


def leader_sections(session: Session, actor: User, lead: Lead, now: datetime) -> list[TodaySection]:
    """A leader's today: decisions waiting, the leadership queue, the pack's open questions, signals of the week."""
    quarter = current_quarter(now.date())
    questions = [q for q in list_questions(session, group_id=None, period=quarter) if q.status == "open"]
    week = digest.build_digest(session=session, user=actor, now=now)
    signals = [
        TodayLine(f"{s.title}: {line.text}", line.href)
        for s in week.changed + week.attention
        if s.key in ("throughput", "escalated", "aging", "overdue", "dependencies_at_risk")
        for line in s.lines
    ]
    return [
        TodaySection(
            "decisions",
            "Decisions waiting",
            "No question waits for a decision and no follow-up is due.",
            [TodayLine(text, f"/outcomes/decisions/{qid}") for qid, text in lead.waiting]
            + [
                TodayLine(text, f"/outcomes/decisions/{qid}", detail=f"follow-up due: {result.outcome_label}")
                for qid, text, result in lead.follow_ups
            ],
            more_href="/outcomes/decisions",
            more_label="All decisions",
        ),
        _queue(session, actor, Level.LEADERSHIP, now),
        TodaySection(
            "pack",
            f"Leadership pack, {quarter}: open questions",
            "No open question in this quarter's pack. Product Ops add the questions that need you.",
            [TodayLine(q.text, f"/cockpit/leadership?period={quarter}#questions") for q in questions],
            more_href=f"/cockpit/leadership?period={quarter}",
            more_label="Open the pack",
            empty_href=f"/cockpit/leadership?period={quarter}",
            empty_action="Open the pack",
        ),
        TodaySection(
            "signals",
            f"Signals of the week ({week.week})",
            "No signal this week: throughput within normal variation, nothing escalated, overdue or at risk.",
            signals,
            more_href="/digest",
            more_label="Weekly digest",
        ),
    ]
