"""Every team's :func:`~.summary.flow_summary` in one pass over the organisation (:func:`team_flow_summaries`).

Computed team by team, each summary costs a fixed ≈ 20–40 ms of small polars operations whatever the team's
size, so 200 teams cost more than one call over all their items together. Here the teams that share a workflow
and a time zone are computed together: the per-item tables (timeline, cycle times, ages, blocked time, flow
efficiency) once over all their items, the per-team figures (percentiles, SLE, throughput, WIP, net flow,
cumulative flow, Little's Law, blocker clusters, stage ages) with the team as a grouping key, and each team's
results are then cut out in their own order. The results equal :func:`~.summary.flow_summary` team by team.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import polars as pl

from deliveryops.analytics.flow.aging import AgingWip, age_band, exit_ages, percentile_column
from deliveryops.analytics.flow.blocked import (
    blocked_in_periods,
    blocked_time_of,
    blocker_clusters_of,
    efficiency_items,
    efficiency_of,
    started_periods,
)
from deliveryops.analytics.flow.cfd import cfd_frame, cfd_levels, cfd_spans
from deliveryops.analytics.flow.common import (
    STARTED_CATEGORIES,
    Frequency,
    Workflow,
    bucket_frame,
    in_range,
    item_runs,
    known_transitions,
    to_utc,
    workflow_frame,
)
from deliveryops.analytics.flow.littles import littles_law_counts, littles_law_from_counts
from deliveryops.analytics.flow.metrics import (
    DEFAULT_PERCENTS,
    SLE_PERCENT,
    cycle_times,
    discarded_after_start,
    work_item_age,
)
from deliveryops.analytics.flow.summary import FlowSummary, Period, TeamFlowData, team_summary
from deliveryops.analytics.flow.timeline import timeline_from_known, unknown_statuses
from deliveryops.analytics.records import StageCategory

__all__ = [
    "TABLES",
    "TeamFlowSummaries",
    "TeamFrames",
    "grouped_nearest_ranks",
    "rounded_percentiles",
    "stacked_flow_summaries",
    "team_flow_summaries",
]

_TEAM = "__team"
_DENSE_SPAN = 8
"""Item ids spread over at most this many times their count are looked up in a table indexed by id."""
_SLE = "__sle"
_DETAILS = ("key", "title", "item_type")


def team_flow_summaries(
    teams: Mapping[str, TeamFlowData],
    *,
    start: date,
    end: date,
    now: datetime,
    freq: Frequency = "week",
    window_days: int = 90,
    sle_days: int | None = None,
) -> TeamFlowSummaries:
    """Compute :func:`~.summary.flow_summary` for every team, in one pass per workflow and time zone.

    Teams are computed together when they share a workflow, a time zone and whether item details are given,
    and no item id belongs to two of them; any other team (or a group that breaks the last rule) is computed
    on its own. Either way each team's summary is the one :func:`~.summary.flow_summary` returns for it.

    Args:
        teams: team name -> its inputs.
        start: first day of the period.
        end: last day of the period (inclusive).
        now: the current instant (timezone-aware).
        freq: bucket of throughput and net flow, "day" or "week".
        window_days: the SLE and aging-history window, ending today.
        sle_days: an SLE set by hand for every team; None computes each team's own.

    Returns:
        Team name -> its :class:`~.summary.FlowSummary`, in the order of ``teams`` (cut from the tables of all
        teams when first asked for); :meth:`TeamFlowSummaries.table` gives a table of every team at once.
    """
    period = Period(start=start, end=end, now=now, freq=freq, window_days=window_days, sle_days=sle_days)
    batches: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for name, team in teams.items():
        batches[_batch_key(team)].append(name)
    computed: list[_Batch] = []
    alone: dict[str, FlowSummary] = {}
    for names in batches.values():
        batch = _batch(names, teams, period) if len(names) > 1 and start <= end and window_days >= 1 else None
        if batch is None:
            alone.update({name: team_summary(teams[name], period) for name in names})
        else:
            computed.append(batch)
    return TeamFlowSummaries(list(teams), computed, alone)


@dataclass(frozen=True, slots=True)
class TeamFrames:
    """Many teams' inputs to :func:`~.summary.flow_summary` as one frame of each kind, with a ``team`` column.

    ``team`` (an integer column of each frame) is the team's number: its position in ``names``. Team ``n``'s own
    inputs are the rows whose ``team`` is ``n``, without that column (:meth:`team`); the other columns are those of
    :class:`~.summary.TeamFlowData`. Every team shares ``workflow`` and ``zone``.

    Attributes:
        names: the teams' names (distinct), numbered from 0 in this order.
        transitions: ``team``, ``item_id``, ``status``, ``at``.
        items: ``team``, ``item_id``, ``key``, ``title``, ``item_type`` (or None for every team).
        blocked: ``team``, ``item_id``, ``start``, ``end``, ``reason``.
        workflow: the teams' workflow.
        zone: the teams' time zone.
    """

    names: Sequence[str]
    transitions: pl.DataFrame
    items: pl.DataFrame | None
    blocked: pl.DataFrame
    workflow: Workflow
    zone: ZoneInfo

    def teams(self) -> dict[str, TeamFlowData]:
        """Each team's own inputs, by name (every frame split by ``team``, in its order)."""
        size = len(self.names)
        transitions = _split(self.transitions, size)
        items = _split(self.items, size) if self.items is not None else [None] * size
        blocked = _split(self.blocked, size)
        return {
            name: TeamFlowData(transitions[code], items[code], blocked[code], self.workflow, self.zone)
            for code, name in enumerate(self.names)
        }


