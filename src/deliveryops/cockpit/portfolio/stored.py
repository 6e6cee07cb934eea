"""A team's portfolio cells, computed once per version of what they depend on and stored for every process.

A team's cells (flow numbers, forecast calibration, DORA bands, health trend, action follow-through) cost tens of
milliseconds to hundreds of milliseconds each to compute: at 200 teams, computing them in a request took
tens of seconds. They are stored in ``derived_results`` (kind ``cockpit.team``, one scope per team), keyed by
a version of everything they depend on (:func:`versions`): the team's data version and zone, the team's day,
its actions, its scored forecasts and its health-check rounds. The job ``cockpit.refresh_portfolio`` computes
the cells whose version changed; the portfolio reads what is stored, and shows when a stored row is older than
the data ("computed at …, recomputing").
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from deliveryops.actions.models import ImprovementAction
from deliveryops.actions.service import follow_through
from deliveryops.analytics.flow import TeamFrames, stacked_flow_summaries
from deliveryops.analytics.flow.grouped import rounded_percentiles
from deliveryops.analytics.flow.metrics import sle, throughput, work_item_age
from deliveryops.analytics.forecast import CalibrationReport
from deliveryops.cockpit.portfolio import sources
from deliveryops.cockpit.portfolio.timeline import team_timeline
from deliveryops.flow.data import TeamsData, read_teams_data
from deliveryops.flow.models import Forecast
from deliveryops.flow.service import DEFAULT_EXCLUDED_TYPES, calibration, today_in
from deliveryops.health.models import HealthParticipation, HealthRound
from deliveryops.jobs import derived
from deliveryops.jobs.models import DerivedResult
from deliveryops.teams.models import Team

__all__ = [
    "KIND",
    "RECENT_DAYS",
    "WEEKS",
    "Stored",
    "TeamCells",
    "compute",
    "compute_many",
    "forget",
    "read",
    "store",
    "stored_versions",
    "versions",
    "week_range",
]

KIND = "cockpit.team"
WEEKS = 12
RECENT_DAYS = 28


def week_range(today: date) -> tuple[date, date, list[date]]:
    """The last WEEKS complete ISO weeks (Monday first), ending the Sunday before ``today``'s week."""
    this_monday = today - timedelta(days=today.weekday())
    end = this_monday - timedelta(days=1)
    start = this_monday - timedelta(weeks=WEEKS)
    return start, end, [start + timedelta(weeks=i) for i in range(WEEKS)]


@dataclass(frozen=True)
class TeamCells:
    """Everything of a team's portfolio row that is derived from its data (not its name, group or live counts)."""

    throughput: list[int]
    cycle_time_p85: int | None
    sle_days: int | None
    finished_recent: int
    aging_past_sle: int
    wip: int
    recent_cycle_times: list[int]
    calibration_85: float | None
    calibration_scored: int
    calibration_verdict: str
    dora: sources.DoraCell | None
    health: list[sources.HealthPoint]
    actions: int
    actions_done: int
    actions_measured: int
    actions_improved: int

    def encode(self) -> bytes:
        """The cells as compact JSON."""
        data = asdict(self)
        data["health"] = [
            [p.round_id, None if p.closed_at is None else p.closed_at.isoformat(), p.score, p.respondents] for p in self.health
        ]
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, payload: bytes) -> TeamCells:
        """The cells :meth:`encode` wrote."""
        data = json.loads(payload)
        data["dora"] = None if data["dora"] is None else sources.DoraCell(**data["dora"])
        data["health"] = [
            sources.HealthPoint(round_id=r, closed_at=_moment(at), score=float(score), respondents=n)
            for r, at, score, n in data["health"]
        ]
        return cls(**data)


def _moment(text: str | None) -> datetime | date | None:
    if text is None:
        return None
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


@dataclass(frozen=True)
class Stored:
    """A team's stored cells, the version they were computed for and when."""

    cells: TeamCells
    data_version: str
    computed_at: datetime


def _scope(team_id: int) -> str:
    return f"team:{team_id}"


