"""Browser journey: a stand-up walked live by two participants, and a late joiner who catches up."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import People
from tests.e2e.test_foundation_journeys import sign_in
from tests.e2e.test_retro_journeys import participant

pytestmark = pytest.mark.browser


def test_standup_facilitator_walks_the_board_and_others_follow(browser: Browser, base_url: str) -> None:
    dm = participant(browser, base_url, People.dm)
    member = participant(browser, base_url, People.alpha_member)
    dm.goto(f"{base_url}/teams/alpha/sessions")
    dm.get_by_label("Kind").select_option(label="Stand-up")
    dm.get_by_label("Title (optional)").fill("Daily stand-up")
    dm.get_by_role("button", name="Start and open").click()
    expect(dm.get_by_role("heading", name="Daily stand-up", level=1)).to_be_visible()
    member.goto(dm.url)
    for page in (dm, member):
        expect(page.locator("#connection")).to_have_text("Live")
        expect(page.locator("#now")).to_have_text(re.compile(r"^Now: \S+ \(1 of \d+\)$"))
    # The walk starts on the right of the board; each item shows its age against the SLE.
    expect(member.locator(".session-item.current")).to_contain_text(re.compile(r"Age \d+ days of the \d+-day SLE"))
    expect(member.get_by_text(re.compile(r"^Moved: "))).to_be_visible()  # what changed since yesterday
    # Only the facilitator moves the walk along.
    expect(member.get_by_role("button", name="Next item")).to_have_count(0)
    dm.get_by_role("button", name="Next item").click()
    expect(member.locator("#now")).to_have_text(re.compile(r"\(2 of \d+\)$"))
    second = member.locator(".session-item.current").get_attribute("data-key")
    member.get_by_role("button", name=f"Help with {second}").click()
    expect(dm.locator(".session-item.current")).to_contain_text("Helping: Al Member")
    dm.get_by_role("button", name=f"Raise impediment for {second}").click()
    expect(
        member.locator(".session-item.current").get_by_role("link", name=re.compile(f"^Impediment: {second} blocked"))
    ).to_be_visible()
    # A late joiner (the member's second device) catches up: the current item and what was noted on it.
    late = participant(browser, base_url, People.alpha_member)
    late.goto(dm.url)
    expect(late.locator("#connection")).to_have_text("Live")
    expect(late.locator("#now")).to_have_text(re.compile(r"\(2 of \d+\)$"))
    expect(late.locator(".session-item.current")).to_contain_text("Helping: Al Member")
    # Finishing records the outcome and makes the page read-only for everyone.
    dm.get_by_role("button", name="Finish").click()
    for page in (member, late):
        expect(page.get_by_text("This session is finished: the page is read-only.")).to_be_visible()
        expect(page.get_by_text(re.compile(r"^Outcome: \d+ items walked; 1 swarmed; 1 impediments raised"))).to_be_visible()
        expect(page.locator("#agenda").get_by_role("button")).to_have_count(0)


def test_refinement_on_a_phone_by_keyboard(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base_url, People.alpha_member)
    page.goto(f"{base_url}/teams/alpha/sessions")
    page.get_by_label("Kind").select_option(label="Refinement")
    page.get_by_role("button", name="Start and open").click()
    expect(page.locator("#connection")).to_have_text("Live")
    current = page.locator(".session-item.current")
    expect(current).to_contain_text(re.compile(r"SLE|history"))  # the right-size check, with its evidence
    page.get_by_label("Acceptance criteria (optional)").fill("Shows the refund")
    page.get_by_label("Estimate (optional)").focus()
    page.keyboard.type("3")
    page.keyboard.press("Tab")  # to "Save notes"
    page.keyboard.press("Enter")
    page.get_by_role("group", name=re.compile("^Decision on ")).get_by_role("button", name="Split").click()
    expect(current).to_contain_text("Decided: split")
    expect(page.get_by_label("Acceptance criteria (optional)")).to_have_value("Shows the refund")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
