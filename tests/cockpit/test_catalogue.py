"""The catalogue of tools and practices, and impediments naming one (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.models import CatalogueEntry, DataCheck, EntryKind, ImpedimentTool
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import clusters
from deliveryops.impediments import service as impediments
from deliveryops.impediments.models import Status
from tests.factories import join, login, make_team, make_user, token_headers


def test_create_update_and_list_tools_first(session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    practice = catalogue.create(
        session=session,
        actor=ops,
        kind="practice",
        name="  WIP   limits ",
        category="flow",
        owner_id=ops.id,
        guide="Limit work in progress.\n\n- Agree a limit\n- Review it",
        data_check="wip_limits",
    )
    tool = catalogue.create(session=session, actor=ops, kind="tool", name="Jira", category="tracker")
    assert practice.name == "WIP limits"
    assert practice.data_check is DataCheck.WIP_LIMITS
    assert [e.name for e in catalogue.list_entries(session=session)] == ["Jira", "WIP limits"]
    catalogue.update(
        session=session, actor=ops, entry_id=tool.id, kind="tool", name="Jira Cloud", category="tracker", active=False
    )
    assert [e.name for e in catalogue.list_entries(session=session, active_only=True)] == ["WIP limits"]
    assert [e.name for e in catalogue.list_entries(session=session, kind=EntryKind.TOOL)] == ["Jira Cloud"]


def test_bad_input_names_every_field_and_writes_nothing(session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    catalogue.create(session=session, actor=ops, kind="tool", name="Slack", category="communication")
    with pytest.raises(ValidationFailedError) as caught:
        catalogue.create(
            session=session, actor=ops, kind="tool", name="Slack", category="", owner_id=999_999, data_check="tracker_sync"
        )
    assert caught.value.fields == {
        "name": "An entry named 'Slack' exists already.",
        "category": "Enter a category, such as tracker, CI/CD, source control, analytics.",
        "owner_id": "Choose an existing person.",
    }
    with pytest.raises(ValidationFailedError) as caught:
        catalogue.create(session=session, actor=ops, kind="gadget", name="", category="x", data_check="magic")
    assert caught.value.fields == {
        "kind": "Choose tool or practice.",
        "name": "Enter a name.",
        "data_check": "Choose a data check from the list, or none.",
    }
    assert session.scalar(select(func.count()).select_from(CatalogueEntry)) == 1


def test_only_product_ops_and_admins_edit(session: Session) -> None:
    for role in (Role.MEMBER, Role.DELIVERY_MANAGER, Role.LEADER):
        with pytest.raises(PermissionDeniedError):
            catalogue.create(session=session, actor=make_user(session, role=role), kind="tool", name="X", category="tracker")
    assert (
        catalogue.create(
            session=session, actor=make_user(session, role=Role.ADMIN), kind="tool", name="X", category="tracker"
        ).name
        == "X"
    )


def test_impediments_naming_a_tool_by_team_and_open_clusters(session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    alpha, beta = make_team(session, name="Alpha"), make_team(session, name="Beta")
    member = make_user(session)
    join(session, alpha, member)
    ci = catalogue.create(session=session, actor=ops, kind="tool", name="GitHub Actions", category="CI/CD")
    first = impediments.raise_(session=session, actor=None, team_id=alpha.id, title="CI runners queue for an hour")
    second = impediments.raise_(session=session, actor=None, team_id=beta.id, title="CI runners queue for hours")
    third = impediments.raise_(session=session, actor=None, team_id=alpha.id, title="Flaky CI cache")
    impediments.resolve(session=session, actor=None, impediment_id=third.id, note="Cache key fixed")
    for imp in (first, second, third):
        catalogue.link_impediment(
            session=session, actor=member if imp.team_id == alpha.id else ops, impediment_id=imp.id, entry_id=ci.id
        )
    [cluster] = clusters.propose(session)
    usage = catalogue.impediments_of(session, ci.id)
    assert (usage.open_total, usage.closed_total) == (2, 1)
    assert [(c.team_name, c.open, c.closed) for c in usage.by_team] == [("Alpha", 1, 1), ("Beta", 1, 0)]
    assert [c.id for c in usage.open_clusters] == [cluster.id]
    assert third.status is Status.RESOLVED
    # A member of Alpha sees the totals, but rows only of Alpha.
    mine = catalogue.impediments_of(session, ci.id, team_ids={alpha.id})
    assert (mine.open_total, [c.team_name for c in mine.by_team], [i.id for i in mine.open_impediments]) == (
        2,
        ["Alpha"],
        [first.id],
    )
    # Changing and clearing the link keeps one row per impediment.
    other = catalogue.create(session=session, actor=ops, kind="tool", name="Jenkins", category="CI/CD")
    catalogue.link_impediment(session=session, actor=ops, impediment_id=first.id, entry_id=other.id)
    assert catalogue.entry_of_impediment(session, first.id) == other
    catalogue.link_impediment(session=session, actor=ops, impediment_id=first.id, entry_id=None)
    assert catalogue.entry_of_impediment(session, first.id) is None
    assert session.scalar(select(func.count()).select_from(ImpedimentTool)) == 2


def test_linking_needs_the_team_or_product_ops(session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    alpha = make_team(session)
    tool = catalogue.create(session=session, actor=ops, kind="tool", name="Grafana", category="observability")
    imp = impediments.raise_(session=session, actor=None, team_id=alpha.id, title="Dashboards time out")
    with pytest.raises(PermissionDeniedError):
        catalogue.link_impediment(
            session=session, actor=make_user(session, role=Role.LEADER), impediment_id=imp.id, entry_id=tool.id
        )
    with pytest.raises(PermissionDeniedError):
        catalogue.link_impediment(session=session, actor=make_user(session), impediment_id=imp.id, entry_id=tool.id)
    with pytest.raises(ValidationFailedError) as caught:
        catalogue.link_impediment(session=session, actor=ops, impediment_id=imp.id, entry_id=999_999)
    assert caught.value.fields == {"entry_id": "Choose a tool or practice from the catalogue."}


def test_pages_ops_creates_by_form_and_a_member_reads(client: TestClient, session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS, name="Olga Ops")
    member = make_user(session)
    session.flush()
    csrf = login(client, ops.email)
    bad = client.post("/cockpit/catalogue", data={"csrf_token": csrf, "kind": "tool", "name": "", "category": "x"})
    assert bad.status_code == 422
    assert "Enter a name." in bad.text
    response = client.post(
        "/cockpit/catalogue",
        data={
            "csrf_token": csrf,
            "kind": "practice",
            "name": "Daily aging review",
            "category": "flow",
            "owner_id": str(ops.id),
            "guide": "Walk the board right to left.\n\n- Oldest first\n- <b>Ask</b> what blocks",
        },
    )
    assert response.status_code == 303
    entry_id = int(response.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/cockpit/catalogue/{entry_id}")
    assert "<li>&lt;b&gt;Ask&lt;/b&gt; what blocks</li>" in page.text
    assert "owner: Olga Ops" in page.text
    edit = client.post(
        f"/cockpit/catalogue/{entry_id}",
        data={
            "csrf_token": csrf,
            "kind": "practice",
            "name": "Daily aging review",
            "category": "flow",
            "guide": "",
            "data_check": "wip_limits",
        },
    )
    assert edit.status_code == 303
    assert session.get(CatalogueEntry, entry_id).data_check is DataCheck.WIP_LIMITS  # type: ignore[union-attr]
    assert session.get(CatalogueEntry, entry_id).active is False  # type: ignore[union-attr]  # box unticked
    client.cookies.clear()
    csrf = login(client, member.email)
    listing = client.get("/cockpit/catalogue")
    assert listing.status_code == 200
    assert "Daily aging review" in listing.text
    assert "Add a tool or practice" not in listing.text
    assert (
        client.post("/cockpit/catalogue", data={"csrf_token": csrf, "kind": "tool", "name": "Y", "category": "x"}).status_code
        == 403
    )
    assert client.get(f"/cockpit/catalogue/{entry_id}/edit").status_code == 403


def test_empty_catalogue_page_explains_itself(client: TestClient, session: Session) -> None:
    member = make_user(session)
    session.flush()
    login(client, member.email)
    page = client.get("/cockpit/catalogue")
    assert "No tools in the catalogue yet" in page.text
    assert "No practices in the catalogue yet" in page.text


def test_raise_form_and_detail_page_name_the_tool(client: TestClient, session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    team = make_team(session, name="Gamma")
    member = make_user(session)
    join(session, team, member)
    tool = catalogue.create(session=session, actor=ops, kind="tool", name="Unleash", category="feature flags")
    session.flush()
    csrf = login(client, member.email)
    assert "Tool or practice it concerns (optional)" in client.get("/teams/gamma/impediments").text
    bad = client.post(
        "/teams/gamma/impediments", data={"csrf_token": csrf, "title": "Flags stale", "severity": "medium", "tool_id": "abc"}
    )
    assert bad.status_code == 422
    assert "Tool or practice is a whole number, e.g. 12000; got &#39;abc&#39;." in bad.text
    raised = client.post(
        "/teams/gamma/impediments",
        data={"csrf_token": csrf, "title": "Flags stale", "severity": "medium", "tool_id": str(tool.id)},
    )
    assert raised.status_code == 303
    imp_id = int(raised.headers["location"].rsplit("/", 1)[1])
    assert catalogue.entry_of_impediment(session, imp_id) == tool
    detail = client.get(f"/impediments/{imp_id}")
    assert f'<a href="/cockpit/catalogue/{tool.id}">Unleash</a>' in detail.text
    assert f'action="/impediments/{imp_id}/tool"' in detail.text
    cleared = client.post(f"/impediments/{imp_id}/tool", data={"csrf_token": csrf, "entry_id": ""})
    assert cleared.status_code == 303
    assert catalogue.entry_of_impediment(session, imp_id) is None
    # A leader reads the impediment but cannot name its tool, so the form is not offered.
    client.cookies.clear()
    login(client, make_user(session, role=Role.LEADER).email)
    seen = client.get(f"/impediments/{imp_id}").text
    assert "None named yet." in seen
    assert f'action="/impediments/{imp_id}/tool"' not in seen


def test_api_create_patch_read_and_link(client: TestClient, session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    leader = make_user(session, role=Role.LEADER)
    team = make_team(session)
    imp = impediments.raise_(session=session, actor=None, team_id=team.id, title="Builds slow")
    headers = token_headers(session, ops)
    created = client.post(
        "/api/v1/cockpit/catalogue", headers=headers, json={"kind": "tool", "name": "GitHub", "category": "source control"}
    )
    assert created.status_code == 201
    entry_id = created.json()["id"]
    patched = client.patch(f"/api/v1/cockpit/catalogue/{entry_id}", headers=headers, json={"guide": "Use PRs."})
    assert (patched.json()["name"], patched.json()["guide"]) == ("GitHub", "Use PRs.")
    bad = client.post(
        "/api/v1/cockpit/catalogue", headers=headers, json={"kind": "tool", "name": "GitHub", "category": "source control"}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"] == {"name": "An entry named 'GitHub' exists already."}
    linked = client.put(f"/api/v1/impediments/{imp.id}/tool", headers=headers, json={"entry_id": entry_id})
    assert linked.json()["entry"]["name"] == "GitHub"
    detail = client.get(f"/api/v1/cockpit/catalogue/{entry_id}", headers=token_headers(session, leader)).json()
    assert (detail["open_impediments"], detail["closed_impediments"]) == (1, 0)
    assert detail["by_team"] == [{"team_id": team.id, "team_name": team.name, "open": 1, "closed": 0}]
    denied = client.post(
        "/api/v1/cockpit/catalogue", headers=token_headers(session, leader), json={"kind": "tool", "name": "Z", "category": "x"}
    )
    assert denied.status_code == 403


def test_catalogue_shows_the_adopted_share_only_over_enough_teams(client: TestClient, session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    tool = catalogue.create(session=session, actor=ops, kind="tool", name="Amplitude", category="analytics")
    first, _second = make_team(session), make_team(session)
    adoption.set_state(session=session, actor=None, team_id=first.id, entry_id=tool.id, state="adopted")
    session.flush()
    login(client, ops.email)
    cell = '<td class="num">{}</td>'
    assert cell.format("—") in client.get("/cockpit/catalogue").text  # two teams: below the minimum of 3
    make_team(session)
    session.flush()
    assert cell.format("33%") in client.get("/cockpit/catalogue").text
