"""Use cases for team flow: the metrics of a period, and forecasts that keep score of themselves."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import polars as pl
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.analytics import forecast as mc
from deliveryops.analytics.allocation import Allocation, forecast_shared
from deliveryops.analytics.flow import FlowSummary, flow_summary, throughput
from deliveryops.db import fetch_page, utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.flow.as_of import known_at, resolve_as_of
from deliveryops.flow.data import TeamData, load_team_data
from deliveryops.flow.models import Forecast
from deliveryops.flow.timeline import DEFAULT_EXCLUDED_TYPES, default_types, of_types, team_timeline, timeline_of
from deliveryops.schemas import PageParams
from deliveryops.teams.models import Team
from deliveryops.teams.service import get_team_or_raise, team_ids_of

__all__ = [
    "COMMITMENTS",
    "DEFAULT_EXCLUDED_TYPES",
    "CalendarForecast",
    "FlowQuery",
    "calendar_forecast",
    "calibration",
    "commit_forecast",
    "create_how_many",
    "create_when",
    "default_types",
    "forecast_epics",
    "forecast_items",
    "forecasts_page",
    "get_forecast",
    "held_85",
    "list_forecasts",
    "open_epics",
    "outcome_of",
    "register_calendar_forecast",
    "score_forecasts",
    "team_flow",
    "today_in",
]

MAX_RANGE_DAYS = 3 * 366
# Why a forecast is scored: marked as the team's plan, shared, exported, put in the leadership pack.
COMMITMENTS = ("plan", "shared", "exported", "pack")
Commitment = Literal["plan", "shared", "exported", "pack"]


@dataclass(frozen=True)
class CalendarForecast:
    """A stored forecast run again on the team's calendar (public holidays, planned absence).

    Attributes:
        dates: for "when": confidence level → date (None beyond the horizon).
        counts: for "how many": confidence level → at least this many items.
        note: what the calendar holds in the forecast's span, in words.
    """

    dates: dict[int, date | None]
    counts: dict[int, int]
    note: str


# Who runs a forecast on a team calendar (the roadmap registers itself; flow does not import it).
CalendarForecaster = Callable[[Session, Team, Forecast], CalendarForecast | None]
_CALENDAR_FORECASTERS: list[CalendarForecaster] = []


def register_calendar_forecast(forecaster: CalendarForecaster) -> None:
    """Let the forecast pages show a forecast on the team's calendar (registering twice is harmless)."""
    if forecaster not in _CALENDAR_FORECASTERS:
        _CALENDAR_FORECASTERS.append(forecaster)


def calendar_forecast(session: Session, team: Team, row: Forecast) -> CalendarForecast | None:
    """``row`` (a "when" or "how many" forecast) on the team's calendar; None when the team has none."""
    for forecaster in _CALENDAR_FORECASTERS:
        found = forecaster(session, team, row)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class FlowQuery:
    """What the flow page asks for."""

    start: date
    end: date
    types: list[str]
    freq: Literal["day", "week"] = "week"
    sle_days: int | None = None


def _team(session: Session, actor: User | None, team_id: int) -> Team:
    # actor None is the trusted local caller (the CLI); everyone else goes through the team scope.
    if actor is not None:
        return get_team_or_raise(session=session, actor=actor, team_id=team_id)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    return team


def today_in(team: Team, now: datetime | None = None) -> date:
    """Today's date in the team's time zone."""
    return (now or utcnow()).astimezone(team.zone).date()


