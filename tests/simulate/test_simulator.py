"""Behaviour of the organisation simulator: determinism, believable histories, the demo teams' characters."""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliveryops.simulate import (
    SimulatedTeam,
    demo_profiles,
    public_holidays,
    simulate_organisation,
    simulate_team,
)
from deliveryops.work.records import LinkRecord, StageCategory, WorkItemRecord

END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo() -> dict[str, SimulatedTeam]:
    return {team.name: team for team in simulate_organisation(teams=6, months=18, seed=42, end=END)}


def _categories(team: SimulatedTeam) -> dict[str, StageCategory]:
    return {status.name: status.category for status in team.workflow}


def _started_at(item: WorkItemRecord, categories: dict[str, StageCategory]) -> list[datetime]:
    return [t.at for t in item.transitions if categories[t.to_status].is_started]


def _assert_believable(team: SimulatedTeam) -> None:
    """Invariants every simulated history must satisfy."""
    categories = _categories(team)
    zone = ZoneInfo(team.time_zone)
    day_start = team.profile.day_start
    # One minute of slack: ties rounded to the same second are nudged a second apart.
    day_end = (datetime.combine(END, day_start) + timedelta(hours=team.profile.working_hours, minutes=1)).time()
    keys = {item.external_key: item for item in team.items}
    assert len(keys) == len(team.items)
    for item in team.items:
        times = [t.at for t in item.transitions]
        assert times == sorted(times), item.external_key
        assert len(set(times)) == len(times), item.external_key
        assert item.created_at == times[0]
        assert item.transitions[0].from_status is None
        for before, after in zip(item.transitions, item.transitions[1:], strict=False):
            assert after.from_status == before.to_status
        for moment in times:
            local = moment.astimezone(zone)
            assert moment.tzinfo is not None
            assert local.weekday() < 5, (item.external_key, local)
            assert local.date() not in public_holidays(team.profile.holiday_region, local.year)
            assert day_start <= local.time() <= day_end
            assert team.start <= local.date() <= team.end
        started = _started_at(item, categories)
        current = categories[item.transitions[-1].to_status]
        if current.is_started or current is StageCategory.DONE:
            assert started, f"{item.external_key} is {current} without a start"
        if current is StageCategory.DONE:
            assert times[-1] > started[0]
        for interval in item.blocked_intervals:
            assert interval.origin == "flag"
            assert interval.reason
            assert started
            assert interval.start >= started[0]
            if interval.end is None:
                assert current.is_started
            else:
                assert interval.end > interval.start
                if current in (StageCategory.DONE, StageCategory.DISCARDED):
                    assert interval.end <= times[-1]
        for interval in item.blocked_intervals:
            if interval.reason.startswith(f"Waiting on {team.key}-"):
                # Blocked by another item of the team: one that was in progress at the time.
                blocker = keys[interval.reason.removeprefix("Waiting on ")]
                assert _started_at(blocker, categories)[0] < interval.start
                if not categories[blocker.transitions[-1].to_status].is_started:
                    assert blocker.transitions[-1].at > interval.start
                assert LinkRecord(kind="is_blocked_by", other_key=blocker.external_key) in item.links
        for link in item.links:
            other = keys[link.other_key]
            inverse = "blocks" if link.kind == "is_blocked_by" else "is_blocked_by"
            assert any(x.kind == inverse and x.other_key == item.external_key for x in other.links)
        if item.parent_key is not None:
            epic = keys[item.parent_key]
            assert epic.item_type == "Epic"
            assert epic.created_at < item.created_at


def _moves(teams: Iterable[SimulatedTeam]) -> set[tuple[StageCategory | str, StageCategory | str]]:
    """(from, to) pairs of status names and of categories seen in the histories."""
    seen: set[tuple[StageCategory | str, StageCategory | str]] = set()
    for team in teams:
        categories = _categories(team)
        for item in team.items:
            for t in item.transitions[1:]:
                assert t.from_status is not None
                seen.add((t.from_status, t.to_status))
                seen.add((categories[t.from_status], categories[t.to_status]))
    return seen