def _split(frame: pl.DataFrame, size: int) -> list[pl.DataFrame]:
    parts = frame.partition_by("team", as_dict=True, maintain_order=True, include_key=False)
    empty = frame.clear().drop("team")
    return [parts.get((code,), empty) for code in range(size)]


def stacked_flow_summaries(
    frames: TeamFrames,
    *,
    start: date,
    end: date,
    now: datetime,
    freq: Frequency = "week",
    window_days: int = 90,
    sle_days: int | None = None,
) -> TeamFlowSummaries:
    """:func:`team_flow_summaries` for teams given as one frame of each kind (no frame is split or joined).

    The teams' frames as a database read gives them (every team at once, the team as a column) go into the pass
    whole, so it costs what one :func:`~.summary.flow_summary` over all their items costs, plus the grouping by team.
    When an item id belongs to two teams, or the period is empty, each team is computed on its own.

    Args:
        frames: every team's inputs (see :class:`TeamFrames`).
        start: first day of the period.
        end: last day of the period (inclusive).
        now: the current instant (timezone-aware).
        freq: bucket of throughput and net flow, "day" or "week".
        window_days: the SLE and aging-history window, ending today.
        sle_days: an SLE set by hand for every team; None computes each team's own.

    Returns:
        Team name -> its :class:`~.summary.FlowSummary`, in the order of ``frames.names``, as
        :func:`team_flow_summaries` returns them.

    Raises:
        ValueError: when names repeat, or a ``team`` is null or not a team's number.
    """
    period = Period(start=start, end=end, now=now, freq=freq, window_days=window_days, sle_days=sle_days)
    names = list(frames.names)
    if len(set(names)) != len(names):
        raise ValueError("team names must be distinct")
    given = [frames.transitions, frames.blocked, *([frames.items] if frames.items is not None else [])]
    for frame in given:
        team = frame["team"].to_numpy()
        if frame["team"].null_count() or (team.size and not 0 <= team.min() <= team.max() < len(names)):
            raise ValueError(f"team must be a team's number, 0 to {len(names) - 1}")
    batch = None
    if len(names) > 1 and start <= end and window_days >= 1:
        batch = _stacked_batch(frames, period)
    if batch is None:
        return TeamFlowSummaries(names, [], {name: team_summary(team, period) for name, team in frames.teams().items()})
    return TeamFlowSummaries(names, [batch], {})


