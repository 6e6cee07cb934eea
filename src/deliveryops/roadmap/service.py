"""Use cases: a group's roadmap (with an unstored what-if beside it), a team's calendar and its roadmap plan.

Reading: whoever may see the group reads its roadmap and its teams' calendars. Editing a team's
calendar and plan: Product Ops, leaders, admins and the team's delivery managers. ``actor=None`` is
the trusted local caller (CLI, demo).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.analytics.flow import throughput
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.flow.data import load_team_data
from deliveryops.flow.models import Forecast
from deliveryops.flow.service import CalendarForecast, open_epics, register_calendar_forecast, today_in
from deliveryops.flow.timeline import counted_timeline, team_timeline
from deliveryops.roadmap.engine import (
    Absence,
    Calendar,
    Rule,
    cut_line,
    public_holidays,
    shared_thresholds,
    simulate_counts,
    simulate_thresholds,
    supported_countries,
)
from deliveryops.roadmap.models import RoadmapEpic, RoadmapPlan, TeamAbsence, TeamCalendar
from deliveryops.teams.models import Group, Team
from deliveryops.teams.service import can_manage_team, get_group_or_raise, get_team_or_raise

__all__ = [
    "TRIALS",
    "WINDOW_DAYS",
    "EpicRow",
    "Roadmap",
    "TeamRoadmap",
    "TeamWhatIf",
    "absences_of",
    "add_absence",
    "calendar_of",
    "calendar_view",
    "can_edit",
    "delete_absence",
    "group_roadmap",
    "read_team",
    "set_calendar",
    "set_plan",
    "team_for_edit",
    "team_id_by_slug",
    "team_plan",
    "team_roadmap",
]

WINDOW_DAYS = 90
TRIALS = 10_000
MAX_DAYS = 730
MAX_EPICS = 50
EDITOR_ROLES = (Role.ADMIN, Role.PRODUCT_OPS, Role.LEADER)


@dataclass(frozen=True)
class TeamWhatIf:
    """Changes to one team's plan to try without storing them; None leaves that part as stored."""

    rule: Rule | None = None
    order: tuple[str, ...] | None = None
    shares: Mapping[str, int] | None = None
    absences: tuple[Absence, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether it changes nothing."""
        return self.rule is None and self.order is None and not self.shares and not self.absences


@dataclass(frozen=True)
class EpicRow:
    """One epic on the roadmap: its dates when sharing the team, and alone with the team's whole throughput."""

    key: str
    title: str
    remaining: int
    total: int
    position: int
    share: int | None
    threshold: int
    p50: date | None
    p85: date | None
    alone_p50: date | None
    alone_p85: date | None
    done_by_cut: float | None
    fits: bool | None

    @property
    def days_later_p85(self) -> int | None:
        """How many days later the 85% date is because the epic shares the team (None when unknown)."""
        if self.p85 is None or self.alone_p85 is None:
            return None
        return (self.p85 - self.alone_p85).days


@dataclass(frozen=True)
class TeamRoadmap:
    """One team's lane: its rule, calendar and epics (in priority order)."""

    team: Team
    today: date
    rule: Rule
    country: str | None
    subdivision: str | None
    holidays: dict[date, str]
    absences: tuple[Absence, ...]
    epics: list[EpicRow]
    message: str | None = None
    changed: bool = False


@dataclass(frozen=True)
class Roadmap:
    """A group's roadmap on one day; ``what_if`` is the same roadmap with the what-if applied (not stored)."""

    group: Group
    cut_date: date
    teams: list[TeamRoadmap]
    what_if: list[TeamRoadmap] | None = None
    generated_at: datetime = field(default_factory=utcnow)


def can_edit(session: Session, actor: User | None, team: Team) -> bool:
    """Whether ``actor`` may change the team's calendar and roadmap plan."""
    return actor is None or actor.role in EDITOR_ROLES or can_manage_team(session, actor, team)


def team_for_edit(session: Session, actor: User | None, team_id: int) -> Team:
    team = session.get(Team, team_id) if actor is None else get_team_or_raise(session=session, actor=actor, team_id=team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    if not can_edit(session, actor, team):
        raise PermissionDeniedError("Only Product Ops, leaders and the team's delivery managers change its calendar and plan.")
    return team


def _team_for_read(session: Session, actor: User | None, team_id: int) -> Team:
    if actor is not None:
        team = session.get(Team, team_id)
        if team is None:
            raise NotFoundError(f"No team with id {team_id}.")
        if team.group_id is not None:
            get_group_or_raise(session=session, actor=actor, group_id=team.group_id)  # everyone in the group reads
            return team
        return get_team_or_raise(session=session, actor=actor, team_id=team_id)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    return team


def _calendar_row(session: Session, team_id: int) -> TeamCalendar | None:
    return session.scalar(select(TeamCalendar).where(TeamCalendar.team_id == team_id))


def calendar_of(session: Session, team: Team, *, first: date, last: date, extra: Sequence[Absence] = ()) -> Calendar:
    """The team's calendar between two dates: public holidays of its country, stored absences plus ``extra``."""
    row = _calendar_row(session, team.id)
    days = public_holidays(row.country if row else None, row.subdivision if row else None, range(first.year, last.year + 1))
    stored = session.scalars(
        select(TeamAbsence).where(TeamAbsence.team_id == team.id, TeamAbsence.end >= first, TeamAbsence.start <= last)
    )
    absences = tuple(Absence(a.start, a.end, a.percent / 100) for a in stored) + tuple(extra)
    return Calendar(holidays=frozenset(days), absences=absences)


def calendar_names(row: TeamCalendar | None, year: int) -> dict[date, str]:
    """The named public holidays of a stored calendar in ``year`` and the next."""
    return public_holidays(row.country if row else None, row.subdivision if row else None, [year, year + 1])


def set_calendar(
    *, session: Session, actor: User | None, team_id: int, country: str | None, subdivision: str | None
) -> TeamCalendar:
    """Set where the team's public holidays come from (an ISO country code, optional subdivision; None for none)."""
    team = team_for_edit(session, actor, team_id)
    country = (country or "").strip().upper() or None
    subdivision = (subdivision or "").strip().upper() or None
    known = supported_countries()
    if country is not None and country not in known:
        raise ValidationFailedError(
            f"Unknown country code {country!r}.", fields={"country": "Use an ISO 3166 code such as DE, GB or US."}
        )
    if subdivision is not None and (country is None or subdivision not in known[country]):
        raise ValidationFailedError(
            f"{country or 'No country'} has no subdivision {subdivision!r}.",
            fields={"subdivision": f"Choose one of {', '.join(known.get(country or '', [])[:20]) or 'none'}."},
        )
    row = _calendar_row(session, team.id) or TeamCalendar(team_id=team.id)
    row.country, row.subdivision = country, subdivision
    row.updated_at = utcnow()
    row.updated_by_id = actor.id if actor else None
    session.add(row)
    session.flush()
    return row


def add_absence(
    *, session: Session, actor: User | None, team_id: int, start: date, end: date, percent: int, note: str = ""
) -> TeamAbsence:
    """Plan an absence: ``percent`` (1-100) of the team's capacity away from ``start`` to ``end`` inclusive."""
    team = team_for_edit(session, actor, team_id)
    errors = {}
    if end < start:
        errors["end"] = "The end must be on or after the start."
    elif (end - start).days > 366:
        errors["end"] = "Plan at most a year at a time."
    if not 1 <= percent <= 100:
        errors["percent"] = "Give a share of capacity from 1 to 100%."
    if len(note) > 200:
        errors["note"] = "Use at most 200 characters."
    if errors:
        raise ValidationFailedError(" ".join(errors.values()), fields=errors)
    row = TeamAbsence(
        team_id=team.id, start=start, end=end, percent=percent, note=note.strip(), created_by_id=actor.id if actor else None
    )
    session.add(row)
    session.flush()
    return row


def delete_absence(*, session: Session, actor: User | None, team_id: int, absence_id: int) -> None:
    """Remove a planned absence of the team."""
    team = team_for_edit(session, actor, team_id)
    row = session.get(TeamAbsence, absence_id)
    if row is None or row.team_id != team.id:
        raise NotFoundError(f"No absence {absence_id} in this team.")
    session.delete(row)
    session.flush()


def absences_of(session: Session, team: Team, *, since: date) -> list[TeamAbsence]:
    """The team's stored absences that end on or after ``since``, soonest first."""
    return list(
        session.scalars(
            select(TeamAbsence).where(TeamAbsence.team_id == team.id, TeamAbsence.end >= since).order_by(TeamAbsence.start)
        )
    )


def team_plan(session: Session, team: Team) -> tuple[Rule, dict[str, tuple[int, int | None]]]:
    """The team's stored rule and, per epic key, (position, share)."""
    plan = session.scalar(select(RoadmapPlan).where(RoadmapPlan.team_id == team.id))
    rows = session.scalars(select(RoadmapEpic).where(RoadmapEpic.team_id == team.id))
    return Rule(plan.rule) if plan else Rule.PRIORITY, {r.epic_key: (r.position, r.share) for r in rows}


def set_plan(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    rule: Rule,
    order: Sequence[str],
    shares: Mapping[str, int] | None = None,
) -> RoadmapPlan:
    """Store how the team's epics share its throughput: the rule, the priority order and (for "shares") the shares.

    Args:
        session: the unit of work.
        actor: who edits (Product Ops, leaders, admins, the team's delivery managers).
        team_id: the team.
        rule: priority, even or shares.
        order: epic keys, first priority first (epics not listed follow, oldest first).
        shares: percent per epic (1-100) for ``Rule.SHARES``.
    """
    team = team_for_edit(session, actor, team_id)
    _check_plan(session, team, order, rule, shares)
    plan = session.scalar(select(RoadmapPlan).where(RoadmapPlan.team_id == team.id)) or RoadmapPlan(team_id=team.id)
    plan.rule = rule.value
    plan.updated_at = utcnow()
    plan.updated_by_id = actor.id if actor else None
    session.add(plan)
    session.execute(delete(RoadmapEpic).where(RoadmapEpic.team_id == team.id))
    for position, key in enumerate(order):
        session.add(RoadmapEpic(team_id=team.id, epic_key=key, position=position, share=(shares or {}).get(key)))
    session.flush()
    return plan


def _check_plan(session: Session, team: Team, order: Sequence[str], rule: Rule | None, shares: Mapping[str, int] | None) -> None:
    keys = [key for key, *_rest in open_epics(load_team_data(session, team))]
    if len(set(order)) != len(order):
        raise ValidationFailedError("List each epic once.", fields={"order": "An epic is listed twice."})
    unknown = [key for key in order if key not in keys]
    if unknown:
        raise ValidationFailedError(
            f"No open epic {', '.join(unknown[:5])} in {team.name}.", fields={"order": "Choose open epics of this team."}
        )
    for key, share in (shares or {}).items():
        if key not in keys:
            raise ValidationFailedError(
                f"No open epic {key} in {team.name}.", fields={"shares": "Choose open epics of this team."}
            )
        if not 1 <= share <= 100:
            raise ValidationFailedError(f"Epic {key}: give a share from 1 to 100%.", fields={"shares": "Shares are 1 to 100%."})
    if rule is Rule.SHARES:
        missing = [key for key in keys if key not in (shares or {})]
        if missing:
            raise ValidationFailedError(
                f"Give every open epic a share; missing: {', '.join(missing[:5])}.", fields={"shares": "A share per open epic."}
            )


def team_roadmap(
    session: Session,
    team: Team,
    *,
    cut_date: date | None = None,
    what_if: TeamWhatIf | None = None,
    now: datetime | None = None,
) -> TeamRoadmap:
    """One team's lane: its open epics in priority order with their shared and single-epic dates.

    The what-if replaces the stored rule, order or shares and adds absences, for this answer only.
    """
    today = today_in(team, now)
    data = load_team_data(session, team)
    stored_rule, stored = team_plan(session, team)
    change = what_if or TeamWhatIf()
    for absence in change.absences:
        if not 0 < absence.share <= 1 or absence.end < absence.start:
            raise ValidationFailedError(
                "An absence needs a start, an end on or after it and 1 to 100% of capacity.",
                fields={"absences": "Check the absence."},
            )
    if change.order is not None or change.shares:
        _check_plan(session, team, change.order or (), None, change.shares)
    rule = change.rule or stored_rule
    epics = open_epics(data, team_timeline(session, team))[:MAX_EPICS]
    by_key = {key: (title, len(unfinished), total) for key, title, unfinished, total in epics}
    order_keys = list(change.order) if change.order is not None else sorted(by_key, key=lambda k: stored.get(k, (10**6, None))[0])
    order_keys = [k for k in order_keys if k in by_key] + [k for k in by_key if k not in order_keys]
    shares = {k: (change.shares or {}).get(k, stored.get(k, (0, None))[1]) for k in order_keys}
    cut = cut_date or today + timedelta(days=91)
    window_end = today - timedelta(days=1)
    window_start = window_end - timedelta(days=WINDOW_DAYS - 1)
    calendar = calendar_of(session, team, first=window_start, last=today + timedelta(days=MAX_DAYS), extra=change.absences)
    row = _calendar_row(session, team.id)
    horizon = today + timedelta(days=183)
    upcoming = {d: n for d, n in calendar_names(row, today.year).items() if today < d <= horizon}
    lane = TeamRoadmap(
        team=team,
        today=today,
        rule=rule,
        country=row.country if row else None,
        subdivision=row.subdivision if row else None,
        holidays=upcoming,
        absences=tuple(a for a in calendar.absences if a.end > today),
        epics=[],
        changed=not change.empty,
    )
    if not order_keys:
        return lane
    remaining = [(key, by_key[key][1]) for key in order_keys]
    effective_rule = rule
    if rule is Rule.SHARES and any(not shares.get(k) for k in order_keys):
        effective_rule = Rule.EVEN  # an epic without a stated share: fall back to an even split, and say so
    thresholds = shared_thresholds(remaining, effective_rule, {k: float(v or 0) for k, v in shares.items()})
    timeline = counted_timeline(session, team)
    window = [int(v) for v in throughput(timeline, start=window_start, end=window_end, freq="day")["finished"].to_list()]
    try:
        results = simulate_thresholds(
            window,
            window_start=window_start,
            calendar=calendar,
            start_date=today,
            thresholds=[*thresholds.values(), *(count for _key, count in remaining)],
            trials=TRIALS,
            seed=zlib.crc32(team.slug.encode()),
            max_days=MAX_DAYS,
            cut_date=cut,
        )
    except ValueError as exc:
        return _with(lane, epics=[], message=str(exc))
    rows = []
    for position, (key, count) in enumerate(remaining):
        title, _left, total = by_key[key]
        shared, alone = results[thresholds[key]], results[count]
        rows.append(
            EpicRow(
                key=key,
                title=title,
                remaining=count,
                total=total,
                position=position,
                share=shares.get(key) if effective_rule is Rule.SHARES else None,
                threshold=thresholds[key],
                p50=shared.dates[50],
                p85=shared.dates[85],
                alone_p50=alone.dates[50],
                alone_p85=alone.dates[85],
                done_by_cut=shared.done_by_cut,
                fits=cut_line(shared.done_by_cut),
            )
        )
    message = None
    if effective_rule is not rule:
        message = "Some open epics have no stated share, so the epics are shown shared evenly."
    return _with(lane, epics=rows, message=message, rule=effective_rule)


def _with(lane: TeamRoadmap, **changes: object) -> TeamRoadmap:
    return replace(lane, **changes)  # type: ignore[arg-type]


def group_roadmap(
    *,
    session: Session,
    actor: User | None,
    group_id: int | None = None,
    slug: str | None = None,
    cut_date: date | None = None,
    what_if: Mapping[int, TeamWhatIf] | None = None,
    now: datetime | None = None,
) -> Roadmap:
    """A group's roadmap: every team's open epics with dates that share the team's capacity.

    Args:
        session: the unit of work.
        actor: who reads (anyone who may see the group); None for the CLI.
        group_id: the group, or ``slug``.
        slug: the group's slug.
        cut_date: the cut line's date (default: 13 weeks from today).
        what_if: per team id, changes to try; the answer then carries ``what_if`` beside the stored plan.
        now: the current instant (tests pass it).
    """
    if actor is not None:
        group = get_group_or_raise(session=session, actor=actor, group_id=group_id, slug=slug)
    else:
        group_row = (
            session.get(Group, group_id) if group_id is not None else session.scalar(select(Group).where(Group.slug == slug))
        )
        if group_row is None:
            raise NotFoundError(f"No group {group_id if group_id is not None else slug!r}.")
        group = group_row
    moment = now or utcnow()
    teams = sorted(group.teams, key=lambda t: t.name)
    known = {t.id for t in teams}
    for team_id in what_if or {}:
        if team_id not in known:
            raise ValidationFailedError(
                f"Team {team_id} is not in {group.name}.", fields={"team_id": "Choose a team of this group."}
            )
    cut = cut_date or (moment.date() + timedelta(days=91))
    if not moment.date() < cut <= moment.date() + timedelta(days=MAX_DAYS):
        raise ValidationFailedError(
            "Choose a cut date after today and within two years.", fields={"cut_date": "After today, within two years."}
        )
    lanes = [team_roadmap(session, team, cut_date=cut, now=moment) for team in teams]
    alternative = None
    if what_if and any(not change.empty for change in what_if.values()):
        alternative = [
            team_roadmap(session, team, cut_date=cut, what_if=what_if.get(team.id), now=moment) if team.id in what_if else lane
            for team, lane in zip(teams, lanes, strict=True)
        ]
    return Roadmap(group=group, cut_date=cut, teams=lanes, what_if=alternative, generated_at=moment)


def _calendar_days(holidays: Sequence[date], absences: Sequence[Absence]) -> str:
    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return f"{count(len(holidays), 'public holiday')} on weekdays and {count(len(absences), 'planned absence')}"


def forecast_on_calendar(session: Session, team: Team, row: Forecast) -> CalendarForecast | None:
    """A stored "when" or "how many" forecast run again on the team's calendar, from its own throughput window,
    day and seed (None when the team has no country and no absence in the forecast's span)."""
    calendar_row = _calendar_row(session, team.id)
    last = row.by_date or row.start_date + timedelta(days=MAX_DAYS)
    calendar = calendar_of(session, team, first=row.window_start, last=last)
    has_absence = any(a.end > row.start_date for a in calendar.absences)
    if (calendar_row is None or not calendar_row.country) and not has_absence:
        return None
    span_end = row.by_date or last
    holidays = sorted(d for d in calendar.holidays if row.start_date < d <= span_end and d.weekday() not in (5, 6))
    absences = [a for a in calendar.absences if a.end > row.start_date and a.start <= span_end]
    where = (
        f"{calendar_row.country}{'-' + calendar_row.subdivision if calendar_row.subdivision else ''}"
        if (calendar_row and calendar_row.country)
        else "no country set"
    )
    levels = [int(level) for level in row.predicted]
    try:
        if row.kind == "how_many" and row.by_date is not None:
            counts = simulate_counts(
                row.window_throughput,
                window_start=row.window_start,
                calendar=calendar,
                start_date=row.start_date,
                by_date=row.by_date,
                levels=levels,
                trials=row.trials,
                seed=row.seed,
            )
            note = f"On the team calendar ({where}): {_calendar_days(holidays, absences)} until {row.by_date.isoformat()}."
            return CalendarForecast(dates={}, counts=counts, note=note)
        results = simulate_thresholds(
            row.window_throughput,
            window_start=row.window_start,
            calendar=calendar,
            start_date=row.start_date,
            thresholds=[int(row.remaining_items or 0)],
            trials=row.trials,
            seed=row.seed,
            max_days=MAX_DAYS,
        )
    except ValueError:
        return None
    found = results[int(row.remaining_items or 0)]
    days = dict(found.dates)
    shown = [d for d in days.values() if d is not None]
    until = max(shown) if shown else last
    holidays = [d for d in holidays if d <= until]
    absences = [a for a in absences if a.start <= until]
    note = f"On the team calendar ({where}): {_calendar_days(holidays, absences)} before {until.isoformat()}."
    return CalendarForecast(dates=days, counts={}, note=note)


register_calendar_forecast(forecast_on_calendar)


def calendar_view(session: Session, team: Team) -> tuple[str | None, str | None, dict[date, str], list[TeamAbsence]]:
    """Country, subdivision, the public holidays of the next six months and the absences still to come."""
    today = today_in(team)
    row = _calendar_row(session, team.id)
    horizon = today + timedelta(days=183)
    upcoming = {d: n for d, n in calendar_names(row, today.year).items() if today <= d <= horizon}
    return (row.country if row else None, row.subdivision if row else None, upcoming, absences_of(session, team, since=today))


def team_id_by_slug(session: Session, slug: str) -> int:
    """The id of the team with ``slug``."""
    found = session.scalar(select(Team.id).where(Team.slug == slug))
    if found is None:
        raise NotFoundError(f"No team {slug!r}.")
    return found


def read_team(session: Session, actor: User | None, team_id: int) -> Team:
    """The team, if ``actor`` may read its roadmap and calendar (anyone in its group)."""
    return _team_for_read(session, actor, team_id)
