"""Browser journeys of the cockpit: the portfolio by keyboard, by group, at phone width; the leadership pack."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from tests.cockpit.test_portfolio import build_cockpit_world
from tests.e2e.test_foundation_journeys import sign_in
from tests.live import live_server

pytestmark = pytest.mark.browser
EMAILS: dict[str, str] = {}


def _seed(session: Session) -> None:
    world = build_cockpit_world(session)
    EMAILS.update(ops=world.ops.email, leader=world.leader.email, dm=world.dm.email)


@pytest.fixture(scope="module")
def cockpit_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app holding the cockpit world (groups Commerce of three teams and Tiny of one)."""
    with live_server(tmp_path_factory.mktemp("cockpit") / "cockpit.db", _seed) as url:
        yield url


def _phone(browser: Browser) -> Page:
    page = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True).new_page()
    page.set_default_timeout(10_000)
    return page


def test_portfolio_by_keyboard_reaches_a_cells_source_page(page: Page, cockpit_url: str) -> None:
    sign_in(page, cockpit_url, EMAILS["ops"])
    page.get_by_role("link", name="Cockpit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Portfolio")
    expect(page.get_by_text("No roll-up for Tiny: a group needs at least 3 teams")).to_be_visible()
    page.locator("body").focus()
    for _press in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "/teams/alpha/flow":
            break
    else:
        pytest.fail("the Alpha throughput cell is not reachable by keyboard")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert re.fullmatch(r"Throughput of Alpha: \d+ items last week; open the flow page", label)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/teams/alpha/flow$"))


def test_filter_by_group_with_the_keyboard(page: Page, cockpit_url: str) -> None:
    sign_in(page, cockpit_url, EMAILS["leader"])
    page.goto(f"{cockpit_url}/cockpit")
    expect(page.locator("tr[data-team]")).to_have_count(4)
    page.get_by_role("form", name="Filter by group").get_by_label("Group", exact=True).select_option(label="Tiny")
    page.get_by_role("form", name="Filter by group").get_by_label("Group", exact=True).press("Tab")
    page.keyboard.press("Enter")  # the focused Show button
    expect(page).to_have_url(re.compile(r"/cockpit\?group=tiny$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Portfolio of Tiny")
    expect(page.locator("tr[data-team]")).to_have_count(1)
    expect(page.get_by_role("rowheader", name="Delta")).to_be_visible()
    page.get_by_role("link", name="Improvement follow-through of Delta: 0 of 0 actions done, 0 of 0 measured improved").click()
    expect(page).to_have_url(re.compile(r"/teams/delta/actions$"))


def test_portfolio_at_phone_width_scrolls_the_table_not_the_page(browser: Browser, cockpit_url: str) -> None:
    page = _phone(browser)
    sign_in(page, cockpit_url, EMAILS["ops"])
    page.goto(f"{cockpit_url}/cockpit")
    expect(page.get_by_role("rowheader", name="Alpha")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    region = page.get_by_role("region", name="Portfolio table, scrolls sideways")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    page.get_by_role("link", name="Impediments", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/definitions#impediments$"))
    page.close()


def test_team_roles_do_not_see_the_cockpit(page: Page, cockpit_url: str) -> None:
    sign_in(page, cockpit_url, EMAILS["dm"])
    expect(page.get_by_role("link", name="Cockpit", exact=True)).to_have_count(0)
    response = page.goto(f"{cockpit_url}/cockpit")
    assert response is not None
    assert response.status == 403


def test_leadership_pack_question_and_pdf(page: Page, cockpit_url: str) -> None:
    sign_in(page, cockpit_url, EMAILS["ops"])
    page.goto(f"{cockpit_url}/cockpit")
    page.get_by_role("navigation", name="Cockpit").get_by_role("link", name="Leadership pack").click()
    page.get_by_label("Scope", exact=True).select_option(label="Commerce")
    page.get_by_label("Period", exact=True).fill("2026-11")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leadership pack: Commerce, 2026-11")
    page.get_by_label("Question", exact=True).fill("Fund a shared staging database?")
    page.get_by_role("button", name="Add question").click()
    questions = page.get_by_role("region", name="Questions for leadership")
    expect(questions.get_by_text("Fund a shared staging database?")).to_be_visible()
    # The pack leads with the decisions waiting, the new question among them, one click from its brief.
    expect(page.get_by_role("link", name="Fund a shared staging database?")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as PDF").click()
    assert download.value.suggested_filename == "leadership-commerce-2026-11.pdf"