def _by_team(rows: Iterable[Sequence[object]]) -> dict[int, list[tuple[object, ...]]]:
    grouped: dict[int, list[tuple[object, ...]]] = defaultdict(list)
    for row in rows:
        grouped[int(str(row[0]))].append(tuple(row[1:]))
    return grouped


def versions(session: Session, teams: Sequence[Team], *, now: datetime, min_group_size: int) -> dict[int, str]:
    """Each team's version of what its cells depend on, in four queries whatever the number of teams.

    Every import, sync, DORA ingest and workflow change bumps the team's ``data_version``; actions, scored
    forecasts and health-check rounds are read whole (a few rows per team), so any edit gives a new version.
    """
    ids = [team.id for team in teams]
    if not ids:
        return {}
    actions = _by_team(
        session.execute(
            select(ImprovementAction.team_id, *ImprovementAction.__table__.columns)
            .where(ImprovementAction.team_id.in_(ids))
            .order_by(ImprovementAction.id)
        ).all()
    )
    forecasts = _by_team(
        session.execute(
            select(
                Forecast.team_id,
                Forecast.id,
                Forecast.kind,
                Forecast.predicted,
                Forecast.outcome_date,
                Forecast.outcome_count,
                Forecast.by_date,
                Forecast.commitment,
            )
            .where(Forecast.team_id.in_(ids), Forecast.commitment.is_not(None))
            .order_by(Forecast.id)
        ).all()
    )
    rounds = _by_team(
        session.execute(
            select(HealthRound.team_id, HealthRound.id, HealthRound.closed_at, func.count(HealthParticipation.user_id))
            .outerjoin(HealthParticipation, HealthParticipation.round_id == HealthRound.id)
            .where(HealthRound.team_id.in_(ids))
            .group_by(HealthRound.team_id, HealthRound.id, HealthRound.closed_at)
            .order_by(HealthRound.id)
        ).all()
    )
    return {
        team.id: derived.version_of(
            team.id,
            team.created_at.isoformat(),
            team.data_version or 0,
            team.time_zone,
            today_in(team, now).isoformat(),
            min_group_size,
            actions.get(team.id, []),
            forecasts.get(team.id, []),
            rounds.get(team.id, []),
        )
        for team in teams
    }


def stored_versions(session: Session) -> dict[int, str]:
    """The version each team's stored cells were computed for (teams without stored cells are absent)."""
    rows = session.execute(select(DerivedResult.scope, DerivedResult.data_version).where(DerivedResult.kind == KIND)).all()
    return {int(scope.removeprefix("team:")): version for scope, version in rows}


def forget(session: Session, team_ids: Sequence[int]) -> None:
    """Remove the stored cells of ``team_ids`` (teams that no longer exist)."""
    if team_ids:
        session.execute(
            delete(DerivedResult).where(
                DerivedResult.kind == KIND, DerivedResult.scope.in_([_scope(team_id) for team_id in team_ids])
            )
        )


def read(session: Session, team_ids: Sequence[int]) -> dict[int, Stored]:
    """The stored cells of ``team_ids`` (any version), in one query."""
    if not team_ids:
        return {}
    rows = session.execute(
        select(DerivedResult.scope, DerivedResult.data_version, DerivedResult.computed_at, DerivedResult.payload).where(
            DerivedResult.kind == KIND, DerivedResult.scope.in_([_scope(team_id) for team_id in team_ids])
        )
    ).all()
    found: dict[int, Stored] = {}
    for scope, version, computed_at, payload in rows:
        found[int(scope.removeprefix("team:"))] = Stored(TeamCells.decode(payload), version, computed_at)
    return found


@dataclass(frozen=True)
class _FlowCells:
    throughput: list[int]
    cycle_time_p85: int | None
    sle_days: int | None
    finished_recent: int
    aging_past_sle: int
    wip: int
    recent_cycle_times: list[int]


