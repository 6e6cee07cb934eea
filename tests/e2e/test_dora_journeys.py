"""Browser journeys: an admin loads a team's DORA files; a member reads the keys, switches the period,
opens a drill-down list and follows a definition link, on a desktop and at phone width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import People
from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def person(browser: Browser, base_url: str, email: str, *, width: int = 1280) -> Page:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base_url, email)
    return page


def upload_examples(browser: Browser, base_url: str) -> None:
    """An admin uploads the example files to team Beta, once per server (the journeys share it)."""
    admin = person(browser, base_url, People.admin)
    admin.goto(f"{base_url}/teams/beta/dora")
    if admin.get_by_role("heading", name="No deployments yet").count():
        admin.get_by_role("link", name="Upload CSV files").first.click()
        for kind, count in (("changes", 8), ("deployments", 10), ("incidents", 4)):
            admin.get_by_label(kind, exact=True).check()
            admin.get_by_label("CSV file", exact=True).set_input_files(str(EXAMPLES / f"dora-{kind}.csv"))
            admin.get_by_role("button", name="Import").click()
            expect(admin.get_by_role("status")).to_have_text(f"Imported {count} {kind} from the file.")
    admin.context.close()


def test_dora_from_csv_files_to_drill_down_and_definition(browser: Browser, base_url: str) -> None:
    upload_examples(browser, base_url)

    member = person(browser, base_url, People.beta_member)
    member.get_by_role("link", name="DORA", exact=True).click()
    member.get_by_role("link", name="Beta").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("DORA of Beta")
    member.get_by_label("From", exact=True).fill("2026-03-02")
    member.get_by_label("To", exact=True).fill("2026-03-15")
    member.get_by_label("Trend by").select_option("month")
    member.get_by_role("button", name="Update").click()
    keys = member.get_by_role("region", name="The four keys")
    expect(keys).to_contain_text("3.0")
    expect(keys).to_contain_text("23.4 h")
    expect(keys).to_contain_text("42.9%")
    expect(keys).to_contain_text("8.0 h")
    expect(keys).to_contain_text("14.3%")  # rework: d10 was deployed while incident 4 was open, 1 of 7
    expect(member.get_by_role("row", name=re.compile("^Lead time for changes"))).to_contain_text("< 1 day ◀ this team")
    expect(member.locator("#chart-lead-time .main-svg").first).to_be_attached()

    member.get_by_label("Trend by").select_option("week")
    member.get_by_role("button", name="Update").click()
    expect(member).to_have_url(re.compile(r"period=week"))
    member.get_by_role("navigation", name="Lists").get_by_role("link", name="Incidents").click()
    expect(member.get_by_role("cell", name=re.compile("INC-3"))).to_be_visible()
    expect(member.get_by_role("row", name=re.compile("INC-3"))).to_contain_text("named by the source")

    member.get_by_role("link", name=re.compile("lead time for changes")).click()
    expect(member).to_have_url(re.compile(r"/definitions#lead-time$"))
    expect(member.locator("#lead-time")).to_be_in_viewport()


def test_the_dora_page_fits_a_phone(browser: Browser, base_url: str) -> None:
    upload_examples(browser, base_url)
    phone = person(browser, base_url, People.ops, width=390)
    phone.goto(f"{base_url}/teams/beta/dora?from=2026-03-02&to=2026-03-15")
    expect(phone.get_by_role("heading", level=1)).to_have_text("DORA of Beta")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    phone.keyboard.press("Tab")
    phone.get_by_role("navigation", name="Lists").get_by_role("link", name="Changes").focus()
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(re.compile(r"list=changes"))
    expect(phone.get_by_role("cell", name=re.compile("shop#2"))).to_be_visible()
