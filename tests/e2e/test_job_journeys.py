"""Browser journey: an admin follows background jobs on the jobs page, by keyboard, at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import People
from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.browser


def test_admin_follows_jobs_by_keyboard_at_phone_width(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, base_url, People.admin)
    page.goto(f"{base_url}/impediments/clusters")
    page.get_by_role("button", name="Look for new clusters now").click()  # queues a job (run at once by the test server)
    expect(page.get_by_role("status")).to_contain_text("A background job is looking for new clusters")

    page.goto(f"{base_url}/admin/jobs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Jobs")
    expect(page.get_by_role("link", name="Look for cross-team impediment clusters").first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the jobs page scrolls sideways at phone width ({overflow}px)"

    page.get_by_role("link", name=re.compile(r"^Failed \(\d+\)$")).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/jobs\?state=failed$"))
    expect(page.get_by_role("link", name=re.compile(r"^Failed \(\d+\)$"))).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No jobs here")).to_be_visible()

    page.goto(f"{base_url}/admin/jobs?state=succeeded")
    page.get_by_role("link", name="Look for cross-team impediment clusters").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Look for cross-team impediment clusters")
    expect(page.get_by_text("succeeded", exact=True)).to_be_visible()
    context.close()
