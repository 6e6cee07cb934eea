"""The leadership pack: a period's headline numbers and trends, cross-team impediments, epic forecasts,
concluded experiments, adoption changes and the questions Product Ops puts to leadership.

Read-only, except the questions (``add_question``, ``decide_question``). Epic forecasts are computed
with the Monte Carlo analytics directly and are not stored: a page view must not create forecasts.
"""

from __future__ import annotations

import re
import statistics
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from deliveryops.accounts.models import Role, User
from deliveryops.accounts.service import require_role
from deliveryops.analytics import forecast as mc
from deliveryops.analytics.allocation import Allocation, forecast_shared
from deliveryops.analytics.change import (
    Change,
    ChangeOutcome,
    judge_counts,
    judge_percentile,
    judge_proportion,
    judge_weekly,
    weekly_blocks,
)
from deliveryops.analytics.flow.metrics import throughput
from deliveryops.analytics.percentiles import nearest_rank
from deliveryops.cockpit.catalogue.schemas import RolloutResult
from deliveryops.cockpit.digest.models import LeadershipQuestion
from deliveryops.cockpit.portfolio import sources
from deliveryops.cockpit.portfolio.service import require_cross_team, team_timeline
from deliveryops.cockpit.rollouts.stored import results_touching
from deliveryops.db import utcnow
from deliveryops.dependencies import risk as dependency_risk
from deliveryops.dependencies.schemas import ChanceRead
from deliveryops.errors import NotFoundError, ValidationFailedError
from deliveryops.flow.data import load_team_data
from deliveryops.flow.service import forecast_epics, open_epics, today_in
from deliveryops.impediments.models import Cluster, Impediment
from deliveryops.roadmap import service as roadmap
from deliveryops.roadmap.engine import Rule
from deliveryops.teams.models import Group, Team
from deliveryops.teams.service import get_group_or_raise, list_teams

__all__ = [
    "ClusterRow",
    "EpicForecast",
    "Headline",
    "LeadershipPack",
    "PackChart",
    "PackSection",
    "Period",
    "add_question",
    "build_pack",
    "commit_pack_epics",
    "decide_question",
    "pack_charts",
    "pack_sections",
    "parse_period",
    "register_pack_section",
]

_YEAR = re.compile(r"^(\d{4})")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
EPIC_TYPE = "Epic"
MAX_EPICS = 8
MAX_CLUSTERS = 5
FORECAST_TRIALS = 10_000
WINDOW_DAYS = 90
MIN_YEAR, MAX_YEAR = 1970, 2999