def team_flow(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    start: date | None = None,
    end: date | None = None,
    types: list[str] | None = None,
    freq: Literal["day", "week"] = "week",
    sle_days: int | None = None,
    now: datetime | None = None,
    as_of: date | None = None,
) -> tuple[Team, FlowQuery, FlowSummary, TeamData]:
    """Compute the team's flow metrics for a period (default: the last 90 days).

    Args:
        session: the unit of work.
        actor: who asks; must be allowed to see the team.
        team_id: the team.
        start: first day (team time zone); default 89 days before ``end``.
        end: last day, inclusive; default today.
        types: item types to include; default all but epics.
        freq: throughput and net-flow buckets.
        sle_days: an SLE set by hand; default the 85th percentile of the last 90 days.
        now: the current instant (tests pass it).
        as_of: evaluate as if today were this day: only what was known by its end counts.

    Returns:
        The team, the normalised query, the summary and the data it was computed from.
    """
    team = _team(session, actor, team_id)
    data, now = _history(session, team, as_of, now)
    end = end or today_in(team, now)
    start = start or end - timedelta(days=89)
    errors: dict[str, str] = {}
    if start > end:
        errors["from"] = "The start must be on or before the end."
    if (end - start).days > MAX_RANGE_DAYS:
        errors["from"] = "Choose a period of at most three years."
    if as_of is not None and end > as_of:
        errors["to"] = "The end is after as_of: choose an end on or before it."
    if sle_days is not None and sle_days < 1:
        errors["sle"] = "An SLE is at least 1 day."
    if errors:
        raise ValidationFailedError("; ".join(errors.values()), fields=errors)
    chosen = types if types else default_types(data)
    query = FlowQuery(start=start, end=end, types=chosen, freq=freq, sle_days=sle_days)
    subset = data.only_types(chosen)
    summary = flow_summary(
        subset.transitions,
        subset.items,
        subset.blocked,
        workflow=subset.workflow,
        zone=subset.zone,
        start=start,
        end=end,
        now=now,
        freq=freq,
        sle_days=sle_days,
    )
    return team, query, summary, data


def _history(session: Session, team: Team, as_of: date | None, now: datetime | None) -> tuple[TeamData, datetime]:
    """The team's history and the instant to evaluate it at: now, or the end of the ``as_of`` day."""
    data = load_team_data(session, team)
    now = now or utcnow()
    if as_of is None:
        return data, now
    at = resolve_as_of(data, team.zone, as_of, now)
    return known_at(data, at), at


def _timeline(session: Session, team: Team, data: TeamData, as_of: date | None) -> pl.DataFrame:
    """The per-item timeline of ``data`` as :func:`_history` returned it: the shared one, or built for an as_of cut."""
    return team_timeline(session, team) if as_of is None else timeline_of(data)


def _check_as_of_commitment(team: Team, as_of: date | None, commitment: Commitment | None, now: datetime | None) -> None:
    if commitment is not None and as_of is not None and as_of < today_in(team, now):
        message = "A forecast as of an earlier day is a what-if: it cannot be committed."
        raise ValidationFailedError(message, fields={"as_of": message})


def _window(timeline: pl.DataFrame, today: date, window_days: int) -> tuple[date, date, list[int]]:
    if not 7 <= window_days <= 730:
        raise ValidationFailedError("The throughput window is 7 to 730 days.", fields={"window_days": "Choose 7 to 730 days."})
    window_end = today - timedelta(days=1)  # complete days only
    window_start = window_end - timedelta(days=window_days - 1)
    daily = throughput(timeline, start=window_start, end=window_end, freq="day")
    return window_start, window_end, [int(v) for v in daily["finished"].to_list()]


def _unfinished_keys(timeline: pl.DataFrame, keys: list[str]) -> list[str]:
    done = set(timeline.filter(pl.col("finished_at").is_not_null() | pl.col("discarded_at").is_not_null())["key"].to_list())
    return [key for key in keys if key not in done]


def _epic_children(data: TeamData, epic_key: str) -> tuple[str, list[str]]:
    epic = data.items.filter(pl.col("key") == epic_key)
    if epic.is_empty():
        raise ValidationFailedError(f"No item {epic_key!r} in this team.", fields={"epic": "Choose an epic of this team."})
    children = data.items.filter(pl.col("parent_key") == epic_key)["key"].to_list()
    return str(epic["title"][0]), [str(key) for key in children]


