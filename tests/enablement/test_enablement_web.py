"""Enablement through its pages and its API: forms with their errors beside the fields, Markdown rendered
safely, checklists ticked from the page, communities joined, and every list a page."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.coaching import service as coaching
from deliveryops.coaching.models import Insight
from deliveryops.cockpit.models import CatalogueEntry, EntryKind
from deliveryops.cockpit.rollouts import service as rollouts
from deliveryops.enablement import onboarding, playbooks
from deliveryops.enablement.schemas import PlaybookCreate
from deliveryops.teams.models import TeamRole
from tests.actions.test_actions import FIRST_MONDAY, weekly_team
from tests.factories import join, login, make_user, token_headers


def test_product_ops_runs_an_action_across_teams_from_the_page(client: TestClient, session: Session) -> None:
    teams = [weekly_team(session, [2, 3] * 10 + [7] * 8) for _ in range(2)]
    ops = make_user(session, role=Role.PRODUCT_OPS, email="ops@example.com")
    csrf = login(client, "ops@example.com")
    bad = client.post("/org-actions", data={"csrf_token": csrf, "title": "", "team_ids": "", "started_on": "soon"})
    assert bad.status_code == 422
    assert 'id="team_ids-error"' in bad.text
    assert 'id="started_on-error"' in bad.text
    started = (FIRST_MONDAY + timedelta(weeks=20)).isoformat()
    made = client.post(
        "/org-actions",
        data={
            "csrf_token": csrf,
            "title": "Stop starting",
            "team_ids": [str(teams[0].id), str(teams[1].id)],
            "target_metric": "throughput",
            "started_on": started,
        },
    )
    assert made.status_code == 303, made.text
    page = client.get(made.headers["location"])
    assert "<strong>improved</strong>. Across the teams: improved" in page.text
    assert "(2 teams: 2 improved)" in page.text
    assert "On simulated organisations of 2 teams" in page.text
    listed = client.get("/api/v1/org-actions?limit=1", headers=token_headers(session, ops)).json()
    assert (listed["total"], listed["limit"], listed["items"][0]["pooled"]["outcome"]) == (1, 1, "improved")
    assert "improved" in client.get("/org-actions").text


def test_playbook_pages_render_markdown_safely_and_keep_history(client: TestClient, session: Session) -> None:
    make_user(session, role=Role.PRODUCT_OPS, email="pb@example.com")
    csrf = login(client, "pb@example.com")
    made = client.post(
        "/playbooks",
        data={
            "csrf_token": csrf,
            "title": "WIP limits",
            "practice_key": "wip_limits",
            "body": "# Why\n<script>x()</script> **limit**",
        },
    )
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "<h2>Why</h2>" in page.text
    assert "&lt;script&gt;x()&lt;/script&gt; <strong>limit</strong>" in page.text
    assert "<script>x()" not in page.text
    again = client.post(made.headers["location"] + "/versions", data={"csrf_token": csrf, "body": "# Now", "note": "shorter"})
    assert again.status_code == 303
    page = client.get(made.headers["location"])
    assert "Version 2 of 2" in page.text
    assert "shorter" in page.text
    old = client.get(made.headers["location"] + "/versions/1")
    assert "an earlier version" in old.text
    assert client.get("/playbooks/for-practice/wip_limits").headers["location"] == made.headers["location"]
    assert client.get("/playbooks/for-practice/nothing").headers["location"] == "/playbooks?missing=practice"
    assert "No playbook has been written for that practice yet." in client.get("/playbooks?missing=practice").text
    entry = CatalogueEntry(kind=EntryKind.PRACTICE, name="Pairing (web)", category="quality")
    session.add(entry)
    session.flush()
    assert f'href="/playbooks/for-entry/{entry.id}"' in client.get(f"/cockpit/catalogue/{entry.id}").text
    assert client.get(f"/playbooks/for-entry/{entry.id}").headers["location"] == "/playbooks?missing=entry"
    # A rollout of the entry links to the entry's playbook too, which leads to it once one is written.
    team = weekly_team(session, [2, 3])
    rollout = rollouts.create_rollout(
        session=session,
        actor=None,
        entry_id=entry.id,
        title="Pairing everywhere",
        metric="throughput",
        starts_on=FIRST_MONDAY,
        teams=[(team.id, FIRST_MONDAY + timedelta(weeks=1))],
    )
    assert f'href="/playbooks/for-entry/{entry.id}"' in client.get(f"/cockpit/rollouts/{rollout.id}").text
    pairing = playbooks.create(
        session=session, actor=None, body=PlaybookCreate(title="Pairing", entry_id=entry.id, body="# Pair")
    )
    assert client.get(f"/playbooks/for-entry/{entry.id}").headers["location"] == f"/playbooks/{pairing.id}"
    refused = client.post("/playbooks", data={"csrf_token": csrf, "title": "x", "body": "y", "practice_key": "juggling"})
    assert refused.status_code == 422
    assert 'id="practice_key-error"' in refused.text


def test_a_member_ticks_their_own_checklist_and_joins_a_community(client: TestClient, session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    for kind, body in onboarding.STANDARD_TEMPLATES.items():
        onboarding.write_template(session=session, actor=ops, kind=kind, body=body)
    team = weekly_team(session, [1])
    member = make_user(session, email="new@example.com")
    join(session, team, member)
    csrf = login(client, "new@example.com")
    hub = client.get("/enablement")
    assert f"Your checklist in {team.name}</a>: 0 of 4 done" in hub.text
    [mine] = [c for c in onboarding.list_checklists(session=session, actor=member) if c.user_id == member.id]
    step = mine.steps[0].item_id
    ticked = client.post(f"/onboarding/checklists/{mine.id}/steps/{step}", data={"csrf_token": csrf, "done": "true"})
    assert ticked.status_code == 303
    assert "1 of 4 steps done" in client.get(f"/onboarding/checklists/{mine.id}").text
    client.post(f"/onboarding/checklists/{mine.id}/steps/{step}", data={"csrf_token": csrf})  # unticks
    assert "0 of 4 steps done" in client.get(f"/onboarding/checklists/{mine.id}").text
    assert client.post(f"/onboarding/checklists/{mine.id}/steps/{step}", data={"done": "true"}).status_code == 403  # no CSRF
    onboarding_page = client.get("/onboarding")
    assert "The team" in onboarding_page.text
    assert "Save the template" not in onboarding_page.text  # members read templates, Product Ops edits them
    headers = token_headers(session, ops)
    community = client.post("/api/v1/communities", json={"name": "Flow guild"}, headers=headers).json()
    joined = client.post(f"/communities/{community['id']}/join", data={"csrf_token": csrf})
    assert joined.status_code == 303
    page = client.get(f"/communities/{community['id']}")
    assert "Leave the community" in page.text
    assert "Nothing learnt yet" in page.text
    met = client.post(
        f"/communities/{community['id']}/meetings", data={"csrf_token": csrf, "title": "Clinic", "held_on": "2026-12-01"}
    )
    assert met.status_code == 303
    meetings = client.get(f"/api/v1/communities/{community['id']}/meetings", headers=token_headers(session, member)).json()
    assert [m["title"] for m in meetings["items"]] == ["Clinic"]
    empty = client.get("/communities")
    assert "Flow guild" in empty.text


def test_a_coaching_insight_links_to_the_playbook_of_its_practice(client: TestClient, session: Session) -> None:
    team = weekly_team(session, [1])
    dm = make_user(session, role=Role.DELIVERY_MANAGER, email="coach.dm@example.com")
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    coaching.ensure_fresh(session, team)
    payload = {"title": "WIP above what Little's Law needs", "observed": "x", "why": "y", "practice": "wip_limits"}
    session.add(Insight(team_id=team.id, kind="wip_above_littles_law", subject="team", severity="warning", payload=payload))
    session.flush()
    login(client, "coach.dm@example.com")
    page = client.get(f"/teams/{team.slug}/coaching").text
    assert '<a href="/playbooks/for-practice/wip_limits">Read its playbook</a>' in page
