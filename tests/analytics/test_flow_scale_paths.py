"""The organisation-scale code paths give the same answers as the plain ones.

``local_dates`` (table lookup of UTC offsets) against polars' own conversion, the numpy and the
join paths of the aging history, and ``flow_summaries`` (per team, in this process or in worker
processes) against ``flow_summary``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from deliveryops.analytics.flow import TeamFlowData, aging_wip, flow_summaries, flow_summary, item_timeline
from deliveryops.analytics.flow.common import local_dates
from tests.analytics.flow_histories import WORKFLOW, ZONE, blocks, history, utc

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


def random_instants(size: int, *, seed: int, nulls: bool) -> pl.Series:
    """UTC instants over 1900-2100 and densely around recent DST changes, some null."""
    rng = np.random.default_rng(seed)
    wide = rng.integers(-2_208_988_800_000_000, 4_102_444_800_000_000, size // 2)
    recent = rng.integers(1_577_836_800_000_000, 1_735_689_600_000_000, size - size // 2)
    series = pl.Series("at", np.r_[wide, recent]).cast(pl.Datetime("us", "UTC"))
    if nulls:
        series = pl.select(pl.when(pl.int_range(size) % 11 == 0).then(None).otherwise(series).alias("at")).to_series()
    return series


@pytest.mark.parametrize(
    "zone",
    ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "America/Sao_Paulo", "UTC"],
)
@pytest.mark.parametrize("nulls", [False, True])
def test_local_dates_match_polars_conversion(zone: str, nulls: bool) -> None:
    instants = random_instants(60_000, seed=len(zone), nulls=nulls)
    expected = pl.select(instants.dt.convert_time_zone(zone).dt.date()).to_series()
    assert_frame_equal(local_dates(instants, ZoneInfo(zone)).to_frame(), expected.alias("at").to_frame())


def team_history(offset: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    transitions = history(
        (offset + 1, "Backlog", utc(1, 1)),
        (offset + 1, "Dev", utc(1, 2)),
        (offset + 1, "Review", utc(1, 4)),
        (offset + 1, "Done", utc(1, 6)),
        (offset + 2, "Dev", utc(1, 3, 9)),
        (offset + 2, "Done", utc(1, 3, 18)),
        (offset + 3, "Dev", utc(2, 1)),
        (offset + 3, "Mystery", utc(2, 2)),
    )
    blocked = blocks((offset + 1, utc(1, 3), utc(1, 5), "approval"), (offset + 3, utc(2, 2), None, None))
    return transitions, blocked


def test_aging_history_is_the_same_for_a_timeline_in_any_order() -> None:
    transitions, _ = team_history(0)
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)
    shuffled = timeline.sort("item_id", descending=True)
    sorted_result = aging_wip(timeline, transitions, workflow=WORKFLOW, zone=ZONE, today=date(2024, 2, 20))
    joined_result = aging_wip(shuffled, transitions, workflow=WORKFLOW, zone=ZONE, today=date(2024, 2, 20))
    assert_frame_equal(sorted_result.stages, joined_result.stages)


@pytest.mark.parametrize("workers", [1, 2])
def test_flow_summaries_equal_one_flow_summary_per_team(workers: int) -> None:
    teams = {}
    for number in range(3):
        transitions, blocked = team_history(100 * number)
        teams[f"team {number}"] = TeamFlowData(transitions, None, blocked, WORKFLOW, ZONE)
    start, end = date(2024, 1, 1), date(2024, 2, 29)
    summaries = flow_summaries(teams, start=start, end=end, now=NOW, workers=workers)
    assert list(summaries) == list(teams)
    for name, team in teams.items():
        expected = flow_summary(
            team.transitions, team.items, team.blocked, workflow=WORKFLOW, zone=ZONE, start=start, end=end, now=NOW
        )
        got = summaries[name]
        assert_frame_equal(got.timeline, expected.timeline)
        assert_frame_equal(got.cumulative_flow, expected.cumulative_flow)
        assert_frame_equal(got.aging.stages, expected.aging.stages)
        assert_frame_equal(got.flow_efficiency.items, expected.flow_efficiency.items)
        assert_frame_equal(got.blocked_time, expected.blocked_time)
        assert_frame_equal(got.unknown_statuses, expected.unknown_statuses)
        assert got.littles_law == expected.littles_law
