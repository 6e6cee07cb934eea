"""One pass over many teams (``team_flow_summaries``) gives each team exactly its own ``flow_summary``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest

from deliveryops.analytics.flow import (
    FlowSummary,
    TeamFlowData,
    TeamFrames,
    flow_summary,
    stacked_flow_summaries,
    team_flow_summaries,
)
from deliveryops.analytics.flow.grouped import TABLES, grouped_nearest_ranks
from deliveryops.analytics.percentiles import nearest_rank
from tests.analytics.flow_histories import WORKFLOW, ZONE, assert_same_summary

NOW = datetime(2024, 6, 28, 15, 0, tzinfo=UTC)
STATUSES = list(WORKFLOW)


def random_team(ids: npt.NDArray[np.int64], *, seed: int, unknown: bool = False) -> TeamFlowData:
    """Forward-biased walks over the workflow for the items ``ids``, with blocked intervals and details."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, str, datetime]] = []
    block_rows: list[tuple[int, datetime, datetime | None, str | None]] = []
    for item in ids.tolist():
        at = NOW - timedelta(days=float(rng.uniform(5, 200)))
        position = 0
        for _ in range(int(rng.integers(1, 8))):
            if at >= NOW:
                break
            status = "Mystery" if unknown and rng.random() < 0.1 else STATUSES[position]
            rows.append((item, status, at))
            if rng.random() < 0.2:
                end = at + timedelta(hours=float(rng.uniform(1, 90)))
                block_rows.append((item, at, None if rng.random() < 0.2 else end, str(rng.choice(["api", "env", "spec"]))))
            at += timedelta(hours=float(rng.exponential(40)))
            position = int(min(max(position + rng.choice([1, 1, 1, 2, -1]), 0), len(STATUSES) - 1))
    transitions = pl.DataFrame(
        rows, schema={"item_id": pl.Int64, "status": pl.Utf8, "at": pl.Datetime("us", "UTC")}, orient="row"
    )
    blocked = pl.DataFrame(
        block_rows,
        schema={"item_id": pl.Int64, "start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC"), "reason": pl.Utf8},
        orient="row",
    )
    items = pl.DataFrame(
        {
            "item_id": ids,
            "key": [f"K-{item}" for item in ids.tolist()],
            "title": [f"Item {item}" for item in ids.tolist()],
            "item_type": ["Story", "Bug"] * (len(ids) // 2) + ["Task"] * (len(ids) % 2),
        },
        schema={"item_id": pl.Int64, "key": pl.Utf8, "title": pl.Utf8, "item_type": pl.Utf8},
    )
    return TeamFlowData(transitions, items, blocked, WORKFLOW, ZONE)


def organisation() -> dict[str, TeamFlowData]:
    empty = random_team(np.arange(0), seed=0)
    interleaved = np.arange(1_001, 1_200, 2)
    return {
        "plain": random_team(np.arange(1, 150), seed=1),
        "with unknown statuses": random_team(np.arange(200, 260), seed=2, unknown=True),
        "odd ids": random_team(interleaved, seed=3),
        "even ids": random_team(interleaved + 1, seed=4),
        "no history": empty,
        "another zone": replace(random_team(np.arange(300, 350), seed=5), zone=ZoneInfo("America/New_York")),
        "no details": replace(random_team(np.arange(400, 450), seed=6), items=None),
    }


def expected_of(team: TeamFlowData, **period: Any) -> FlowSummary:
    return flow_summary(team.transitions, team.items, team.blocked, workflow=team.workflow, zone=team.zone, now=NOW, **period)


@pytest.mark.parametrize(
    "period",
    [
        {"start": date(2024, 3, 1), "end": date(2024, 6, 28)},
        {"start": date(2024, 5, 1), "end": date(2024, 6, 28), "freq": "day", "sle_days": 9},
        {"start": date(2024, 1, 1), "end": date(2024, 2, 15), "window_days": 30},
    ],
)
def test_each_team_gets_exactly_its_own_flow_summary(period: dict[str, Any]) -> None:
    teams = organisation()
    summaries = team_flow_summaries(teams, now=NOW, **period)
    assert list(summaries) == list(teams)
    for name, team in teams.items():
        assert_same_summary(summaries[name], expected_of(team, **period), name)


def test_teams_sharing_an_item_id_are_computed_apart_and_still_exactly() -> None:
    first, second = random_team(np.arange(1, 60), seed=7), random_team(np.arange(50, 90), seed=8)
    period: dict[str, Any] = {"start": date(2024, 3, 1), "end": date(2024, 6, 28)}
    summaries = team_flow_summaries({"first": first, "second": second}, now=NOW, **period)
    assert_same_summary(summaries["first"], expected_of(first, **period), "first")
    assert_same_summary(summaries["second"], expected_of(second, **period), "second")


def test_teams_with_sparse_ids_get_exactly_their_own_summaries() -> None:
    teams = {"first": random_team(np.arange(1, 40) * 10_000, seed=9), "second": random_team(np.arange(40, 90) * 10_000, seed=10)}
    period: dict[str, Any] = {"start": date(2024, 3, 1), "end": date(2024, 6, 28)}
    summaries = team_flow_summaries(teams, now=NOW, **period)
    for name, team in teams.items():
        assert_same_summary(summaries[name], expected_of(team, **period), name)


def test_a_dozen_teams_with_empty_windows_and_unknown_statuses_get_exactly_their_own_summaries() -> None:
    # Short windows leave some teams without an SLE or stage ages (their percentiles are None); unknown statuses
    # are counted from the teams that have them only.
    teams = {
        f"team {number:02d}": random_team(
            np.arange(number * 100 + 1, number * 100 + 1 + 5 * number), seed=20 + number, unknown=number % 4 == 1
        )
        for number in range(12)
    }
    period: dict[str, Any] = {"start": date(2024, 6, 1), "end": date(2024, 6, 28), "window_days": 5}
    summaries = team_flow_summaries(teams, now=NOW, **period)
    assert sum(summary.sle_days is None for summary in summaries.values()) >= 2  # the None paths are exercised
    assert sum(summary.unknown_statuses.height > 0 for summary in summaries.values()) >= 2
    for name, team in teams.items():
        assert_same_summary(summaries[name], expected_of(team, **period), name)


@pytest.mark.parametrize("kind", ["whole days", "negative whole numbers", "fractions"])
def test_percentiles_of_many_groups_in_one_sort_equal_nearest_rank_group_by_group(kind: str) -> None:
    rng = np.random.default_rng(5)
    groups = 40
    group = rng.integers(0, groups, 3_000)
    group = group[group % 7 != 3]  # some groups without values
    values = rng.integers(0, 60, group.size).astype(np.float64)
    if kind == "negative whole numbers":
        values -= 1_000
    elif kind == "fractions":
        values += rng.random(group.size)
    percents = (33.3, 50, 70, 85, 95, 99.9, 100)
    counts, picks = grouped_nearest_ranks(group.astype(np.int64), values, groups, percents)
    for code in range(groups):
        mine = values[group == code]
        assert counts[code] == mine.size
        for percent in percents:
            expected = nearest_rank(mine, percent)
            got = picks[percent][code]
            assert (expected is None and np.isnan(got)) or got == expected, (code, percent)


def _table_of(summary: FlowSummary, name: str) -> pl.DataFrame:
    tables = {
        "aging_items": summary.aging.items,
        "aging_stages": summary.aging.stages,
        "flow_efficiency": summary.flow_efficiency.items,
    }
    frame = tables[name] if name in tables else getattr(summary, name)
    assert isinstance(frame, pl.DataFrame)
    return frame


@pytest.mark.parametrize("name", TABLES)
def test_a_table_of_every_team_holds_each_teams_own_rows_in_order(name: str) -> None:
    teams = organisation()  # teams computed together and teams computed alone (another zone, no details)
    period: dict[str, Any] = {"start": date(2024, 3, 1), "end": date(2024, 6, 28)}
    expected = {team: _table_of(expected_of(data, **period), name) for team, data in teams.items()}
    columns = [column for column in expected["plain"].columns if all(column in frame.columns for frame in expected.values())]
    table = team_flow_summaries(teams, now=NOW, **period).table(name, columns)
    assert table.schema["team"] == pl.Enum(list(teams))
    assert table.height == sum(frame.height for frame in expected.values())  # teams may interleave, each in its order
    for team, frame in expected.items():
        assert_same_summary(table.filter(pl.col("team") == team).drop("team"), frame.select(columns), f"{name} of {team}")


def test_a_table_that_is_not_a_summarys_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown table"):
        team_flow_summaries(organisation(), now=NOW, start=date(2024, 3, 1), end=date(2024, 6, 28)).table("sle", [])


def test_sle_days_are_given_without_cutting_a_team_and_equal_the_summaries() -> None:
    teams = organisation()
    period: dict[str, Any] = {"start": date(2024, 3, 1), "end": date(2024, 6, 28)}
    summaries = team_flow_summaries(teams, now=NOW, **period)
    assert {team: summaries.sle_days(team) for team in teams} == {
        team: expected_of(data, **period).sle_days for team, data in teams.items()
    }


def stacked(teams: dict[str, TeamFlowData]) -> TeamFrames:
    """The teams' frames one after the other with their number as ``team`` (as a database read gives them)."""
    first = next(iter(teams.values()))

    def joined(frames: list[pl.DataFrame]) -> pl.DataFrame:
        return pl.concat([frame.select(pl.lit(code, pl.Int64).alias("team"), pl.all()) for code, frame in enumerate(frames)])

    items = [team.items for team in teams.values()]
    return TeamFrames(
        names=list(teams),
        transitions=joined([team.transitions for team in teams.values()]),
        items=None if first.items is None else joined([frame for frame in items if frame is not None]),
        blocked=joined([team.blocked for team in teams.values()]),
        workflow=first.workflow,
        zone=first.zone,
    )


def _shared_zone(teams: dict[str, TeamFlowData]) -> dict[str, TeamFlowData]:
    return {name: team for name, team in teams.items() if team.zone == ZONE and team.items is not None}


@pytest.mark.parametrize(
    "period",
    [
        {"start": date(2024, 3, 1), "end": date(2024, 6, 28)},
        {"start": date(2024, 5, 1), "end": date(2024, 6, 28), "freq": "day", "sle_days": 9},
        {"start": date(2024, 6, 1), "end": date(2024, 6, 28), "window_days": 5},
    ],
)
def test_teams_given_as_whole_frames_get_exactly_their_own_flow_summaries(period: dict[str, Any]) -> None:
    teams = _shared_zone(organisation())  # interleaved ids, unknown statuses, an empty team
    teams |= {
        f"small {number}": random_team(np.arange(5_000 + number * 30, 5_010 + number * 30), seed=40 + number)
        for number in range(3)
    }
    summaries = stacked_flow_summaries(stacked(teams), now=NOW, **period)
    assert list(summaries) == list(teams)
    assert sum(summaries[name].unknown_statuses.height > 0 for name in teams) == 1
    for name, team in teams.items():
        assert_same_summary(summaries[name], expected_of(team, **period), name)
        assert summaries.sle_days(name) == summaries[name].sle_days


def test_whole_frames_without_details_and_in_any_row_order_give_the_same_summaries() -> None:
    teams = {name: replace(team, items=None) for name, team in _shared_zone(organisation()).items()}
    frames = stacked(teams)
    shuffled = replace(frames, transitions=frames.transitions.sample(fraction=1.0, shuffle=True, seed=3))
    period: dict[str, Any] = {"start": date(2024, 3, 1), "end": date(2024, 6, 28)}
    summaries = stacked_flow_summaries(shuffled, now=NOW, **period)
    for name, team in teams.items():
        ordered = replace(team, transitions=shuffled.transitions.filter(pl.col("team") == list(teams).index(name)).drop("team"))
        assert_same_summary(summaries[name], expected_of(ordered, **period), name)


@pytest.mark.parametrize("name", TABLES)
def test_a_table_of_teams_given_whole_equals_the_one_of_teams_given_apart(name: str) -> None:
    teams = _shared_zone(organisation())
    period: dict[str, Any] = {"start": date(2024, 3, 1), "end": date(2024, 6, 28)}
    apart = team_flow_summaries(teams, now=NOW, **period)
    whole = stacked_flow_summaries(stacked(teams), now=NOW, **period)
    columns = [column for column in _table_of(apart["plain"], name).columns if column != "item_id" or name != "sle"]
    assert_same_summary(whole.table(name, columns), apart.table(name, columns), name)


def test_whole_frames_with_an_item_id_in_two_teams_or_one_team_are_computed_team_by_team() -> None:
    teams = {"first": random_team(np.arange(1, 60), seed=7), "second": random_team(np.arange(50, 90), seed=8)}
    period: dict[str, Any] = {"start": date(2024, 3, 1), "end": date(2024, 6, 28)}
    for given in (teams, {"first": teams["first"]}):
        summaries = stacked_flow_summaries(stacked(given), now=NOW, **period)
        for name, team in given.items():
            assert_same_summary(summaries[name], expected_of(team, **period), name)


def test_whole_frames_with_a_team_number_out_of_range_or_repeated_names_are_refused() -> None:
    frames = stacked({"first": random_team(np.arange(1, 20), seed=7), "second": random_team(np.arange(30, 40), seed=8)})
    period: dict[str, Any] = {"start": date(2024, 3, 1), "end": date(2024, 6, 28)}
    with pytest.raises(ValueError, match="team's number"):
        stacked_flow_summaries(replace(frames, names=["first"]), now=NOW, **period)
    with pytest.raises(ValueError, match="distinct"):
        stacked_flow_summaries(replace(frames, names=["first", "first"]), now=NOW, **period)
