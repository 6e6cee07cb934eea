"""Changing and deleting objectives and key results: API, pages (CSRF) and CLI, with the issue's role rules."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from deliveryops.accounts.models import Role
from deliveryops.actions import service as actions
from deliveryops.cli.main import app
from deliveryops.db import utcnow
from deliveryops.migrate import upgrade
from deliveryops.outcomes import series, service
from deliveryops.outcomes.models import KeyResult, KeyResultLink, KpiSeries, LinkKind, Objective, SourceKind
from deliveryops.outcomes.schemas import KeyResultCreate, LinkCreate, ObjectiveCreate, SeriesCreate
from deliveryops.teams.models import Group, Team, TeamRole
from tests.factories import join, login, make_group, make_team, make_user, token_headers

runner = CliRunner()


def _objective(session: Session, *, group: Group | None = None, team: Team | None = None) -> tuple[Objective, KeyResult]:
    owner = group or team
    assert owner is not None
    kpi, _token = series.create(
        session=session,
        actor=None,
        body=SeriesCreate(name=f"Sign-ups {owner.name}", group_id=group.id if group else None, team_id=team.id if team else None),
    )
    objective = service.create_objective(
        session=session,
        actor=None,
        body=ObjectiveCreate(title="Grow", group_id=group.id if group else None, team_id=team.id if team else None),
        today=utcnow().date(),
    )
    body = KeyResultCreate(
        title="Sign-ups to 21", source=SourceKind.KPI, series_id=kpi.id, baseline=11, target=21, direction="increase"
    )
    return objective, service.add_key_result(session=session, actor=None, objective=objective, body=body)


def test_roles_change_and_delete_through_the_api(client: TestClient, session: Session) -> None:
    group = make_group(session, name="Commerce")
    team = make_team(session, name="Checkout", group=group)
    leader, ops = make_user(session, role=Role.LEADER), make_user(session, role=Role.PRODUCT_OPS)
    dm, member = make_user(session), make_user(session)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    join(session, team, member)
    group_objective, group_kr = _objective(session, group=group)
    team_objective, team_kr = _objective(session, team=team)

    # Group objectives: leaders and Product Ops change them; the team's delivery manager and members read only.
    for person, status in ((dm, 403), (member, 403), (leader, 200), (ops, 200)):
        changed = client.patch(
            f"/api/v1/objectives/{group_objective.id}", json={"title": f"Grow {status}"}, headers=token_headers(session, person)
        )
        assert changed.status_code == status, changed.text
    assert client.get(f"/api/v1/objectives/{group_objective.id}", headers=token_headers(session, member)).json()["title"] == (
        "Grow 200"
    )
    # Team objectives: the team's delivery manager changes them; members do not.
    headers = token_headers(session, dm)
    assert (
        client.patch(f"/api/v1/key-results/{team_kr.id}", json={"target": 30}, headers=token_headers(session, member)).status_code
        == 403
    )
    changed = client.patch(f"/api/v1/key-results/{team_kr.id}", json={"target": 30, "title": "Sign-ups to 30"}, headers=headers)
    assert (changed.status_code, changed.json()["target"], changed.json()["title"]) == (200, 30.0, "Sign-ups to 30")
    # A target below the baseline needs the direction decrease: refused, nothing changed.
    wrong = client.patch(f"/api/v1/key-results/{team_kr.id}", json={"target": 5}, headers=headers)
    assert wrong.status_code == 422
    assert "direction" in wrong.text
    assert client.get(f"/api/v1/key-results/{team_kr.id}", headers=headers).json()["target"] == 30.0
    flipped = client.patch(f"/api/v1/key-results/{team_kr.id}", json={"target": 5, "direction": "decrease"}, headers=headers)
    assert flipped.json()["direction"] == "decrease"
    moved = client.patch(f"/api/v1/objectives/{team_objective.id}", json={"period": "2027-Q1"}, headers=headers)
    assert (moved.json()["period"], moved.json()["starts_on"], moved.json()["ends_on"]) == ("2027-Q1", "2027-01-01", "2027-03-31")
    assert client.patch(f"/api/v1/objectives/{team_objective.id}", json={"period": "soon"}, headers=headers).status_code == 422

    # Deleting: a key result, then an objective with its key results and links; series stay.
    action = actions.create(session=session, actor=None, team_id=team.id, title="Referral test")
    service.add_link(session=session, actor=None, key_result=group_kr, body=LinkCreate(kind=LinkKind.ACTION, target_id=action.id))
    assert client.delete(f"/api/v1/key-results/{group_kr.id}", headers=token_headers(session, dm)).status_code == 403
    assert client.delete(f"/api/v1/key-results/{group_kr.id}", headers=token_headers(session, ops)).status_code == 204
    assert session.scalar(select(func.count()).select_from(KeyResultLink)) == 0
    assert client.delete(f"/api/v1/objectives/{team_objective.id}", headers=token_headers(session, member)).status_code == 403
    assert client.delete(f"/api/v1/objectives/{team_objective.id}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/objectives/{team_objective.id}", headers=headers).status_code == 404
    kept = session.scalars(select(KeyResult.title)).all()
    assert kept == []
    assert session.scalar(select(func.count()).select_from(KpiSeries)) == 2


def test_pages_change_and_delete_with_csrf(client: TestClient, session: Session) -> None:
    group = make_group(session, name="Commerce")
    leader = make_user(session, role=Role.LEADER)
    objective, kr = _objective(session, group=group)
    session.commit()
    csrf = login(client, leader.email)
    page = client.get(f"/outcomes/objectives/{objective.id}").text
    assert f'action="/outcomes/objectives/{objective.id}/edit"' in page
    assert (
        client.post(f"/outcomes/objectives/{objective.id}/edit", data={"title": "Renamed", "period": "2026-Q4"}).status_code
        == 403
    )
    done = client.post(
        f"/outcomes/objectives/{objective.id}/edit", data={"title": "Renamed", "period": "2026-Q4", "csrf_token": csrf}
    )
    assert done.status_code == 303
    assert "Renamed" in client.get(done.headers["location"]).text
    bad = client.post(f"/outcomes/key-results/{kr.id}/edit", data={"title": "KR", "baseline": "x", "csrf_token": csrf})
    assert bad.status_code == 422
    assert 'id="e-baseline"' in bad.text
    assert 'aria-invalid="true"' in bad.text
    done = client.post(f"/outcomes/key-results/{kr.id}/edit", data={"title": "KR", "target": "25", "csrf_token": csrf})
    assert done.status_code == 303
    session.expire_all()
    assert session.get(KeyResult, kr.id).target == 25  # type: ignore[union-attr]
    assert client.post(f"/outcomes/key-results/{kr.id}/delete", data={"csrf_token": csrf}).headers["location"] == (
        f"/outcomes/objectives/{objective.id}"
    )
    gone = client.post(f"/outcomes/objectives/{objective.id}/delete", data={"csrf_token": csrf})
    assert gone.headers["location"].startswith("/outcomes?period=")
    assert client.get(f"/outcomes/objectives/{objective.id}").status_code == 404


def test_cli_changes_and_deletes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        objective, kr = _objective(session, group=make_group(session, name="Commerce"))
        session.commit()
        objective_id, kr_id = objective.id, kr.id
    edited = runner.invoke(
        app, ["outcomes", "edit-key-result", str(kr_id), "--target", "30", "--format", "json", "--database", url]
    )
    assert edited.exit_code == 0, edited.output
    assert json.loads(edited.output)["target"] == 30.0
    wrong = runner.invoke(app, ["outcomes", "edit-key-result", str(kr_id), "--target", "3", "--database", url])
    assert wrong.exit_code != 0
    assert "direction" in wrong.output
    renamed = runner.invoke(
        app, ["outcomes", "edit-objective", str(objective_id), "--title", "Grow more", "--format", "json", "--database", url]
    )
    listed = json.loads(runner.invoke(app, ["outcomes", "list", "--format", "json", "--database", url]).output)
    assert json.loads(renamed.output) == listed["items"][0]
    assert runner.invoke(app, ["outcomes", "delete-key-result", str(kr_id), "--database", url]).exit_code == 0
    assert runner.invoke(app, ["outcomes", "delete-objective", str(objective_id), "--database", url]).exit_code == 0
    assert json.loads(runner.invoke(app, ["outcomes", "list", "--format", "json", "--database", url]).output)["items"] == []
    assert runner.invoke(app, ["outcomes", "delete-objective", str(objective_id), "--database", url]).exit_code != 0
