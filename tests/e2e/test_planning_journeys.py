"""Browser journey: a planning run live by two participants; the facilitator forecasts and commits the plan as the
team's forecast, and the other participant sees each step without reloading."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import People
from tests.e2e.test_retro_journeys import participant

pytestmark = pytest.mark.browser


def test_planning_facilitator_commits_the_plan_and_the_other_participant_sees_it(browser: Browser, base_url: str) -> None:
    dm = participant(browser, base_url, People.dm)
    member = participant(browser, base_url, People.alpha_member)
    dm.goto(f"{base_url}/teams/alpha/sessions")
    dm.get_by_label("Kind").select_option(label="Planning")
    dm.get_by_label("Title (optional)").fill("Sprint 14 planning")
    dm.get_by_role("button", name="Start and open").click()
    expect(dm.get_by_role("heading", name="Sprint 14 planning", level=1)).to_be_visible()
    member.goto(dm.url)
    for page in (dm, member):
        expect(page.locator("#connection")).to_have_text("Live")
        expect(page.get_by_role("heading", name="Capacity guide")).to_be_visible()
        expect(page.get_by_text("No forecast yet.")).to_be_visible()
    # Only the facilitator forecasts and commits.
    expect(member.get_by_role("button", name="Forecast how many by this date")).to_have_count(0)
    # The other participant plans the item in focus; the facilitator sees the count move.
    member.get_by_role("group", name=re.compile("^Decision on ")).get_by_role("button", name="Plan it").click()
    expect(dm.get_by_text(re.compile(r"^Planned: 1 items"))).to_be_visible()
    dm.get_by_role("button", name="Forecast how many by this date").click()
    guide = re.compile(
        r"^By \d{4}-\d{2}-\d{2}: at least \d+ items with 85% confidence, \d+ with 50%\. A what-if until committed\.$"
    )
    expect(member.get_by_text(guide)).to_be_visible()
    dm.get_by_role("button", name="Commit as the team's plan").click()
    committed = re.compile(r"^By \d{4}-\d{2}-\d{2}: at least \d+ items .* Committed as the team's plan\.$")
    for page in (dm, member):
        expect(page.get_by_text(committed)).to_be_visible()
    expect(dm.get_by_role("button", name="Commit as the team's plan")).to_have_count(0)
    # The committed plan is the team's forecast, scored like every commitment.
    session_id = dm.url.rstrip("/").rsplit("/", 1)[1]
    state = member.request.get(f"{base_url}/api/v1/sessions/{session_id}").json()
    forecast_id = state["planning"]["guide"]["forecast_id"]
    forecast = member.request.get(f"{base_url}/api/v1/forecasts/{forecast_id}").json()
    assert forecast["commitment"] == "plan"