def _stacked_batch(frames: TeamFrames, period: Period) -> _Batch | None:
    team = pl.col("team").cast(pl.Int32).alias(_TEAM)
    item_id = pl.col("item_id").cast(pl.Int64)
    transitions = to_utc(frames.transitions.select(item_id, "status", "at", team), "at")
    items = None
    if frames.items is not None:
        items = frames.items.select(item_id, *[pl.col(name).cast(pl.Utf8) for name in _DETAILS], team)
    blocked = frames.blocked.select(item_id, "start", "end", pl.col("reason").cast(pl.Utf8), team)
    found = _one_pass(
        transitions, items, to_utc(blocked, "start", "end"), len(frames.names), frames.workflow, frames.zone, period
    )
    if found is None:
        return None
    computed, with_unknown = found
    none_unknown = unknown_statuses(frames.transitions.clear().drop("team"), workflow=frames.workflow)
    unknown = [none_unknown] * len(frames.names)
    for code in with_unknown:
        own = frames.transitions.filter(pl.col("team") == code).drop("team")
        unknown[code] = unknown_statuses(own, workflow=frames.workflow)
    return _Batch(list(frames.names), computed, unknown)


TABLES = (
    "timeline",
    "cycle_times",
    "throughput",
    "wip",
    "net_flow",
    "aging_items",
    "aging_stages",
    "cumulative_flow",
    "flow_efficiency",
    "blocked_time",
    "blocker_clusters",
    "discarded",
)
"""The per-team tables of a :class:`~.summary.FlowSummary` that :meth:`TeamFlowSummaries.table` gives whole."""


def _table_of(summary: FlowSummary, name: str) -> pl.DataFrame:
    if name.startswith("aging_"):
        return summary.aging.items if name == "aging_items" else summary.aging.stages
    if name == "flow_efficiency":
        return summary.flow_efficiency.items
    table: pl.DataFrame = getattr(summary, name)
    return table


@dataclass(frozen=True)
class _Batch:
    names: list[str]
    computed: _Computed
    unknown: list[pl.DataFrame]


