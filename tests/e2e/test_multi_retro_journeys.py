"""Browser journey: a multi-team retro. Product Ops facilitates; a member of Alpha and a member of Beta each
run their team's breakout on their own device, then meet on the synthesis board, all live."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import People
from tests.e2e.test_retro_journeys import participant

pytestmark = pytest.mark.browser


def write(page: Page, card: str) -> None:
    """Write a card in Stop while reflecting."""
    page.get_by_label("New card in Stop").fill(card)
    page.locator(".retro-column").filter(has_text="Stop").get_by_role("button", name="Add card").click()
    expect(page.get_by_text(card)).to_be_visible()


def group(page: Page, card: str, theme: str) -> None:
    """Add a theme and put the card under it."""
    page.get_by_label("Theme", exact=True).fill(theme)
    page.get_by_role("button", name="Add theme").click()
    expect(page.get_by_label(f"Theme of: {card}")).to_be_visible()
    page.get_by_label(f"Theme of: {card}").select_option(label=theme)
    expect(page.get_by_label(f"Theme of: {card}")).to_have_value(re.compile(r"\d+"))


def test_two_teams_breakouts_then_the_synthesis(browser: Browser, base_url: str) -> None:
    ops = participant(browser, base_url, People.ops)
    al = participant(browser, base_url, People.alpha_member)
    bea = participant(browser, base_url, People.beta_member)
    ops.goto(f"{base_url}/multi-retros")
    ops.get_by_label("Title").fill("PI 9 retro")
    ops.get_by_label("Alpha", exact=True).check()
    ops.get_by_label("Beta", exact=True).check()
    ops.get_by_role("button", name="Create and open the synthesis board").click()
    expect(ops.get_by_role("heading", name="PI 9 retro")).to_be_visible()
    synthesis_url = ops.url

    # Each member sees a link to their own team's breakout only, and opens it.
    al.goto(synthesis_url)
    expect(al.get_by_role("link", name="Alpha breakout")).to_be_visible()
    expect(al.get_by_role("link", name="Beta breakout")).to_have_count(0)
    al.get_by_role("link", name="Alpha breakout").click()
    bea.goto(synthesis_url)
    bea.get_by_role("link", name="Beta breakout").click()
    beta_breakout = bea.url
    expect(al.locator("#connection")).to_have_text("Live")
    expect(bea.locator("#connection")).to_have_text("Live")

    # The facilitator moves both breakouts from the synthesis board; each board follows live.
    ops.get_by_role("button", name="Next phase in the breakouts").click()  # → reflect
    expect(al.locator(".phases li.current")).to_have_text("reflect")
    expect(bea.locator(".phases li.current")).to_have_text("reflect")
    write(al, "Pull requests wait for days")
    write(bea, "Nobody reviews our code in time")
    ops.get_by_role("button", name="Next phase in the breakouts").click()  # → group
    expect(al.locator(".phases li.current")).to_have_text("group")
    group(al, "Pull requests wait for days", "Slow reviews")
    expect(bea.locator(".phases li.current")).to_have_text("group")
    group(bea, "Nobody reviews our code in time", "Reviews take too long")
    ops.get_by_role("button", name="Next phase in the breakouts").click()  # → vote
    al.get_by_role("button", name="Vote for Slow reviews").click()
    expect(al.get_by_text("Votes left: 2 of 3.", exact=False)).to_be_visible()
    bea.get_by_role("button", name="Vote for Reviews take too long").click()
    expect(bea.get_by_text("Votes left: 2 of 3.", exact=False)).to_be_visible()
    ops.get_by_role("button", name="Next phase in the breakouts").click()  # → discuss: both have voted
    expect(ops.locator("#breakouts")).to_contain_text("Alpha breakout — discuss (voted)")
    expect(ops.locator("#breakouts")).to_contain_text("Beta breakout — discuss (voted)")

    # The synthesis: the breakouts' themes with their team and votes, never a card.
    al.goto(synthesis_url)
    bea.goto(synthesis_url)
    ops.get_by_role("button", name="Next phase", exact=True).click()  # → synthesis
    expect(al.get_by_role("heading", name="Slow reviews")).to_be_visible()
    expect(al.locator("#synthesis")).to_contain_text("From Beta · 1 breakout vote")
    assert "Nobody reviews our code in time" not in al.locator("#synthesis").inner_text()
    assert "Pull requests wait for days" not in bea.locator("#synthesis").inner_text()
    ops.get_by_label("Merge Reviews take too long into").select_option(label="Slow reviews")
    expect(bea.locator("#synthesis")).to_contain_text("From Alpha, Beta · 2 breakout votes")
    ops.get_by_role("button", name="Next phase", exact=True).click()  # → vote, across teams
    al.get_by_role("button", name="Vote for Slow reviews").click()
    bea.get_by_role("button", name="Vote for Slow reviews").click()
    expect(bea.get_by_text("Votes left: 2 of 3.", exact=False)).to_be_visible()
    ops.get_by_role("button", name="Next phase", exact=True).click()  # → actions: counts revealed
    expect(al.get_by_role("heading", name="Slow reviews — 2 votes")).to_be_visible()
    bea.get_by_label("New action").fill("Review before starting new work")
    bea.get_by_label("Owned by").select_option(label="Beta")
    bea.get_by_role("button", name="Add action").click()
    expect(al.get_by_role("link", name="Review before starting new work")).to_be_visible()
    expect(al.locator("#synthesis")).to_contain_text("owned by Beta")

    # Alpha's member cannot open Beta's breakout.
    al.goto(beta_breakout)
    expect(al.get_by_role("heading", name="Not allowed")).to_be_visible()
