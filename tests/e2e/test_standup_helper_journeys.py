"""Browser journey: at a stand-up the facilitator notes someone else as a helper (swarm), and what changed since
the last working day is named by its weekday."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import People
from tests.e2e.test_retro_journeys import participant

pytestmark = pytest.mark.browser


def test_the_facilitator_notes_another_helper_and_everyone_sees_it(browser: Browser, base_url: str) -> None:
    dm = participant(browser, base_url, People.dm)
    member = participant(browser, base_url, People.alpha_member)
    dm.goto(f"{base_url}/teams/alpha/sessions")
    dm.get_by_label("Kind").select_option(label="Stand-up")
    dm.get_by_label("Title (optional)").fill("Helpers stand-up")
    dm.get_by_role("button", name="Start and open").click()
    expect(dm.get_by_role("heading", name="Helpers stand-up", level=1)).to_be_visible()
    member.goto(dm.url)
    expect(member.locator("#connection")).to_have_text("Live")
    weekday = r"(Monday|Tuesday|Wednesday|Thursday|Friday)"
    expect(
        member.get_by_role("heading", name=re.compile(rf"^Since the last working day \({weekday} \d{{4}}-\d{{2}}-\d{{2}}\)$"))
    ).to_be_visible()
    key = dm.locator(".session-item.current").get_attribute("data-key")
    dm.get_by_label("Someone else helps").select_option(label="Al Member")
    dm.get_by_role("button", name=f"Note helper for {key}").click()
    expect(member.locator(".session-item.current")).to_contain_text("Helping: Al Member")
    # Naming the helper again takes them off.
    dm.get_by_label("Someone else helps").select_option(label="Al Member (helping: take off)")
    dm.get_by_role("button", name=f"Note helper for {key}").click()
    expect(member.locator(".session-item.current")).not_to_contain_text("Helping:")
