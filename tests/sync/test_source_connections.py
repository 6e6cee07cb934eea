"""GitLab, Azure DevOps and Linear connections through the connections page, the API and the CLI: stored settings,
encrypted tokens, messages beside the field or naming the line, the pre-filled edit form (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from deliveryops.accounts.models import Role
from deliveryops.cli.main import app
from deliveryops.secrets import decrypt
from deliveryops.settings import Settings
from deliveryops.sync.models import Connection
from tests.factories import login, make_team, make_user, token_headers


def esc(text: str) -> str:
    return str(escape(text))


def _post(client: TestClient, csrf: str, team_id: int, kind: str, **fields: str) -> object:
    return client.post(
        "/admin/connections",
        data={
            "csrf_token": csrf,
            "kind": kind,
            "name": f"{kind} connection",
            "team_id": str(team_id),
            "secret": "s3cret-token",
            **fields,
        },
    )


def test_each_new_kind_is_added_through_the_form_with_its_fields(
    client: TestClient, session: Session, settings: Settings
) -> None:
    team = make_team(session)
    make_user(session, email="sources.admin@example.com", role=Role.ADMIN)
    csrf = login(client, "sources.admin@example.com")

    page = client.get("/admin/connections")
    for kind, label in (("gitlab", "GitLab"), ("azure-devops", "Azure DevOps"), ("linear", "Linear")):
        assert f'<option value="{kind}">{label}</option>' in page.text
    for field in ("gitlab_projects", "status_labels", "environments", "ado_project", "area_paths", "pipelines", "linear_teams"):
        assert f'name="{field}"' in page.text

    gitlab = _post(
        client,
        csrf,
        team.id,
        "gitlab",
        base_url="https://git.example.com/",
        gitlab_projects="acme/shop, acme/api",
        status_labels="workflow::to do\nworkflow::doing",
        environments="production",
    )
    azure = _post(
        client,
        csrf,
        team.id,
        "azure-devops",
        base_url="https://dev.azure.com/fabrikam",
        ado_project="Fabrikam",
        area_paths="Fabrikam\\Payments",
        ado_repositories="shop-web",
        pipelines="pipeline: Shop CI; stage=Deploy to production; branch=main\nrelease: Web; stage=PROD",
        incident_types="Incident",
        incidents_only="on",
    )
    linear = _post(client, csrf, team.id, "linear", linear_teams="eng, ops", incident_labels="incident")
    assert [response.status_code for response in (gitlab, azure, linear)] == [303, 303, 303]  # type: ignore[attr-defined]

    session.expire_all()
    stored = {c.kind: c for c in session.scalars(select(Connection))}
    assert stored["gitlab"].settings == {
        "base_url": "https://git.example.com",
        "projects": ["acme/shop", "acme/api"],
        "status_labels": ["workflow::to do", "workflow::doing"],
        "blocked_label": "blocked",
        "read_deployments": True,
        "deployment_environments": ["production"],
        "incidents_as_work_items": True,
        "bot_usernames": [],
        "token_kind": "private",
    }
    assert stored["azure-devops"].settings["deployments"] == [
        {
            "kind": "pipeline",
            "definition": "Shop CI",
            "stage": "Deploy to production",
            "branch": "main",
            "environment": "production",
            "repository": None,
        },
        {
            "kind": "release",
            "definition": "Web",
            "stage": "PROD",
            "branch": None,
            "environment": "production",
            "repository": None,
        },
    ]
    assert (stored["azure-devops"].settings["area_paths"], stored["azure-devops"].settings["incidents_as_work_items"]) == (
        ["Fabrikam\\Payments"],
        False,
    )
    assert (stored["linear"].settings["teams"], stored["linear"].settings["incident_labels"]) == (["ENG", "OPS"], ["incident"])
    for connection in stored.values():
        assert "s3cret-token" not in connection.secret_encrypted
        assert decrypt(connection.secret_encrypted, app_key=settings.resolved_secret_key()) == "s3cret-token"

    detail = client.get(f"/admin/connections/{stored['azure-devops'].id}")
    assert detail.status_code == 200
    assert ">pipeline: Shop CI; stage=Deploy to production; branch=main\nrelease: Web; stage=PROD</textarea>" in detail.text
    assert 'id="e-ado-project" name="ado_project" value="Fabrikam"' in detail.text
    assert "Incidents: issues of type Incident (incidents only, not work items)." in detail.text
    gitlab_detail = client.get(f"/admin/connections/{stored['gitlab'].id}")
    assert ">workflow::to do\nworkflow::doing</textarea>" in gitlab_detail.text
    assert "Deployments: environments production. Incidents: issues of type incident." in gitlab_detail.text
    assert (
        'name="linear_teams" placeholder="ENG, OPS" value="ENG, OPS"'
        in client.get(f"/admin/connections/{stored['linear'].id}").text
    )


def test_bad_input_is_named_beside_its_field_and_nothing_is_stored(client: TestClient, session: Session) -> None:
    team = make_team(session)
    make_user(session, email="sources.errors@example.com", role=Role.ADMIN)
    csrf = login(client, "sources.errors@example.com")

    gitlab = _post(client, csrf, team.id, "gitlab", gitlab_projects="shop")
    assert gitlab.status_code == 422  # type: ignore[attr-defined]
    assert esc("'shop' is not a project path (group/project) or id") in gitlab.text  # type: ignore[attr-defined]
    assert 'id="gitlab_projects-error"' in gitlab.text  # type: ignore[attr-defined]

    line = _post(
        client,
        csrf,
        team.id,
        "azure-devops",
        base_url="https://dev.azure.com/fabrikam",
        ado_project="Fabrikam",
        pipelines="# production\npipeline: Shop CI\nrelease: Web",
    )
    assert line.status_code == 422  # type: ignore[attr-defined]
    assert esc("Line 3: release Web: name the stage (release environment) that deploys, e.g. stage=PROD") in line.text  # type: ignore[attr-defined]
    assert 'id="pipelines-error"' in line.text  # type: ignore[attr-defined]
    assert esc("release: Web") in line.text  # type: ignore[attr-defined]

    unreadable = _post(
        client,
        csrf,
        team.id,
        "azure-devops",
        base_url="https://dev.azure.com/fabrikam",
        ado_project="Fabrikam",
        pipelines="build: Shop CI",
    )
    assert esc('Line 1: start with "pipeline:" or "release:", e.g. "pipeline: Shop CI; stage=Deploy".') in unreadable.text  # type: ignore[attr-defined]

    linear = _post(client, csrf, team.id, "linear", linear_teams="")
    assert esc("name at least one team key (e.g. ENG)") in linear.text  # type: ignore[attr-defined]
    assert 'id="linear_teams-error"' in linear.text  # type: ignore[attr-defined]
    assert session.scalars(select(Connection)).all() == []


def test_the_api_creates_and_edits_a_gitlab_connection(client: TestClient, session: Session) -> None:
    team = make_team(session)
    admin = make_user(session, email="sources.api@example.com", role=Role.ADMIN)
    headers = token_headers(session, admin)

    created = client.post(
        "/api/v1/connections",
        headers=headers,
        json={
            "name": "GitLab shop",
            "kind": "gitlab",
            "team_id": team.id,
            "secret": "glpat-x",
            "settings": {"projects": ["acme/shop"], "status_labels": ["Doing"]},
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["settings"]["base_url"] == "https://gitlab.com"
    assert "glpat-x" not in created.text

    patched = client.patch(
        f"/api/v1/connections/{created.json()['id']}", headers=headers, json={"settings": {"deployment_environments": ["prod"]}}
    )
    assert patched.status_code == 200
    assert (patched.json()["settings"]["projects"], patched.json()["settings"]["deployment_environments"]) == (
        ["acme/shop"],
        ["prod"],
    )
    refused = client.post(
        "/api/v1/connections",
        headers=headers,
        json={"name": "Linear", "kind": "linear", "team_id": team.id, "secret": "k", "settings": {"teams": []}},
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["fields"] == {"teams": "name at least one team key (e.g. ENG)"}


def test_the_cli_adds_each_new_kind(tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database", url]).exit_code == 0
    assert runner.invoke(app, ["teams", "create", "Shop", "--database", url]).exit_code == 0
    for kind, settings in (
        ("gitlab", ["projects=acme/shop", "status_labels=Doing,Review"]),
        (
            "azure-devops",
            [
                "base_url=https://dev.azure.com/fabrikam",
                "project=Fabrikam",
                'deployments=[{"kind": "pipeline", "definition": "Shop CI", "stage": "Deploy"}]',
            ],
        ),
        ("linear", ["teams=ENG"]),
    ):
        result = runner.invoke(
            app,
            [
                "connectors",
                "add",
                "--name",
                f"{kind} shop",
                "--kind",
                kind,
                "--team",
                "shop",
                *[arg for setting in settings for arg in ("--setting", setting)],
                "--secret",
                "t0ken",
                "--database",
                url,
            ],
        )
        assert result.exit_code == 0, result.output
        assert f"Added connection {kind} shop ({kind}) feeding Shop." in result.output
    listed = runner.invoke(app, ["connectors", "list", "--database", url])
    assert all(kind in listed.output for kind in ("gitlab", "azure-devops", "linear"))
    bad = runner.invoke(
        app,
        [
            "connectors",
            "add",
            "--name",
            "bad",
            "--kind",
            "gitlab",
            "--team",
            "shop",
            "--setting",
            "projects=shop",
            "--secret",
            "t",
            "--database",
            url,
        ],
    )
    assert bad.exit_code != 0
    assert " ".join(bad.output.split()).startswith(
        "Error: Please correct the connection settings: projects: 'shop' is not a project path (group/project) or id"
    )
