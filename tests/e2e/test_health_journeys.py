"""Browser journeys of health checks: a member answers by keyboard, the DM closes and reads the results,
Product Ops reads the heat map (small teams hidden), and the answer form fits a phone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.health import service
from deliveryops.health.models import Colour, Trend
from deliveryops.health.service import AnswerIn
from deliveryops.teams.models import Team, TeamRole
from tests.e2e.test_foundation_journeys import sign_in
from tests.factories import join, make_group, make_team, make_user
from tests.live import live_server

pytestmark = pytest.mark.browser

DM = "hana.dm@example.com"
MEMBERS = ["mia.member@example.com", "max.member@example.com", "mo.member@example.com"]
OPS = "olga.ops@example.com"


def _answers(health_round_cards: list[str], colour: Colour, comment: str = "") -> dict[str, AnswerIn]:
    return {key: AnswerIn(colour, Trend.SAME, comment if key == "speed" else "") for key in health_round_cards}


def _closed_round(session: Session, dm: User, team: Team, people: list[User], colour: Colour, at: datetime) -> None:
    health_round = service.open_round(session=session, actor=dm, team_id=team.id, now=at)
    keys = [card.key for card in health_round.cards]
    for person in people:
        service.submit_answers(session=session, actor=person, round_id=health_round.id, answers=_answers(keys, colour), now=at)
    service.close_round(session=session, actor=dm, round_id=health_round.id, now=at + timedelta(days=5))


def seed(session: Session) -> None:
    group = make_group(session, name="Hearth group")
    team, small = make_team(session, name="Hearth", group=group), make_team(session, name="Tiny", group=group)
    dm = make_user(session, email=DM, name="Hana Manager", role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    join(session, small, dm, TeamRole.DELIVERY_MANAGER)
    members = [make_user(session, email=email, name=f"Member {i}") for i, email in enumerate(MEMBERS)]
    for member in members:
        join(session, team, member)
    tiny_members = [make_user(session, name=f"Tiny {i}") for i in range(3)]
    for member in tiny_members:
        join(session, small, member)
    make_user(session, email=OPS, name="Olga Ops", role=Role.PRODUCT_OPS)
    now = datetime.now(UTC)
    _closed_round(session, dm, team, members, Colour.AMBER, now - timedelta(days=40))
    _closed_round(session, dm, small, tiny_members[:2], Colour.RED, now - timedelta(days=20))  # too few: hidden
    open_round = service.open_round(
        session=session, actor=dm, team_id=team.id, title="November check", now=now - timedelta(days=1)
    )
    keys = [card.key for card in open_round.cards]
    for member in members[1:]:
        service.submit_answers(
            session=session,
            actor=member,
            round_id=open_round.id,
            answers=_answers(keys, Colour.GREEN, "Deploys got easier"),
            now=now - timedelta(hours=3),
        )


@pytest.fixture(scope="module")
def health_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app with a team that has a closed round, an open round, and a team too small to show."""
    with live_server(tmp_path_factory.mktemp("health") / "health.db", seed) as url:
        yield url


def person(browser: Browser, base_url: str, email: str, width: int = 1280) -> Page:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base_url, email)
    return page


def test_member_answers_by_keyboard_then_the_dm_closes_and_reads_results(browser: Browser, health_url: str) -> None:
    member = person(browser, health_url, MEMBERS[0])
    member.goto(f"{health_url}/teams/hearth/health")
    member.get_by_role("link", name="Answer the health check").click()
    expect(member.get_by_role("heading", name="Your answers")).to_be_visible()
    cards = member.locator("fieldset.hc-card > legend")
    titles = [cards.nth(i).inner_text() for i in range(cards.count())]
    assert titles[:2] == ["Easy to release", "Suitable process"]
    for title in titles:
        # Space checks the focused radio; ArrowRight moves to (and checks) the next one in its group.
        member.get_by_role("group", name=f"{title}: now").get_by_label("Green").focus()
        member.keyboard.press("Space")
        member.get_by_role("group", name=f"{title}: trend").get_by_label("Better").focus()
        member.keyboard.press("Space")
        member.keyboard.press("ArrowRight")  # → Same
    member.get_by_label("Comment on Speed (optional)").focus()
    member.keyboard.type("Pairing made reviews quick")
    member.get_by_role("button", name="Send my answers").focus()
    member.keyboard.press("Enter")
    expect(member.get_by_text("Thank you: your answers are in.")).to_be_visible()
    expect(member.locator("#progress")).to_have_text(
        "3 people have answered. Results appear when the round is closed, if at least 3 people answered."
    )

    dm = person(browser, health_url, DM)
    dm.goto(member.url.split("?")[0])
    dm.get_by_role("button", name="Close the round").click()
    results = dm.locator("#results")
    expect(results).to_be_visible()
    speed = results.get_by_role("row", name="Speed")
    expect(speed.locator("td").nth(0)).to_have_text("green")
    expect(speed.locator("td").nth(1)).to_have_text("1.00")  # all green
    expect(speed.locator("td").nth(2)).to_have_text("▲ +0.50")  # from all amber
    expect(dm.get_by_text("Pairing made reviews quick")).to_be_visible()  # the team's DM reads comments
    page_text = dm.locator("main").inner_text()
    for name in ("Member 0", "Member 1", "Member 2"):
        assert name not in page_text  # anonymous: nobody's name anywhere


def test_ops_sees_the_heat_map_with_small_teams_hidden(browser: Browser, health_url: str) -> None:
    ops = person(browser, health_url, OPS)
    ops.get_by_role("link", name="Health", exact=True).click()
    expect(ops.get_by_role("heading", name="Team health across teams")).to_be_visible()
    tiny = ops.locator("#heatmap").get_by_role("row", name="Tiny")
    expect(tiny).to_contain_text("hidden: fewer than 3 respondents")
    hearth = ops.locator("#heatmap").get_by_role("row", name="Hearth")
    expect(hearth.locator(".band-amber, .band-green").first).to_be_visible()
    assert "Deploys got easier" not in ops.content()  # comments stay within the team


def test_health_pages_fit_a_phone(browser: Browser, health_url: str) -> None:
    phone = person(browser, health_url, DM, width=390)
    phone.goto(f"{health_url}/teams/hearth/health")
    expect(phone.get_by_role("heading", name="Health checks of Hearth")).to_be_visible()
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert phone.evaluate(overflow) == 0
    phone.goto(f"{health_url}/health")
    expect(phone.get_by_role("heading", name="Team health across teams")).to_be_visible()
    assert phone.evaluate(overflow) == 0