def _flow_cells(
    keys: Sequence[str],
    timeline: pl.DataFrame,
    weekly: pl.DataFrame,
    aging: pl.DataFrame,
    targets: Sequence[int | None],
    today: date,
) -> dict[str, _FlowCells]:
    """The flow cells of the teams ``keys`` from tables of all of them (a ``team`` column of those keys, in that order).

    ``timeline`` has ``finished_date`` and ``cycle_time_days`` of every item, ``weekly`` the weeks' ``finished``
    counts, ``aging`` the ``age_days`` of the items in progress; ``targets`` is each team's SLE.
    """
    recent_start = today - timedelta(days=RECENT_DAYS - 1)
    recent = timeline.filter(pl.col("finished_date").is_between(recent_start, today))
    code = {key: number for number, key in enumerate(keys)}
    p85 = rounded_percentiles(_codes(recent, code), recent["cycle_time_days"], len(keys), (85,))[85]
    recent_days = _lists(recent, "cycle_time_days")
    finished = _lists(weekly, "finished")
    target = pl.Series("target", [-1 if value is None else value for value in targets], dtype=pl.Int64)
    past = aging.filter(pl.col("age_days") > target.gather(_codes(aging, code)))
    past_sle, wip = _counts(past), _counts(aging)
    return {
        key: _FlowCells(
            throughput=[int(v) for v in finished.get(key, [])],
            cycle_time_p85=p85[number],
            sle_days=targets[number],
            finished_recent=len(recent_days.get(key, [])),
            aging_past_sle=0 if targets[number] is None else past_sle.get(key, 0),
            wip=wip.get(key, 0),
            recent_cycle_times=[int(v) for v in recent_days.get(key, [])],
        )
        for key, number in code.items()
    }


def _codes(frame: pl.DataFrame, code: dict[str, int]) -> npt.NDArray[np.int64]:
    """Each row's team as its number in ``code``."""
    numbers: npt.NDArray[np.int64] = frame["team"].cast(pl.Enum(list(code))).to_physical().to_numpy().astype(np.int64)
    return numbers


def _lists(frame: pl.DataFrame, column: str) -> dict[str, list[int]]:
    """Per team, ``column``'s values in the frame's order."""
    return {str(key): values for key, values in frame.group_by("team", maintain_order=True).agg(column).iter_rows()}


def _counts(frame: pl.DataFrame) -> dict[str, int]:
    return {str(key): int(count) for key, count in frame.group_by("team").len().iter_rows()}


def _team_flow_cells(session: Session, team: Team, today: date) -> _FlowCells:
    start, end, _weeks = week_range(today)
    timeline = team_timeline(session, team)
    key = str(team.id)
    team_column = pl.lit(key).alias("team")
    return _flow_cells(
        [key],
        timeline.select(team_column, "finished_date", "cycle_time_days"),
        throughput(timeline, start=start, end=end, freq="week").select(team_column, "finished"),
        work_item_age(timeline, today=today).select(team_column, "age_days"),
        [sle(timeline, today=today)],
        today,
    )[key]


def _flow_cells_of_teams(session: Session, teams: Sequence[Team], now: datetime) -> dict[int, _FlowCells]:
    """The flow cells of ``teams`` from one pass per day, zone and workflow over their flow, read from its tables.

    Every team's history is read at once as whole frames and goes into the pass whole (no frame per team)."""
    by_day: dict[date, list[Team]] = defaultdict(list)
    for team in teams:
        by_day[today_in(team, now)].append(team)
    cells: dict[int, _FlowCells] = {}
    for today, members in by_day.items():
        start, end, _weeks = week_range(today)
        whole = _default_types(read_teams_data(session, members))
        passes: dict[tuple[object, ...], list[int]] = defaultdict(list)
        for team_id in dict.fromkeys(team.id for team in members):
            workflow = tuple(
                sorted((name, category.value, position) for name, (category, position) in whole.workflows[team_id].items())
            )
            passes[workflow, whole.zones[team_id].key].append(team_id)
        for ids in passes.values():
            frames = _team_frames(whole, ids)
            result = stacked_flow_summaries(frames, start=start, end=end, now=now)
            keys = list(frames.names)
            found = _flow_cells(
                keys,
                result.table("timeline", ["finished_date", "cycle_time_days"]),
                result.table("throughput", ["finished"]),
                result.table("aging_items", ["age_days"]),
                [result.sle_days(key) for key in keys],
                today,
            )
            cells.update({int(key): value for key, value in found.items()})
    return cells


