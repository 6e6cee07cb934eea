"""Browser journeys: Product Ops plans a rollout by keyboard and reads it; the rollout pages at phone width."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.catalogue import service as catalogue
from tests.e2e.test_foundation_journeys import sign_in
from tests.factories import make_team, make_user
from tests.live import live_server

pytestmark = pytest.mark.browser

OPS = "rollout.ops@example.com"


def seed(session: Session) -> None:
    make_team(session, name="Alpha")
    make_team(session, name="Beta")
    make_user(session, email=OPS, name="Rita Rollout", role=Role.PRODUCT_OPS)
    catalogue.create(session=session, actor=None, kind="practice", name="Daily aging review", category="flow")


@pytest.fixture(scope="module")
def rollout_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app of its own, seeded for these journeys."""
    with live_server(tmp_path_factory.mktemp("rollouts") / "rollouts.db", seed) as url:
        yield url


def test_ops_plans_a_rollout_by_keyboard_and_reads_it_on_a_phone(page: Page, rollout_url: str, browser: Browser) -> None:
    sign_in(page, rollout_url, OPS)
    page.goto(f"{rollout_url}/cockpit/rollouts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rollouts")
    expect(page.get_by_text("No rollouts yet")).to_be_visible()
    page.get_by_label("Title").focus()
    page.keyboard.type("Aging review for Alpha")
    page.get_by_label("Starts on").fill("2026-09-01")
    page.get_by_label("Team 1").select_option(label="Alpha")
    page.locator("#r-target-0").fill("2026-10-01")
    page.get_by_label("What it is for").focus()
    page.keyboard.type("Old items split or unblocked sooner.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Plan the rollout"
    expect(page.get_by_role("heading", level=1)).to_have_text("Aging review for Alpha")
    expect(page.get_by_text("Not enough evidence.")).to_be_visible()
    expect(page.get_by_role("heading", name="Adoption curve")).to_be_visible()
    detail = page.url

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    phone.set_default_timeout(10_000)
    sign_in(phone, rollout_url, OPS)
    for path in ("/cockpit/rollouts", detail.removeprefix(rollout_url)):
        phone.goto(f"{rollout_url}{path}")
        expect(phone.get_by_role("heading", level=1)).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    phone.context.close()
