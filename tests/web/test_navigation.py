"""The main navigation: exactly one entry highlighted on every page, the one of its section; the team switcher;
Forecasts and Retros reached from the navigation."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.retros import service as retros
from deliveryops.teams.models import TeamRole
from tests.factories import join, login, make_group, make_team, make_user

# (path, the highlighted entry) per person; {retro} is filled in.
WALKS = {
    "dm@example.com": [
        ("/", "Home"),
        ("/teams", "Teams"),
        ("/teams/alpha", "Teams"),
        ("/groups", "Teams"),
        ("/teams/alpha/flow", "Flow"),
        ("/flow", "Flow"),
        ("/forecasts", "Forecasts"),
        ("/teams/alpha/forecasts", "Forecasts"),
        ("/retros", "Retros"),
        ("/teams/alpha/retros", "Retros"),
        ("/retros/{retro}", "Retros"),
        ("/impediments", "Impediments"),
        ("/teams/alpha/impediments", "Impediments"),
        ("/teams/alpha/actions", "Teams"),  # no Actions entry for a delivery manager: the team's page
        ("/teams/alpha/coaching", "Teams"),
        ("/teams/alpha/health", "Health"),
        ("/health", "Health"),
        ("/digest", "Digest"),
        ("/teams/alpha/dora", "DORA"),
        ("/dora", "DORA"),
        ("/dependencies", "Dependencies"),
        ("/teams/alpha/practices", "Practices"),
        ("/cockpit/catalogue", "Practices"),
        ("/experiments", "Experiments"),
        ("/outcomes", "Outcomes"),
    ],
    "ops@example.com": [
        ("/", "Home"),
        ("/cockpit", "Cockpit"),
        ("/cockpit/adoption", "Cockpit"),
        ("/teams/alpha/actions", "Actions"),
        ("/actions", "Actions"),
        ("/teams/alpha/coaching", "Coaching"),
        ("/coaching", "Coaching"),
        ("/teams/alpha/health", "Health"),
        ("/impediments/clusters", "Impediments"),
        ("/forecasts", "Forecasts"),
        ("/digest", "Home"),  # reached from the home's signals; no Digest entry for Product Ops
    ],
    "admin@example.com": [
        ("/admin/people", "Admin"),
        ("/admin/teams", "Admin"),
        ("/admin/connections", "Admin"),
        ("/admin/jobs", "Admin"),
        ("/admin/impediments", "Admin"),
    ],
}


def _world(session: Session) -> int:
    group = make_group(session, name="Commerce")
    alpha, beta = make_team(session, name="Alpha", group=group), make_team(session, name="Beta", group=group)
    dm = make_user(session, role=Role.DELIVERY_MANAGER, email="dm@example.com")
    for team in (alpha, beta):
        join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    join(session, alpha, make_user(session, email="member@example.com"))
    make_user(session, role=Role.PRODUCT_OPS, email="ops@example.com")
    make_user(session, role=Role.ADMIN, email="admin@example.com")
    retro = retros.schedule(session=session, actor=dm, team_id=alpha.id, title="Sprint 1 retro")
    session.flush()
    return retro.id


def _highlighted(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main".*?</nav>', html, re.S)
    assert nav, "no main navigation"
    return re.findall(r'aria-current="page">([^<]+)</a>', nav.group(0))


def test_every_page_highlights_exactly_its_section(session: Session, client: TestClient) -> None:
    retro_id = _world(session)
    wrong = []
    for email, walk in WALKS.items():
        client.cookies.clear()
        login(client, email)
        for path, expected in walk:
            response = client.get(path.format(retro=retro_id))
            assert response.status_code == 200, (email, path, response.status_code)
            if (found := _highlighted(response.text)) != [expected]:
                wrong.append((email, path, found, expected))
    assert wrong == []


def test_the_team_switcher_leads_to_the_same_page_of_another_team(session: Session, client: TestClient) -> None:
    _world(session)
    login(client, "dm@example.com")
    page = client.get("/teams/alpha/flow").text
    switcher = re.search(r'<details class="team-switch">.*?</details>', page, re.S)
    assert switcher, "a delivery manager of two teams has a team switcher"
    assert "<summary>Alpha<" in switcher.group(0)
    assert re.findall(r'href="([^"]+)"', switcher.group(0)) == ["/teams/alpha/flow", "/teams/beta/flow"]
    assert '<a href="/teams/alpha/flow" aria-current="true">' in switcher.group(0)
    chooser = client.get("/forecasts").text
    assert '<a href="/teams/beta/forecasts"><strong>Beta</strong></a>' in chooser
    client.cookies.clear()
    login(client, "member@example.com")
    assert 'class="team-switch"' not in client.get("/teams/alpha/flow").text  # one team: nothing to switch
    assert client.get("/retros").headers["location"] == "/teams/alpha/retros"  # one team: straight there
    assert client.get("/forecasts").headers["location"] == "/teams/alpha/forecasts"