def create_when(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    remaining_items: int | None = None,
    epic_key: str | None = None,
    item_keys: list[str] | None = None,
    window_days: int = 90,
    trials: int = 10_000,
    seed: int | None = None,
    target_date: date | None = None,
    types: list[str] | None = None,
    now: datetime | None = None,
    commitment: Commitment | None = None,
    as_of: date | None = None,
) -> tuple[Forecast, mc.WhenForecast]:
    """Forecast when N items (or an epic's unfinished children, or a list of items) will be done, and store it.

    The forecast is stored as a what-if unless ``commitment`` says why it is the team's commitment
    (see :func:`commit_forecast`); only commitments are scored. One question (team, kind, day, work,
    dates, types, window) has one record: asking it again replaces a what-if, and returns an existing
    commitment unchanged (replayed from its seed).

    Args:
        session: the unit of work.
        actor: who asks (anyone who may see the team).
        team_id: the team.
        remaining_items: N, when forecasting a number of items.
        epic_key: or an epic: its unfinished children are the work.
        item_keys: or a list of items: those not finished are the work.
        window_days: length of the throughput window, ending yesterday.
        trials: Monte Carlo trials (at least 10,000).
        seed: for reproducing a forecast; a new one is drawn when omitted.
        target_date: report the probability of finishing by then.
        types: item types whose throughput counts; default all but epics.
        now: the current instant.
        commitment: None for a what-if; "plan", "shared", "exported" or "pack" to commit it.
        as_of: forecast as if today were this day, from what was known by its end (a what-if only).

    Returns:
        The stored forecast and the full result (histogram included).
    """
    team = _team(session, actor, team_id)
    data, at = _history(session, team, as_of, now)
    _check_as_of_commitment(team, as_of, commitment, now)
    today = today_in(team, at)
    timeline = _timeline(session, team, data, as_of)
    keys: list[str] = []
    if epic_key:
        title, children = _epic_children(data, epic_key.strip())
        keys = _unfinished_keys(timeline, children)
        label = f"Epic {epic_key.strip()} ({title}): {len(keys)} unfinished of {len(children)} items"
        if not keys:
            message = f"Epic {epic_key.strip()} has no unfinished items ({len(children)} in all): there is nothing to forecast."
            raise ValidationFailedError(message, fields={"epic": message})
    elif item_keys:
        wanted = [key.strip() for key in item_keys if key.strip()]
        unknown = sorted(set(wanted) - set(data.items["key"].to_list()))
        if unknown:
            raise ValidationFailedError(f"Unknown items: {', '.join(unknown[:5])}.", fields={"items": "unknown keys"})
        keys = _unfinished_keys(timeline, wanted)
        label = f"{len(keys)} unfinished of {len(wanted)} listed items"
        if not keys:
            message = f"All {len(wanted)} listed items are finished: there is nothing to forecast."
            raise ValidationFailedError(message, fields={"item_keys": message})
    elif remaining_items is not None:
        if not 1 <= remaining_items <= 100_000:
            message = "Forecast 1 to 100,000 items; with 0 items left there is nothing to forecast."
            raise ValidationFailedError(message, fields={"items": message})
        label = f"{remaining_items} items"
    else:
        raise ValidationFailedError("Say how many items, or which epic or items.", fields={"items": "required"})
    remaining = len(keys) if (epic_key or item_keys) else int(remaining_items or 0)
    chosen = types or default_types(data)
    window_start, window_end, window = _window(of_types(timeline, chosen), today, window_days)
    seed = seed if seed is not None else mc.new_seed()
    try:
        result = mc.forecast_when(
            window, remaining_items=remaining, start_date=today, trials=trials, seed=seed, target_date=target_date
        )
    except mc.ForecastInputError as exc:
        raise ValidationFailedError(str(exc), fields={"forecast": str(exc)}) from None
    row = Forecast(
        team_id=team.id,
        user_id=actor.id if actor else None,
        kind="when",
        label=label,
        start_date=today,
        window_start=window_start,
        window_end=window_end,
        window_throughput=window,
        item_types=chosen,
        trials=trials,
        seed=seed,
        remaining_items=remaining,
        item_keys=keys,
        target_date=target_date,
        predicted={str(level): value.isoformat() if value else None for level, value in result.dates.items()},
        probability_by_target=result.probability_by_target,
        message=result.message,
    )
    stored = _store(session, actor, row, commitment=commitment, now=now)
    if stored is not row:
        replayed = replay(stored)
        assert isinstance(replayed, mc.WhenForecast)
        return stored, replayed
    return row, result


