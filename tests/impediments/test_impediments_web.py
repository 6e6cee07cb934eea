"""Impediment pages and API: the team log, raising, the impediment page's actions, team scope, the queues,
the digest, the report and an API round trip (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import Role, User
from deliveryops.app.main import API_ROUTERS, PAGE_ROUTERS, create_app
from deliveryops.db import utcnow
from deliveryops.impediments import pages, routes, service
from deliveryops.impediments.models import Cluster, Impediment, Level, Severity, Status
from deliveryops.settings import Settings
from deliveryops.teams.models import Team, TeamRole
from deliveryops.work.importing import import_records
from deliveryops.work.records import BlockedIntervalRecord, TransitionRecord, WorkItemRecord
from tests.factories import join, login, make_team, make_user, token_headers
from tests.parity import api_error, page_errors


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    """The app with the impediment routers, until app/main.py wires them itself."""
    app = create_app(settings, session_factory)
    if pages.router not in PAGE_ROUTERS:
        app.include_router(pages.router)
    if routes.router not in API_ROUTERS:
        app.include_router(routes.router, prefix="/api/v1")
    return app


@dataclass
class World:
    """Team Lima with a member and its delivery manager; Kilo with a member; Product Ops; a leader."""

    lima: Team
    kilo: Team
    member: User
    dm: User
    kilo_member: User
    ops: User
    leader: User


def world(session: Session) -> World:
    lima, kilo = make_team(session, name="Lima"), make_team(session, name="Kilo")
    people = World(
        lima=lima,
        kilo=kilo,
        member=make_user(session, email="member@example.com", name="Mia Member"),
        dm=make_user(session, email="dm@example.com", name="Dana Manager", role=Role.DELIVERY_MANAGER),
        kilo_member=make_user(session, email="kilo@example.com"),
        ops=make_user(session, email="ops@example.com", role=Role.PRODUCT_OPS),
        leader=make_user(session, email="leader@example.com", role=Role.LEADER),
    )
    join(session, lima, people.member)
    join(session, lima, people.dm, TeamRole.DELIVERY_MANAGER)
    join(session, kilo, people.kilo_member)
    return people


class Page(Protocol):
    """A test client's response (httpx's or httpx2's, whichever Starlette's test client uses)."""

    @property
    def text(self) -> str: ...


def text(response: Page) -> str:
    """The page with HTML entities decoded, so messages read as people see them."""
    return html.unescape(response.text)


def raise_one(
    session: Session,
    people: World,
    title: str = "Staging is down",
    *,
    days_ago: int = 0,
    severity: Severity = Severity.MEDIUM,
    category: str | None = None,
) -> Impediment:
    category_id = next(c.id for c in service.categories(session) if c.name == category) if category else None
    return service.raise_(
        session=session,
        actor=people.member,
        team_id=people.lima.id,
        title=title,
        severity=severity,
        category_id=category_id,
        now=utcnow() - timedelta(days=days_ago),
    )


def blocked_item(session: Session, team: Team, key: str, reason: str, days: int) -> None:
    start = utcnow() - timedelta(days=days)
    import_records(
        session=session,
        actor=None,
        team=team,
        import_format="test",
        records=[
            WorkItemRecord(
                source="test",
                external_key=key,
                item_type="Story",
                title=f"Item {key}",
                created_at=start,
                transitions=(TransitionRecord("Doing", start),),
                blocked_intervals=(BlockedIntervalRecord(start, None, reason),),
            )
        ],
    )


def test_team_log_and_raising_through_the_form(client: TestClient, session: Session) -> None:
    people = world(session)
    blocked_item(session, people.lima, "L-1", "Waiting for the vendor", days=3)
    csrf = login(client, "member@example.com")
    empty = client.get("/teams/lima/impediments")
    assert empty.status_code == 200
    assert "Nothing is blocking the team" in empty.text
    assert 'for="imp-title">Title</label>' in empty.text

    form = {
        "csrf_token": csrf,
        "title": " ",
        "description": "The deploy pipeline fails",
        "category_id": "",
        "severity": "high",
        "needed_by": "tomorrow",
        "work_items": "L-1\nL-9",
    }
    bad = client.post("/teams/lima/impediments", data=form)
    assert bad.status_code == 422
    page = text(bad)
    assert "Please correct the marked fields." in page
    assert (
        '<p class="field-error" id="needed_by-error" role="alert">Needed by: expected a date like 2026-03-31, got \'tomorrow\'.'
        in page
    )
    assert '<p class="field-error" id="title-error" role="alert">Give the impediment a title.</p>' in page
    assert "The deploy pipeline fails</textarea>" in page
    assert '<option value="high" selected>' in page

    bad = client.post("/teams/lima/impediments", data={**form, "needed_by": ""})
    assert bad.status_code == 422
    page = text(bad)
    assert '<p class="field-error" id="title-error" role="alert">Give the impediment a title.</p>' in page
    assert '<p class="field-error" id="work_items-error" role="alert">Not items of Lima: L-9.</p>' in page
    assert 'id="imp-title" name="title"' in page
    assert 'aria-invalid="true" aria-describedby="title-error"' in page

    data_access = next(c for c in service.categories(session) if c.name == "Data access")
    done = client.post(
        "/teams/lima/impediments",
        data={
            **form,
            "title": "No access to the warehouse",
            "category_id": str(data_access.id),
            "needed_by": "2026-12-01",
            "work_items": "L-1",
        },
    )
    assert done.status_code == 303
    impediment_id = int(done.headers["location"].rsplit("/", 1)[1])
    assert done.headers["location"] == f"/impediments/{impediment_id}"
    log = text(client.get("/teams/lima/impediments"))
    row = re.search(r"<tr><td><a href=\"/impediments/\d+\">No access to the warehouse</a></td>(.*?)</tr>", log, re.S)
    assert row
    cells = [
        re.sub(r"<[^>]+>", "", cell).split(" definition")[0].strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]
    assert cells == ["Data access", "high", "open", "Team", "0 of 2 working days", "0.0"]
    assert "No unraised blocks" in log  # L-1 is linked now


def test_a_category_or_tool_that_is_not_a_number_is_named_as_the_api_names_it_and_nothing_is_raised(
    client: TestClient, session: Session
) -> None:
    people = world(session)
    api = client.post(
        f"/api/v1/teams/{people.lima.id}/impediments",
        json={"title": "Pipeline fails", "severity": "high", "category_id": "data"},
        headers=token_headers(session, people.member),
    )
    assert api.status_code == 422
    api_fields = api_error(api)["details"]["fields"]
    assert api_fields == {"category_id": "Category id is a whole number, e.g. 12000; got 'data'."}
    csrf = login(client, "member@example.com")
    before = len(service.list_team(session=session, actor=None, team_id=people.lima.id))
    form = {"csrf_token": csrf, "title": "Pipeline fails", "severity": "high", "category_id": "data"}

    bad = client.post("/teams/lima/impediments", data=form)
    assert bad.status_code == 422
    assert page_errors(bad.text) == api_fields
    assert 'value="Pipeline fails"' in text(bad)
    unknown = client.post("/teams/lima/impediments", data={**form, "category_id": "999999", "severity": "urgent"})
    assert page_errors(unknown.text) == {
        "category_id": "Choose a category from the list.",
        "severity": "Severity: choose 'low', 'medium', 'high' or 'critical'; got 'urgent'.",
    }
    session.expire_all()
    assert len(service.list_team(session=session, actor=None, team_id=people.lima.id)) == before

    no_tool = client.post("/teams/lima/impediments", data={**form, "category_id": "", "tool_id": "jenkins"})
    assert no_tool.status_code == 422  # the tool's message beside its field: tests/cockpit/test_catalogue.py
    session.expire_all()
    assert len(service.list_team(session=session, actor=None, team_id=people.lima.id)) == before


def test_raise_from_a_long_block_in_one_click(client: TestClient, session: Session) -> None:
    people = world(session)
    blocked_item(session, people.lima, "L-7", "Waiting for the security review", days=4)
    csrf = login(client, "dm@example.com")
    log = text(client.get("/teams/lima/impediments"))
    assert "Long-blocked items with no impediment" in log
    action = re.search(r'action="(/teams/lima/impediments/from-block/\d+)"', log)
    assert action
    assert "L-7 · Item L-7</td><td>Waiting for the security review</td>" in log
    created = client.post(action.group(1), data={"csrf_token": csrf})
    assert created.status_code == 303
    impediment = session.get(Impediment, int(created.headers["location"].rsplit("/", 1)[1]))
    assert impediment is not None
    assert (impediment.title, impediment.severity, impediment.category.name if impediment.category else None) == (
        "Waiting for the security review",
        Severity.MEDIUM,
        "Other",
    )
    page = text(client.get(created.headers["location"]))
    assert "L-7</td>" in page or "L-7 · Item L-7" in page
    assert "No unraised blocks" in text(client.get("/teams/lima/impediments"))
    again = client.post(action.group(1), data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "L-7 is linked to an impediment already: Waiting for the security review." in text(again)
    kilo = make_team(session, name="Mike")
    join(session, kilo, people.dm, TeamRole.DELIVERY_MANAGER)
    assert client.post(action.group(1).replace("/lima/", "/mike/"), data={"csrf_token": csrf}).status_code == 404


def test_escalate_form_needs_what_was_tried_and_what_is_needed(client: TestClient, session: Session) -> None:
    people = world(session)
    impediment = raise_one(session, people)
    csrf = login(client, "member@example.com")
    url = f"/impediments/{impediment.id}"
    page = text(client.get(url))
    assert '<option value="delivery_manager" selected>Delivery manager</option>' in page
    assert '<option value="product_ops">Product Ops</option>' in page
    assert 'for="tried">What was tried</label>' in page

    missing = client.post(f"{url}/escalate", data={"csrf_token": csrf, "tried": "Asked in the channel", "needed": " "})
    assert missing.status_code == 422
    page = text(missing)
    assert '<p class="alert" role="alert">An escalation needs what was tried and what is needed.</p>' in page
    assert '<p class="field-error" id="needed-error" role="alert">Say what is needed from the next level.</p>' in page
    assert "Asked in the channel</textarea>" in page

    done = client.post(
        f"{url}/escalate", data={"csrf_token": csrf, "tried": "Asked in the channel", "needed": "Admin rights on staging"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == url
    page = text(client.get(url))
    assert "Escalated from Team to Delivery manager" in page
    assert "Mia Member" in page
    assert "Tried: Asked in the channel<br>Needed: Admin rights on staging" in page
    assert 'id="escalate-title"' not in page  # the member cannot act at the delivery manager level
    assert "this impediment is in the hands of Lima's delivery manager; you can follow it and comment." in page
    denied = client.post(f"{url}/escalate", data={"csrf_token": csrf, "tried": "a", "needed": "b"})
    assert denied.status_code == 403
    assert "At the Delivery manager level, only Delivery manager can change this impediment." in text(denied)

    blank = client.post(f"{url}/comment", data={"csrf_token": csrf, "text": ""})
    assert blank.status_code == 422
    assert '<p class="alert" role="alert">Write a comment.</p>' in text(blank)
    assert client.post(f"{url}/comment", data={"csrf_token": csrf, "text": "Still blocked"}).status_code == 303
    assert "Commented" in text(client.get(url))


def test_delivery_manager_hands_back_and_the_team_resolves(client: TestClient, session: Session) -> None:
    people = world(session)
    impediment = raise_one(session, people)
    service.escalate(session=session, actor=people.member, impediment_id=impediment.id, tried="a", needed="b")
    url = f"/impediments/{impediment.id}"
    csrf = login(client, "dm@example.com")
    page = text(client.get(url))
    assert '<option value="product_ops" selected>Product Ops</option>' in page
    assert "Hand back to Team" in page
    no_reason = client.post(f"{url}/hand-back", data={"csrf_token": csrf, "reason": ""})
    assert no_reason.status_code == 422
    assert '<p class="field-error" id="reason-error" role="alert">Say why it goes back.</p>' in text(no_reason)
    assert client.post(f"{url}/hand-back", data={"csrf_token": csrf, "reason": "Rights granted"}).status_code == 303
    assert client.post(f"{url}/status", data={"csrf_token": csrf, "status": "escalated"}).status_code == 422
    assert client.post(f"{url}/status", data={"csrf_token": csrf, "status": "open"}).status_code == 303
    no_note = client.post(f"{url}/resolve", data={"csrf_token": csrf, "note": "", "wont_fix": "false"})
    assert no_note.status_code == 422
    assert '<p class="alert" role="alert">Say how it was resolved.</p>' in text(no_note)
    closed = client.post(f"{url}/resolve", data={"csrf_token": csrf, "note": "We live with it", "wont_fix": "true"})
    assert closed.status_code == 303
    page = text(client.get(url))
    assert "Closed as won't fix" in page
    assert "Handed back from Delivery manager to Team" in page
    assert "Status in progress → open" in page
    assert "Work on it" not in page
    twice = client.post(f"{url}/resolve", data={"csrf_token": csrf, "note": "Again"})
    assert twice.status_code == 422
    assert '<p class="alert" role="alert">This impediment is won\'t fix already.</p>' in text(twice)
    session.refresh(impediment)
    assert (impediment.status, impediment.level) == (Status.WONT_FIX, Level.TEAM)


def test_a_cluster_member_page_points_to_the_cluster(app: FastAPI, client: TestClient, session: Session) -> None:
    people = world(session)
    impediment = raise_one(session, people)
    cluster = Cluster(title="Shared staging is down", status="confirmed")
    session.add(cluster)
    session.flush()
    impediment.cluster_id = cluster.id
    session.flush()
    csrf = login(client, "member@example.com")
    page = text(client.get(f"/impediments/{impediment.id}"))
    assert "Shared staging is down (confirmed)" in page  # no link while the app serves no cluster page

    def clusters_page() -> dict[str, str]:
        return {}

    app.add_api_route("/impediments/clusters", clusters_page, methods=["GET"])  # stands in for cluster_pages.py
    page = text(client.get(f"/impediments/{impediment.id}"))
    # The cluster page is for Product Ops and leaders: a team member gets no link to it.
    assert "Shared staging is down (confirmed)" in page
    assert 'href="/impediments/clusters' not in page
    assert f'action="/impediments/{impediment.id}/resolve' not in page
    response = client.post(f"/impediments/{impediment.id}/resolve", data={"csrf_token": csrf, "note": "Fixed"})
    assert response.status_code == 422
    assert (
        "This impediment is part of a confirmed cross-team cluster: resolve the cluster, which resolves all of its "
        "teams' impediments."
    ) in text(response)
    login(client, "ops@example.com")
    page = text(client.get(f"/impediments/{impediment.id}"))
    assert f'<a href="/impediments/clusters#cluster-{cluster.id}">Shared staging is down</a> (confirmed)' in page


def test_similar_impediments_of_other_teams_link_only_where_the_viewer_may_go(client: TestClient, session: Session) -> None:
    people = world(session)
    mine = raise_one(session, people, "No access to the production logs")
    theirs = service.raise_(
        session=session,
        actor=people.kilo_member,
        team_id=people.kilo.id,
        title="No access to the production logs",
        severity=Severity.MEDIUM,
    )
    login(client, "member@example.com")
    page = text(client.get(f"/impediments/{mine.id}"))
    assert "Other teams report something that reads the same: No access to the production logs (Kilo)" in page
    assert f'href="/impediments/{theirs.id}"' not in page
    assert 'href="/impediments/clusters"' not in page
    login(client, "ops@example.com")
    page = text(client.get(f"/impediments/{mine.id}"))
    assert f'<a href="/impediments/{theirs.id}">No access to the production logs</a> (Kilo)' in page
    assert '<a href="/impediments/clusters">cross-team cluster</a>' in page


def test_another_teams_member_is_refused_everywhere(client: TestClient, session: Session) -> None:
    people = world(session)
    impediment = raise_one(session, people)
    csrf = login(client, "kilo@example.com")
    log = client.get("/teams/lima/impediments")
    assert log.status_code == 403
    assert "You are not in this team, so you cannot see its data." in text(log)
    page = client.get(f"/impediments/{impediment.id}")
    assert page.status_code == 403
    assert "This impediment belongs to a team you are not in." in text(page)
    assert client.post("/teams/lima/impediments", data={"csrf_token": csrf, "title": "x"}).status_code == 403
    assert client.post(f"/impediments/{impediment.id}/comment", data={"csrf_token": csrf, "text": "x"}).status_code == 403
    headers = token_headers(session, people.kilo_member)
    api = client.get(f"/api/v1/impediments/{impediment.id}", headers=headers)
    assert api.status_code == 403
    assert api.json() == {
        "error": {"code": "permission_denied", "message": "This impediment belongs to a team you are not in.", "details": {}}
    }
    listing = client.get(f"/api/v1/teams/{people.lima.id}/impediments", headers=headers)
    assert listing.status_code == 403
    created = client.post(f"/api/v1/teams/{people.lima.id}/impediments", json={"title": "x"}, headers=headers)
    assert created.status_code == 403
    assert created.json()["error"]["message"] == "Only people in the team can raise its impediments."
    missing = client.get("/api/v1/impediments/999999", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "No impediment with id 999999."


def test_product_ops_sees_the_queues_and_team_people_their_logs(client: TestClient, session: Session) -> None:
    people = world(session)
    low = raise_one(session, people, "Low but old", severity=Severity.LOW)
    critical = raise_one(session, people, "Critical and new", severity=Severity.CRITICAL)
    waiting = raise_one(session, people, "With leadership", severity=Severity.HIGH)
    for impediment, level, days in (
        (low, Level.PRODUCT_OPS, 1),
        (critical, Level.PRODUCT_OPS, 0),
        (waiting, Level.LEADERSHIP, 0),
    ):
        impediment.level, impediment.status = level, Status.ESCALATED
        impediment.level_entered_at = utcnow() - timedelta(days=days)
    session.flush()
    login(client, "ops@example.com")
    page = text(client.get("/impediments"))
    assert "Product Ops queue" in page
    assert "Leadership queue" in page
    assert page.index("Critical and new") < page.index("Low but old") < page.index("With leadership")
    queue = client.get("/api/v1/impediments/queue?level=product_ops", headers=token_headers(session, people.ops))
    assert queue.status_code == 200
    assert [(e["impediment"]["title"], e["team_name"]) for e in queue.json()["items"]] == [
        ("Critical and new", "Lima"),
        ("Low but old", "Lima"),
    ]
    assert queue.json()["items"][0]["impact"] == 8.0  # critical (8) × (1 + 0 blocked days) × (1 + 0 working days ÷ 5)
    assert client.get("/api/v1/impediments/queue", headers=token_headers(session, people.ops)).json() == queue.json()
    leadership = client.get("/api/v1/impediments/queue?level=leadership", headers=token_headers(session, people.leader))
    assert [e["impediment"]["title"] for e in leadership.json()["items"]] == ["With leadership"]

    member_headers = token_headers(session, people.member)
    refused = client.get("/api/v1/impediments/queue?level=leadership", headers=member_headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "The cross-team queues are for Product Ops and leaders."
    assert client.get("/api/v1/impediments/queue?level=team", headers=member_headers).status_code == 422
    login(client, "member@example.com")
    page = text(client.get("/impediments"))
    assert "Product Ops queue" not in page
    assert '<a href="/teams/lima/impediments"><strong>Lima</strong></a>' in page
    assert "3 open" in page


def test_the_digest_lists_overdue_impediments_and_who_should_act(client: TestClient, session: Session) -> None:
    people = world(session)
    raise_one(session, people, "Overdue at the team", days_ago=30)
    raise_one(session, people, "Raised today")
    with_dm = raise_one(session, people, "Overdue with the delivery manager", days_ago=30, severity=Severity.HIGH)
    service.escalate(
        session=session, actor=people.member, impediment_id=with_dm.id, tried="a", needed="b", now=utcnow() - timedelta(days=20)
    )
    login(client, "member@example.com")
    page = text(client.get("/impediments/digest"))
    assert "Overdue at the team" in page
    assert "Raised today" not in page
    assert "Lima (anyone in the team)" in page
    assert "Dana Manager</td>" in page
    assert '<span class="band band-red">overdue</span>' in page
    assert page.index("Team level") < page.index("Delivery manager level")
    login(client, "kilo@example.com")
    assert "Nothing is overdue" in text(client.get("/impediments/digest"))
    login(client, "leader@example.com")
    assert "Overdue at the team" in text(client.get("/impediments/digest"))


def test_the_report_shows_a_category_row(client: TestClient, session: Session) -> None:
    people = world(session)
    raise_one(session, people, "No warehouse access", category="Data access")
    resolved = raise_one(session, people, "No staging access", category="Data access", days_ago=2)
    service.resolve(session=session, actor=people.member, impediment_id=resolved.id, note="Granted")
    raise_one(session, people, "Unsorted")
    login(client, "member@example.com")
    page = text(client.get("/impediments/reports"))
    row = re.search(r'<tr><th scope="row">Data access</th>(.*?)</tr>', page, re.S)
    assert row
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    assert cells[:3] == ["1", "2", "0.0"]  # teams, impediments, blocked days
    assert cells[3] == "1"  # resolved
    assert cells[5] == "100%"  # within service level
    assert '<th scope="row">Uncategorised</th>' in page
    assert 'id="def-within-service-level"' in page
    bad = client.get("/impediments/reports?from=2026-03-10&to=2026-03-01")
    assert bad.status_code == 422
    assert '<p class="field-error" id="from-error" role="alert">The start must be on or before the end.</p>' in text(bad)
    wrong = client.get("/impediments/reports?from=yesterday&to=2026-03-01")
    assert wrong.status_code == 422
    api_wrong = client.get("/api/v1/impediments/report?from=yesterday", headers=token_headers(session, people.member))
    assert page_errors(wrong.text) == api_error(api_wrong)["details"]["fields"]
    assert page_errors(wrong.text) == {"from": "From: expected a date like 2026-03-31, got 'yesterday'."}
    assert 'value="2026-03-01"' in text(wrong)
    login(client, "kilo@example.com")
    assert "No impediments raised in this period" in text(client.get("/impediments/reports"))
    api = client.get("/api/v1/impediments/report", headers=token_headers(session, people.ops)).json()
    assert [(r["category"], r["impediments"], r["resolved"]) for r in api["rows"]] == [
        ("Data access", 2, 1),
        ("Uncategorised", 1, 0),
    ]
    assert api["impediments"] == 3


def test_api_create_escalate_resolve_round_trip(client: TestClient, session: Session) -> None:
    people = world(session)
    member, dm = token_headers(session, people.member), token_headers(session, people.dm)
    base = f"/api/v1/teams/{people.lima.id}/impediments"
    empty = client.post(base, json={"title": " "}, headers=member)
    assert empty.status_code == 422
    assert empty.json() == {
        "error": {
            "code": "validation_failed",
            "message": "Please correct the marked fields.",
            "details": {"fields": {"title": "Give the impediment a title."}},
        }
    }
    unknown = client.post("/api/v1/teams/999999/impediments", json={"title": "x"}, headers=member)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["message"] == "No team with id 999999."

    created = client.post(base, json={"title": "Staging is down", "severity": "high", "needed_by": "2026-12-01"}, headers=member)
    assert created.status_code == 201
    body = created.json()
    assert (body["title"], body["severity"], body["status"], body["level"], body["service_level_days"]) == (
        "Staging is down",
        "high",
        "open",
        "team",
        2,
    )
    assert [(e["kind"], e["actor_name"]) for e in body["events"]] == [("raised", "Mia Member")]
    url = f"/api/v1/impediments/{body['id']}"

    missing = client.post(f"{url}/escalate", json={"tried": "Restarted it"}, headers=member)
    assert missing.status_code == 422
    assert missing.json()["error"]["details"]["fields"] == {"needed": "Say what is needed from the next level."}
    escalated = client.post(f"{url}/escalate", json={"tried": "Restarted it", "needed": "Admin rights"}, headers=member)
    assert escalated.status_code == 200
    assert (escalated.json()["level"], escalated.json()["status"]) == ("delivery_manager", "escalated")

    refused = client.post(f"{url}/resolve", json={"note": "Done"}, headers=member)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "At the Delivery manager level, only Delivery manager can change this impediment."
    )
    comment = client.post(f"{url}/comments", json={"text": "On it"}, headers=dm)
    assert comment.status_code == 201
    assert (comment.json()["kind"], comment.json()["actor_name"], comment.json()["note"]) == ("comment", "Dana Manager", "On it")
    resolved = client.post(f"{url}/resolve", json={"note": "Rights granted"}, headers=dm)
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolution_note"]) == ("resolved", "Rights granted")
    again = client.patch(f"{url}/status", json={"status": "open"}, headers=dm)
    assert again.status_code == 422
    assert again.json()["error"]["message"] == "This impediment is resolved already."

    detail = client.get(url, headers=member).json()
    assert [(e["kind"], e["from_value"], e["to_value"]) for e in detail["events"]] == [
        ("raised", None, "team"),
        ("escalated", "team", "delivery_manager"),
        ("comment", None, None),
        ("resolved", "escalated", "resolved"),
    ]
    assert detail["events"][1]["note"] == "Tried: Restarted it\nNeeded: Admin rights"
    listing = client.get(base, headers=member).json()["items"]
    assert [(i["title"], i["status"]) for i in listing] == [("Staging is down", "resolved")]
    assert client.get(f"{base}?include_closed=false", headers=member).json()["items"] == []


def test_a_delivery_manager_escalates_straight_to_product_ops_keeping_what_was_tried(
    client: TestClient, session: Session
) -> None:
    people = world(session)
    impediment = raise_one(session, people)
    service.escalate(session=session, actor=people.member, impediment_id=impediment.id, tried="Asked the admins", needed="Rights")
    csrf = login(client, people.dm.email)
    url = f"/impediments/{impediment.id}"
    page = text(client.get(url))
    # The form starts from what the last escalation said was tried, and offers every level above.
    assert "Asked the admins</textarea>" in page
    assert '<option value="product_ops" selected>Product Ops</option>' in page
    assert '<option value="leadership">Leadership</option>' in page
    wrong = client.post(f"{url}/escalate", data={"csrf_token": csrf, "tried": "x", "needed": "y", "to": "team"})
    assert wrong.status_code == 422
    assert "Choose one of: Product Ops, Leadership." in text(wrong)
    body = {"tried": "x", "needed": "y", "to": "ceo"}
    api = client.post(f"/api/v1{url}/escalate", json=body, headers=token_headers(session, people.dm))
    unknown = client.post(f"{url}/escalate", data={**body, "csrf_token": csrf})
    assert (api.status_code, unknown.status_code) == (422, 422)
    assert page_errors(unknown.text) == api_error(api)["details"]["fields"]
    assert list(page_errors(unknown.text)) == ["to"]
    wrong_status = client.post(f"{url}/status", data={"csrf_token": csrf, "status": "stuck"})
    api_status = client.patch(f"/api/v1{url}/status", json={"status": "stuck"}, headers=token_headers(session, people.dm))
    assert page_errors(wrong_status.text) == api_error(api_status)["details"]["fields"]
    done = client.post(
        f"{url}/escalate",
        data={"csrf_token": csrf, "tried": "Asked the admins; asked their DM", "needed": "A decision", "to": "leadership"},
    )
    assert done.status_code == 303
    session.refresh(impediment)
    assert impediment.level.value == "leadership"
    assert "Escalated from Delivery manager to Leadership" in text(client.get(url))


def test_api_escalates_to_a_chosen_level_and_names_the_field_when_it_is_not_above(client: TestClient, session: Session) -> None:
    people = world(session)
    member = token_headers(session, people.member)
    impediment = raise_one(session, people)
    url = f"/api/v1/impediments/{impediment.id}"
    below = client.post(f"{url}/escalate", json={"tried": "a", "needed": "b", "to": "team"}, headers=member)
    assert below.status_code == 422
    assert below.json()["error"]["details"]["fields"] == {"to": "Choose one of: Delivery manager, Product Ops, Leadership."}
    unknown = client.post(f"{url}/escalate", json={"tried": "a", "needed": "b", "to": "ceo"}, headers=member)
    assert unknown.status_code == 422
    skipped = client.post(f"{url}/escalate", json={"tried": "a", "needed": "b", "to": "product_ops"}, headers=member)
    assert skipped.status_code == 200
    assert skipped.json()["level"] == "product_ops"
    assert [(e["kind"], e["from_value"], e["to_value"]) for e in skipped.json()["events"]][-1] == (
        "escalated",
        "team",
        "product_ops",
    )


def test_the_queue_says_which_rows_are_one_cross_team_problem(client: TestClient, session: Session) -> None:
    people = world(session)
    logs = Cluster(title="No access to production logs", status="confirmed")
    session.add(logs)
    session.flush()
    for title in ("No prod logs", "Still waiting for Splunk", "Unrelated vendor outage"):
        impediment = raise_one(session, people, title)
        impediment.level, impediment.status = Level.PRODUCT_OPS, Status.ESCALATED
        if title != "Unrelated vendor outage":
            impediment.cluster_id = logs.id
    session.flush()
    login(client, "ops@example.com")
    page = text(client.get("/impediments"))
    assert (
        f'2 of these 3 rows are one cross-team problem: <a href="/impediments/clusters/{logs.id}">'
        "No access to production logs</a> (confirmed)."
    ) in page
    assert page.count(f'<a class="band band-amber" href="/impediments/clusters/{logs.id}"') == 2