def test_same_seed_gives_identical_output() -> None:
    profile = demo_profiles()[0]
    first = simulate_team(profile, start=date(2025, 1, 1), end=date(2025, 6, 30), seed=7)
    second = simulate_team(profile, start=date(2025, 1, 1), end=date(2025, 6, 30), seed=7)
    assert first.items == second.items
    assert len(first.items) > 50


def test_different_seed_gives_different_output() -> None:
    profile = demo_profiles()[0]
    first = simulate_team(profile, start=date(2025, 1, 1), end=date(2025, 6, 30), seed=7)
    second = simulate_team(profile, start=date(2025, 1, 1), end=date(2025, 6, 30), seed=8)
    assert [i.transitions for i in first.items] != [i.transitions for i in second.items]


def test_organisation_is_deterministic_and_teams_are_independent() -> None:
    def run(teams: int) -> list[SimulatedTeam]:
        return list(simulate_organisation(teams=teams, months=3, seed=5, end=END))

    three, again, two = run(3), run(3), run(2)
    assert [t.items for t in three] == [t.items for t in again]
    # Team k's history depends on (seed, k) only, not on how many teams are simulated.
    assert [t.items for t in three[:2]] == [t.items for t in two]
    assert three[0].items != three[1].items


def test_demo_histories_are_believable(demo: dict[str, SimulatedTeam]) -> None:
    assert list(demo) == ["Payments", "Checkout", "Search", "Mobile", "Data Platform", "Growth"]
    assert demo["Mobile"].time_zone == "America/New_York"
    assert demo["Payments"].time_zone == "Europe/Berlin"
    for team in demo.values():
        _assert_believable(team)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), team=st.integers(0, 5), months=st.integers(1, 4))
def test_any_seed_gives_believable_histories(seed: int, team: int, months: int) -> None:
    start = date(2025, 12, 1)
    end = start + timedelta(days=30 * months)
    _assert_believable(simulate_team(demo_profiles()[team], start=start, end=end, seed=seed))


def test_demo_teams_finish_a_realistic_number_of_items(demo: dict[str, SimulatedTeam]) -> None:
    for team in demo.values():
        categories = _categories(team)
        finished = [
            i for i in team.items if i.item_type != "Epic" and categories[i.transitions[-1].to_status] is StageCategory.DONE
        ]
        assert 150 <= len(finished) <= 400, (team.name, len(finished))


def test_demo_has_reopened_discarded_backward_and_skipped_moves(demo: dict[str, SimulatedTeam]) -> None:
    moves = _moves(demo.values())
    assert (StageCategory.DONE, StageCategory.ACTIVE) in moves  # reopened
    assert (StageCategory.BACKLOG, StageCategory.DISCARDED) in moves  # dropped in grooming
    assert (StageCategory.ACTIVE, StageCategory.DISCARDED) in moves  # abandoned after start
    assert (StageCategory.ACTIVE, StageCategory.BACKLOG) in moves  # parked
    assert ("In Review", "In Progress") in moves  # review sent it back
    assert ("In Progress", "Ready to Deploy") in moves  # review skipped
    assert ("Backlog", "In Progress") in moves  # urgent bug, Ready skipped
    assert ("In Progress", "Done") in moves  # spike, nothing to deploy
    resolutions = {i.resolution for t in demo.values() for i in t.items}
    assert {"Done", "Won't Do", None} <= resolutions


def _median_cycle_days(team: SimulatedTeam, first: date, last: date) -> float:
    """Median days from first start to last entry into done, for items finished in [first, last]."""
    categories = _categories(team)
    days = []
    for item in team.items:
        done = [t.at for t in item.transitions if categories[t.to_status] is StageCategory.DONE]
        started = _started_at(item, categories)
        if item.item_type == "Epic" or not done or categories[item.transitions[-1].to_status] is not StageCategory.DONE:
            continue
        if first <= done[-1].date() <= last:
            days.append((done[-1] - started[0]).total_seconds() / 86400)
    return statistics.median(days)


