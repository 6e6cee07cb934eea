"""Each role's home is a "today" page: what the product knows that asks for an action, each line a link that works."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import Role, User
from deliveryops.accounts.passwords import hash_password
from deliveryops.app.main import create_app
from deliveryops.db import utcnow
from deliveryops.retros import service as retros
from deliveryops.settings import Settings
from deliveryops.teams.models import TeamRole
from tests.factories import PASSWORD, join, login, make_team, make_user

# The demo's people, one per role, and the sections their home leads with.
HOMES = {
    "marta.kowalska@example.com": [
        "Retrospectives",
        "Impediments escalated to you",
        "Overdue impediments",
        "Items older than the SLE",
        "Forecasts coming due",
    ],
    "lucia.fernandez@example.com": ["Retrospectives", "Health checks waiting for your answer", "Items older than the SLE"],
    "fatima.zahra@example.com": [
        "Product Ops queue, most impact first",
        "Proposed clusters to confirm or reject",
        "Overdue escalations",
        "Adoption mismatches",
        "Retros across teams",
    ],
    "catherine.moreau@example.com": ["Decisions waiting", "Leadership queue", "Leadership pack", "Signals of the week"],
}


def _today(html: str) -> str:
    match = re.search(r'<div class="today" id="today">(.*?)\n</div>', html, re.S)
    assert match, "the home has no today sections"
    return match.group(1)


@pytest.fixture
def demo_client(demo_session: Session, settings: Settings) -> Iterator[TestClient]:
    """An HTTP client on the demo organisation (writes rolled back); every demo person signs in with PASSWORD."""
    password_hash = hash_password(PASSWORD)
    for user in demo_session.scalars(select(User).where(User.email.in_(list(HOMES)))):
        user.password_hash = password_hash
    demo_session.flush()
    factory = sessionmaker(bind=demo_session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)
    with TestClient(create_app(settings, factory), follow_redirects=False) as client:
        yield client


@pytest.mark.slow
def test_each_roles_home_leads_with_today_and_every_line_opens_a_page(demo_client: TestClient) -> None:
    for email, titles in HOMES.items():
        demo_client.cookies.clear()
        login(demo_client, email)
        today = _today(demo_client.get("/").text)
        headings = re.findall(r'<h2 id="today-[^"]+">([^<]+?) ?<span', today)
        assert [h for h in headings for t in titles if h.startswith(t)] == headings, (email, headings)
        assert len(headings) == len(titles), (email, headings)
        links = sorted({href.split("#")[0] for href in re.findall(r'href="([^"]+)"', today)})
        assert links, email
        for href in links:
            assert demo_client.get(href.replace("&amp;", "&")).status_code == 200, (email, href)


@pytest.mark.slow
def test_the_demo_homes_say_what_waits(demo_client: TestClient) -> None:
    login(demo_client, "fatima.zahra@example.com")
    product_ops = _today(demo_client.get("/").text)
    # The queue says which rows are one cross-team problem, and the proposal waits for a decision.
    assert re.search(r"proposed cluster: No access to production logs \(4 of \d+ rows\)", product_ops)
    assert 'href="/impediments/clusters/' in product_ops
    # The demo's multi-team retro is finished: the section offers to start one and leads to the recurring themes.
    assert '<a href="/multi-retros">Start a multi-team retro</a> · <a href="/retro-themes">' in product_ops
    demo_client.cookies.clear()
    login(demo_client, "catherine.moreau@example.com")
    leader = _today(demo_client.get("/").text)
    assert "Give every team read access to production logs?" in leader
    assert 'href="/cockpit/leadership?period=' in leader


def test_a_member_is_offered_the_live_retro_and_the_next_one(session: Session, client: TestClient) -> None:
    alpha, beta = make_team(session, name="Alpha"), make_team(session, name="Beta")
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    member = make_user(session, email="member@example.com")
    for team in (alpha, beta):
        join(session, team, dm, TeamRole.DELIVERY_MANAGER)
        join(session, team, member)
    now = utcnow()
    live = retros.schedule(
        session=session, actor=dm, team_id=alpha.id, title="Sprint 7 retro", scheduled_for=now - timedelta(minutes=5)
    )
    retros.advance(session=session, actor=dm, retro_id=live.id)
    upcoming = retros.schedule(
        session=session, actor=dm, team_id=beta.id, title="Sprint 8 retro", scheduled_for=now + timedelta(days=3)
    )
    session.flush()
    login(client, "member@example.com")
    today = _today(client.get("/").text)
    assert f'<a href="/retros/{live.id}">Alpha: Sprint 7 retro is running now, join it</a>' in today
    assert f'<a href="/retros/{upcoming.id}">Beta: Sprint 8 retro, ' in today
    assert "Health checks waiting for your answer <span" in today
    assert "No open health check waits for your answer." in today


def test_empty_today_sections_say_what_to_do(session: Session, client: TestClient) -> None:
    team = make_team(session, name="Gamma")
    dm = make_user(session, role=Role.DELIVERY_MANAGER, email="dm@example.com")
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    session.flush()
    login(client, "dm@example.com")
    today = _today(client.get("/").text)
    assert '<a href="/teams/gamma/retros">Gamma: no retro scheduled; schedule the next one</a>' in today
    assert "No impediment waits for you" in today
    assert '<a href="/teams/gamma/forecasts">Make or commit a forecast</a>' in today
