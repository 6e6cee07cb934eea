"""The connection form: DORA sources of GitHub and Jira connections, and messages naming the field and line."""

from __future__ import annotations

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.sync.models import Connection
from tests.factories import login, make_team, make_user, token_headers
from tests.parity import api_error, page_errors

REPO = "panjf2000/ants"


def _form(csrf: str, team_id: int, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "kind": "github",
        "name": "GitHub ants",
        "team_id": str(team_id),
        "base_url": "https://api.github.com",
        "repositories": REPO,
        "secret": "ghp_x",
        **fields,
    }


def esc(text: str) -> str:
    return str(escape(text))


def _connections(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Connection)) or 0)


def test_github_deployment_sources_and_incident_label(client: TestClient, session: Session) -> None:
    team = make_team(session)
    make_user(session, email="admin@example.com", role=Role.ADMIN)
    csrf = login(client, "admin@example.com")

    form = client.get("/admin/connections")
    assert 'name="deployments"' in form.text
    assert "org/repo: deployments" in form.text  # the format is explained next to the field

    bad_line = client.post("/admin/connections", data=_form(csrf, team.id, deployments=f'# prod\n{REPO}: workflow_runs "Deploy"'))
    assert bad_line.status_code == 422
    assert esc('Line 2: name the branch after the workflow, e.g. workflow_runs "Deploy" main.') in bad_line.text
    assert 'aria-invalid="true"' in bad_line.text
    assert esc(f'{REPO}: workflow_runs "Deploy"') in bad_line.text  # what was typed is kept
    assert _connections(session) == 0

    other_repo = client.post("/admin/connections", data=_form(csrf, team.id, deployments="octo/web: deployments"))
    assert other_repo.status_code == 422
    assert esc("octo/web is not one of the connection's repositories") in other_repo.text
    assert 'id="deployments-error"' in other_repo.text
    assert _connections(session) == 0

    odd_environment = client.post("/admin/connections", data=_form(csrf, team.id, deployments=f"\n\n{REPO}: deployments pr@d,eu"))
    assert odd_environment.status_code == 303  # any one word is an environment name
    session.expire_all()
    assert session.scalars(select(Connection)).one().settings["deployments"][0]["environment"] == "pr@d,eu"
    session.delete(session.scalars(select(Connection)).one())
    session.flush()

    made = client.post(
        "/admin/connections",
        data=_form(
            csrf,
            team.id,
            deployments=f'{REPO}: workflow_runs "Deploy" "Release" main',
            incident_label=" incident ",
            incidents_only="on",
        ),
    )
    assert made.status_code == 303
    session.expire_all()
    connection = session.scalars(select(Connection)).one()
    assert connection.settings["deployments"] == [
        {
            "repository": REPO,
            "source": "workflow_runs",
            "environment": "production",
            "workflows": ["Deploy", "Release"],
            "branch": "main",
        }
    ]
    assert (connection.settings["incident_label"], connection.settings["incidents_as_work_items"]) == ("incident", False)
    detail = client.get(made.headers["location"])
    assert esc(f'{REPO}: workflow_runs "Deploy" "Release" main production') in detail.text
    assert "issues labelled “incident” (incidents only, not work items)." in detail.text


def test_jira_incident_types_and_labels(client: TestClient, session: Session) -> None:
    team = make_team(session)
    make_user(session, email="admin2@example.com", role=Role.ADMIN)
    csrf = login(client, "admin2@example.com")
    base = {
        "csrf_token": csrf,
        "kind": "jira-server",
        "name": "Jira OPS",
        "team_id": str(team.id),
        "base_url": "https://jira.example.com",
        "projects": "OPS",
        "secret": "pat",
    }

    bad = client.post("/admin/connections", data={**base, "incident_severity_field": "Severity level"})
    assert bad.status_code == 422
    assert esc("'Severity level' is not a Jira field id (e.g. priority or customfield_10050)") in bad.text
    assert 'id="incident_severity_field-error"' in bad.text
    assert _connections(session) == 0

    made = client.post(
        "/admin/connections",
        data={**base, "incident_issue_types": "Incident, Outage", "incident_labels": "sev1", "incident_severity_field": ""},
    )
    assert made.status_code == 303
    session.expire_all()
    settings = session.scalars(select(Connection)).one().settings
    assert (
        settings["incident_issue_types"],
        settings["incident_labels"],
        settings["incident_severity_field"],
        settings["incidents_as_work_items"],
    ) == (["Incident", "Outage"], ["sev1"], None, True)
    detail = client.get(made.headers["location"])
    assert "Incidents: issues of type Incident, Outage or labelled sev1." in detail.text


def test_a_team_or_interval_that_is_not_a_number_is_named_and_nothing_is_added(client: TestClient, session: Session) -> None:
    team = make_team(session)
    make_user(session, email="admin@example.com", role=Role.ADMIN)
    csrf = login(client, "admin@example.com")

    bad_interval = client.post("/admin/connections", data=_form(csrf, team.id, interval_minutes="hourly"))
    assert bad_interval.status_code == 422
    assert esc("Sync every (minutes) is a whole number, e.g. 12000; got 'hourly'.") in bad_interval.text
    bad_team = client.post("/admin/connections", data={**_form(csrf, team.id), "team_id": "Lima"})
    assert bad_team.status_code == 422
    assert esc("Team is a whole number, e.g. 12000; got 'Lima'.") in bad_team.text
    assert _connections(session) == 0

    admin = session.scalars(select(User).where(User.email == "admin@example.com")).one()
    api_body = {
        "name": "x" * 101,
        "kind": "github",
        "team_id": "Lima",
        "settings": {},
        "secret": "t",
        "interval_minutes": "hourly",
    }
    api = client.post("/api/v1/connections", json=api_body, headers=token_headers(session, admin))
    page = client.post(
        "/admin/connections", data={**_form(csrf, team.id), "name": "x" * 101, "team_id": "Lima", "interval_minutes": "hourly"}
    )
    assert (api.status_code, page.status_code) == (422, 422)
    assert {key: page_errors(page.text)[key] for key in ("name", "team_id", "interval_minutes")} == api_error(api)["details"][
        "fields"
    ]
    long_projects = client.post(
        "/admin/connections", data={**_form(csrf, team.id), "kind": "gitlab", "gitlab_projects": "g/p," * 1001}
    )
    assert page_errors(long_projects.text)["gitlab_projects"] == "Projects has at most 4,000 characters."
    assert _connections(session) == 0

    added = client.post("/admin/connections", data=_form(csrf, team.id, interval_minutes="60"))
    assert added.status_code == 303
    connection = session.scalars(select(Connection)).one()
    assert connection.interval_minutes == 60
