"""The Jira connection forms choose the issue type improvement actions become (Task when left empty)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.sync.models import Connection
from tests.factories import login, make_team, make_user


def test_add_and_edit_a_jira_connection_with_an_issue_type_for_actions(client: TestClient, session: Session) -> None:
    team = make_team(session)
    make_user(session, email="admin3@example.com", role=Role.ADMIN)
    csrf = login(client, "admin3@example.com")
    base = {
        "csrf_token": csrf,
        "kind": "jira-server",
        "name": "Jira OPS",
        "team_id": str(team.id),
        "base_url": "https://jira.example.com",
        "projects": "OPS",
        "secret": "pat",
    }
    made = client.post("/admin/connections", data=base)
    assert made.status_code == 303
    session.expire_all()
    connection = session.scalars(select(Connection)).one()
    assert connection.settings["action_issue_type"] == "Task"  # the default
    edited = client.post(
        f"/admin/connections/{connection.id}/edit",
        data={
            "csrf_token": csrf,
            "name": "Jira OPS",
            "base_url": "https://jira.example.com",
            "projects": "OPS",
            "action_issue_type": " Improvement ",
        },
    )
    assert edited.status_code == 303
    session.expire_all()
    assert session.get(Connection, connection.id).settings["action_issue_type"] == "Improvement"  # type: ignore[union-attr]
    page = client.get(f"/admin/connections/{connection.id}")
    assert 'name="action_issue_type"' in page.text
    assert 'value="Improvement"' in page.text
    too_long = client.post(
        f"/admin/connections/{connection.id}/edit",
        data={
            "csrf_token": csrf,
            "name": "Jira OPS",
            "base_url": "https://jira.example.com",
            "projects": "OPS",
            "action_issue_type": "x" * 61,
        },
    )
    assert too_long.status_code == 422
