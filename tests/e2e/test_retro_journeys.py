"""Browser journey: two participants on their own devices run a retro; each sees the other's changes live."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import People
from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.browser


def participant(browser: Browser, base_url: str, email: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base_url, email)
    return page


def test_two_participants_write_group_vote_and_decide(browser: Browser, base_url: str) -> None:
    dm = participant(browser, base_url, People.dm)
    member = participant(browser, base_url, People.alpha_member)
    dm.goto(f"{base_url}/teams/alpha/retros")
    dm.get_by_label("Title").fill("Sprint 12 retro")
    dm.get_by_role("button", name="Schedule and open the board").click()
    expect(dm.get_by_role("heading", name="Sprint 12 retro")).to_be_visible()
    board_url = dm.url
    member.goto(board_url)
    expect(member.locator("#connection")).to_have_text("Live")
    expect(dm.locator("#connection")).to_have_text("Live")

    dm.get_by_role("button", name="Next phase").click()  # review → reflect
    expect(member.locator(".phases li.current")).to_have_text("reflect")  # the member sees it live
    member.get_by_label("New card in Stop").fill("Starting stories without acceptance criteria")
    member.locator(".retro-column").filter(has_text="Stop").get_by_role("button", name="Add card").click()
    dm.get_by_label("New card in Stop").fill("Stories begun with no acceptance criteria")
    dm.locator(".retro-column").filter(has_text="Stop").get_by_role("button", name="Add card").click()
    # While reflecting, cards are private: each sees their own and a count of the others'.
    expect(dm.get_by_text("1 private card from others")).to_be_visible()
    expect(dm.get_by_text("Starting stories without acceptance criteria")).to_have_count(0)

    dm.get_by_role("button", name="Next phase").click()  # → group: all cards revealed, live
    expect(member.get_by_text("Stories begun with no acceptance criteria")).to_be_visible()
    member.get_by_label("Theme", exact=True).fill("Definition of ready")
    member.get_by_role("button", name="Add theme").click()
    expect(dm.get_by_label("Theme of: Starting stories without acceptance criteria")).to_be_visible()
    for text in ("Starting stories without acceptance criteria", "Stories begun with no acceptance criteria"):
        dm.get_by_label(f"Theme of: {text}").select_option(label="Definition of ready")
        # The answer redraws the board; wait for it before touching the next card.
        expect(dm.get_by_label(f"Theme of: {text}")).to_have_value(re.compile(r"\d+"))
    expect(member.get_by_label("Theme of: Stories begun with no acceptance criteria")).to_have_value(re.compile(r"\d+"))

    dm.get_by_role("button", name="Next phase").click()  # → vote
    member.get_by_role("button", name="Vote for Definition of ready").click()
    dm.get_by_role("button", name="Vote for Definition of ready").click()
    expect(member.get_by_text("Votes left: 2 of 3. Counts stay hidden until voting ends.")).to_be_visible()
    expect(member.get_by_role("heading", name=re.compile("votes"))).to_have_count(0)  # hidden while voting

    dm.get_by_role("button", name="Next phase").click()  # → discuss: counts revealed to everyone
    expect(member.get_by_role("heading", name="Definition of ready — 2 votes")).to_be_visible()
    member.get_by_label("New action").fill("Refine stories until they have acceptance criteria")
    member.get_by_role("button", name="Add action").click()
    expect(dm.get_by_role("link", name="Refine stories until they have acceptance criteria")).to_be_visible()
    # Anonymous: nobody's name appears on the cards and themes (the action form lists possible owners).
    assert "Dora Manager" not in member.locator("#board .retro-themes").inner_text()
    assert "Al Member" not in dm.locator("#board .retro-themes").inner_text()


def test_other_team_is_refused(browser: Browser, base_url: str) -> None:
    outsider = participant(browser, base_url, People.beta_member)
    outsider.goto(f"{base_url}/teams/alpha/retros")
    expect(outsider.get_by_role("heading", name="Not allowed")).to_be_visible()


@pytest.mark.slow
def test_drag_and_drop_grouping_seen_live_by_the_other_participant(browser: Browser, base_url: str) -> None:
    dm = participant(browser, base_url, People.dm)
    member = participant(browser, base_url, People.alpha_member)
    dm.goto(f"{base_url}/teams/alpha/retros")
    dm.get_by_label("Title").fill("Sprint 13 retro")
    dm.get_by_role("button", name="Schedule and open the board").click()
    expect(dm.get_by_role("heading", name="Sprint 13 retro")).to_be_visible()
    member.goto(dm.url)
    expect(member.locator("#connection")).to_have_text("Live")
    # Only the facilitator gets the controls; the member is not offered buttons that would be refused.
    expect(member.get_by_role("button", name="Next phase")).to_have_count(0)
    expect(member.get_by_role("button", name="Start timer")).to_have_count(0)
    dm.get_by_role("button", name="Shuffle").click()  # an icebreaker question, seen live by the member
    expect(member.locator(".icebreaker-question")).to_be_visible()
    expect(member.get_by_role("button", name="Shuffle")).to_have_count(0)
    dm.get_by_role("button", name="Next phase").click()  # → reflect
    expect(member.locator(".phases li.current")).to_have_text("reflect")
    member.get_by_label("New card in Stop").fill("Deploys wait for a manual approval")
    member.locator(".retro-column").filter(has_text="Stop").get_by_role("button", name="Add card").click()
    expect(member.get_by_text("Deploys wait for a manual approval")).to_be_visible()
    dm.get_by_label("New card in Start").fill("Automate deploy approvals")
    dm.locator(".retro-column").filter(has_text="Start").get_by_role("button", name="Add card").click()
    expect(dm.get_by_text("Automate deploy approvals")).to_be_visible()
    dm.get_by_role("button", name="Next phase").click()  # → group
    dm.get_by_label("Theme", exact=True).fill("Approvals")
    dm.get_by_role("button", name="Add theme").click()
    theme = dm.locator('.retro-zone:not([data-theme="none"])')
    expect(theme.get_by_role("heading", name="Approvals")).to_be_visible()
    for text in ("Deploys wait for a manual approval", "Automate deploy approvals"):
        dm.locator(".retro-card", has_text=text).drag_to(theme)
        expect(theme.locator(".retro-card", has_text=text)).to_be_visible()
    # The other participant sees the grouping live, and each card still shows its column.
    seen = member.locator('.retro-zone:not([data-theme="none"])')
    expect(seen.locator(".retro-card")).to_have_count(2)
    expect(seen.locator(".retro-card", has_text="Deploys wait").locator(".card-column")).to_have_text("Stop")
    expect(seen.locator(".retro-card", has_text="Automate").locator(".card-column")).to_have_text("Start")
    # Dragging the cards back out empties the theme: it disappears, and the board says so.
    for text in ("Deploys wait for a manual approval", "Automate deploy approvals"):
        loose = dm.locator('.retro-zone[data-theme="none"]')
        dm.locator(".retro-card", has_text=text).drag_to(loose)
        expect(loose.locator(".retro-card", has_text=text)).to_be_visible()
    expect(dm.get_by_role("status").filter(has_text="had no cards left and was removed")).to_be_visible()
    expect(member.get_by_role("heading", name="Approvals")).to_have_count(0)
    # Reactions: one of each emoji per participant, counts seen live.
    member.get_by_role("button", name=re.compile("^React \N{THUMBS UP SIGN} to: Automate deploy approvals")).click()
    expect(dm.get_by_role("button", name="React \N{THUMBS UP SIGN} to: Automate deploy approvals (1)")).to_be_visible()
    # A finished board is read-only for everyone: no phase control, no forms, reactions shown as counts.
    for _phase in ("vote", "discuss", "actions", "finished"):
        dm.get_by_role("button", name="Next phase").click()
        expect(member.locator(".phases li.current")).to_have_text(_phase)
    for page in (dm, member):
        expect(page.get_by_text("This retro is finished: the board is read-only.")).to_be_visible()
        expect(page.get_by_role("button", name="Next phase")).to_have_count(0)
        expect(page.locator("#board").get_by_role("button")).to_have_count(0)
        expect(page.locator("#board input, #board textarea, #board select")).to_have_count(0)


def test_suggest_themes_groups_cards_that_read_alike(browser: Browser, base_url: str) -> None:
    dm = participant(browser, base_url, People.dm)
    dm.goto(f"{base_url}/teams/alpha/retros")
    dm.get_by_label("Title").fill("Sprint 14 retro")
    dm.get_by_role("button", name="Schedule and open the board").click()
    expect(dm.get_by_role("heading", name="Sprint 14 retro")).to_be_visible()
    dm.get_by_role("button", name="Next phase").click()  # → reflect
    for text in ("Starting stories without acceptance criteria", "Stories begun with no acceptance criteria", "Coffee"):
        dm.get_by_label("New card in Stop").fill(text)
        dm.locator(".retro-column").filter(has_text="Stop").get_by_role("button", name="Add card").click()
        expect(dm.get_by_text(text)).to_be_visible()
    dm.get_by_role("button", name="Next phase").click()  # → group
    dm.get_by_role("button", name="Suggest themes").click()  # reads the page of suggested themes
    theme = dm.locator('.retro-zone:not([data-theme="none"])')
    expect(theme.get_by_role("heading", name="Stories acceptance criteria")).to_be_visible()
    expect(theme.locator(".retro-card")).to_have_count(2)
    expect(dm.locator('.retro-zone[data-theme="none"] .retro-card', has_text="Coffee")).to_be_visible()
