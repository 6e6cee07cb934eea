"""Browser journey: a delivery manager sees coaching insights on the home page, dismisses one by keyboard
and turns another into an improvement action."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.db import utcnow
from deliveryops.impediments import service as impediments
from deliveryops.retros.models import Phase, Retro
from deliveryops.teams.models import TeamRole
from tests.e2e.test_foundation_journeys import sign_in
from tests.factories import join, make_team, make_user
from tests.live import live_server

pytestmark = pytest.mark.browser
DM = "coach@example.com"


def seed(session: Session) -> None:
    """A team with two insights: an impediment past its service level, and retros without actions."""
    team = make_team(session, name="Gamma", time_zone="UTC")
    dm = make_user(session, email=DM, name="Cora Coach", role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    impediments.raise_(session=session, actor=None, team_id=team.id, title="Staging is down", now=utcnow() - timedelta(days=30))
    for weeks in (2, 4):
        finished = utcnow() - timedelta(weeks=weeks)
        session.add(
            Retro(
                team_id=team.id,
                title=f"Retro {weeks}",
                format="start-stop-continue",
                columns=["Start", "Stop", "Continue"],
                phase=Phase.FINISHED,
                scheduled_for=finished,
                finished_at=finished,
            )
        )


@pytest.fixture(scope="module")
def coaching_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app of its own, seeded with a team that has coaching insights."""
    with live_server(tmp_path_factory.mktemp("coaching") / "coaching.db", seed) as url:
        yield url


@pytest.fixture
def dm_page(browser: Browser, coaching_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # phone width
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, coaching_url, DM)
    yield page
    context.close()


def test_dm_sees_insight_on_home_dismisses_by_keyboard_then_makes_an_action(dm_page: Page) -> None:
    page = dm_page
    section = page.get_by_role("region", name="Coaching insights for your teams")
    expect(section).to_contain_text("1 impediment(s) past their service level")
    section.get_by_role("link", name="1 impediment(s) past their service level").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coaching insights for Gamma")
    expect(page.get_by_text("working days at team level (allowed 5)", exact=False)).to_be_visible()

    # Dismiss by keyboard: focus the disclosure, open it, type the reason, submit with Enter on the button.
    card = page.locator("article.insight").filter(has_text="past their service level")
    summary = card.get_by_text("Dismiss…")
    summary.focus()
    page.keyboard.press("Enter")
    reason = card.get_by_label("Why is it not worth acting on?")
    expect(reason).to_be_visible()
    page.keyboard.press("Tab")
    expect(reason).to_be_focused()
    page.keyboard.type("The vendor fixes staging next week")
    # Past the optional date (Chromium gives its day, month and year a tab stop each) to the button.
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Dismiss with this reason":
            break
    expect(card.get_by_role("button", name="Dismiss with this reason")).to_be_focused()
    page.keyboard.press("Enter")
    dismissed = page.get_by_role("region", name="Dismissed (1)")
    expect(dismissed).to_contain_text("The vendor fixes staging next week")
    expect(page.locator("article.insight").filter(has_text="past their service level")).to_have_count(0)


def test_dm_makes_an_insight_an_improvement_action(browser: Browser, coaching_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, coaching_url, DM)
    page.goto(f"{coaching_url}/teams/gamma/coaching")
    card = page.locator("article.insight").filter(has_text="2 retrospectives, no improvement action")
    card.get_by_label("Improvement action").fill("Escalate overdue impediments every Monday")
    card.get_by_role("button", name="Make it an improvement action").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Escalate overdue impediments every Monday")
    context.close()