def create_how_many(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    by_date: date,
    window_days: int = 90,
    trials: int = 10_000,
    seed: int | None = None,
    types: list[str] | None = None,
    now: datetime | None = None,
    commitment: Commitment | None = None,
    as_of: date | None = None,
) -> tuple[Forecast, mc.HowManyForecast]:
    """Forecast how many items the team finishes by ``by_date``, and store it (a what-if unless committed).

    ``as_of`` forecasts as if today were that day, from what was known by its end (a what-if only).

    Returns:
        The stored forecast and the full result.
    """
    team = _team(session, actor, team_id)
    data, at = _history(session, team, as_of, now)
    _check_as_of_commitment(team, as_of, commitment, now)
    today = today_in(team, at)
    if by_date <= today:
        raise ValidationFailedError("Choose a date after today.", fields={"by": "Choose a date after today."})
    chosen = types or default_types(data)
    window_start, window_end, window = _window(of_types(_timeline(session, team, data, as_of), chosen), today, window_days)
    seed = seed if seed is not None else mc.new_seed()
    try:
        result = mc.forecast_how_many(window, by_date=by_date, start_date=today, trials=trials, seed=seed)
    except mc.ForecastInputError as exc:
        raise ValidationFailedError(str(exc), fields={"forecast": str(exc)}) from None
    row = Forecast(
        team_id=team.id,
        user_id=actor.id if actor else None,
        kind="how_many",
        label=f"Items finished by {by_date.isoformat()}",
        start_date=today,
        window_start=window_start,
        window_end=window_end,
        window_throughput=window,
        item_types=chosen,
        trials=trials,
        seed=seed,
        by_date=by_date,
        item_keys=[],  # set here, not by the column default: a replaced what-if copies it before any flush
        predicted={str(level): value for level, value in result.counts.items()},
        message=result.message,
    )
    stored = _store(session, actor, row, commitment=commitment, now=now)
    if stored is not row:
        replayed = replay(stored)
        assert isinstance(replayed, mc.HowManyForecast)
        return stored, replayed
    return row, result


def commit_key(row: Forecast) -> str:
    """The question a forecast answers, as a short hash: team, kind, day, work, dates, types and window.

    The seed and the number of trials are not part of it: asking the same question again with another
    seed is the same question.
    """
    question = {
        "team": row.team_id,
        "kind": row.kind,
        "label": row.label,
        "start": row.start_date.isoformat(),
        "window": [row.window_start.isoformat(), row.window_end.isoformat()],
        "types": sorted(row.item_types or []),
        "remaining": row.remaining_items,
        "keys": list(row.item_keys or []),
        "by": row.by_date.isoformat() if row.by_date else None,
        "target": row.target_date.isoformat() if row.target_date else None,
        "allocation": row.allocation,
    }
    return hashlib.sha256(json.dumps(question, sort_keys=True).encode()).hexdigest()


_COPIED = (
    "user_id",
    "label",
    "window_throughput",
    "trials",
    "seed",
    "item_keys",
    "predicted",
    "probability_by_target",
    "message",
    "allocation",
)


def _store(
    session: Session, actor: User | None, row: Forecast, *, commitment: Commitment | None, now: datetime | None
) -> Forecast:
    """Store ``row`` once per question: replace an earlier what-if, keep an earlier commitment."""
    if commitment is not None:
        _check_commit(session, actor, row.team_id, commitment)
    row.commit_key = commit_key(row)
    existing = session.scalar(select(Forecast).where(Forecast.team_id == row.team_id, Forecast.commit_key == row.commit_key))
    if existing is not None and existing.commitment is not None:
        return existing
    if existing is not None:
        for name in _COPIED:
            setattr(existing, name, getattr(row, name))
        existing.created_at = now or utcnow()
        target = existing
    else:
        target = row
    if commitment is not None:
        _mark(target, actor, commitment, now)
    if existing is None:
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            # Someone stored the same question at the same moment: theirs is the record.
            found = session.scalar(select(Forecast).where(Forecast.team_id == row.team_id, Forecast.commit_key == row.commit_key))
            if found is None:  # pragma: no cover - the constraint fired, so the row exists
                raise
            if commitment is not None and found.commitment is None:
                _mark(found, actor, commitment, now)
            target = found
    session.flush()
    return target


def _mark(row: Forecast, actor: User | None, commitment: Commitment, now: datetime | None) -> None:
    row.commitment = commitment
    row.committed_at = now or utcnow()
    row.committed_by_id = actor.id if actor else None


