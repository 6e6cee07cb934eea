"""DORA's four keys on the hand-worked scenario of issue 8 (tests/dora/scenario.py), plus properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliveryops.analytics.dora import (
    CHANGE_SCHEMA,
    DEPLOYMENT_SCHEMA,
    INCIDENT_SCHEMA,
    REVIEW_SCHEMA,
    Band,
    DoraTables,
    change_failure_rate_band,
    deployment_frequency_band,
    dora_keys,
    dora_tables,
    first_reviews,
    lead_time_band,
    link_changes_by_merge_time,
    median,
    recovery_band,
)
from deliveryops.analytics.dora.series import dora_series, period_starts
from tests.dora.scenario import CHANGES, DEPLOYMENTS, INCIDENTS, REVIEWS

START, END = date(2026, 3, 2), date(2026, 3, 15)  # two ISO weeks, Monday 2 to Sunday 15 March


def scenario_frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    deployments = pl.DataFrame(
        [(i, "shop", env, result, started, finished) for i, env, result, started, finished in DEPLOYMENTS],
        schema=DEPLOYMENT_SCHEMA,
        orient="row",
    )
    changes = pl.DataFrame(
        [(n, "shop", first, opened, None, merged, author) for n, author, first, opened, merged in CHANGES],
        schema={**CHANGE_SCHEMA, "author": pl.Utf8},
        orient="row",
    )
    reviews = pl.DataFrame(REVIEWS, schema=REVIEW_SCHEMA, orient="row")
    incidents = pl.DataFrame(
        [(i, created, resolved, None, deployment) for i, created, resolved, deployment in INCIDENTS],
        schema=INCIDENT_SCHEMA,
        orient="row",
    )
    return deployments, first_reviews(changes, reviews), incidents, reviews


@pytest.fixture(scope="module")
def tables() -> DoraTables:
    deployments, changes, incidents, _reviews = scenario_frames()
    links = link_changes_by_merge_time(deployments, changes)
    return dora_tables(deployments, changes, links, incidents, zone=ZoneInfo("UTC"))


def test_first_review_ignores_the_authors_own_comment() -> None:
    _deployments, changes, _incidents, _reviews = scenario_frames()
    first = dict(zip(changes["id"].to_list(), changes["first_review_at"].to_list(), strict=True))
    assert first[3] == datetime(2026, 3, 3, 10, 15, tzinfo=UTC)  # bob at 10:15, not ann's comment at 09:30
    assert first[8] == datetime(2026, 3, 12, 16, 0, tzinfo=UTC)  # dan's PR: ann's review at 16:00 counts
    assert first[6] is None  # never reviewed


def test_changes_are_shipped_by_the_first_successful_deployment_that_started_after_their_merge(
    tables: DoraTables,
) -> None:
    shipped = dict(zip(tables.changes["id"].to_list(), tables.changes["deployment_id"].to_list(), strict=True))
    # PR 2 was merged at 11:05, five minutes after D4 started: D5 carried it. PR 1 predates every deployment:
    # D1 (no previous successful deployment) ships it. The failed D3 and the staging ones ship nothing here.
    assert shipped == {1: 1, 2: 5, 3: 4, 4: 7, 5: 8, 6: 8, 7: 10, 8: 10}


def test_lead_time_and_its_breakdown_per_change_in_minutes_rounded_up(tables: DoraTables) -> None:
    rows = (
        tables.changes.sort("id")
        .select("id", "lead_time_minutes", "coding_minutes", "pickup_minutes", "review_minutes", "deploy_minutes")
        .rows()
    )
    assert rows == [
        # PR 1: 03-01 09:00 -> D1 finished 03-02 10:20 = 25 h 20 = 1520; 180 + 60 + 120 + 1160 (15:00 -> 10:20 next day)
        (1, 1520, 180, 60, 120, 1160),
        # PR 2: 03-03 08:00 -> D5 finished 03-04 15:20 = 31 h 20 = 1880; 60 + 60 + 65 + 1695 (11:05 -> 15:20 next day)
        (2, 1880, 60, 60, 65, 1695),
        # PR 3: 03-02 14:00 -> D4 03-03 11:30 = 21 h 30 = 1290; 1140 + 75 (09:00 -> bob 10:15) + 30 + 45
        (3, 1290, 1140, 75, 30, 45),
        # PR 4: 03-05 09:00 -> D7 03-09 10:30 = 97 h 30 = 5850; 60 + 360 + 1080 + 4350 (03-06 10:00 -> 03-09 10:30)
        (4, 5850, 60, 360, 1080, 4350),
        # PR 5: 03-09 12:00 -> D8 03-10 14:20 = 26 h 20 = 1580; coding negative (opened 11:00) -> missing, not 0
        (5, 1580, None, 120, 1200, 320),
        # PR 6: 03-10 10:00 -> 14:20 = 260; never reviewed: pickup and review missing
        (6, 260, 60, None, None, 140),
        # PR 7: 03-12 09:00 -> D10 18:10 = 550; 60 + 60 + 360 + 70
        (7, 550, 60, 60, 360, 70),
        # PR 8 (by dan): 15:00 -> 18:10 = 190; 30 + 30 (ann's review at 16:00) + 90 + 40
        (8, 190, 30, 30, 90, 40),
    ]


def test_incidents_are_linked_explicitly_or_to_the_latest_production_deployment_before_them(
    tables: DoraTables,
) -> None:
    rows = tables.incidents.sort("id").select("id", "deployment_id", "link", "recovery_minutes").rows()
    assert rows == [
        (1, None, "none", None),  # before any deployment
        (2, 5, "inferred", 130),  # 15:20 -> 17:30
        (3, 7, "explicit", 480),  # 10:30 -> 18:30
        (4, 9, "inferred", 960),  # 03-12 16:30 -> 03-13 08:30; staging D6 (16:50) is skipped
    ]


def test_the_four_keys_of_the_scenario(tables: DoraTables) -> None:
    keys = dora_keys(tables, start=START, end=END)
    # Deployment days: week of 2 March: 2, 3, 4 March = 3; week of 9 March: 9, 10, 12 March = 3 (D9 and D10 share
    # the 12th). Median of [3, 3] = 3 -> high (>= 1, < 5).
    assert keys.deployment_days == 6
    assert keys.deployment_days_per_week == 3.0
    assert keys.deployment_days_per_month == 6.0
    assert keys.deployment_frequency_band is Band.HIGH
    # Lead times sorted: 190, 260, 550, 1290, 1520, 1580, 1880, 5850 -> even count: (1290 + 1520) / 2 = 1405 min
    # = 23.41666 h -> elite (< 24 h).
    assert keys.changes == 8
    assert keys.lead_time_hours == pytest.approx(1405 / 60)
    assert keys.lead_time_band is Band.ELITE
    # Breakdown medians: coding 30, 60, 60, 60, 60, 180, 1140 -> 60; pickup 30, 60, 60, 60, 75, 120, 360 -> 60;
    # review 30, 65, 90, 120, 360, 1080, 1200 -> 120; deploy 40, 45, 70, 140, 320, 1160, 1695, 4350 -> 230.
    assert (keys.coding_hours, keys.pickup_hours, keys.review_hours) == (1.0, 1.0, 2.0)
    assert keys.deploy_hours == pytest.approx(230 / 60)
    # Counted deployments: D1, D4, D5, D7, D8, D9, D10 = 7 (staging D2 and D6 ignored, failed D3 caused no incident).
    # Linked to incidents: D5, D7, D9 -> 3 / 7 = 42.86% -> low (> 15%).
    assert keys.deployments == 7
    assert keys.failed_deployments == 3
    assert keys.change_failure_rate == pytest.approx(3 / 7)
    assert keys.change_failure_rate_band is Band.LOW
    # Recovery: 130, 480, 960 min -> median 480 min = 8 h -> high (< 1 day).
    assert keys.recovery_hours == 8.0
    assert keys.recovery_band is Band.HIGH
    assert keys.incidents == 4


def test_weeks_without_deployments_count_as_zero_in_the_median(tables: DoraTables) -> None:
    # Four weeks (2 to 29 March): [3, 3, 0, 0] -> median 1.5 days per week -> still high.
    keys = dora_keys(tables, start=START, end=date(2026, 3, 29))
    assert keys.deployment_days_per_week == 1.5
    assert keys.deployment_frequency_band is Band.HIGH


def test_a_period_without_deployments_has_no_values(tables: DoraTables) -> None:
    keys = dora_keys(tables, start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert (keys.deployments, keys.deployment_days_per_week, keys.deployment_frequency_band) == (0, None, None)
    assert (keys.lead_time_hours, keys.change_failure_rate, keys.recovery_hours) == (None, None, None)


def test_a_failed_deployment_linked_to_an_incident_counts_as_a_failed_change() -> None:
    deployments, changes, _incidents, _reviews = scenario_frames()
    incidents = pl.DataFrame(
        [(9, datetime(2026, 3, 3, 9, 30, tzinfo=UTC), datetime(2026, 3, 3, 10, 15, tzinfo=UTC), None, 3)],
        schema=INCIDENT_SCHEMA,
        orient="row",
    )
    tables = dora_tables(deployments, changes, link_changes_by_merge_time(deployments, changes), incidents)
    keys = dora_keys(tables, start=START, end=END)
    # D3 (failure, 09:15) now caused incident 9: 8 counted deployments, 1 failed -> 12.5% -> medium; 60 min -> high.
    assert (keys.deployments, keys.failed_deployments) == (8, 1)
    assert keys.change_failure_rate == 0.125
    assert keys.change_failure_rate_band is Band.MEDIUM
    assert keys.recovery_hours == 1.0
    assert keys.recovery_band is Band.HIGH


def test_weekly_series(tables: DoraTables) -> None:
    series = dora_series(tables, start=START, end=END, period="week")
    assert series.select("period_start", "deployments", "deployment_days", "changes", "incidents").rows() == [
        (date(2026, 3, 2), 3, 3, 3, 2),
        (date(2026, 3, 9), 4, 3, 5, 2),
    ]
    # Week 1: lead times 1520, 1290, 1880 -> 1520; CFR 1/3; recovery 130.
    # Week 2: 5850, 1580, 260, 550, 190 -> 550; CFR 2/4; recovery 480, 960 -> 720.
    assert series["lead_time_hours"].to_list() == pytest.approx([1520 / 60, 550 / 60])
    assert series["change_failure_rate"].to_list() == pytest.approx([1 / 3, 0.5])
    assert series["recovery_hours"].to_list() == pytest.approx([130 / 60, 12.0])


def test_period_buckets_are_clipped_to_the_range() -> None:
    assert period_starts(date(2026, 2, 15), date(2026, 7, 3), "quarter") == [
        (date(2026, 2, 15), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 7, 3)),
    ]
    assert period_starts(date(2026, 12, 20), date(2027, 1, 10), "month") == [
        (date(2026, 12, 20), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 10)),
    ]
    assert period_starts(date(2026, 3, 4), date(2026, 3, 10), "week") == [
        (date(2026, 3, 4), date(2026, 3, 8)),
        (date(2026, 3, 9), date(2026, 3, 10)),
    ]


def test_deployment_days_are_counted_in_the_team_time_zone() -> None:
    # Finished 23:30 UTC on Sunday 1 March = 00:30 on Monday 2 March in Berlin (UTC+1).
    deployments = pl.DataFrame(
        [(1, "r", "production", "success", datetime(2026, 3, 1, 23, 0, tzinfo=UTC), datetime(2026, 3, 1, 23, 30, tzinfo=UTC))],
        schema=DEPLOYMENT_SCHEMA,
        orient="row",
    )
    empty_changes = pl.DataFrame(schema=CHANGE_SCHEMA)
    empty_incidents = pl.DataFrame(schema=INCIDENT_SCHEMA)
    links = link_changes_by_merge_time(deployments, empty_changes)
    berlin = dora_tables(deployments, empty_changes, links, empty_incidents, zone=ZoneInfo("Europe/Berlin"))
    utc = dora_tables(deployments, empty_changes, links, empty_incidents, zone=ZoneInfo("UTC"))
    assert dora_keys(berlin, start=date(2026, 3, 2), end=date(2026, 3, 8)).deployment_days == 1
    assert dora_keys(utc, start=date(2026, 3, 2), end=date(2026, 3, 8)).deployment_days == 0


@pytest.mark.parametrize(
    ("days_per_week", "days_per_month", "band"),
    [
        (5.0, 20.0, Band.ELITE),
        (4.5, 18.0, Band.HIGH),
        (1.0, 4.0, Band.HIGH),
        (0.5, 2.0, Band.MEDIUM),
        (0.0, 1.0, Band.MEDIUM),
        (0.0, 0.5, Band.LOW),
        (None, None, None),
    ],
)
def test_deployment_frequency_bands(days_per_week: float | None, days_per_month: float | None, band: Band | None) -> None:
    assert deployment_frequency_band(days_per_week, days_per_month) is band


@pytest.mark.parametrize(
    ("hours", "band"),
    [
        (23.99, Band.ELITE),
        (24.0, Band.HIGH),
        (167.9, Band.HIGH),
        (168.0, Band.MEDIUM),
        (719.9, Band.MEDIUM),
        (720.0, Band.LOW),
        (None, None),
    ],
)
def test_lead_time_bands(hours: float | None, band: Band | None) -> None:
    assert lead_time_band(hours) is band


@pytest.mark.parametrize(
    ("rate", "band"),
    [
        (0.0, Band.ELITE),
        (1 / 20, Band.ELITE),
        (0.0501, Band.HIGH),
        (0.10, Band.HIGH),
        (0.15, Band.MEDIUM),
        (0.1501, Band.LOW),
        (None, None),
    ],
)
def test_change_failure_rate_bands(rate: float | None, band: Band | None) -> None:
    assert change_failure_rate_band(rate) is band


@pytest.mark.parametrize(
    ("hours", "band"),
    [
        (0.99, Band.ELITE),
        (1.0, Band.HIGH),
        (23.9, Band.HIGH),
        (24.0, Band.MEDIUM),
        (168.0, Band.LOW),
        (None, None),
    ],
)
def test_recovery_bands(hours: float | None, band: Band | None) -> None:
    assert recovery_band(hours) is band


def test_median_is_the_ordinary_median() -> None:
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([]) is None


BASE = datetime(2026, 1, 1, tzinfo=UTC)
minutes = st.integers(min_value=0, max_value=60 * 24 * 60)


@settings(max_examples=60, deadline=None)
@given(
    deployment_starts=st.lists(minutes, min_size=1, max_size=15),
    merges=st.lists(minutes, min_size=0, max_size=20),
    results=st.lists(st.sampled_from(["success", "failure"]), min_size=15, max_size=15),
)
def test_each_change_goes_to_the_first_successful_deployment_started_at_or_after_its_merge(
    deployment_starts: list[int],
    merges: list[int],
    results: list[str],
) -> None:
    deployments = pl.DataFrame(
        [
            (i, "r", "production", results[i], BASE + timedelta(minutes=m), BASE + timedelta(minutes=m + 5))
            for i, m in enumerate(deployment_starts)
        ],
        schema=DEPLOYMENT_SCHEMA,
        orient="row",
    )
    changes = pl.DataFrame(
        [(i, "r", None, BASE, None, BASE + timedelta(minutes=m)) for i, m in enumerate(merges)],
        schema=CHANGE_SCHEMA,
        orient="row",
    )
    links = link_changes_by_merge_time(deployments, changes)
    shipped = dict(zip(links["change_id"].to_list(), links["deployment_id"].to_list(), strict=True))
    assert links.height == len(shipped)  # at most one deployment per change and environment
    successful = [(m, i) for i, m in enumerate(deployment_starts) if results[i] == "success"]
    for change_id, merged in enumerate(merges):
        later = sorted((m, i) for m, i in successful if m >= merged)
        if later:
            assert deployment_starts[shipped[change_id]] == later[0][0]
        else:
            assert change_id not in shipped


@settings(max_examples=60, deadline=None)
@given(
    deployments=st.lists(
        st.tuples(minutes, st.sampled_from(["success", "failure"]), st.sampled_from(["production", "staging"])),
        min_size=1,
        max_size=20,
    ),
    incidents=st.lists(st.tuples(minutes, st.integers(min_value=0, max_value=600)), max_size=10),
)
def test_change_failure_rate_is_a_share_and_the_median_recovery_lies_within_the_values(
    deployments: list[tuple[int, str, str]],
    incidents: list[tuple[int, int]],
) -> None:
    deployment_frame = pl.DataFrame(
        [
            (i, "r", env, result, BASE + timedelta(minutes=m), BASE + timedelta(minutes=m + 5))
            for i, (m, result, env) in enumerate(deployments)
        ],
        schema=DEPLOYMENT_SCHEMA,
        orient="row",
    )
    incident_frame = pl.DataFrame(
        [
            (i, BASE + timedelta(minutes=m), BASE + timedelta(minutes=m + duration), None, None)
            for i, (m, duration) in enumerate(incidents)
        ],
        schema=INCIDENT_SCHEMA,
        orient="row",
    )
    empty_changes = pl.DataFrame(schema=CHANGE_SCHEMA)
    tables = dora_tables(
        deployment_frame, empty_changes, link_changes_by_merge_time(deployment_frame, empty_changes), incident_frame
    )
    keys = dora_keys(tables, start=date(2025, 12, 1), end=date(2026, 4, 1))
    if keys.change_failure_rate is not None:
        assert 0.0 <= keys.change_failure_rate <= 1.0
        assert keys.failed_deployments <= keys.deployments
    values = tables.deployments.filter(pl.col("counted") & pl.col("failed_change"))["recovery_minutes"].drop_nulls()
    if keys.recovery_hours is not None:
        minutes_median = keys.recovery_hours * 60
        assert values.min() - 1e-9 <= minutes_median <= values.max() + 1e-9  # type: ignore[operator]


@settings(max_examples=80, deadline=None)
@given(spans=st.lists(st.integers(min_value=-7200, max_value=10 * 86_400), min_size=4, max_size=4))
def test_breakdown_parts_add_up_to_the_lead_time_within_rounding(spans: list[int]) -> None:
    first_commit = BASE
    opened = first_commit + timedelta(seconds=spans[0])
    reviewed = opened + timedelta(seconds=spans[1])
    merged = reviewed + timedelta(seconds=spans[2])
    deployed_start = merged + timedelta(seconds=abs(spans[3]))
    deployments = pl.DataFrame(
        [(1, "r", "production", "success", deployed_start, deployed_start)], schema=DEPLOYMENT_SCHEMA, orient="row"
    )
    changes = pl.DataFrame([(1, "r", first_commit, opened, reviewed, merged)], schema=CHANGE_SCHEMA, orient="row")
    links = pl.DataFrame({"deployment_id": [1], "change_id": [1]})
    row = dora_tables(deployments, changes, links, pl.DataFrame(schema=INCIDENT_SCHEMA)).changes.row(0, named=True)
    parts = [row["coding_minutes"], row["pickup_minutes"], row["review_minutes"], row["deploy_minutes"]]
    for part, span in zip(parts[:3], spans[:3], strict=True):
        assert part is None if span < 0 else part == -(-span // 60)  # minutes rounded up; negative is missing
    if all(part is not None for part in parts) and row["lead_time_minutes"] is not None:
        assert row["lead_time_minutes"] <= sum(parts) <= row["lead_time_minutes"] + 3
