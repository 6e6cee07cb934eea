"""Editing a connection: the pre-filled form, the token kept or replaced, line errors, PATCH (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.db import utcnow
from deliveryops.errors import ConflictError
from deliveryops.secrets import decrypt
from deliveryops.settings import Settings
from deliveryops.sync import service
from deliveryops.sync.models import Connection, SyncRun
from tests.factories import login, make_team, make_user, token_headers

REPO, OTHER = "panjf2000/ants", "octo/web"
TOKEN = "ghp_original_token_value"
STORED = {
    "base_url": "https://api.github.com",
    "repositories": [REPO],
    "incident_label": "incident",
    "blocked_label": "stuck",
    "deployments": [{"repository": REPO, "source": "deployments"}],
}


def esc(text: str) -> str:
    return str(escape(text))


def _connection(session: Session, settings: Settings, *, name: str = "GitHub ants") -> Connection:
    team = make_team(session)
    connection = service.create(
        session=session,
        actor=None,
        name=name,
        kind="github",
        team_id=team.id,
        settings=STORED,
        secret=TOKEN,
        app_key=settings.resolved_secret_key(),
        interval_minutes=60,
    )
    connection.watermark = utcnow()
    session.flush()
    return connection


def _form(csrf: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "name": "GitHub ants",
        "base_url": "https://api.github.com",
        "repositories": REPO,
        "deployments": f"{REPO}: deployments production",
        "incident_label": "incident",
        "interval_minutes": "60",
        **fields,
    }


def _admin(client: TestClient, session: Session) -> str:
    make_user(session, email="edit.admin@example.com", role=Role.ADMIN)
    return login(client, "edit.admin@example.com")


def test_edit_form_is_prefilled_without_the_token(client: TestClient, session: Session, settings: Settings) -> None:
    connection = _connection(session, settings)
    _admin(client, session)
    page = client.get(f"/admin/connections/{connection.id}")
    assert page.status_code == 200
    assert f'action="/admin/connections/{connection.id}/edit"' in page.text
    assert 'id="e-name" name="name" required value="GitHub ants"' in page.text
    assert f'name="repositories" placeholder="org/repo, org/other" value="{REPO}"' in page.text
    assert f">{REPO}: deployments production</textarea>" in page.text
    assert 'name="incident_label" placeholder="incident"' in page.text
    assert 'value="incident"' in page.text
    assert 'id="e-interval" name="interval_minutes" inputmode="numeric" value="60"' in page.text
    assert "cannot change: to change them, add a new connection" in page.text
    assert "Leave empty to keep the current token" in page.text
    assert TOKEN not in page.text
    assert 'name="secret" type="password" autocomplete="new-password" aria-describedby="e-secret-help">' in page.text


def test_valid_edit_changes_settings_keeps_the_token_and_rereads_history(
    client: TestClient, session: Session, settings: Settings
) -> None:
    connection = _connection(session, settings)
    failed = SyncRun(connection_id=connection.id, status="failed", cursor={"repository": 0, "page": 3})
    session.add(failed)
    session.flush()
    stored_secret = connection.secret_encrypted
    csrf = _admin(client, session)

    saved = client.post(
        f"/admin/connections/{connection.id}/edit",
        data=_form(
            csrf,
            name=" GitHub ants and web ",
            repositories=f"{REPO}, {OTHER}",
            interval_minutes="",
            deployments=f'{REPO}: deployments\n{OTHER}: workflow_runs "Deploy" main staging',
            incident_label="",
            incidents_only="on",
        ),
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/admin/connections/{connection.id}?saved=reread"
    session.expire_all()
    edited = session.get(Connection, connection.id)
    assert edited is not None
    assert (edited.name, edited.interval_minutes, edited.secret_encrypted) == ("GitHub ants and web", None, stored_secret)
    assert edited.settings["repositories"] == [REPO, OTHER]
    assert edited.settings["deployments"] == [
        {"repository": REPO, "source": "deployments", "environment": "production", "workflows": [], "branch": None},
        {"repository": OTHER, "source": "workflow_runs", "environment": "staging", "workflows": ["Deploy"], "branch": "main"},
    ]
    assert (edited.settings["incident_label"], edited.settings["incidents_as_work_items"]) == (None, False)
    assert edited.settings["blocked_label"] == "stuck"  # settings the form does not show stay
    assert (edited.kind, edited.team_id) == ("github", connection.team_id)
    assert edited.watermark is None  # the next sync reads the whole history, new sources included
    assert session.get(SyncRun, failed.id).cursor is None  # type: ignore[union-attr]  # it exists

    page = client.get(saved.headers["location"])
    assert "Changes saved. The next sync reads the whole history again." in page.text
    assert esc(f'{OTHER}: workflow_runs "Deploy" main staging') in page.text

    renamed = client.post(
        f"/admin/connections/{connection.id}/edit",
        data=_form(
            csrf,
            name="GitHub renamed",
            repositories=f"{REPO}, {OTHER}",
            interval_minutes="15",
            incidents_only="on",
            incident_label="",
            deployments=f'{REPO}: deployments\n{OTHER}: workflow_runs "Deploy" main staging',
        ),
    )
    assert renamed.headers["location"] == f"/admin/connections/{connection.id}?saved=1"  # same settings: no re-read
    assert "Changes saved." in client.get(renamed.headers["location"]).text


def test_a_new_token_replaces_the_old_one(client: TestClient, session: Session, settings: Settings) -> None:
    connection = _connection(session, settings)
    csrf = _admin(client, session)
    watermark = connection.watermark
    saved = client.post(f"/admin/connections/{connection.id}/edit", data=_form(csrf, secret=" ghp_new_token "))
    assert saved.headers["location"] == f"/admin/connections/{connection.id}?saved=1"
    session.expire_all()
    edited = session.get(Connection, connection.id)
    assert edited is not None
    assert "ghp_new_token" not in edited.secret_encrypted
    assert decrypt(edited.secret_encrypted, app_key=settings.resolved_secret_key()) == "ghp_new_token"
    assert edited.watermark == watermark  # a new token changes nothing that was read


def test_bad_deployments_line_is_refused_naming_the_line_and_nothing_changes(
    client: TestClient, session: Session, settings: Settings
) -> None:
    connection = _connection(session, settings)
    _connection(session, settings, name="Taken")
    before = (dict(connection.settings), connection.secret_encrypted, connection.name, connection.watermark)
    csrf = _admin(client, session)

    bad = client.post(
        f"/admin/connections/{connection.id}/edit",
        data=_form(
            csrf,
            name="Renamed",
            secret="ghp_other",
            repositories=f"{REPO}, {OTHER}",
            deployments=f'# production\n{REPO}: deployments\n{OTHER}: workflow_runs "Deploy"',
        ),
    )
    assert bad.status_code == 422
    assert esc('Line 3: name the branch after the workflow, e.g. workflow_runs "Deploy" main.') in bad.text
    assert 'id="deployments-error"' in bad.text
    assert esc(f'{OTHER}: workflow_runs "Deploy"') + "</textarea>" in bad.text  # what was typed is kept
    assert 'value="Renamed"' in bad.text
    assert "ghp_other" not in bad.text  # a typed token is never sent back

    not_listed = client.post(f"/admin/connections/{connection.id}/edit", data=_form(csrf, deployments=f"{OTHER}: deployments"))
    assert not_listed.status_code == 422
    assert esc(f"{OTHER} is not one of the connection's repositories") in not_listed.text

    taken = client.post(f"/admin/connections/{connection.id}/edit", data=_form(csrf, name="Taken"))
    assert taken.status_code == 409
    assert esc("A connection named 'Taken' exists already.") in taken.text
    assert 'id="name-error"' in taken.text

    bad_interval = client.post(f"/admin/connections/{connection.id}/edit", data=_form(csrf, interval_minutes="2"))
    assert bad_interval.status_code == 422
    assert "Sync every 5 minutes to 7 days, or leave empty." in bad_interval.text
    not_a_number = client.post(f"/admin/connections/{connection.id}/edit", data=_form(csrf, interval_minutes="daily"))
    assert not_a_number.status_code == 422
    assert esc("Sync every (minutes) is a whole number, e.g. 12000; got 'daily'.") in not_a_number.text

    session.expire_all()
    after = session.get(Connection, connection.id)
    assert after is not None
    assert (after.settings, after.secret_encrypted, after.name, after.watermark) == before


def test_non_admins_cannot_edit(client: TestClient, session: Session, settings: Settings) -> None:
    connection = _connection(session, settings)
    make_user(session, email="edit.dm@example.com", role=Role.DELIVERY_MANAGER)
    csrf = login(client, "edit.dm@example.com")
    refused = client.post(f"/admin/connections/{connection.id}/edit", data=_form(csrf, name="Mine"))
    assert refused.status_code == 403
    api = client.patch(f"/api/v1/connections/{connection.id}", json={"name": "Mine"}, headers={"X-CSRF-Token": csrf})
    assert api.status_code == 403
    session.expire_all()
    assert session.get(Connection, connection.id).name == "GitHub ants"  # type: ignore[union-attr]  # it exists


def test_patch_api_changes_and_validates(client: TestClient, session: Session, settings: Settings) -> None:
    connection = _connection(session, settings)
    admin = make_user(session, role=Role.ADMIN)
    headers = token_headers(session, admin)
    url = f"/api/v1/connections/{connection.id}"
    stored_secret = connection.secret_encrypted

    changed = client.patch(
        url,
        headers=headers,
        json={
            "settings": {
                "repositories": [REPO, OTHER],
                "deployments": [{"repository": OTHER, "source": "workflow_runs", "workflows": ["Deploy"], "branch": "main"}],
            },
            "interval_minutes": 30,
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["interval_minutes"], body["watermark"]) == ("GitHub ants", 30, None)
    assert body["settings"]["repositories"] == [REPO, OTHER]
    assert body["settings"]["incident_label"] == "incident"  # keys not given stay
    assert [source["repository"] for source in body["settings"]["deployments"]] == [OTHER]
    assert "secret" not in body
    assert "secret_encrypted" not in body

    kept = client.patch(url, headers=headers, json={"name": "GitHub API"})
    assert (kept.json()["name"], kept.json()["interval_minutes"]) == ("GitHub API", 30)  # omitted: kept
    by_hand = client.patch(url, headers=headers, json={"interval_minutes": None, "secret": "ghp_api"})
    assert by_hand.json()["interval_minutes"] is None
    session.expire_all()
    edited = session.get(Connection, connection.id)
    assert edited is not None
    assert edited.secret_encrypted != stored_secret
    assert decrypt(edited.secret_encrypted, app_key=settings.resolved_secret_key()) == "ghp_api"

    kind = client.patch(url, headers=headers, json={"kind": "jira-cloud", "team_id": 1})
    assert kind.status_code == 422
    assert set(kind.json()["error"]["details"]["fields"]) == {"kind", "team_id"}
    bad_line = client.patch(
        url,
        headers=headers,
        json={"settings": {"deployments": [{"repository": REPO, "source": "workflow_runs", "workflows": ["Deploy"]}]}},
    )
    assert bad_line.status_code == 422
    assert bad_line.json()["error"]["details"]["fields"] == {
        "deployments.0": f"{REPO}: workflow_runs needs the branch whose runs deploy (e.g. main)"
    }
    blank = client.patch(url, headers=headers, json={"secret": " ", "name": ""})
    assert blank.status_code == 422
    assert blank.json()["error"]["details"]["fields"] == {"name": "Give the connection a name.", "secret": "Enter the API token."}
    assert client.patch(url, headers=headers, json={"interval_minutes": 1}).status_code == 422
    assert client.patch("/api/v1/connections/999999", headers=headers, json={}).status_code == 404
    session.expire_all()
    after = session.get(Connection, connection.id)
    assert after is not None
    assert (after.name, after.settings["repositories"]) == ("GitHub API", [REPO, OTHER])  # failures changed nothing


def test_settings_cannot_change_while_a_sync_runs(session: Session, settings: Settings) -> None:
    connection = _connection(session, settings)
    watermark = connection.watermark
    running = SyncRun(connection_id=connection.id, status="running", heartbeat_at=utcnow(), cursor={"page": 1})
    session.add(running)
    session.flush()
    with pytest.raises(ConflictError) as caught:
        service.update(
            session=session,
            actor=None,
            connection_id=connection.id,
            app_key=settings.resolved_secret_key(),
            settings={"repositories": [REPO, OTHER]},
        )
    assert caught.value.message == "A sync of this connection is running; save these changes once it has finished."
    assert (connection.watermark, running.cursor) == (watermark, {"page": 1})
    renamed = service.update(
        session=session,
        actor=None,
        connection_id=connection.id,
        app_key=settings.resolved_secret_key(),
        name="Renamed while syncing",
    )
    assert renamed.name == "Renamed while syncing"  # what is read is unchanged: allowed

    running.heartbeat_at = utcnow() - timedelta(hours=1)  # its process died long ago
    session.flush()
    service.update(
        session=session,
        actor=None,
        connection_id=connection.id,
        app_key=settings.resolved_secret_key(),
        settings={"repositories": [REPO, OTHER]},
    )
    assert (connection.watermark, running.cursor) == (None, None)
    assert session.scalars(select(Connection.settings).where(Connection.id == connection.id)).one()["repositories"] == [
        REPO,
        OTHER,
    ]


def test_runs_show_their_deployment_and_incident_counts(client: TestClient, session: Session, settings: Settings) -> None:
    connection = _connection(session, settings)
    now = utcnow()
    session.add(
        SyncRun(
            connection_id=connection.id,
            status="succeeded",
            deployments=12,
            incidents=3,
            started_at=now,
            finished_at=now,
            message="12 deployments and 3 incidents imported.",
        )
    )
    session.flush()
    csrf = _admin(client, session)
    page = client.get(f"/admin/connections/{connection.id}")
    assert '<th scope="col" class="num">Deployments</th><th scope="col" class="num">Incidents</th>' in page.text
    assert '<td class="num">12</td><td class="num">3</td>' in page.text
    runs = client.get(f"/api/v1/connections/{connection.id}/runs", headers={"X-CSRF-Token": csrf}).json()["items"]
    assert [(run["deployments"], run["incidents"]) for run in runs] == [(12, 3)]