def test_improving_team_gets_faster_and_degrading_team_slower(demo: dict[str, SimulatedTeam]) -> None:
    for name, gets_faster in (("Checkout", True), ("Search", False)):
        team = demo[name]
        early = _median_cycle_days(team, team.start, team.start + timedelta(days=91))
        late = _median_cycle_days(team, team.end - timedelta(days=91), team.end)
        assert (late < early) is gets_faster, (name, early, late)


def test_data_platform_is_the_most_blocked_team(demo: dict[str, SimulatedTeam]) -> None:
    share = {name: sum(1 for i in team.items if i.blocked_intervals) / len(team.items) for name, team in demo.items()}
    assert max(share, key=lambda name: share[name]) == "Data Platform"
    reasons = {b.reason for i in demo["Data Platform"].items for b in i.blocked_intervals}
    assert "Data access request pending" in reasons
    assert "Test environment down" in reasons
    assert any(i.links for t in demo.values() for i in t.items)


def test_epics_have_children_and_close_after_them(demo: dict[str, SimulatedTeam]) -> None:
    for team in demo.values():
        epics = {i.external_key: i for i in team.items if i.item_type == "Epic"}
        children: dict[str, list[WorkItemRecord]] = {key: [] for key in epics}
        for item in team.items:
            if item.parent_key is not None:
                children[item.parent_key].append(item)
        assert epics
        assert sum(1 for kids in children.values() if kids) >= 0.8 * len(epics)
        for key, epic in epics.items():
            if epic.transitions[-1].to_status == "Done":
                assert all(epic.transitions[-1].at > kid.transitions[-1].at for kid in children[key])


def test_work_happens_in_local_working_hours(demo: dict[str, SimulatedTeam]) -> None:
    mobile = demo["Mobile"]
    local = [t.at.astimezone(ZoneInfo("America/New_York")) for i in mobile.items for t in i.transitions]
    assert min(x.time() for x in local) >= time(9, 0)
    assert date(2025, 7, 4) not in {x.date() for x in local}  # Independence Day
    berlin = [t.at.astimezone(ZoneInfo("Europe/Berlin")).date() for i in demo["Payments"].items for t in i.transitions]
    assert date(2025, 12, 25) not in berlin  # Christmas
    assert date(2025, 4, 18) not in berlin  # Good Friday


def test_items_target_scales_the_organisation_and_progress_is_reported() -> None:
    calls: list[tuple[int, int]] = []
    teams = list(
        simulate_organisation(teams=4, months=6, seed=3, end=END, items_target=6000, progress=lambda d, t: calls.append((d, t)))
    )
    total = sum(len(t.items) for t in teams)
    assert 5400 <= total <= 6600
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert [t.key for t in teams] == ["PAY", "CHK", "SRCH", "MOB"]


def test_organisation_variants_have_distinct_names_and_keys() -> None:
    teams = list(simulate_organisation(teams=8, months=1, seed=1, end=END))
    assert [t.name for t in teams][6:] == ["Payments 2", "Checkout 2"]
    assert len({t.key for t in teams}) == 8


def test_bad_arguments_are_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="teams and months must be at least 1"):
        simulate_organisation(teams=0, months=3, seed=1, end=END)
    with pytest.raises(ValueError, match="is before start"):
        simulate_team(demo_profiles()[0], start=date(2025, 2, 1), end=date(2025, 1, 1), seed=1)


def test_simulator_is_pure() -> None:
    code = (
        "import sys, deliveryops.simulate; "
        "print(sorted(m for m in ('sqlalchemy', 'fastapi', 'httpx', 'polars') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
