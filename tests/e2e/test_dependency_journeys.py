"""Browser journey: two delivery managers, each in their own browser context on a phone, negotiate a
dependency by keyboard: request, counter-proposal, acceptance of the counter, delivery; both read the history.
The requester reads the chance of delivery from the provider's own data and sets the warning threshold, then
reads the timeline and raises a linked risk in the ROAM register."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.teams.models import TeamRole
from deliveryops.work.importing import import_records
from tests.dependencies.test_risk import WORKFLOW, _item
from tests.e2e.test_foundation_journeys import sign_in
from tests.factories import join, make_team, make_user
from tests.live import live_server

pytestmark = pytest.mark.browser
REQUESTER = "rita@example.com"
PROVIDER = "paul@example.com"
TODAY = datetime.now(UTC).date().isoformat()
TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
TODAY_MINUS_ONE = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


def seed(session: Session) -> None:
    """Two teams, each with its own delivery manager."""
    app, payments = make_team(session, name="App"), make_team(session, name="Payments")
    rita = make_user(session, email=REQUESTER, name="Rita Requester", role=Role.DELIVERY_MANAGER)
    paul = make_user(session, email=PROVIDER, name="Paul Provider", role=Role.DELIVERY_MANAGER)
    join(session, app, rita, TeamRole.DELIVERY_MANAGER)
    join(session, payments, paul, TeamRole.DELIVERY_MANAGER)
    # Payments finished one item a day for the last 90 days: the chance of delivery has data to come from.
    today = datetime.now(UTC).date()
    records = [_item(f"PAY-{n}", today - timedelta(days=n), today - timedelta(days=n)) for n in range(1, 91)]
    import_records(session=session, actor=None, team=payments, records=records, import_format="test", workflow=WORKFLOW)


@pytest.fixture(scope="module")
def deps_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app of its own with two teams and their delivery managers."""
    with live_server(tmp_path_factory.mktemp("deps") / "deps.db", seed) as url:
        yield url


def _phone(browser: Browser, url: str, email: str) -> Page:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, url, email)
    return page


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def test_two_delivery_managers_negotiate_a_dependency(browser: Browser, deps_url: str) -> None:
    rita, paul = _phone(browser, deps_url, REQUESTER), _phone(browser, deps_url, PROVIDER)
    try:
        rita.goto(f"{deps_url}/dependencies")
        expect(rita.get_by_role("heading", name="No dependencies yet")).to_be_visible()
        rita.get_by_role("link", name="Request a dependency").first.click()
        rita.get_by_label("Requesting team").select_option(label="App")
        rita.get_by_label("Providing team").select_option(label="Payments")
        rita.get_by_label("What is needed").fill("Refund API")
        rita.get_by_label("Needed by").fill("2027-03-01")
        rita.get_by_label("Our work items (keys, optional)").fill("APP-7")
        rita.get_by_label("Why").fill("Returns campaign")
        rita.get_by_label("What is needed").press("Enter")  # submitted from the keyboard
        expect(rita.get_by_role("heading", level=1)).to_have_text("Refund API")
        _fits(rita)
        detail_url = rita.url
        expect(rita.get_by_role("button", name="Accept with a committed date")).to_have_count(0)

        paul.goto(f"{deps_url}/teams/payments/dependencies")
        expect(paul.get_by_role("heading", name="What we owe")).to_be_visible()
        _fits(paul)
        paul.get_by_role("link", name="Refund API").click()
        paul.get_by_role("button", name="Propose another date").click()  # no date given
        expect(paul.get_by_role("alert").first).to_contain_text("date you can deliver")
        paul.get_by_label("Date we can deliver").fill("2027-03-15")
        paul.get_by_label("Date we can deliver").press("Enter")
        expect(paul.locator("dl.facts")).to_contain_text("Countered")
        _fits(paul)

        rita.goto(detail_url)
        expect(rita.locator("dl.facts")).to_contain_text("2027-03-15")
        rita.get_by_role("button", name="Accept the proposed date").focus()
        rita.keyboard.press("Enter")
        expect(rita.locator("dl.facts")).to_contain_text("Accepted")
        chance = rita.locator("#chance")
        expect(chance.get_by_role("heading", name="Chance of delivery")).to_be_visible()
        expect(chance).to_contain_text("100% by the needed-by date 2027-03-01")
        rita.get_by_label("Warn below (%)").fill("80")
        rita.get_by_label("Warn below (%)").press("Enter")
        expect(rita.get_by_label("Warn below (%)")).to_have_value("80")
        _fits(rita)
        rita.goto(f"{deps_url}/dependencies/timeline")
        expect(rita.get_by_role("heading", name="Needed-by dates", exact=True)).to_be_visible()
        expect(rita.locator("#chart-timeline .main-svg").first).to_be_visible()  # drawn by Plotly
        expect(rita.get_by_role("table")).to_contain_text("Refund API")
        _fits(rita)
        rita.goto(f"{deps_url}/risks/new")
        rita.get_by_label("Risk", exact=True).fill("Refund API late for the campaign")
        rita.get_by_label("Team").select_option(label="App")
        rita.get_by_label("Next review").fill(TODAY_MINUS_ONE)
        rita.get_by_label("Linked dependencies (ids)").fill(detail_url.rsplit("/", 1)[1])
        rita.get_by_label("Linked dependencies (ids)").press("Enter")
        expect(rita.get_by_role("heading", level=1)).to_have_text("Refund API late for the campaign")
        expect(rita.locator("dl.facts")).to_contain_text("review overdue")
        expect(rita.get_by_role("link", name="Dependency")).to_have_attribute("href", detail_url.removeprefix(deps_url))
        _fits(rita)

        paul.reload()
        paul.get_by_label("Delivered on (default today)").fill(TOMORROW)
        paul.get_by_role("button", name="Mark delivered").click()
        expect(paul.get_by_role("alert").first).to_contain_text("today or earlier")
        paul.get_by_label("Delivered on (default today)").fill(TODAY)
        paul.get_by_role("button", name="Mark delivered").click()
        expect(paul.locator("dl.facts")).to_contain_text("Delivered")

        rita.goto(detail_url)
        history = rita.locator("ol.timeline li")
        expect(history).to_have_count(4)
        expect(history.nth(1)).to_contain_text("Paul Provider")
        expect(history.nth(2)).to_contain_text("Rita Requester")
        rita.goto(f"{deps_url}/dependencies/matrix")
        expect(rita.get_by_role("table")).to_contain_text("0 open")
        _fits(rita)
    finally:
        rita.context.close()
        paul.context.close()