def _check_commit(session: Session, actor: User | None, team_id: int, commitment: Commitment) -> None:
    if commitment not in COMMITMENTS:
        raise ValidationFailedError(
            f"Commit a forecast as one of {', '.join(COMMITMENTS)}, not {commitment!r}.",
            fields={"commitment": "Choose plan, shared, exported or pack."},
        )
    # Only the team (its members) or an admin marks a forecast as the team's plan; whoever may see the
    # team may share or export it.
    member = actor is None or actor.role is Role.ADMIN or team_id in team_ids_of(session, actor)
    if commitment == "plan" and not member:
        raise PermissionDeniedError("Only the team's members mark a forecast as the team's plan.")


def commit_forecast(
    *,
    session: Session,
    actor: User | None,
    forecast_id: int,
    commitment: Commitment = "plan",
    now: datetime | None = None,
) -> Forecast:
    """Mark a stored what-if as a commitment, so that it is scored. Idempotent.

    Committing a forecast that is already a commitment returns it unchanged (its first reason stays).

    Args:
        session: the unit of work.
        actor: who commits: a member of the team or an admin for "plan"; anyone who may see the team
            for "shared", "exported" and "pack"; None for the trusted CLI.
        forecast_id: the forecast.
        commitment: why it is scored.
        now: the current instant.

    Returns:
        The committed forecast.
    """
    row = get_forecast(session=session, actor=actor, forecast_id=forecast_id)
    _check_commit(session, actor, row.team_id, commitment)
    if row.commitment is None:
        _mark(row, actor, commitment, now)
        session.flush()
    return row


def open_epics(data: TeamData, timeline: pl.DataFrame | None = None) -> list[tuple[str, str, list[str], int]]:
    """The team's epics with unfinished children, oldest first (the default priority order).

    Args:
        data: the team's history.
        timeline: its per-item timeline, when the caller has it (else built once here).

    Returns:
        (key, title, unfinished child keys, all children) per epic.
    """
    timeline = timeline_of(data) if timeline is None else timeline
    epics = data.items.filter(pl.col("item_type") == "Epic").sort("created_at", "key")
    found = []
    for key, title in epics.select("key", "title").iter_rows():
        children = [str(k) for k in data.items.filter(pl.col("parent_key") == key)["key"].to_list()]
        unfinished = _unfinished_keys(timeline, children)
        if unfinished:
            found.append((str(key), str(title), unfinished, len(children)))
    return found


def forecast_epics(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    epic_keys: list[str] | None = None,
    allocation: Allocation = Allocation.PRIORITY,
    window_days: int = 90,
    trials: int = 10_000,
    seed: int | None = None,
    types: list[str] | None = None,
    now: datetime | None = None,
    commitment: Commitment | None = None,
) -> tuple[list[tuple[Forecast, mc.WhenForecast]], Allocation]:
    """Forecast several epics of one team that share its throughput, and store each (a what-if unless committed).

    Args:
        session: the unit of work.
        actor: who asks (anyone who may see the team).
        team_id: the team.
        epic_keys: the epics in priority order; None for every epic with unfinished children, oldest first.
        allocation: "priority" (one after another, in the order given) or "even" (equal shares of each
            day's throughput; see :mod:`deliveryops.analytics.allocation`).
        window_days: length of the throughput window, ending yesterday.
        trials: Monte Carlo trials per epic.
        seed: the first epic's seed; epic i uses seed + i.
        types: item types whose throughput counts; default all but epics.
        now: the current instant.
        commitment: None for what-ifs; else why they are scored.

    Returns:
        Each epic's stored forecast and result, in priority order, and the rule used. Each forecast's
        ``allocation`` says the rule as it applied to that epic; its ``remaining_items`` is the number of
        the team's items that must finish before the epic is done.
    """
    team = _team(session, actor, team_id)
    data = load_team_data(session, team)
    today = today_in(team, now)
    timeline = team_timeline(session, team)
    known = {key: (title, unfinished, total) for key, title, unfinished, total in open_epics(data, timeline)}
    if epic_keys is None:
        chosen_keys = list(known)
    else:
        chosen_keys = [key.strip() for key in epic_keys if key.strip()]
        if len(set(chosen_keys)) != len(chosen_keys):
            raise ValidationFailedError("List each epic once.", fields={"epics": "An epic is listed twice."})
        epics = set(data.items.filter(pl.col("item_type") == "Epic")["key"].to_list())
        unknown = [key for key in chosen_keys if key not in epics]
        if unknown:
            raise ValidationFailedError(
                f"No epic {', '.join(unknown[:5])} in this team.", fields={"epics": "Choose epics of this team."}
            )
    if not chosen_keys:
        raise ValidationFailedError("The team has no epic with unfinished items.", fields={"epics": "No open epic."})
    if len(chosen_keys) > 50:
        raise ValidationFailedError("Forecast at most 50 epics at once.", fields={"epics": "At most 50 epics."})
    details = {}
    for key in chosen_keys:
        if key in known:
            details[key] = known[key]
        else:  # an epic whose children are all finished
            title, children = _epic_children(data, key)
            details[key] = (title, [], len(children))
    remaining = [(key, len(details[key][1])) for key in chosen_keys]
    chosen_types = types or default_types(data)
    window_start, window_end, window = _window(of_types(timeline, chosen_types), today, window_days)
    seed = seed if seed is not None else mc.new_seed()
    try:
        shares = forecast_shared(
            window, remaining=remaining, allocation=Allocation(allocation), start_date=today, seed=seed, trials=trials
        )
    except mc.ForecastInputError as exc:
        raise ValidationFailedError(str(exc), fields={"forecast": str(exc)}) from None
    out = []
    for share in shares:
        title, unfinished, total = details[share.key]
        row = Forecast(
            team_id=team.id,
            user_id=actor.id if actor else None,
            kind="when",
            label=f"Epic {share.key} ({title}): {len(unfinished)} unfinished of {total} items",
            start_date=today,
            window_start=window_start,
            window_end=window_end,
            window_throughput=window,
            item_types=chosen_types,
            trials=trials,
            seed=(seed + share.position) % 2**63,
            remaining_items=share.threshold,
            item_keys=unfinished,
            predicted={str(level): v.isoformat() if v else None for level, v in share.forecast.dates.items()},
            message=share.forecast.message,
            allocation=share.rule[:200],
        )
        stored = _store(session, actor, row, commitment=commitment, now=now)
        result = share.forecast if stored is row else replay(stored)
        assert isinstance(result, mc.WhenForecast)
        out.append((stored, result))
    return out, Allocation(allocation)


