"""Browser journey: Product Ops on a phone reads a group's roadmap, tries a what-if by keyboard and sees it beside
the stored plan (nothing stored), then sets a team's holiday calendar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from tests.e2e.test_foundation_journeys import sign_in
from tests.factories import make_user
from tests.live import live_server
from tests.roadmap.helpers import small_group

pytestmark = pytest.mark.browser
OPS = "olga@example.com"


def seed(session: Session) -> None:
    """The Berlin and Auckland teams of the roadmap tests, and a Product Ops person."""
    small_group(session, datetime.now(UTC).date())
    make_user(session, email=OPS, name="Olga Ops", role=Role.PRODUCT_OPS)


@pytest.fixture(scope="module")
def roadmap_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app of its own with the two-team group."""
    with live_server(tmp_path_factory.mktemp("roadmap") / "roadmap.db", seed) as url:
        yield url


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def test_what_if_beside_the_stored_roadmap(browser: Browser, roadmap_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, roadmap_url, OPS)
        page.goto(f"{roadmap_url}/groups")
        group_link = page.locator("a[href^='/groups/']").first
        slug = (group_link.get_attribute("href") or "").split("/")[2]
        page.goto(f"{roadmap_url}/groups/{slug}/roadmap")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Roadmap of")
        expect(page.locator("#chart-roadmap .chart svg").first).to_be_attached()  # the chart was drawn
        cards = page.locator("li.card[data-epic]")
        expect(cards).to_have_count(3)  # the list view for phones
        stored_b2 = page.locator("section:has(h3:has-text('Berlin team')) li[data-epic='B-2'] time.p85").first.inner_text()
        _fits(page)

        # The what-if, from the keyboard: choose the team, type the new order, press Enter.
        page.get_by_label("Team", exact=True).focus()
        page.get_by_label("Team", exact=True).select_option(label="Berlin team")
        page.keyboard.press("Tab")  # to the rule: keep it as stored
        page.keyboard.press("Tab")
        expect(page.get_by_label("Priority order (epic keys)")).to_be_focused()
        page.keyboard.type("B-2 B-1")
        page.keyboard.press("Enter")
        table = page.locator("#what-if-table")
        expect(table).to_be_visible()
        row = table.locator("tr:has(th:has-text('B-2'))")
        expect(row).to_contain_text("days earlier")
        expect(page.locator("#chart-roadmap-what-if .chart svg").first).to_be_attached()
        _fits(page)
        # Nothing was stored: the roadmap without the what-if is unchanged.
        page.goto(f"{roadmap_url}/groups/{slug}/roadmap")
        expect(page.locator("#what-if-table")).to_have_count(0)
        again = page.locator("section:has(h3:has-text('Berlin team')) li[data-epic='B-2'] time.p85").first.inner_text()
        assert again == stored_b2

        # The team's calendar: set the public holidays of Germany.
        page.get_by_role("link", name="Berlin team").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Calendar and plan of Berlin team")
        page.get_by_label("Country (ISO code)").fill("DE")
        page.get_by_label("Country (ISO code)").press("Enter")
        expect(page.get_by_label("Country (ISO code)")).to_have_value("DE")
        _fits(page)
    finally:
        context.close()
