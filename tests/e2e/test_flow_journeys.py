"""Browser journeys for work-item history, flow and forecasts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from deliveryops.flow.charts import FLOW_CHARTS
from tests.e2e.conftest import People
from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


def test_delivery_manager_reads_flow_and_forecasts(page: Page, base_url: str) -> None:
    sign_in(page, base_url, People.dm)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Flow").click()
    page.get_by_role("link", name="Alpha").click()
    expect(page.get_by_role("heading", name="Flow of Alpha")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(len(FLOW_CHARTS))  # Plotly, served locally, drew them
    scatter = page.locator("#chart-cycle-times")
    expect(scatter.get_by_role("heading")).to_have_text("Cycle time of finished items")
    expect(scatter.get_by_role("link", name="Download CSV")).to_have_attribute("href", re.compile(r"cycle-times\.csv"))
    with page.expect_download() as download:
        scatter.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "alpha-cycle-times.csv"
    scatter.get_by_role("link", name="Definition").click()
    expect(page).to_have_url(re.compile(r"/definitions#cycle-time$"))
    page.go_back()
    page.goto(f"{base_url}/teams/alpha/forecasts")
    page.get_by_label("Number of items").fill("15")
    page.get_by_role("button", name="Forecast").first.click()
    expect(page.get_by_role("heading", name="15 items", exact=True)).to_be_visible()
    expect(page.locator("#result table tbody tr")).to_have_count(4)
    expect(page.locator("#chart-forecast .js-plotly-plot")).to_have_count(1)


def test_admin_imports_with_preview_and_maps_workflow(page: Page, base_url: str) -> None:
    sign_in(page, base_url, People.admin)
    page.goto(f"{base_url}/teams/beta")
    page.get_by_role("link", name="Import a file").first.click()
    page.get_by_label("CSV file").set_input_files(str(EXAMPLES / "full-history.csv"))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Format: full-history")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"Import 6 items"))).to_be_visible()
    page.get_by_role("button", name=re.compile(r"Import 6 items")).click()
    expect(page.get_by_role("status")).to_contain_text("6 items created")
    page.get_by_role("link", name="Map them on the workflow page").click()
    expect(page.get_by_role("heading", name=re.compile(r"statuses to map"))).to_be_visible()
    categories = {"Backlog": "backlog", "Development": "active", "Done": "done", "Review": "waiting", "Discarded": "discarded"}
    for index, category in enumerate(categories.values(), start=1):
        page.locator(f"#cat-{index}").select_option(category)
    page.get_by_role("button", name="Move Review left").click()  # Review before Done
    page.get_by_role("button", name="Save workflow").click()
    expect(page.get_by_role("status")).to_have_text("Saved. Every metric now uses this workflow.")
    expect(page.locator(".status-name")).to_have_text(["Backlog", "Development", "Review", "Done", "Discarded"])


def test_calibration_view_and_commit_as_team_plan(page: Page, base_url: str) -> None:
    sign_in(page, base_url, People.alpha_member)
    page.goto(f"{base_url}/teams/alpha/forecasts")
    track = page.locator("#calibration")
    expect(track.locator("tbody tr")).to_have_count(4)  # 50/70/85/95
    verdicts = track.locator("tbody .verdict")
    for index in range(4):
        expect(verdicts.nth(index)).to_have_text(
            re.compile(r"^(well calibrated|too cautious|overconfident|not enough forecasts)$")
        )
    expect(track.locator("li").first).to_contain_text("95% interval")
    expect(page.locator("#chart-calibration .js-plotly-plot")).to_have_count(1)
    expect(page.locator("#chart-calibration").get_by_role("link", name="Definition")).to_have_attribute(
        "href", re.compile(r"/definitions#forecast-calibration$")
    )
    # A what-if is offered for commitment; committing it (keyboard only) makes it the team's plan.
    page.get_by_label("Number of items").fill("12")
    page.get_by_label("Number of items").press("Enter")
    expect(page.get_by_text("This is a what-if: it is not scored.")).to_be_visible()
    commit = page.get_by_role("button", name="Commit as team plan")
    commit.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#commitment")).to_contain_text("Committed as the team's plan")
    expect(page.get_by_role("button", name="Commit as team plan")).to_have_count(0)
    page.set_viewport_size({"width": 375, "height": 800})  # phone width: the table scrolls, the page does not
    page.goto(f"{base_url}/teams/alpha/forecasts")
    expect(page.locator("#calibration tbody tr")).to_have_count(4)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