def _default_types(whole: TeamsData) -> TeamsData:
    """Each team's history restricted to its default item types (``TeamData.only_types(default_types(...))`` for
    every team at once: a team with items of other types than the containers loses its containers)."""
    excluded = pl.col("item_type").is_in(sorted(DEFAULT_EXCLUDED_TYPES))
    others = whole.items.filter(~excluded)["team_id"].unique()
    kept = whole.items.filter(~excluded | ~pl.col("team_id").is_in(others.implode()))
    if kept.height == whole.items.height:
        return whole
    ids = kept["item_id"].implode()
    return replace(
        whole,
        items=kept,
        transitions=whole.transitions.filter(pl.col("item_id").is_in(ids)),
        blocked=whole.blocked.filter(pl.col("item_id").is_in(ids)),
    )


def _team_frames(whole: TeamsData, ids: list[int]) -> TeamFrames:
    """The teams ``ids`` (sharing a workflow and zone) of ``whole`` as the one pass takes them."""
    number = {team_id: code for code, team_id in enumerate(ids)}
    team = pl.col("team_id").replace_strict(number, return_dtype=pl.Int32).alias("team")

    every = set(ids) == set(whole.workflows)  # the usual case: one workflow and zone, nothing to filter

    def part(frame: pl.DataFrame) -> pl.DataFrame:
        chosen = frame if every else frame.filter(pl.col("team_id").is_in(ids))
        return chosen.select(team, pl.exclude("team_id"))

    return TeamFrames(
        names=[str(team_id) for team_id in ids],
        transitions=part(whole.transitions),
        items=part(whole.items),
        blocked=part(whole.blocked),
        workflow=whole.workflows[ids[0]],
        zone=whole.zones[ids[0]],
    )


def compute(session: Session, team: Team, *, now: datetime) -> TeamCells:
    """Compute a team's cells from its data."""
    return _cells(session, team, now=now, flow=_team_flow_cells(session, team, today_in(team, now)))


def _cells(
    session: Session, team: Team, *, now: datetime, flow: _FlowCells, calibrated: CalibrationReport | None = None
) -> TeamCells:
    """A team's cells from its flow cells (and calibration, when read with other teams')."""
    today = today_in(team, now)
    level = (calibrated if calibrated is not None else calibration(session, team, now=now)).levels.get(85)
    follow = follow_through(session, team)
    return TeamCells(
        throughput=flow.throughput,
        cycle_time_p85=flow.cycle_time_p85,
        sle_days=flow.sle_days,
        finished_recent=flow.finished_recent,
        aging_past_sle=flow.aging_past_sle,
        wip=flow.wip,
        recent_cycle_times=flow.recent_cycle_times,
        calibration_85=level.hit_rate if level else None,
        calibration_scored=level.scored if level else 0,
        calibration_verdict=level.outcome.label if level else "",
        dora=sources.dora_keys(session, team_id=team.id, start=today - timedelta(days=89), end=today),
        health=sources.health_trend(session, team_id=team.id),
        actions=follow.actions,
        actions_done=follow.done,
        actions_measured=follow.measured,
        actions_improved=follow.improved,
    )


def compute_many(session: Session, teams: Sequence[Team], *, now: datetime) -> dict[int, TeamCells]:
    """Compute the cells of ``teams``: their flow in one pass over all of them, their calibrations in one query
    (the job and the demo use it)."""
    flow = _flow_cells_of_teams(session, teams, now)
    calibrated = sources.calibrations(session, teams, now=now)
    return {team.id: _cells(session, team, now=now, flow=flow[team.id], calibrated=calibrated[team.id]) for team in teams}


def store(
    session: Session, team: Team, *, version: str, now: datetime, cells: TeamCells | None = None, seconds: float = 0.0
) -> Stored:
    """Compute the team's cells (unless given, with the ``seconds`` they took) and store them for ``version``."""
    started = time.perf_counter() - seconds
    cells = cells if cells is not None else compute(session, team, now=now)
    derived.store(
        session,
        kind=KIND,
        scope=_scope(team.id),
        data_version=version,
        parameters={"team": team.id},
        payload=cells.encode(),
        compute_seconds=time.perf_counter() - started,
    )
    return Stored(cells, version, now)