@dataclass(frozen=True)
class Period:
    """A reporting period: first and last day (inclusive) and its label."""

    start: date
    end: date
    label: str

    @property
    def days(self) -> int:
        """Length in days."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period just before, of the same kind (quarter, month) or the same length."""
        if _QUARTER.match(self.label):
            start = _add_months(self.start, -3)
            return Period(start, self.start - timedelta(days=1), _quarter_label(start))
        if _MONTH.match(self.label):
            start = _add_months(self.start, -1)
            return Period(start, self.start - timedelta(days=1), f"{start.year}-{start.month:02d}")
        end = self.start - timedelta(days=1)
        start = end - timedelta(days=self.days - 1)
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")

    def to_date(self, today: date) -> tuple[Period, Period]:
        """This period up to ``today`` and the previous period over the same number of days.

        A period still running is compared like for like: a quarter to date with the same days
        of the quarter before. A period that has ended is compared with the whole previous one.
        """
        previous = self.previous()
        if self.end <= today or today < self.start:
            return self, previous
        clipped = Period(self.start, today, self.label)
        return clipped, Period(
            previous.start, min(previous.end, previous.start + timedelta(days=clipped.days - 1)), previous.label
        )

    def bounds(self) -> tuple[datetime, datetime]:
        """``[start, end)`` as UTC instants (the whole last day included)."""
        return (
            datetime.combine(self.start, time.min, tzinfo=UTC),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC),
        )


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _quarter_label(start: date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def parse_period(text: str) -> Period:
    """Read "2026-Q3", "2026-11" or "2026-07-01..2026-09-30".

    Raises:
        ValidationFailedError: naming the ``period`` field.
    """
    value = (text or "").strip()
    message = "Write a period like 2026-Q3, 2026-11 or 2026-07-01..2026-09-30."
    if (year := _YEAR.match(value)) and not MIN_YEAR <= int(year[1]) <= MAX_YEAR:
        raise ValidationFailedError(f"Choose a year from {MIN_YEAR} to {MAX_YEAR}, not {year[1]}.", fields={"period": message})
    if match := _QUARTER.match(value):
        start = date(int(match[1]), 3 * int(match[2]) - 2, 1)
        return Period(start, _add_months(start, 3) - timedelta(days=1), value)
    if match := _MONTH.match(value):
        if not 1 <= int(match[2]) <= 12:
            raise ValidationFailedError(f"No month {match[2]} in {value!r}.", fields={"period": message})
        start = date(int(match[1]), int(match[2]), 1)
        return Period(start, _add_months(start, 1) - timedelta(days=1), value)
    if match := _RANGE.match(value):
        try:
            start, end = date.fromisoformat(match[1]), date.fromisoformat(match[2])
        except ValueError:
            raise ValidationFailedError(f"{value!r} holds an impossible date.", fields={"period": message}) from None
        if end.year > MAX_YEAR:
            raise ValidationFailedError(
                f"Choose a year from {MIN_YEAR} to {MAX_YEAR}, not {end.year}.", fields={"period": message}
            )
        if end < start:
            raise ValidationFailedError(
                "The period ends before it starts.", fields={"period": "Put the first day before the last day."}
            )
        if (end - start).days > 366:
            raise ValidationFailedError("Choose a period of at most a year.", fields={"period": message})
        return Period(start, end, value)
    raise ValidationFailedError(f"Unknown period {value!r}.", fields={"period": message})


def current_quarter(today: date) -> str:
    """The label of the quarter ``today`` falls in."""
    return _quarter_label(today)


@dataclass(frozen=True)
class Headline:
    """One headline number with the previous period's value."""

    key: str
    label: str
    unit: str
    value: float | None
    previous: float | None
    better: str  # "up", "down" or "" (neither is better)
    definition: str
    judgement: Change | None = None  # the change judged against natural variation

    @property
    def change(self) -> float | None:
        """Value minus the previous value."""
        if self.value is None or self.previous is None:
            return None
        return round(self.value - self.previous, 2)

    @property
    def verdict(self) -> str:
        """ "better" or "worse" (or "up"/"down" where neither is better) only for a signal; "normal" for a
        change within normal variation; "not_enough" or "not_judged"; "" when a value is missing."""
        change = self.change
        if change is None:
            return ""
        judged = self.judgement
        if judged is None or judged.outcome is ChangeOutcome.NOT_JUDGED:
            return "not_judged"
        if judged.outcome is ChangeOutcome.NOT_ENOUGH:
            return "not_enough"
        if judged.outcome is ChangeOutcome.NORMAL:
            return "normal"
        up = judged.outcome is ChangeOutcome.UP
        if not self.better:
            return "up" if up else "down"
        return "better" if up == (self.better == "up") else "worse"

    @property
    def verdict_text(self) -> str:
        """The verdict in words, as the pages and the PDF show it."""
        return {
            "better": "better (a signal)",
            "worse": "worse (a signal)",
            "up": "higher (a signal)",
            "down": "lower (a signal)",
            "normal": "within normal variation",
            "not_enough": "too little data to judge",
            "not_judged": "change not tested",
        }.get(self.verdict, "")


@dataclass(frozen=True)
class ClusterRow:
    """A cross-team impediment cluster touching the scope."""

    cluster_id: int
    title: str
    status: str
    teams: list[str]
    open_impediments: int
    created_at: datetime


@dataclass(frozen=True)
class EpicForecast:
    """When an open epic's unfinished children may be done (not stored), sharing the team with its other open
    epics in priority order (oldest first; see :mod:`deliveryops.analytics.allocation`)."""

    team_name: str
    team_slug: str
    key: str
    title: str
    remaining: int
    total: int
    p50: date | None
    p85: date | None
    message: str | None
    allocation: str = ""  # how the epic shares its team's throughput with the team's other open epics


@dataclass(frozen=True)
class TeamThroughput:
    """Items one team finished in the period and in the previous period (the PDF's per-team chart)."""

    team_name: str
    value: int
    previous: int


@dataclass
class LeadershipPack:
    """Everything the pack shows, for one scope and period."""

    scope: str
    group: Group | None
    period: Period
    previous: Period
    generated_at: datetime
    to_date: bool
    teams: list[Team]
    headlines: list[Headline]
    clusters: list[ClusterRow]
    epics: list[EpicForecast]
    experiments: list[sources.ConcludedExperiment] | None
    adoption: list[sources.AdoptionChangeRow] | None
    questions: list[LeadershipQuestion]
    team_names: dict[int, str] = field(default_factory=dict)
    dependencies_at_risk: list[ChanceRead] = field(default_factory=list)
    rollouts: list[RolloutResult] = field(default_factory=list)  # the stored reports' results
    team_throughput: list[TeamThroughput] = field(default_factory=list)
    # Items finished in each complete 7-day block of the period and of the previous period (a partial week is left out).
    weekly_throughput: tuple[list[int], list[int]] = field(default_factory=lambda: ([], []))


@dataclass(frozen=True)
class PackChart:
    """One chart of the pack: the data the PDF draws, and the JSON carries, as paired bars per row.

    Each row is (label, this period's value, the previous period's value); a value of None draws no bar.
    """

    key: str
    title: str
    row_axis: str
    value_axis: str
    legend: tuple[str, str]
    rows: list[tuple[str, int | None, int | None]]
    definition: str  # the anchor on /definitions, such as "throughput"
    note: str
    empty: str


def pack_charts(pack: LeadershipPack) -> list[PackChart]:
    """The pack's key charts: items finished by team, and per week, each against the previous period."""
    legend = (pack.period.label, pack.previous.label)
    said = "Throughput: items finished (reached a done status) in the period."
    now, before = pack.weekly_throughput
    weeks = max(len(now), len(before))
    return [
        PackChart(
            key="throughput_by_team",
            title=f"Items finished by team, {pack.period.label} vs {pack.previous.label}",
            row_axis="Team",
            value_axis="Items finished (items)",
            legend=legend,
            rows=[(t.team_name, t.value, t.previous) for t in pack.team_throughput],
            definition="throughput",
            note=said,
            empty="No team in this scope.",
        ),
        PackChart(
            key="throughput_by_week",
            title=f"Items finished per week, {pack.period.label} vs {pack.previous.label}",
            row_axis="Week of the period",
            value_axis="Items finished in the week (items per week)",
            legend=legend,
            rows=[
                (f"Week {i + 1}", now[i] if i < len(now) else None, before[i] if i < len(before) else None) for i in range(weeks)
            ],
            definition="throughput",
            note=f"{said} Complete 7-day weeks from the period's first day, a partial last week is left out.",
            empty="The period has no complete week yet.",
        ),
    ]


def _finished_in(timelines: list[pl.DataFrame], period: Period) -> list[int]:
    days: list[int] = []
    for timeline in timelines:
        done = timeline.filter(pl.col("finished_date").is_between(period.start, period.end))
        days.extend(int(v) for v in done["cycle_time_days"].to_list())
    return days


def _p85(days: list[int]) -> float | None:
    value = nearest_rank(np.array(days, dtype=np.float64), 85) if days else None
    return None if value is None else float(round(value))


def _dora(
    session: Session, teams: list[Team], period: Period
) -> tuple[float | None, float | None, float | None, tuple[int, int]]:
    """Deployments, deployment-weighted change failure rate (%), the median of team lead-time medians (h),
    and (failed, counted) deployments behind the rate."""
    cells = [sources.dora_keys(session, team_id=t.id, start=period.start, end=period.end) for t in teams]
    known = [c for c in cells if c is not None]
    if not known:
        return None, None, None, (0, 0)
    deployments = sum(c.deployments for c in known)
    weighted = [(c.change_failure_rate, c.deployments) for c in known if c.change_failure_rate is not None]
    weight = sum(n for _r, n in weighted)
    failed = round(sum(r * n for r, n in weighted))
    cfr = round(100 * sum(r * n for r, n in weighted) / weight, 1) if weight else None
    leads = [c.lead_time_hours for c in known if c.lead_time_hours is not None]
    return float(deployments), cfr, round(statistics.median(leads), 1) if leads else None, (failed, weight)


def _daily_finished(timelines: list[pl.DataFrame], period: Period) -> list[int]:
    counts = [0] * period.days
    for timeline in timelines:
        done = timeline.filter(pl.col("finished_date").is_between(period.start, period.end))
        for day in done["finished_date"].to_list():
            counts[(day - period.start).days] += 1
    return counts


def _count_change(now: float | None, before: float | None, period: Period, previous: Period) -> Change | None:
    if now is None or before is None:
        return None
    return judge_counts(int(now), int(before), current_days=period.days, previous_days=previous.days)


def _health(session: Session, teams: list[Team], period: Period) -> float | None:
    scores = []
    for team in teams:
        trend = sources.health_trend(session, team_id=team.id)
        if trend is None:
            return None
        inside = [
            p
            for p in trend
            if p.closed_at is not None
            and period.start <= (p.closed_at.date() if isinstance(p.closed_at, datetime) else p.closed_at) <= period.end
        ]
        if inside:
            scores.append(inside[-1].score)
    return round(100 * sum(scores) / len(scores), 1) if scores else None


def _impediments(session: Session, team_ids: list[int], period: Period) -> tuple[int, int]:
    start, end = period.bounds()
    rows = list(session.scalars(select(Impediment).where(Impediment.team_id.in_(team_ids))))
    opened = sum(1 for r in rows if start <= r.created_at < end)
    resolved = sum(1 for r in rows if r.status.is_closed and r.resolved_at is not None and start <= r.resolved_at < end)
    return opened, resolved


def _team_throughput(teams: list[Team], timelines: list[pl.DataFrame], period: Period, previous: Period) -> list[TeamThroughput]:
    return [
        TeamThroughput(team.name, len(_finished_in([timeline], period)), len(_finished_in([timeline], previous)))
        for team, timeline in zip(teams, timelines, strict=True)
    ]


def _headlines(
    session: Session, teams: list[Team], timelines: list[pl.DataFrame], period: Period, previous: Period
) -> list[Headline]:
    ids = [t.id for t in teams]
    now_days, before_days = _finished_in(timelines, period), _finished_in(timelines, previous)
    dora_now, dora_before = _dora(session, teams, period), _dora(session, teams, previous)
    opened, resolved = _impediments(session, ids, period)
    opened_before, resolved_before = _impediments(session, ids, previous)
    not_judged = Change(ChangeOutcome.NOT_JUDGED, "", "no test fits this number")
    cfr_now, cfr_before = dora_now[3], dora_before[3]
    exp_now = sources.concluded_experiments(session, team_ids=ids, start=period.bounds()[0], end=period.bounds()[1])
    exp_before = sources.concluded_experiments(session, team_ids=ids, start=previous.bounds()[0], end=previous.bounds()[1])
    rows = [
        Headline(
            "throughput",
            "Items finished",
            "items",
            float(len(now_days)),
            float(len(before_days)),
            "up",
            "/definitions#throughput",
            judge_weekly(
                weekly_blocks(_daily_finished(timelines, period)),
                weekly_blocks(_daily_finished(timelines, previous)),
                current_total=len(now_days),
                previous_total=len(before_days),
            ),
        ),
        Headline(
            "cycle_time_p85",
            "85th percentile cycle time",
            "days",
            _p85(now_days),
            _p85(before_days),
            "down",
            "/definitions#percentiles",
            judge_percentile(now_days, before_days, seed=0),
        ),
        Headline(
            "deployments",
            "Production deployments",
            "deployments",
            dora_now[0],
            dora_before[0],
            "up",
            "/definitions#deployment-frequency",
            _count_change(dora_now[0], dora_before[0], period, previous),
        ),
        Headline(
            "lead_time",
            "Lead time for changes (median of team medians)",
            "hours",
            dora_now[2],
            dora_before[2],
            "down",
            "/definitions#lead-time",
            not_judged,
        ),
        Headline(
            "change_failure_rate",
            "Change failure rate",
            "%",
            dora_now[1],
            dora_before[1],
            "down",
            "/definitions#change-failure-rate",
            judge_proportion(cfr_now, cfr_before),
        ),
        Headline(
            "health",
            "Health-check score (mean of teams' latest round)",
            "of 100",
            _health(session, teams, period),
            _health(session, teams, previous),
            "up",
            "/definitions#privacy",
            not_judged,
        ),
        Headline(
            "impediments_opened",
            "Impediments raised",
            "impediments",
            float(opened),
            float(opened_before),
            "",
            "/definitions#impediments",
            _count_change(float(opened), float(opened_before), period, previous),
        ),
        Headline(
            "impediments_resolved",
            "Impediments resolved",
            "impediments",
            float(resolved),
            float(resolved_before),
            "up",
            "/definitions#impediments",
            _count_change(float(resolved), float(resolved_before), period, previous),
        ),
        Headline(
            "experiments_concluded",
            "Experiments concluded",
            "experiments",
            None if exp_now is None else float(len(exp_now)),
            None if exp_before is None else float(len(exp_before)),
            "up",
            "/definitions",
            _count_change(
                None if exp_now is None else float(len(exp_now)),
                None if exp_before is None else float(len(exp_before)),
                period,
                previous,
            ),
        ),
    ]
    return rows


def _clusters(session: Session, team_ids: set[int], names: dict[int, str], period: Period) -> list[ClusterRow]:
    _start, end = period.bounds()
    clusters = session.scalars(
        select(Cluster)
        .options(selectinload(Cluster.members))
        .where(Cluster.status.notin_(("rejected", "merged")), Cluster.created_at < end)
    )
    found = []
    for cluster in clusters:
        members = list(session.scalars(select(Impediment).where(Impediment.id.in_([m.impediment_id for m in cluster.members]))))
        if not {m.team_id for m in members} & team_ids:
            continue
        teams = sorted({names.get(m.team_id, f"team {m.team_id}") for m in members})
        found.append(
            ClusterRow(
                cluster.id,
                cluster.title,
                cluster.status,
                teams,
                sum(1 for m in members if not m.status.is_closed),
                cluster.created_at,
            )
        )
    found.sort(key=lambda c: (c.status == "resolved", -len(c.teams), -c.open_impediments, c.cluster_id))
    return found[:MAX_CLUSTERS]


EpicRows = list[tuple[str, str, list[str], int]]


def _team_plan(session: Session, team: Team, epics: EpicRows) -> tuple[EpicRows, Allocation]:
    """The team's open epics in its roadmap plan's priority order (unplanned ones after, oldest first) and the
    plan's rule: stated shares are approximated by an even split here (the roadmap shows them exactly)."""
    rule, planned = roadmap.team_plan(session, team)
    ordered = sorted(epics, key=lambda epic: planned.get(epic[0], (len(planned), None))[0])
    return ordered, Allocation.PRIORITY if rule is Rule.PRIORITY else Allocation.EVEN


def _epics(session: Session, teams: list[Team], now: datetime) -> list[EpicForecast]:
    """Each team's open epics share its throughput by its roadmap plan (default: priority order, oldest epic first)."""
    found: list[EpicForecast] = []
    for team in teams:
        data = load_team_data(session, team)
        if data.items.is_empty():
            continue
        epics = open_epics(data)
        if not epics:
            continue
        today = today_in(team, now)
        window_end = today - timedelta(days=1)
        window = [
            int(v)
            for v in throughput(
                team_timeline(session, team), start=window_end - timedelta(days=WINDOW_DAYS - 1), end=window_end, freq="day"
            )["finished"].to_list()
        ]
        epics, allocation = _team_plan(session, team, epics)
        remaining = [(key, len(unfinished)) for key, _title, unfinished, _total in epics]
        try:
            shares = forecast_shared(
                window,
                remaining=remaining,
                allocation=allocation,
                start_date=today,
                trials=FORECAST_TRIALS,
                seed=zlib.crc32(team.slug.encode()),
            )
        except mc.ForecastInputError as exc:
            for key, title, unfinished, total in epics:
                found.append(EpicForecast(team.name, team.slug, key, title, len(unfinished), total, None, None, str(exc), ""))
            continue
        for (key, title, unfinished, total), share in zip(epics, shares, strict=True):
            result = share.forecast
            found.append(
                EpicForecast(
                    team.name,
                    team.slug,
                    key,
                    title,
                    len(unfinished),
                    total,
                    result.dates.get(50),
                    result.dates.get(85),
                    result.message,
                    share.rule,
                )
            )
    found.sort(key=lambda e: (-e.remaining, e.team_name, e.key))
    return found[:MAX_EPICS]


def list_questions(session: Session, *, group_id: int | None, period: str) -> list[LeadershipQuestion]:
    """The questions for a scope (None: the organisation) and period, open first, oldest first."""
    rows = session.scalars(
        select(LeadershipQuestion)
        .where(
            LeadershipQuestion.group_id.is_(None) if group_id is None else LeadershipQuestion.group_id == group_id,
            LeadershipQuestion.period == period,
        )
        .order_by(LeadershipQuestion.created_at, LeadershipQuestion.id)
    )
    return sorted(rows, key=lambda q: q.status != "open")


def _group_by_name(session: Session, name: str) -> Group:
    group = session.scalar(select(Group).where((Group.slug == name) | (Group.name == name)))
    if group is None:
        raise ValidationFailedError(f"No group named {name!r}.", fields={"group": "Choose an existing group."})
    return group


def build_pack(
    *, session: Session, actor: User | None, period: str, group_slug: str | None = None, now: datetime | None = None
) -> LeadershipPack:
    """Assemble the leadership pack for a period and a scope (a group, or the whole organisation).

    Args:
        session: the unit of work (only read).
        actor: Product Ops, a leader or an admin; None for the trusted CLI.
        period: "2026-Q3", "2026-11" or "2026-07-01..2026-09-30".
        group_slug: the group (its slug; the CLI may give its name); None for the whole organisation.
        now: the current instant (forecasts start today).

    Returns:
        The pack.
    """
    moment = now or utcnow()
    whole = parse_period(period)
    parsed, previous = whole.to_date(moment.date())
    if actor is not None:
        require_cross_team(actor, "The leadership pack")
        group = get_group_or_raise(session=session, actor=actor, slug=group_slug) if group_slug else None
        teams = list_teams(session=session, actor=actor, group_id=group.id if group else None)
    else:
        group = _group_by_name(session, group_slug) if group_slug else None
        statement = select(Team).order_by(Team.name)
        teams = list(session.scalars(statement.where(Team.group_id == group.id) if group else statement))
    names = {t.id: t.name for t in session.scalars(select(Team))}
    ids = [t.id for t in teams]
    start, end = parsed.bounds()
    timelines = [team_timeline(session, team) for team in teams]
    return LeadershipPack(
        scope=group.name if group else "Whole organisation",
        group=group,
        period=parsed,
        previous=previous,
        generated_at=moment,
        to_date=parsed.end != whole.end,
        teams=teams,
        headlines=_headlines(session, teams, timelines, parsed, previous),
        clusters=_clusters(session, set(ids), names, parsed),
        epics=_epics(session, teams, moment),
        experiments=sources.concluded_experiments(session, team_ids=ids, start=start, end=end),
        adoption=sources.adoption_changes(session, team_ids=ids, start=start, end=end),
        questions=list_questions(session, group_id=group.id if group else None, period=parsed.label),
        team_names=names,
        dependencies_at_risk=dependency_risk.at_risk(session, actor=actor, team_ids=set(ids), today=moment.date()),
        rollouts=results_touching(session, set(ids), today=moment.date()),
        team_throughput=_team_throughput(teams, timelines, parsed, previous),
        weekly_throughput=(
            weekly_blocks(_daily_finished(timelines, parsed)),
            weekly_blocks(_daily_finished(timelines, previous)),
        ),
    )


def commit_pack_epics(
    *, session: Session, actor: User | None, period: str, group_slug: str | None = None, now: datetime | None = None
) -> int:
    """Put the pack's epic dates in the pack as commitments: store them, so that they are scored.

    For every team with an epic in the pack, all its open epics are stored with the pack's own rule
    (priority order, oldest epic first; the same window and seeds as the pack, so the same dates) and
    committed as "pack". Idempotent: the same pack committed twice on one day stores nothing new.

    Returns:
        How many epic forecasts the pack now has as commitments.
    """
    moment = now or utcnow()
    pack = build_pack(session=session, actor=actor, period=period, group_slug=group_slug, now=moment)
    slugs = {e.team_slug for e in pack.epics}
    committed = 0
    for team in pack.teams:
        if team.slug not in slugs:
            continue
        ordered, allocation = _team_plan(session, team, open_epics(load_team_data(session, team)))
        rows, _rule = forecast_epics(
            session=session,
            actor=None,  # the pack's reader may see every team; the pack commits on their behalf
            team_id=team.id,
            epic_keys=[key for key, *_rest in ordered],
            allocation=allocation,
            window_days=WINDOW_DAYS,
            trials=FORECAST_TRIALS,
            seed=zlib.crc32(team.slug.encode()),
            now=moment,
            commitment="pack",
        )
        committed += len(rows)
    return committed


def add_question(
    *, session: Session, actor: User | None, period: str, text: str, context: str = "", group_id: int | None = None
) -> LeadershipQuestion:
    """Record a question for leadership (Product Ops and admins; ``actor=None`` for the demo and CLI).

    Args:
        session: the unit of work.
        actor: who asks.
        period: the pack's period label.
        text: the question, one sentence leadership can decide.
        context: the evidence and options.
        group_id: the group; None for the whole organisation.

    Returns:
        The question.
    """
    if actor is not None:
        require_role(actor, Role.PRODUCT_OPS, Role.ADMIN)
    errors: dict[str, str] = {}
    try:
        label = parse_period(period).label
    except ValidationFailedError as exc:
        errors["period"] = exc.fields.get("period", exc.message)
        label = ""
    if not text.strip():
        errors["text"] = "Write the question leadership should decide."
    elif len(text.strip()) > 500:
        errors["text"] = "Keep the question to 500 characters; put the rest in the context."
    if group_id is not None and session.get(Group, group_id) is None:
        errors["group"] = "Choose an existing group."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    question = LeadershipQuestion(
        group_id=group_id,
        period=label,
        text=text.strip(),
        context=context.strip(),
        status="open",
        decision="",
        author_id=actor.id if actor else None,
    )
    session.add(question)
    session.flush()
    return question


def decide_question(
    *, session: Session, actor: User | None, question_id: int, decision: str, now: datetime | None = None
) -> LeadershipQuestion:
    """Record leadership's decision on a question (leaders, Product Ops, admins)."""
    if actor is not None:
        require_role(actor, Role.LEADER, Role.PRODUCT_OPS, Role.ADMIN)
    question = session.get(LeadershipQuestion, question_id)
    if question is None:
        raise NotFoundError(f"No leadership question with id {question_id}.")
    if not decision.strip():
        raise ValidationFailedError("Write what was decided.", fields={"decision": "Write what was decided."})
    question.decision, question.status, question.decided_at = decision.strip(), "decided", now or utcnow()
    session.flush()
    return question


# Panels other capabilities put at the top of the pack (outcomes: key results, decisions waiting, follow-ups
# due). Each takes (session, viewer, today, group slug or "", period label) and returns a template and its
# context, or None; registering keeps the pack free of imports from the capabilities that lead it.
PackLead = Callable[[Session, User, date, str, str], tuple[str, dict[str, Any]] | None]
PACK_LEADS: list[PackLead] = []


def register_pack_lead(panel: PackLead) -> None:
    """Add a panel to the top of the leadership pack (called at import time; registering twice is harmless)."""
    if panel not in PACK_LEADS:
        PACK_LEADS.append(panel)


@dataclass(frozen=True)
class PackSection:
    """What a leading capability puts at the top of the pack's PDF and JSON.

    Attributes:
        key: its name in the JSON (``lead.<key>``).
        title: the PDF heading.
        tables: (header, rows, column widths in mm) drawn in order, each after the note of the same index.
        notes: a sentence before each table ("" for none), e.g. counts or "nothing waits".
        data: the JSON-able content.
    """

    key: str
    title: str
    tables: list[tuple[list[str], list[list[str]], list[float]]]
    notes: list[str]
    data: dict[str, Any]


# The same panels for the PDF and the JSON: (session, viewer or None for the CLI, today, group slug or "", period
# label) → section.
PackSectionSource = Callable[[Session, User | None, date, str, str], PackSection | None]
PACK_SECTIONS: list[PackSectionSource] = []


def register_pack_section(source: PackSectionSource) -> None:
    """Add a section to the top of the pack's PDF and JSON (at import time; registering twice is harmless)."""
    if source not in PACK_SECTIONS:
        PACK_SECTIONS.append(source)


def pack_sections(session: Session, actor: User | None, *, today: date, group_slug: str | None, period: str) -> list[PackSection]:
    """The registered sections for this pack, in registration order."""
    return [found for source in PACK_SECTIONS if (found := source(session, actor, today, group_slug or "", period)) is not None]
