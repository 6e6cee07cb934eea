"""Improvement actions created as Jira and GitHub issues through the team's connection, over real HTTP to the fake
trackers: the link is kept and shown, the issue's status comes back by the periodic check (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.actions import service, tracker
from deliveryops.actions.models import ActionStatus
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.errors import ValidationFailedError
from deliveryops.sync import service as connections
from deliveryops.sync.models import Connection
from deliveryops.sync.service import ConnectionFailedError
from deliveryops.teams.models import Team
from tests.connectors.fake_github import REPO, FakeGitHub, sample_repo
from tests.connectors.fake_github import TOKEN as GITHUB_TOKEN
from tests.connectors.fake_jira import EMAIL, TOKEN, FakeJira, recorded_issues
from tests.factories import join, login, make_team, make_user, token_headers

KEY = "t" * 48  # the test app's secret key (tests/conftest.py)
LOOPBACK = HostPolicy(allow_http_loopback=True)
PUBLIC = HostPolicy(resolver=lambda _host: ["140.82.112.6"])
REACH = tracker.IssueReach(app_key=KEY, hosts=LOOPBACK)


def add_connection(
    session: Session,
    team: Team,
    name: str,
    kind: str,
    settings: dict[str, Any],
    *,
    secret: str,
    app_key: str = KEY,
    hosts: HostPolicy = LOOPBACK,
) -> Connection:
    """A connection of ``team`` (its token encrypted under ``app_key``)."""
    return connections.create(
        session=session,
        actor=None,
        name=name,
        kind=kind,
        team_id=team.id,
        settings=settings,
        secret=secret,
        app_key=app_key,
        hosts=hosts,
    )


def test_an_action_becomes_a_jira_issue_from_its_page_and_follows_its_status(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Tracker Jira")
    member = make_user(session, email="tracker.member@example.com")
    join(session, team, member)
    jira = FakeJira(recorded_issues())
    with jira.serve() as server:
        connection = add_connection(
            session, team, "Jira EE", "jira-cloud", {"base_url": server.url, "email": EMAIL, "projects": ["EE"]}, secret=TOKEN
        )
        action = service.create(session=session, actor=None, team_id=team.id, title="Limit WIP to 4", description="Items wait.")
        session.commit()
        csrf = login(client, "tracker.member@example.com")
        page = client.get(f"/actions/{action.id}")
        assert "Create as an issue in" in page.text
        assert f'<option value="{connection.id}">Jira EE</option>' in page.text
        refused = client.post(
            f"/actions/{action.id}/issue", data={"csrf_token": csrf, "connection_id": str(connection.id), "project": "K5X"}
        )
        assert refused.status_code == 422
        assert "Choose one of: EE." in refused.text
        created = client.post(f"/actions/{action.id}/issue", data={"csrf_token": csrf, "connection_id": str(connection.id)})
        assert created.status_code == 303
        page = client.get(f"/actions/{action.id}")
        assert (
            f'<a href="{server.url}/browse/EE-13955" rel="noopener noreferrer" target="_blank">EE-13955</a>: To Do' in page.text
        )
        listed = client.get(f"/teams/{team.slug}/actions")
        assert f'<a href="{server.url}/browse/EE-13955" rel="noopener noreferrer" target="_blank">EE-13955</a>' in listed.text
        description = jira.created[0]["description"]["content"]
        assert description[0]["content"][0]["text"] == "Items wait."
        assert description[-1]["content"][0][
            "text"
        ] == f"Improvement action in DeliveryOps: http://testserver/actions/{action.id}" or (
            description[-1]["content"][0]["text"].endswith(f"/actions/{action.id}")
        )
        again = client.post(f"/actions/{action.id}/issue", data={"csrf_token": csrf, "connection_id": str(connection.id)})
        assert again.status_code == 422
        assert "This action is an issue already" in again.text

        jira.move("EE-13955", "3")
        assert tracker.refresh_all(session, REACH) == (1, 1)
        assert action.status is ActionStatus.DOING
        assert tracker.refresh_all(session, REACH) == (1, 0)
        service.update(session=session, actor=member, action_id=action.id, status=ActionStatus.OPEN)
        assert tracker.refresh_all(session, REACH) == (1, 0)  # a status set here stays until the issue changes
        assert action.status.value == "open"
        jira.move("EE-13955", "10034")
        checked = client.post(f"/actions/{action.id}/issue/refresh", data={"csrf_token": csrf})
        assert checked.status_code == 303
        session.expire_all()
        done = service.get_or_raise(session=session, actor=member, action_id=action.id)
        assert done.status is ActionStatus.DONE
        assert done.done_on is not None
        api = client.get(f"/api/v1/actions/{action.id}/issue", headers=token_headers(session, member)).json()
        assert (api["key"], api["remote_status"], api["state"], api["error"]) == ("EE-13955", "Done", "done", None)
    jira_token_sent = {r.headers.get("authorization") for r in jira.requests}
    assert len(jira_token_sent) == 1
    assert TOKEN not in page.text


def test_github_issue_through_the_api_and_a_failed_check_is_shown(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Tracker GitHub")
    dm = make_user(session, email="tracker.dm@example.com", role=Role.DELIVERY_MANAGER)
    join(session, team, dm)
    github = FakeGitHub({REPO: sample_repo()})
    with github.serve() as server:
        connection = add_connection(
            session, team, "GitHub ants", "github", {"base_url": server.url, "repositories": [REPO]}, secret=GITHUB_TOKEN
        )
        action = service.create(session=session, actor=None, team_id=team.id, title="Automate release notes")
        headers = token_headers(session, dm)
        session.commit()
        made = client.post(f"/api/v1/actions/{action.id}/issue", json={"connection_id": connection.id}, headers=headers)
        assert made.status_code == 201, made.text
        body = made.json()
        number = int(body["key"].rsplit("#", 1)[1])
        assert body["url"] == f"https://github.com/{REPO}/issues/{number}"
        assert (body["state"], body["remote_status"], body["kind"]) == ("open", "open", "github")
        github.close_issue(REPO, number, reason="not_planned")
        refreshed = client.post(f"/api/v1/actions/{action.id}/issue/refresh", headers=headers).json()
        assert (refreshed["state"], refreshed["remote_status"]) == ("dropped", "closed (not planned)")
        assert client.get(f"/api/v1/actions/{action.id}", headers=headers).json()["status"] == "dropped"
        github.fail(rf"/repos/{REPO}/issues/{number}", "unauthorized_401")
        failed = client.post(f"/api/v1/actions/{action.id}/issue/refresh", headers=headers).json()
        assert failed["error"].startswith("GitHub ants: the server refused the credentials (401")
        login(client, "tracker.dm@example.com")
        page = client.get(f"/actions/{action.id}")
        assert "The last status check failed: GitHub ants: the server refused the credentials" in page.text
        assert GITHUB_TOKEN not in page.text


def test_only_the_teams_own_tracker_connections(session: Session) -> None:
    team, other = make_team(session, name="Tracker own"), make_team(session, name="Tracker other")
    elsewhere = add_connection(
        session,
        other,
        "Other GitHub",
        "github",
        {"base_url": "https://api.github.com", "repositories": ["a/b"]},
        secret="t0ken",
        app_key=KEY,
        hosts=PUBLIC,
    )
    action = service.create(session=session, actor=None, team_id=team.id, title="Own tracker")
    assert tracker.trackers(session, team.id) == []
    with pytest.raises(ValidationFailedError) as refused:
        tracker.create_issue(
            session=session,
            actor=None,
            action_id=action.id,
            connection_id=elsewhere.id,
            reach=REACH,
            public_url="https://d.example",
        )
    assert refused.value.fields == {"connection_id": "Choose a tracker of the team."}
    mine = add_connection(
        session,
        team,
        "Own GitHub",
        "github",
        {"base_url": "https://api.github.com", "repositories": ["a/b"]},
        secret="t0ken",
        app_key="another key",
        hosts=PUBLIC,
    )
    assert tracker.trackers(session, team.id) == [mine]
    with pytest.raises(ConnectionFailedError) as failed:
        tracker.create_issue(
            session=session, actor=None, action_id=action.id, connection_id=mine.id, reach=REACH, public_url="https://d.example"
        )
    assert "the secret key changed" in failed.value.message
    assert tracker.issue_of(session, action.id) is None