def forecast_items(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    item_keys: list[str],
    by_date: date,
    window_days: int = 90,
    trials: int = 10_000,
    seed: int | None = None,
    now: datetime | None = None,
) -> mc.ItemsForecast:
    """For an ordered list of items, the chance that each is done by ``by_date`` (not stored)."""
    team = _team(session, actor, team_id)
    data = load_team_data(session, team)
    today = today_in(team, now)
    wanted = [key.strip() for key in item_keys if key.strip()]
    if not wanted:
        raise ValidationFailedError("List at least one item.", fields={"items": "required"})
    timeline = team_timeline(session, team)
    unfinished = _unfinished_keys(timeline, wanted)
    _ws, _we, window = _window(of_types(timeline, default_types(data)), today, window_days)
    try:
        return mc.forecast_items(
            window,
            ordered_items=unfinished,
            by_date=by_date,
            start_date=today,
            trials=trials,
            seed=seed if seed is not None else mc.new_seed(),
        )
    except mc.ForecastInputError as exc:
        raise ValidationFailedError(str(exc), fields={"forecast": str(exc)}) from None


def list_forecasts(
    *, session: Session, actor: User | None, team_id: int, limit: int = 50, committed: bool | None = None
) -> list[Forecast]:
    """The team's forecasts, newest first: all, only commitments (``committed=True``) or only what-ifs."""
    return list(session.scalars(_forecasts(session, actor, team_id, committed).limit(limit)))


def forecasts_page(
    *, session: Session, actor: User | None, team_id: int, page: PageParams, committed: bool | None = None
) -> tuple[list[Forecast], int]:
    """One page of the team's forecasts, newest first, and how many there are (filtered as :func:`list_forecasts`)."""
    return fetch_page(session, _forecasts(session, actor, team_id, committed), limit=page.limit, offset=page.offset)


def _forecasts(session: Session, actor: User | None, team_id: int, committed: bool | None) -> Select[Forecast]:
    team = _team(session, actor, team_id)
    statement = select(Forecast).where(Forecast.team_id == team.id)
    if committed is True:
        statement = statement.where(Forecast.commitment.is_not(None))
    elif committed is False:
        statement = statement.where(Forecast.commitment.is_(None))
    return statement.order_by(Forecast.created_at.desc(), Forecast.id.desc())


