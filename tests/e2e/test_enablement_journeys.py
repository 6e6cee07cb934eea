"""Browser journeys of enablement: a new member on a phone finds their onboarding checklist and ticks a step
from the keyboard, then joins a community; Product Ops writes a playbook whose Markdown is rendered and whose
typed HTML stays text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.enablement import communities, onboarding
from deliveryops.enablement.schemas import CommunityCreate
from tests.e2e.test_foundation_journeys import sign_in
from tests.factories import join, make_team, make_user
from tests.live import live_server

pytestmark = pytest.mark.browser
OPS = "owen.ops@example.com"
NEWCOMER = "nina.new@example.com"


def seed(session: Session) -> None:
    """Product Ops with the standard templates and a community; a new member joins a team afterwards."""
    ops = make_user(session, email=OPS, name="Owen Ops", role=Role.PRODUCT_OPS)
    for kind, body in onboarding.STANDARD_TEMPLATES.items():
        onboarding.write_template(session=session, actor=ops, kind=kind, body=body)
    communities.create(session=session, actor=ops, body=CommunityCreate(name="Flow community"))
    join(session, make_team(session, name="Newcomers"), make_user(session, email=NEWCOMER, name="Nina New"))


@pytest.fixture(scope="module")
def enablement_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app of its own."""
    with live_server(tmp_path_factory.mktemp("enablement") / "enablement.db", seed) as url:
        yield url


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def test_a_new_member_ticks_their_checklist_and_joins_a_community(browser: Browser, enablement_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, enablement_url, NEWCOMER)
        page.goto(f"{enablement_url}/enablement")
        expect(page.get_by_role("heading", level=1)).to_have_text("Enablement")
        _fits(page)
        page.get_by_role("link", name="Your checklist in Newcomers").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Nina New's checklist in Newcomers")
        expect(page.get_by_text("0 of 4 steps done")).to_be_visible()
        _fits(page)
        first = page.get_by_role("button", name="Tick").first
        first.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_text("1 of 4 steps done")).to_be_visible()
        expect(page.get_by_role("button", name="Untick")).to_have_count(1)
        page.goto(f"{enablement_url}/communities")
        page.get_by_role("link", name="Flow community").click()
        join_button = page.get_by_role("button", name="Join the community")
        join_button.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("button", name="Leave the community")).to_be_visible()
        expect(page.get_by_text("Nina New, Owen Ops")).to_be_visible()
        _fits(page)
    finally:
        context.close()


def test_product_ops_writes_a_playbook(browser: Browser, enablement_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, enablement_url, OPS)
        page.goto(f"{enablement_url}/playbooks")
        expect(page.get_by_text("No playbooks yet")).to_be_visible()
        page.get_by_label("Title").fill("Swarming")
        page.get_by_label("Coaching practice").select_option(label="Swarm on aging items")
        page.get_by_label("Text (Markdown", exact=False).fill(
            "# Why\nFinish **first**.\n\n- one\n- two\n\n<b onclick=x()>bold?</b>"
        )
        page.get_by_role("button", name="Save the playbook").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Swarming")
        expect(page.get_by_role("heading", level=2, name="Why")).to_be_visible()
        expect(page.locator("article.playbook strong")).to_have_text("first")
        expect(page.locator("article.playbook li")).to_have_count(2)
        expect(page.locator("article.playbook b")).to_have_count(0)
        expect(page.locator("article.playbook")).to_contain_text("<b onclick=x()>bold?</b>")
    finally:
        context.close()
