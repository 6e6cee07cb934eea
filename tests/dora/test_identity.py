"""A deployment (source, repository, id) or incident (source, id) is one record of one team: another team's
import of the same identity is skipped and reported, or moved when asked (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from deliveryops.accounts.models import Role
from deliveryops.cli.main import app as cli
from deliveryops.dora import service
from deliveryops.dora.csv_formats import import_csv
from deliveryops.dora.ingest import import_deployments, import_incidents
from deliveryops.dora.models import Deployment, DeploymentChange, Incident
from deliveryops.sync.engine import run_sync
from deliveryops.sync.models import SyncRun
from deliveryops.teams.models import TeamRole
from tests.connectors.fake_github import REPO, FakeGitHub
from tests.dora.test_ingest import EXAMPLES, deployment
from tests.factories import csrf_from, join, login, make_team, make_user, token_headers
from tests.sync.test_dora_sync import APP_KEY, _connection, deploying_repo

DEPLOYMENTS = (EXAMPLES / "dora-deployments.csv").read_bytes()
INCIDENTS = (EXAMPLES / "dora-incidents.csv").read_bytes()


def owners(session: Session) -> dict[str, int]:
    rows = session.execute(select(Deployment.external_id, Deployment.team_id)).all()
    return {row[0]: row[1] for row in rows}


def test_a_second_team_importing_the_same_deployments_is_told_they_are_skipped(session: Session) -> None:
    first, second = make_team(session, name="Shop"), make_team(session, name="Outlet")
    import_csv(session, team=first, kind="changes", content=(EXAMPLES / "dora-changes.csv").read_bytes())
    import_csv(session, team=first, kind="deployments", content=DEPLOYMENTS)
    links_before = session.query(DeploymentChange).count()
    outcome = import_csv(session, team=second, kind="deployments", content=DEPLOYMENTS)
    assert (outcome.written, outcome.unchanged, len(outcome.skipped), outcome.moved) == (0, 0, 10, [])
    assert {conflict.team_name for conflict in outcome.skipped} == {"Shop"}
    assert outcome.skipped[0].reason == (
        "deployment 'd1' of shop (source csv) is already team Shop's: the same source, repository and id is one "
        "record, which belongs to one team; it was left there (import with moving allowed to move it)"
    )
    assert outcome.summary("deployments") == ("Imported 0 deployments; 10 skipped because they belong to other teams.")
    assert set(owners(session).values()) == {first.id}
    assert session.query(DeploymentChange).count() == links_before


def test_a_newer_state_sent_for_another_team_is_skipped_not_moved(session: Session) -> None:
    first, second = make_team(session), make_team(session)
    import_deployments(session, team=first, deployments=[deployment("d1", 0, result="in_progress", finished=False)])
    # Before, this finished state silently moved the deployment to the second team.
    outcome = import_deployments(session, team=second, deployments=[deployment("d1", 0, result="success")])
    assert (outcome.written, len(outcome.skipped)) == (0, 1)
    row = session.scalars(select(Deployment)).one()
    assert (row.team_id, row.result) == (first.id, "in_progress")


def test_moving_is_explicit_reported_and_limited_to_teams_one_may_take_from(session: Session) -> None:
    first, second, third = make_team(session, name="Shop"), make_team(session), make_team(session)
    import_deployments(session, team=first, deployments=[deployment("d1", 0), deployment("d2", 60)])
    import_deployments(session, team=third, deployments=[deployment("d3", 120)])
    version = first.data_version
    outcome = import_deployments(
        session,
        team=second,
        deployments=[deployment("d1", 0), deployment("d2", 60, result="failure"), deployment("d3", 120)],
        on_conflict="move",
        may_move_from=lambda team_id: team_id == first.id,
    )
    assert (outcome.written, [c.external_id for c in outcome.moved], [c.external_id for c in outcome.skipped]) == (
        2,
        ["d1", "d2"],
        ["d3"],
    )
    assert outcome.moved[0].reason == "deployment 'd1' of shop (source test) was team Shop's and was moved to this team, as asked"
    assert owners(session) == {"d1": second.id, "d2": second.id, "d3": third.id}
    assert session.scalars(select(Deployment.result).where(Deployment.external_id == "d2")).one() == "failure"
    assert first.data_version > version  # the losing team's cached keys are recomputed


def test_incidents_follow_the_same_rule(session: Session) -> None:
    first, second = make_team(session, name="Shop"), make_team(session)
    import_csv(session, team=first, kind="deployments", content=DEPLOYMENTS)
    import_csv(session, team=second, kind="deployments", content=DEPLOYMENTS.replace(b",shop,", b",outlet,"))
    import_csv(session, team=first, kind="incidents", content=INCIDENTS)
    skipped = import_csv(session, team=second, kind="incidents", content=INCIDENTS)
    assert (skipped.written, len(skipped.skipped), skipped.skipped[0].kind, skipped.skipped[0].repository) == (
        0,
        4,
        "incident",
        None,
    )
    moved = import_csv(session, team=second, kind="incidents", content=INCIDENTS, on_conflict="move")
    assert (moved.written, len(moved.moved)) == (4, 4)
    # INC-3 names deployment d7: once moved, it is linked to the second team's d7 (repository outlet).
    incident = session.scalars(select(Incident).where(Incident.external_id == "INC-3")).one()
    linked = session.get(Deployment, incident.deployment_id)
    assert linked is not None
    assert (incident.team_id, linked.team_id, linked.repository) == (second.id, second.id, "outlet")
    again = import_incidents(session, team=second, incidents=[])
    assert again.written == 0


def test_the_api_lists_skipped_records_and_moves_only_from_teams_the_user_manages(client: TestClient, session: Session) -> None:
    first, second = make_team(session, name="Shop"), make_team(session, name="Outlet")
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, second, dm, TeamRole.DELIVERY_MANAGER)
    admin = make_user(session, role=Role.ADMIN)
    import_csv(session, team=first, kind="deployments", content=DEPLOYMENTS)
    session.flush()
    file = {"file": ("d.csv", DEPLOYMENTS, "text/csv")}
    url = f"/api/v1/teams/{second.id}/dora/imports"
    asked = client.post(
        url, files=file, data={"kind": "deployments", "move_from_other_teams": "true"}, headers=token_headers(session, dm)
    )
    body = asked.json()
    assert (asked.status_code, body["written"], len(body["skipped"]), body["moved"]) == (201, 0, 10, [])
    assert body["skipped"][0] | {"reason": ""} == {
        "kind": "deployment",
        "source": "csv",
        "repository": "shop",
        "external_id": "d1",
        "team_id": first.id,
        "team_name": "Shop",
        "moved": False,
        "reason": "",
    }
    assert body["message"] == "Imported 0 deployments; 10 skipped because they belong to other teams."
    moved = client.post(
        url, files=file, data={"kind": "deployments", "move_from_other_teams": "true"}, headers=token_headers(session, admin)
    )
    assert (moved.json()["written"], len(moved.json()["moved"]), moved.json()["skipped"]) == (10, 10, [])
    assert set(owners(session).values()) == {second.id}


def test_the_upload_page_lists_what_it_skipped_and_can_move(client: TestClient, session: Session) -> None:
    first, second = make_team(session, name="Shop"), make_team(session, name="Outlet")
    admin = make_user(session, role=Role.ADMIN)
    import_csv(session, team=first, kind="deployments", content=DEPLOYMENTS)
    session.flush()
    login(client, admin.email)
    page = client.get(f"/teams/{second.slug}/dora/upload")
    assert 'name="move_from_other_teams"' in page.text
    csrf = csrf_from(page.text)
    skipped = client.post(
        f"/teams/{second.slug}/dora/upload",
        data={"kind": "deployments", "csrf_token": csrf},
        files={"file": ("d.csv", DEPLOYMENTS, "text/csv")},
    )
    assert "Imported 0 deployments from the file; 10 skipped because they belong to other teams." in skipped.text
    assert "Skipped: left with Shop" in skipped.text
    moved = client.post(
        f"/teams/{second.slug}/dora/upload",
        data={"kind": "deployments", "csrf_token": csrf, "move_from_other_teams": "true"},
        files={"file": ("d.csv", DEPLOYMENTS, "text/csv")},
    )
    assert "Imported 10 deployments from the file; 10 moved from other teams." in moved.text
    assert moved.text.count("Moved to this team") == 10


def test_a_webhook_delivery_for_a_record_of_another_team_is_a_conflict(client: TestClient, session: Session) -> None:
    first, second = make_team(session, name="Shop"), make_team(session)
    admin = make_user(session, role=Role.ADMIN)
    row, token = service.create_webhook_source(session=session, actor=admin, team_id=second.id, name="Jenkins")
    # A record stored under this source's name for another team (e.g. imported before the source was re-created).
    import_deployments(session, team=first, deployments=[replace(deployment("build-1", 0), source=f"webhook-{row.id}")])
    session.flush()
    answer = client.post(
        "/api/v1/webhooks/deployments",
        json={
            "id": "build-1",
            "repository": "shop",
            "environment": "production",
            "result": "success",
            "started_at": "2026-03-02T10:00:00Z",
            "finished_at": "2026-03-02T10:10:00Z",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 409
    assert "is already team Shop's" in answer.json()["error"]["message"]
    assert owners(session) == {"build-1": first.id}


def test_the_cli_reports_skipped_records_and_moves_when_asked(tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'identity.db'}"
    assert runner.invoke(cli, ["db", "upgrade", "--database", url]).exit_code == 0
    for name in ("Shop", "Outlet"):
        assert runner.invoke(cli, ["teams", "create", name, "--database", url]).exit_code == 0
    file = str(EXAMPLES / "dora-deployments.csv")
    base = ["dora", "import", "deployments", file, "--database", url]
    assert runner.invoke(cli, [*base, "--team", "shop"]).exit_code == 0
    skipped = runner.invoke(cli, [*base, "--team", "outlet", "--format", "json"])
    assert skipped.exit_code == 0, skipped.output
    body = json.loads(skipped.output)
    assert (body["written"], len(body["skipped"]), body["skipped"][0]["team_name"]) == (0, 10, "Shop")
    previewed = runner.invoke(cli, [*base, "--team", "outlet", "--move-from-other-teams", "--preview"])
    assert previewed.exit_code == 0, previewed.output
    assert "Preview, nothing was saved: 10 deployments from dora-deployments.csv would be written" in " ".join(
        previewed.output.split()
    )
    moved = runner.invoke(cli, [*base, "--team", "outlet", "--move-from-other-teams"])
    assert moved.exit_code == 0, moved.output
    text = " ".join(moved.output.split())
    assert "Imported 10 deployments from dora-deployments.csv; 10 moved from other teams." in text
    assert "deployment 'd1' of shop (source csv) was team Shop's and was moved to this team, as asked" in text


def test_a_preview_reports_what_an_import_would_do_and_keeps_nothing(client: TestClient, session: Session) -> None:
    first, second = make_team(session, name="Shop"), make_team(session, name="Outlet")
    admin = make_user(session, role=Role.ADMIN)
    import_csv(session, team=first, kind="deployments", content=DEPLOYMENTS)
    session.flush()
    url = f"/api/v1/teams/{second.id}/dora/imports"
    file = {"file": ("d.csv", DEPLOYMENTS, "text/csv")}
    answer = client.post(
        url,
        files=file,
        data={"kind": "deployments", "move_from_other_teams": "true", "preview": "true"},
        headers=token_headers(session, admin),
    ).json()
    assert (answer["preview"], answer["written"], len(answer["moved"])) == (True, 10, 10)
    assert answer["message"] == (
        "Preview, nothing was saved: 10 deployments would be written; 10 would be moved from other teams."
    )
    assert set(owners(session).values()) == {first.id}
    login(client, admin.email)
    csrf = csrf_from(client.get(f"/teams/{second.slug}/dora/upload").text)
    page = client.post(
        f"/teams/{second.slug}/dora/upload",
        data={"kind": "deployments", "csrf_token": csrf, "move_from_other_teams": "true", "preview": "true"},
        files=file,
    )
    assert "Preview, nothing was saved: 10 deployments from the file would be written" in page.text
    assert page.text.count("Would be moved to this team") == 10
    assert set(owners(session).values()) == {first.id}
    # A bad file previews as it imports: refused, naming the line and column.
    bad = client.post(
        url,
        files={"file": ("e.csv", b"id,title,created_at\nI-1,,2026-03-02\n", "text/csv")},
        data={"kind": "incidents", "preview": "true"},
        headers=token_headers(session, admin),
    )
    assert bad.status_code == 422
    assert "line 2, column title" in bad.json()["error"]["message"]


def test_a_second_teams_sync_of_the_same_repository_reports_what_it_skipped(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    fake = FakeGitHub(repos={REPO: deploying_repo()})
    with fake.serve() as server:
        first = _connection(session, server.url)
        second = _connection(session, server.url)
        run_sync(session_factory, first.id, app_key=APP_KEY, sleep=lambda _s: None)
        run = session.get(SyncRun, run_sync(session_factory, second.id, app_key=APP_KEY, sleep=lambda _s: None))
    assert run is not None
    assert (run.status, run.deployments, run.incidents) == ("succeeded", 0, 0)
    assert (
        run.message == "4 deployments or incidents skipped: already another team's (the same source and id belongs to one team)."
    )
    assert set(owners(session).values()) == {first.team_id}