def get_forecast(*, session: Session, actor: User | None, forecast_id: int) -> Forecast:
    """One forecast, if the actor may see its team."""
    row = session.get(Forecast, forecast_id)
    if row is None:
        raise NotFoundError(f"No forecast with id {forecast_id}.")
    _team(session, actor, row.team_id)
    return row


def replay(row: Forecast) -> mc.WhenForecast | mc.HowManyForecast:
    """Recompute a stored forecast from its inputs and seed (identical to the original)."""
    if row.kind == "when":
        return mc.forecast_when(
            row.window_throughput,
            remaining_items=row.remaining_items or 0,
            start_date=row.start_date,
            trials=row.trials,
            seed=row.seed,
            target_date=row.target_date,
        )
    assert row.by_date is not None
    return mc.forecast_how_many(
        row.window_throughput, by_date=row.by_date, start_date=row.start_date, trials=row.trials, seed=row.seed
    )


def score_forecasts(session: Session, team: Team, *, now: datetime | None = None) -> int:
    """Record the actual outcome of committed forecasts whose outcome is now known (what-ifs are not scored).

    "When": the day the N-th item finished after the forecast was made (or, for an epic or a list,
    the day its last item finished). "How many": items finished after the forecast day up to and
    including its date, once that date has passed.

    Returns:
        How many forecasts were scored now.
    """
    pending = list(
        session.scalars(
            select(Forecast).where(Forecast.team_id == team.id, Forecast.scored_at.is_(None), Forecast.commitment.is_not(None))
        )
    )
    if not pending:
        return 0
    today = today_in(team, now)
    timeline = team_timeline(session, team)
    finished = timeline.filter(pl.col("finished_date").is_not_null()).select("key", "item_type", "finished_date")
    scored = 0
    for row in pending:
        rows = finished.filter(pl.col("item_type").is_in(row.item_types)) if row.item_types else finished
        if row.kind == "when" and row.item_keys:
            mine = rows.filter(pl.col("key").is_in(row.item_keys))
            if mine.height == len(row.item_keys):
                row.outcome_date = mine["finished_date"].max()  # type: ignore[assignment]
        elif row.kind == "when":
            after = sorted(d for d in rows["finished_date"].to_list() if d > row.start_date)
            needed = row.remaining_items or 0
            if needed == 0:
                row.outcome_date = row.start_date
            elif len(after) >= needed:
                row.outcome_date = after[needed - 1]
        elif row.kind == "how_many" and row.by_date is not None and today > row.by_date:
            by = row.by_date
            row.outcome_count = sum(1 for d in rows["finished_date"].to_list() if row.start_date < d <= by)
        if row.outcome_date is not None or row.outcome_count is not None:
            row.scored_at = utcnow()
            scored += 1
    session.flush()
    return scored


def outcome_of(row: Forecast) -> mc.ForecastOutcome:
    """A stored forecast as calibration scores it: what it predicted per level and what happened."""
    if row.kind == "when":
        predicted: dict[int, date | int | None] = {
            int(level): date.fromisoformat(value) if value else None for level, value in row.predicted.items()
        }
        return mc.ForecastOutcome(kind="when", predicted=predicted, actual=row.outcome_date)
    counts: dict[int, date | int | None] = {int(level): value for level, value in row.predicted.items()}
    return mc.ForecastOutcome(kind="how_many", predicted=counts, actual=row.outcome_count, horizon=row.by_date)


def held_85(row: Forecast, as_of: date) -> bool | None:
    """Whether a committed forecast's 85% percentile held (None: a what-if, or not known yet)."""
    if row.commitment is None or row.kind not in ("when", "how_many"):
        return None
    return mc.held_at(outcome_of(row), 85, as_of)


def calibration(session: Session, team: Team, *, now: datetime | None = None) -> mc.CalibrationReport:
    """How often the team's committed forecasts held, per percentile level (what-ifs are not scored)."""
    rows = session.scalars(
        select(Forecast).where(
            Forecast.team_id == team.id, Forecast.kind.in_(["when", "how_many"]), Forecast.commitment.is_not(None)
        )
    )
    outcomes = [outcome_of(row) for row in rows]
    return mc.calibration(outcomes, as_of=today_in(team, now))