class TeamFlowSummaries(Mapping[str, FlowSummary]):
    """Every team's flow summary from :func:`team_flow_summaries`.

    The teams computed together keep each table as one frame over all of them; a team's
    :class:`~.summary.FlowSummary` is cut from those frames when it is first asked for (which cuts every table for
    every team of its pass at once). A caller that needs a few numbers per team reads :meth:`table` and
    :meth:`sle_days` instead, and no team's frames are cut.
    """

    def __init__(self, names: list[str], batches: list[_Batch], alone: dict[str, FlowSummary]) -> None:
        self._names = names
        self._batches = batches
        self._alone = alone
        self._where = {name: (batch, code) for batch in batches for code, name in enumerate(batch.names)}
        self._cut: dict[str, FlowSummary] = {}

    def __getitem__(self, name: str) -> FlowSummary:
        if name in self._alone:
            return self._alone[name]
        if name not in self._cut:
            batch, code = self._where[name]
            self._cut[name] = batch.computed.summary(code, batch.unknown[code])
        return self._cut[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def sle_days(self, name: str) -> int | None:
        """Team ``name``'s SLE (its summary's ``sle_days``), without cutting its frames."""
        if name in self._alone:
            return self._alone[name].sle_days
        batch, code = self._where[name]
        return batch.computed.targets[code]

    def table(self, name: str, columns: Sequence[str]) -> pl.DataFrame:
        """The ``columns`` of table ``name`` (one of :data:`TABLES`) of every team, after a ``team`` column.

        A team's rows are the rows of that table of its summary (``aging_items`` and ``aging_stages`` are its
        aging's ``items`` and ``stages``, ``flow_efficiency`` its flow efficiency's ``items``), in the same
        order; ``team`` is an enum of the team names, in the order of the teams given.
        """
        if name not in TABLES:
            raise ValueError(f"unknown table {name!r}; one of {', '.join(TABLES)}")
        number = {team: code for code, team in enumerate(self._names)}
        parts: list[pl.DataFrame] = []
        for batch in self._batches:
            codes = np.array([number[team] for team in batch.names], dtype=np.int32)
            frame = batch.computed.table(name)
            parts.append(frame.select(pl.Series(_TEAM, codes[frame[_TEAM].to_numpy()]), *columns))
        for team, summary in self._alone.items():
            frame = _table_of(summary, name)
            parts.append(frame.select(pl.lit(number[team], dtype=pl.Int32).alias(_TEAM), *columns))
        joined = pl.concat(parts) if parts else pl.DataFrame(schema={_TEAM: pl.Int32})
        teams = pl.Series("team", self._names, dtype=pl.Enum(self._names))
        return joined.select(teams.gather(joined[_TEAM]), *columns)


def _batch_key(team: TeamFlowData) -> tuple[Any, ...]:
    workflow = tuple(
        sorted((name, StageCategory(category).value, position) for name, (category, position) in team.workflow.items())
    )
    return workflow, team.zone, team.items is None


def _stacked(frames: list[pl.DataFrame], columns: list[pl.Expr], utc: tuple[str, ...]) -> pl.DataFrame:
    """The teams' frames one after the other, with ``columns`` (UTC for ``utc``) and the team's number."""
    team = pl.Series(_TEAM, np.repeat(np.arange(len(frames), dtype=np.int32), [frame.height for frame in frames]))
    try:
        joined = pl.concat(frames, how="vertical")  # one cast for all when the teams' frames share a schema
    except (pl.exceptions.SchemaError, pl.exceptions.ShapeError, pl.exceptions.InvalidOperationError):
        joined = pl.concat([to_utc(frame.select(columns), *utc) for frame in frames])
    return to_utc(joined.select(columns), *utc).with_columns(team).rechunk()  # one chunk: numpy views, no copies


def _batch(names: list[str], teams: Mapping[str, TeamFlowData], period: Period) -> _Batch | None:
    """The tables of teams sharing a workflow and zone, or None when an item id belongs to two of them."""
    first_team = teams[names[0]]
    workflow = first_team.workflow
    item_id = pl.col("item_id").cast(pl.Int64)
    statuses = workflow_frame(workflow)
    # Statuses as the workflow's enum before the teams' frames are joined: unknown ones become null (their teams are
    # counted from their own frames below) and the joined frame holds no strings.
    status = pl.col("status").cast(pl.Utf8).cast(pl.Enum(statuses["status"].to_list()), strict=False)
    transitions = _stacked([teams[name].transitions for name in names], [item_id, status, pl.col("at")], ("at",))
    items = None
    if first_team.items is not None:
        details = [item_id, *[pl.col(name).cast(pl.Utf8) for name in _DETAILS]]
        given = [frame for name in names if (frame := teams[name].items) is not None]  # all of them (see _batch_key)
        items = _stacked(given, details, ())
    reason = pl.col("reason").cast(pl.Utf8)
    blocked_columns = [item_id, pl.col("start"), pl.col("end"), reason]
    blocked = _stacked([teams[name].blocked for name in names], blocked_columns, ("start", "end"))
    found = _one_pass(transitions, items, blocked, len(names), workflow, first_team.zone, period)
    if found is None:
        return None
    computed, with_unknown = found
    none_unknown = unknown_statuses(first_team.transitions.clear(), workflow=workflow)
    unknown = [
        unknown_statuses(teams[name].transitions, workflow=workflow) if code in with_unknown else none_unknown
        for code, name in enumerate(names)
    ]
    return _Batch(names, computed, unknown)


def _one_pass(
    transitions: pl.DataFrame,
    items: pl.DataFrame | None,
    blocked: pl.DataFrame,
    size: int,
    workflow: Workflow,
    zone: ZoneInfo,
    period: Period,
) -> tuple[_Computed, set[int]] | None:
    """The tables of ``size`` teams from their frames joined (each with the team's number in :data:`_TEAM`), and the
    teams with statuses the workflow does not know; None when an item id belongs to two teams.

    ``transitions`` holds ``item_id`` (Int64), ``status``, ``at`` (UTC); ``items`` the item details; ``blocked``
    ``item_id``, ``start``, ``end`` (UTC) and ``reason``.
    """
    statuses = workflow_frame(workflow)
    known = known_transitions(transitions, workflow, carry=[_TEAM])
    owners = _Owners.of(known)
    if owners is None:
        return None
    owned_items = owners.owned(items) if items is not None else None
    timeline = timeline_from_known(known, statuses=statuses, zone=zone, items=owned_items)
    computed = _Computed(owners, size, statuses, timeline, known, owners.owned(blocked), zone, period)
    with_unknown: set[int] = set()
    if known.height < transitions.height:  # some statuses are not the workflow's: find whose
        status = transitions["status"].cast(pl.Utf8).cast(pl.Enum(statuses["status"].to_list()), strict=False)
        with_unknown = set(transitions[_TEAM].filter(status.is_null()).unique().to_list())
    return computed, with_unknown


def grouped_nearest_ranks(
    group: npt.NDArray[np.int64], values: npt.NDArray[np.float64], groups: int, percents: tuple[float, ...]
) -> tuple[npt.NDArray[np.int64], dict[float, npt.NDArray[np.float64]]]:
    """Per group (``0 .. groups - 1``), the count of its values and their nearest-rank percentiles.

    The same values as :func:`~deliveryops.analytics.percentiles.nearest_rank` group by group (the rank is
    computed in exact integer arithmetic from the percent's decimal form), with one sort for every group.

    Returns:
        ``(counts, picks)``: the values per group, and per percent the value of each group (NaN when empty).
    """
    ordered = _sorted_by_group(group, values, groups)
    counts = np.bincount(group, minlength=groups).astype(np.int64)
    starts = np.cumsum(counts) - counts
    picks: dict[float, npt.NDArray[np.float64]] = {}
    for percent in percents:
        if not 0 < percent <= 100:
            raise ValueError(f"percent must be in (0, 100], got {percent}")
        share = Fraction(str(percent)) / 100
        rank = np.maximum(-((-counts * share.numerator) // share.denominator), 1)
        index = np.minimum(starts + rank - 1, max(ordered.size - 1, 0))
        chosen = ordered[index] if ordered.size else np.zeros(groups)
        picks[percent] = np.where(counts > 0, chosen, np.nan)
    return counts, picks


def _sorted_by_group(group: npt.NDArray[np.int64], values: npt.NDArray[np.float64], groups: int) -> npt.NDArray[np.float64]:
    """``values`` ordered by group, then value: for whole numbers (days) by one sort of an integer key, which costs a
    fraction of a sort on two keys at organisation size."""
    if values.size and np.isfinite(values).all():
        low, high = float(values.min()), float(values.max())
        span = high - low + 1
        if span * max(groups, 1) < 2.0**62 and bool((values == np.floor(values)).all()):
            key = group * int(span) + (values - low).astype(np.int64)
            key.sort()
            ordered: npt.NDArray[np.float64] = (key % int(span)).astype(np.float64) + low
            return ordered
    result: npt.NDArray[np.float64] = values[np.lexsort((values, group))]
    return result


def rounded_percentiles(
    group: npt.NDArray[np.int64], days: pl.Series, groups: int, percents: tuple[float, ...]
) -> dict[float, list[int | None]]:
    """Per percent, each group's nearest-rank percentile of ``days``, rounded (None for a group without any),
    as :func:`~.metrics.percentiles_of` gives group by group."""
    _counts, picks = grouped_nearest_ranks(group, days.to_numpy().astype(np.float64), groups, percents)
    return {
        percent: [None if np.isnan(value) else round(value) for value in values.tolist()] for percent, values in picks.items()
    }


@dataclass(frozen=True)
class _Owners:
    """Each item id's team (ids in increasing order, as in the timeline)."""

    ids: npt.NDArray[np.int64]
    teams: npt.NDArray[np.int32]
    table: npt.NDArray[np.int32] | None  # team by id - ids[0], when the ids are dense enough

    @classmethod
    def of(cls, known: pl.DataFrame) -> _Owners | None:
        if known["item_id"].null_count():
            return None
        item = known["item_id"].to_numpy()
        team = known[_TEAM].to_numpy()
        changes = np.flatnonzero(team[1:] != team[:-1])  # few: rows are in item order, teams' items mostly apart
        if bool((item[changes] == item[changes + 1]).any()):
            return None  # an item id in two teams' histories
        first, _after = item_runs(known)
        ids, teams = item[first], team[first]
        table = None
        span = int(ids[-1] - ids[0]) + 1 if ids.size else 0
        if ids.size and span <= _DENSE_SPAN * ids.size:
            table = np.full(span, -1, dtype=np.int32)
            table[ids - ids[0]] = teams
        return cls(ids=ids, teams=teams, table=table)

    def team_of(self, ids: pl.Series) -> npt.NDArray[np.int32]:
        """The team of each id (every id must be one of the owners')."""
        wanted = ids.to_numpy()
        if not wanted.size:
            return np.empty(0, dtype=np.int32)
        if self.table is not None:  # a table indexed by id: no search in random order (cache misses at scale)
            found: npt.NDArray[np.int32] = self.table[wanted - self.ids[0]]
            return found
        return self.teams[np.searchsorted(self.ids, wanted)]

    def owned(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The rows of ``frame`` whose item belongs to the team that gave the row (the others join nothing)."""
        wanted = frame["item_id"].fill_null(-1).to_numpy()
        if self.ids.size == 0 or wanted.size == 0:
            return frame.clear().drop(_TEAM)
        team = frame[_TEAM].to_numpy()
        if self.table is not None:  # -1 marks ids of no team, so they match no team's number
            offset = wanted - self.ids[0]
            inside = (offset >= 0) & (offset < self.table.size)
            keep = inside & (self.table[np.where(inside, offset, 0)] == team)
        else:
            slot = np.minimum(np.searchsorted(self.ids, wanted), self.ids.size - 1)
            keep = (self.ids[slot] == wanted) & (self.teams[slot] == team)
        if bool(keep.all()):
            return frame.drop(_TEAM)
        return frame.filter(pl.Series(keep)).drop(_TEAM)


class _Computed:
    """The batch's per-team tables, computed once over all its teams with the team's number as a column.

    Each table is cut into the teams' parts only when a team's summary is asked for (:meth:`summary`), once for
    all teams; :meth:`table` gives a table whole.
    """

    def __init__(
        self,
        owners: _Owners,
        size: int,
        statuses: pl.DataFrame,
        timeline: pl.DataFrame,
        known: pl.DataFrame,
        blocked: pl.DataFrame,
        zone: ZoneInfo,
        period: Period,
    ) -> None:
        self.owners, self.size, self.period = owners, size, period
        start, end, now = period.start, period.end, period.now
        self.today = now.astimezone(zone).date()
        tagged = timeline.with_columns(pl.Series(_TEAM, owners.teams, dtype=pl.Int32))
        self.tables: dict[str, pl.DataFrame] = {"timeline": tagged}
        self._parts: dict[str, list[pl.DataFrame]] = {}
        finished = cycle_times(timeline, start=start, end=end)
        self.tables["cycle_times"] = self.tagged(finished)
        self.targets = self._targets(timeline) if period.sle_days is None else [period.sle_days] * size
        self.percentiles = self.team_percentiles(finished, DEFAULT_PERCENTS)
        self.tables["throughput"], self.tables["net_flow"] = self._buckets(tagged)
        self.tables["wip"], self.littles = self._wip_and_littles(tagged)
        self.tables["discarded"] = self.tagged(discarded_after_start(timeline, start=start, end=end))
        self.tables["aging_items"] = self._aging_items(timeline)
        self.tables["aging_stages"] = self._stages(known, timeline, zone, statuses)
        day_count = (end - start).days + 1
        rows, first, after = cfd_spans(known, zone=zone, start=start, day_count=day_count)
        group = known[_TEAM].to_numpy()[rows].astype(np.int64)
        levels = cfd_levels(
            first, after, known["rank"].to_numpy()[rows], group, groups=size, day_count=day_count, statuses=statuses
        )
        template = cfd_frame(levels[0], statuses=statuses, start=start, end=end)
        shown = statuses.filter(pl.col("category") != StageCategory.DISCARDED.value)["rank"].to_numpy()
        self.tables["cumulative_flow"] = self.stacked(template, {"items": levels[:, :, shown].reshape(-1)})
        self.tables["flow_efficiency"] = self.tagged(efficiency_items(known, blocked, timeline=timeline, start=start, end=end))
        clipped = blocked_in_periods(blocked, started_periods(timeline, now))
        self.tables["blocked_time"] = self.tagged(blocked_time_of(clipped, timeline))
        clipped = clipped.with_columns(pl.Series(_TEAM, owners.team_of(clipped["item_id"]), dtype=pl.Int32))
        self.tables["blocker_clusters"] = blocker_clusters_of(clipped, keys=[_TEAM])

    def tagged(self, frame: pl.DataFrame) -> pl.DataFrame:
        """A per-item frame with its items' team numbers."""
        return frame.with_columns(pl.Series(_TEAM, self.owners.team_of(frame["item_id"]), dtype=pl.Int32))

    def table(self, name: str) -> pl.DataFrame:
        """Every team's rows of table ``name``, with the team's number (the team column)."""
        return self.tables[name]

    def parts(self, name: str) -> list[pl.DataFrame]:
        """Each team's rows of table ``name``, cut for all teams on the first call."""
        if name not in self._parts:
            self._parts[name] = self.split_by_team(self.tables[name])
        return self._parts[name]

    def split_by_team(self, frame: pl.DataFrame) -> list[pl.DataFrame]:
        """Each team's rows of a frame with the team column, in the frame's order, without the column."""
        team = frame[_TEAM].to_numpy()
        if team.size and bool((team[1:] >= team[:-1]).all()):  # teams one after the other: slices, no copy
            bounds = np.searchsorted(team, np.arange(self.size + 1))
            body = frame.drop(_TEAM)
            return [body.slice(int(bounds[code]), int(bounds[code + 1] - bounds[code])) for code in range(self.size)]
        parts = frame.partition_by(_TEAM, as_dict=True, maintain_order=True, include_key=False)
        empty = frame.clear().drop(_TEAM)
        return [parts.get((code,), empty) for code in range(self.size)]

    def _targets(self, timeline: pl.DataFrame) -> list[int | None]:
        window = cycle_times(timeline, start=self.today - timedelta(days=self.period.window_days - 1), end=self.today)
        return self.team_percentiles(window, (SLE_PERCENT,))[SLE_PERCENT]

    def team_percentiles(self, finished: pl.DataFrame, percents: tuple[float, ...]) -> dict[float, list[int | None]]:
        """Per team, the nearest-rank percentiles of ``finished``'s cycle times, rounded (None for no item)."""
        team = self.owners.team_of(finished["item_id"]).astype(np.int64)
        return rounded_percentiles(team, finished["cycle_time_days"], self.size, percents)

    def _buckets(self, tagged: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        start, end, freq = self.period.start, self.period.end, self.period.freq
        buckets = bucket_frame(start, end, freq)
        labels = buckets["period_start"].cast(pl.Int32).to_numpy()
        dates = tagged.select(
            _TEAM,
            "started_date",
            "finished_date",
            pl.when(pl.col("started_at").is_not_null()).then(pl.col("discarded_date")).alias("discarded_date"),
        )
        counts: dict[str, npt.NDArray[np.int64]] = {}
        for output, source in (("arrivals", "started_date"), ("departures", "finished_date"), ("discarded", "discarded_date")):
            chosen = dates.filter(in_range(source, start, end))
            slots = np.searchsorted(labels, chosen[source].cast(pl.Int32).to_numpy(), side="right") - 1
            where = chosen[_TEAM].to_numpy().astype(np.int64) * labels.size + slots
            counts[output] = np.bincount(where, minlength=self.size * labels.size).astype(np.int64).reshape(self.size, -1)
        throughput = self.stacked(buckets, {"finished": counts["departures"].reshape(-1)})
        net = counts["arrivals"] - counts["departures"] - counts["discarded"]
        flows = {name: counts[name].reshape(-1) for name in ("arrivals", "departures", "discarded")}
        return throughput, self.stacked(buckets, {**flows, "net": net.reshape(-1)})

    def stacked(self, template: pl.DataFrame, columns: Mapping[str, npt.NDArray[np.int64]]) -> pl.DataFrame:
        """``template``'s rows for every team, one team after the other, with ``columns`` (Int64, the teams' values)."""
        rows = np.tile(np.arange(template.height), self.size)
        team = np.repeat(np.arange(self.size, dtype=np.int32), template.height)
        return (
            template.drop(*columns, strict=False)
            .select(pl.all().gather(rows))
            .with_columns(*[pl.Series(name, values, dtype=pl.Int64) for name, values in columns.items()], pl.Series(_TEAM, team))
        )

    def _wip_and_littles(self, tagged: pl.DataFrame) -> tuple[pl.DataFrame, list[Any]]:
        start, end = self.period.start, self.period.end
        days = pl.date_range(start - timedelta(days=1), end, eager=True)
        at = days.cast(pl.Int32).to_numpy()
        started = tagged.filter(pl.col("started_date").is_not_null()).select(
            _TEAM,
            pl.col("started_date").cast(pl.Int32),
            pl.coalesce("finished_date", "discarded_date").cast(pl.Int32).alias("left"),
        )
        team = started[_TEAM].to_numpy()
        order = np.argsort(team, kind="stable")
        bounds = np.searchsorted(team[order], np.arange(self.size + 1))
        starts = started["started_date"].to_numpy()[order]
        left_known = ~started["left"].is_null().to_numpy()[order]
        left = started["left"].fill_null(0).to_numpy()[order]
        counts = {
            int(row[_TEAM]): row for row in tagged.group_by(_TEAM).agg(**littles_law_counts(start, end)).iter_rows(named=True)
        }
        nothing = {"departures": 0, "arrivals": 0, "discarded": 0, "aging": 0, "mean_cycle_time": None}
        checks, levels = [], np.zeros((self.size, at.size - 1), dtype=np.int64)
        for code in range(self.size):
            part = slice(bounds[code], bounds[code + 1])
            arrived = np.searchsorted(np.sort(starts[part]), at, side="right")
            departed = np.searchsorted(np.sort(left[part][left_known[part]]), at, side="right")
            daily = (arrived - departed).astype(np.int64)
            levels[code] = daily[1:]
            checks.append(littles_law_from_counts(start=start, end=end, daily_wip=daily, counts=counts.get(code, nothing)))
        template = pl.DataFrame({"date": days[1:], "wip": levels[0]}, schema={"date": pl.Date, "wip": pl.Int64})
        return self.stacked(template, {"wip": levels.reshape(-1)}), checks

    def _aging_items(self, timeline: pl.DataFrame) -> pl.DataFrame:
        ages = self.tagged(work_item_age(timeline, today=self.today))
        targets = pl.Series(_SLE, self.targets, dtype=pl.Int64)
        return ages.with_columns(targets.gather(ages[_TEAM])).with_columns(band=age_band(pl.col(_SLE))).drop(_SLE)

    def _stages(self, known: pl.DataFrame, timeline: pl.DataFrame, zone: ZoneInfo, statuses: pl.DataFrame) -> pl.DataFrame:
        window_start = self.today - timedelta(days=self.period.window_days - 1)
        found = exit_ages(known, timeline, zone=zone, first_day=window_start, last_day=self.today)
        if found is None:  # the timeline is in id order here, so this does not happen
            raise AssertionError("timeline not in item order")
        rows, ranks, ages = found
        status_count = statuses.height
        group = self.owners.teams[rows].astype(np.int64) * status_count + ranks
        counts, picks = grouped_nearest_ranks(group, ages, self.size * status_count, DEFAULT_PERCENTS)
        stages = statuses.filter(pl.col("category").is_in(STARTED_CATEGORIES))
        slots = (np.arange(self.size)[:, None] * status_count + stages["rank"].to_numpy()[None, :]).reshape(-1)
        samples = pl.Series("samples", counts[slots], dtype=pl.Int64)
        columns = [
            pl.Series(percentile_column(percent), np.rint(picks[percent][slots])).fill_nan(None).cast(pl.Int64)
            for percent in DEFAULT_PERCENTS
        ]
        team = pl.Series(_TEAM, np.repeat(np.arange(self.size, dtype=np.int32), stages.height))
        table = stages.select("status", "category", "position").select(
            pl.all().gather(np.tile(np.arange(stages.height), self.size))
        )
        return table.with_columns(samples, *columns, team)

    def summary(self, code: int, unknown: pl.DataFrame) -> FlowSummary:
        """Team ``code``'s summary (the first one asked for cuts every table into the teams' parts)."""
        target = self.targets[code]
        part = {name: self.parts(name)[code] for name in self.tables}
        return FlowSummary(
            start=self.period.start,
            end=self.period.end,
            today=self.today,
            timeline=part["timeline"],
            unknown_statuses=unknown,
            cycle_times=part["cycle_times"],
            cycle_time_percentiles={percent: values[code] for percent, values in self.percentiles.items()},
            sle_days=target,
            throughput=part["throughput"],
            wip=part["wip"],
            net_flow=part["net_flow"],
            aging=AgingWip(items=part["aging_items"], stages=part["aging_stages"], sle_days=target),
            cumulative_flow=part["cumulative_flow"],
            flow_efficiency=efficiency_of(part["flow_efficiency"]),
            blocked_time=part["blocked_time"],
            blocker_clusters=part["blocker_clusters"],
            littles_law=self.littles[code],
            discarded=part["discarded"],
        )
