"""Browser fixtures: the system Chromium driven by Playwright against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.flow import service as flow
from deliveryops.simulate import demo_profiles, simulate_team
from deliveryops.teams.models import TeamRole
from deliveryops.work.importing import import_records
from tests.conftest import chromium_path, need_or_skip
from tests.factories import join, make_group, make_team, make_user
from tests.live import CHROMIUM_ARGS, live_server


@dataclass(frozen=True)
class People:
    """Who can sign in to the browser tests' organisation."""

    admin: str = "admin@example.com"
    dm: str = "dm@example.com"
    alpha_member: str = "alpha@example.com"
    beta_member: str = "beta@example.com"
    newcomer: str = "newcomer@example.com"
    ops: str = "ops@example.com"
    leader: str = "leader@example.com"


def seed(session: Session) -> None:
    group = make_group(session, name="Commerce")
    alpha, beta = make_team(session, name="Alpha", group=group), make_team(session, name="Beta", group=group)
    make_team(session, name="Delta", group=group)  # fed by the connection journey only
    make_user(session, email=People.admin, name="Ada Admin", role=Role.ADMIN)
    dm = make_user(session, email=People.dm, name="Dora Manager", role=Role.DELIVERY_MANAGER)
    join(session, alpha, dm, TeamRole.DELIVERY_MANAGER)
    join(session, alpha, make_user(session, email=People.alpha_member, name="Al Member"))
    join(session, beta, make_user(session, email=People.beta_member, name="Bea Member"))
    make_user(session, email=People.newcomer, name="Nina Newcomer")
    make_user(session, email=People.ops, name="Otto Ops", role=Role.PRODUCT_OPS)
    make_user(session, email=People.leader, name="Lea Leader", role=Role.LEADER)
    today = datetime.now(UTC).date()
    history = simulate_team(demo_profiles()[0], start=today - timedelta(days=200), end=today, seed=3)
    import_records(
        session=session, actor=None, team=alpha, records=history.items, import_format="simulated", workflow=history.workflow
    )
    alpha.time_zone = history.time_zone
    session.flush()
    # Alpha committed a "how many in four weeks" forecast every week from 180 to 33 days ago: a scored track record.
    for days_ago in range(180, 32, -7):
        then = datetime.combine(today - timedelta(days=days_ago), time(12), tzinfo=UTC)
        flow.create_how_many(
            session=session,
            actor=dm,
            team_id=alpha.id,
            by_date=today - timedelta(days=days_ago - 28),
            now=then,
            seed=days_ago,
            commitment="plan",
        )
    flow.score_forecasts(session, alpha)


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The live app with the seeded organisation."""
    with live_server(tmp_path_factory.mktemp("live") / "browser.db", seed) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless system Chromium."""
    executable = chromium_path()
    need_or_skip(None if executable else "Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (its own cookies) and page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
