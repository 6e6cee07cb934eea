"""Team adoption of tools and practices: states, history, matrix, changes, trend, pages (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.models import AdoptionLevel, AdoptionState, CatalogueEntry
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.retros.models import FORMATS, Phase, Retro
from deliveryops.teams.models import Team, TeamRole
from tests.factories import join, login, make_group, make_team, make_user, token_headers

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def entries(session: Session) -> tuple[CatalogueEntry, CatalogueEntry]:
    tool = catalogue.create(session=session, actor=None, kind="tool", name="Jira", category="tracker")
    practice = catalogue.create(
        session=session,
        actor=None,
        kind="practice",
        name="Regular retrospectives",
        category="learning",
        data_check="regular_retrospectives",
    )
    return tool, practice


def test_states_are_appended_and_the_latest_is_current(session: Session) -> None:
    tool, _practice = entries(session)
    team = make_team(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    adoption.set_state(
        session=session, actor=dm, team_id=team.id, entry_id=tool.id, state="trying", set_at=NOW - timedelta(days=60)
    )
    adoption.set_state(
        session=session,
        actor=dm,
        team_id=team.id,
        entry_id=tool.id,
        state="adopted",
        note="All in",
        set_at=NOW - timedelta(days=5),
    )
    same = adoption.set_state(session=session, actor=dm, team_id=team.id, entry_id=tool.id, state="adopted")
    assert same.note == "All in"  # re-declaring the current state without a note adds nothing
    assert [(r.state, r.note) for r in adoption.history(session=session, team_id=team.id)] == [
        (AdoptionLevel.ADOPTED, "All in"),
        (AdoptionLevel.TRYING, ""),
    ]
    assert adoption.current_states(session, team_ids=[team.id])[(team.id, tool.id)].state is AdoptionLevel.ADOPTED
    assert (
        adoption.current_states(session, team_ids=[team.id], at=NOW - timedelta(days=30))[(team.id, tool.id)].state
        is AdoptionLevel.TRYING
    )


def test_who_may_set_a_state(session: Session) -> None:
    tool, _practice = entries(session)
    team, other = make_team(session), make_team(session)
    member, dm_elsewhere = make_user(session), make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, member)
    join(session, other, dm_elsewhere, TeamRole.DELIVERY_MANAGER)
    for actor in (member, make_user(session, role=Role.LEADER)):
        with pytest.raises(PermissionDeniedError):
            adoption.set_state(session=session, actor=actor, team_id=team.id, entry_id=tool.id, state="adopted")
    with pytest.raises(PermissionDeniedError):
        adoption.set_state(session=session, actor=dm_elsewhere, team_id=team.id, entry_id=tool.id, state="adopted")
    for role in (Role.PRODUCT_OPS, Role.ADMIN):
        adoption.set_state(
            session=session,
            actor=make_user(session, role=role),
            team_id=team.id,
            entry_id=tool.id,
            state="trying" if role is Role.ADMIN else "adopted",
        )
    assert session.scalar(select(func.count()).select_from(AdoptionState)) == 2


def test_bad_state_names_the_fields_and_writes_nothing(session: Session) -> None:
    tool, _practice = entries(session)
    catalogue.update(session=session, actor=None, entry_id=tool.id, kind="tool", name="Jira", category="tracker", active=False)
    team = make_team(session)
    with pytest.raises(ValidationFailedError) as caught:
        adoption.set_state(session=session, actor=None, team_id=team.id, entry_id=tool.id, state="done", note="x" * 2001)
    assert caught.value.fields == {
        "entry_id": "Choose an active tool or practice from the catalogue.",
        "state": "Choose not started, trying, adopted or not applicable.",
        "note": "Keep the note under 2,000 characters.",
    }
    with pytest.raises(ValidationFailedError) as caught:
        adoption.set_wip_limit(session=session, actor=None, team_id=team.id, wip_limit=0)
    assert caught.value.fields == {"wip_limit": "Enter a whole number from 1 to 1000, or leave it empty for no limit."}
    assert session.scalar(select(func.count()).select_from(AdoptionState)) == 0


def test_matrix_with_data_check_and_mismatch(session: Session) -> None:
    tool, practice = entries(session)
    alpha, beta = make_team(session, name="Alpha"), make_team(session, name="Beta")
    session.add(
        Retro(
            team_id=alpha.id,
            title="R",
            format="4ls",
            columns=FORMATS["4ls"],
            phase=Phase.FINISHED,
            finished_at=NOW - timedelta(days=3),
        )
    )
    for team in (alpha, beta):
        adoption.set_state(session=session, actor=None, team_id=team.id, entry_id=practice.id, state="adopted")
    adoption.set_state(session=session, actor=None, team_id=beta.id, entry_id=tool.id, state="not_applicable")
    result = adoption.matrix(session, now=NOW)
    assert [t.name for t in result.teams] == ["Alpha", "Beta"]
    assert [e.name for e in result.entries] == ["Jira", "Regular retrospectives"]
    assert result.state(alpha.id, tool.id) is AdoptionLevel.NOT_STARTED
    assert result.check(alpha.id, tool.id) is None
    alpha_check, beta_check = result.check(alpha.id, practice.id), result.check(beta.id, practice.id)
    assert alpha_check is not None
    assert beta_check is not None
    assert (alpha_check.confirmed, beta_check.confirmed) == (True, False)
    assert (result.mismatch(alpha.id, practice.id), result.mismatch(beta.id, practice.id)) == (False, True)
    assert result.adopted_share(practice.id) == 1.0
    assert result.adopted_share(tool.id) == 0.0  # Alpha not started; Beta does not count
    only_beta = adoption.matrix(session, team_ids=[beta.id], now=NOW)
    assert [t.name for t in only_beta.teams] == ["Beta"]


def test_changes_in_a_period(session: Session) -> None:
    tool, practice = entries(session)
    team = make_team(session, name="Gamma")
    for entry, state, days in (
        (tool, "trying", 100),
        (tool, "adopted", 20),
        (tool, "adopted", 10),
        (practice, "not_applicable", 5),
    ):
        row = AdoptionState(team_id=team.id, entry_id=entry.id, state=AdoptionLevel(state), set_at=NOW - timedelta(days=days))
        session.add(row)
    session.flush()
    found = adoption.changes(session, team_ids=None, start=NOW - timedelta(days=30), end=NOW)
    assert [(c.team_name, c.entry_name, c.from_state, c.to_state, c.at) for c in found] == [
        ("Gamma", "Jira", AdoptionLevel.TRYING, AdoptionLevel.ADOPTED, NOW - timedelta(days=20)),
        ("Gamma", "Regular retrospectives", None, AdoptionLevel.NOT_APPLICABLE, NOW - timedelta(days=5)),
    ]
    assert adoption.changes(session, team_ids=[team.id + 1000], start=NOW - timedelta(days=30), end=NOW) == []


def test_trend_by_month_hides_small_groups(session: Session) -> None:
    tool, _practice = entries(session)
    teams = [make_team(session) for _ in range(4)]
    # Team 0 adopts in September, team 1 in November, team 3 is not applicable from the start.
    for index, state, when in (
        (0, "adopted", datetime(2026, 9, 10, tzinfo=UTC)),
        (1, "adopted", datetime(2026, 11, 2, tzinfo=UTC)),
        (3, "not_applicable", datetime(2026, 1, 5, tzinfo=UTC)),
    ):
        adoption.set_state(session=session, actor=None, team_id=teams[index].id, entry_id=tool.id, state=state, set_at=when)
    trend = adoption.trend(session, team_ids=[t.id for t in teams], months=4, now=NOW, min_group_size=3)
    assert trend.months == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    assert trend.shares[tool.id] == [0.0, pytest.approx(1 / 3), pytest.approx(1 / 3), pytest.approx(2 / 3)]
    small = adoption.trend(session, team_ids=[teams[0].id, teams[1].id], months=2, now=NOW, min_group_size=3)
    assert small.shares[tool.id] == [None, None]


def test_matrix_scope(session: Session) -> None:
    team = make_team(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    assert adoption.matrix_team_ids(session, dm) == [team.id]
    assert adoption.matrix_team_ids(session, make_user(session, role=Role.LEADER)) is None
    member = make_user(session)
    join(session, team, member)
    with pytest.raises(PermissionDeniedError):
        adoption.matrix_team_ids(session, member)


def seeded(session: Session) -> tuple[Team, Team, CatalogueEntry]:
    group = make_group(session, name="Commerce")
    alpha, beta = make_team(session, name="Alpha", group=group), make_team(session, name="Beta")
    _tool, practice = entries(session)
    return alpha, beta, practice


def test_dm_sets_a_state_on_the_practices_tab(client: TestClient, session: Session) -> None:
    alpha, _beta, practice = seeded(session)
    dm, member = make_user(session, role=Role.DELIVERY_MANAGER, name="Dana DM"), make_user(session)
    join(session, alpha, dm, TeamRole.DELIVERY_MANAGER)
    join(session, alpha, member)
    session.flush()
    csrf = login(client, dm.email)
    response = client.post(
        "/teams/alpha/practices",
        data={"csrf_token": csrf, "entry_id": str(practice.id), "state": "adopted", "note": "Every second Friday"},
    )
    assert response.status_code == 303
    page = client.get("/teams/alpha/practices")
    assert f'data-testid="state-{practice.id}">adopted</span>' in page.text
    assert "declared adopted, data says no" in page.text
    assert "by Dana DM" in page.text
    bad = client.post("/teams/alpha/practices/wip-limit", data={"csrf_token": csrf, "wip_limit": "many"})
    assert bad.status_code == 422
    assert "WIP limit is a whole number, e.g. 12000; got &#39;many&#39;." in bad.text
    assert client.post("/teams/alpha/practices/wip-limit", data={"csrf_token": csrf, "wip_limit": "4"}).status_code == 303
    page = client.get("/teams/alpha/practices")
    assert "to <strong>4</strong> items" in page.text
    assert 'href="/teams/alpha/retros">see data</a>' in page.text  # the team's own retros
    client.cookies.clear()
    csrf = login(client, member.email)
    page = client.get("/teams/alpha/practices")
    assert page.status_code == 200
    assert "Save the state of" not in page.text
    assert 'href="/experiments/portfolio"' not in page.text  # the portfolio is for Product Ops and leaders
    client.cookies.clear()
    login(client, make_user(session, role=Role.PRODUCT_OPS).email)
    page = client.get("/teams/alpha/practices")
    assert 'href="/experiments/portfolio"' in page.text
    assert 'href="/teams/alpha/retros"' not in page.text  # retros are for the team's people only
    assert client.get("/teams/alpha/retros").status_code == 403
    client.cookies.clear()
    csrf = login(client, member.email)
    assert (
        client.post(
            "/teams/alpha/practices", data={"csrf_token": csrf, "entry_id": str(practice.id), "state": "trying"}
        ).status_code
        == 403
    )
    assert client.get("/cockpit/adoption").status_code == 403


def test_matrix_page_for_ops_with_group_filter_and_for_a_dm(client: TestClient, session: Session) -> None:
    alpha, beta, practice = seeded(session)
    adoption.set_state(session=session, actor=None, team_id=beta.id, entry_id=practice.id, state="trying")
    ops = make_user(session, role=Role.PRODUCT_OPS)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, alpha, dm, TeamRole.DELIVERY_MANAGER)
    session.flush()
    login(client, ops.email)
    page = client.get("/cockpit/adoption")
    assert page.status_code == 200
    assert 'aria-label="Beta, Regular retrospectives: trying; data: not confirmed"' in page.text
    assert "Adoption of practices over time" in page.text
    assert "Adoption of tools over time" in page.text
    filtered = client.get("/cockpit/adoption?group=commerce")
    assert ">Alpha</a></th>" in filtered.text
    assert ">Beta</a></th>" not in filtered.text
    assert client.get("/cockpit/adoption?group=nope").status_code == 404
    client.cookies.clear()
    login(client, dm.email)
    mine = client.get("/cockpit/adoption")
    assert ">Alpha</a></th>" in mine.text
    assert ">Beta</a></th>" not in mine.text
    assert "Hidden: fewer than 3 teams" in mine.text
    # A delivery manager's cockpit tabs and links are the pages they may open.
    for page in (mine, client.get("/cockpit/catalogue")):
        for href in ('href="/cockpit"', 'href="/cockpit/leadership"', 'href="/experiments/portfolio"'):
            assert href not in page.text
        assert 'href="/cockpit/adoption"' in page.text
    assert client.get("/cockpit").status_code == client.get("/cockpit/leadership").status_code == 403


def test_empty_matrix_page(client: TestClient, session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    session.flush()
    login(client, ops.email)
    assert "The catalogue is empty" in client.get("/cockpit/adoption").text


def test_api_matrix_states_and_wip_limit(client: TestClient, session: Session) -> None:
    alpha, beta, practice = seeded(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, alpha, dm, TeamRole.DELIVERY_MANAGER)
    headers = token_headers(session, dm)
    created = client.post(
        f"/api/v1/teams/{alpha.id}/practices",
        headers=headers,
        json={"entry_id": practice.id, "state": "trying", "note": "From January"},
    )
    assert created.status_code == 201
    assert (created.json()["state"], created.json()["note"]) == ("trying", "From January")
    assert (
        client.post(
            f"/api/v1/teams/{beta.id}/practices", headers=headers, json={"entry_id": practice.id, "state": "trying"}
        ).status_code
        == 403
    )
    limit = client.put(f"/api/v1/teams/{alpha.id}/practices/wip-limit", headers=headers, json={"wip_limit": 5})
    assert limit.json()["wip_limit"] == 5
    matrix = client.get("/api/v1/cockpit/adoption", headers=headers).json()
    assert matrix["team_names"] == ["Alpha"]
    cell = next(c for c in matrix["cells"] if c["entry_id"] == practice.id)
    assert (cell["state"], cell["check"]["confirmed"], cell["mismatch"]) == ("trying", False, False)
    ops_matrix = client.get(
        "/api/v1/cockpit/adoption", headers=token_headers(session, make_user(session, role=Role.PRODUCT_OPS))
    ).json()
    assert ops_matrix["team_names"] == ["Alpha", "Beta"]
    member = make_user(session)
    join(session, alpha, member)
    assert client.get("/api/v1/cockpit/adoption", headers=token_headers(session, member)).status_code == 403
    team_view = client.get(f"/api/v1/teams/{alpha.id}/practices", headers=token_headers(session, member)).json()
    assert [h["state"] for h in team_view["history"]] == ["trying"]
