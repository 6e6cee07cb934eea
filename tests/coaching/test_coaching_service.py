"""Coaching insights, dismissals, insight-to-action and private notes (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.actions import service as actions
from deliveryops.actions.models import TargetMetric
from deliveryops.coaching import notes, service
from deliveryops.coaching.models import Dismissal, Insight
from deliveryops.db import utcnow
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import service as impediments
from deliveryops.teams.models import Team, TeamRole
from tests.factories import join, login, make_team, make_user, token_headers

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday
RAISED = NOW - timedelta(days=30)  # Tuesday 2026-10-27: 22 working days ago


def _team(session: Session) -> tuple[Team, User, User]:
    team = make_team(session, time_zone="UTC")
    dm, member = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    join(session, team, member)
    return team, dm, member


def _overdue(session: Session, team: Team, title: str = "Staging is down", at: datetime = RAISED) -> int:
    return impediments.raise_(session=session, actor=None, team_id=team.id, title=title, now=at).id


def test_refresh_finds_overdue_impediment_and_is_idempotent(session: Session) -> None:
    team, _dm, _member = _team(session)
    _overdue(session, team)
    [first] = service.refresh(session, team_id=team.id, now=NOW)
    assert (first.kind, first.subject, first.severity, first.magnitude) == ("impediments_overdue", "team", "warning", 1.0)
    assert first.payload["observed"] == (
        "On 2026-11-26, 1 open impediment(s) have stayed at their level longer than "
        'allowed; the longest: "Staging is down" 22 working days at team level '
        "(allowed 5)."
    )
    [again] = service.refresh(session, team_id=team.id, now=NOW + timedelta(hours=1))
    assert again.id == first.id
    assert again.first_seen_at == NOW
    assert again.last_seen_at == NOW + timedelta(hours=1)
    assert len(list(session.scalars(select(Insight).where(Insight.team_id == team.id)))) == 1


def test_insight_resolves_when_the_rule_stops_firing(session: Session) -> None:
    team, _dm, _member = _team(session)
    impediment_id = _overdue(session, team)
    [insight] = service.refresh(session, team_id=team.id, now=NOW)
    impediments.resolve(session=session, actor=None, impediment_id=impediment_id, note="Fixed", now=NOW)
    assert service.refresh(session, team_id=team.id, now=NOW) == []
    assert insight.resolved_at == NOW


def test_list_recomputes_when_inputs_change(session: Session) -> None:
    team, dm, _member = _team(session)
    assert service.list_insights(session=session, actor=dm, team_id=team.id, now=NOW).active == []
    _overdue(session, team)
    listed = service.list_insights(session=session, actor=dm, team_id=team.id, now=NOW)
    assert [row.kind for row in listed.active] == ["impediments_overdue"]
    assert service.ensure_fresh(session, team, now=NOW) is False


def test_dismissal_is_remembered_until_materially_worse(session: Session) -> None:
    team, dm, member = _team(session)
    _overdue(session, team)
    [insight] = service.refresh(session, team_id=team.id, now=NOW)
    with pytest.raises(ValidationFailedError) as empty:
        service.dismiss(session=session, actor=dm, insight_id=insight.id, reason="  ", now=NOW)
    assert empty.value.fields == {"reason": "Give a reason."}
    with pytest.raises(PermissionDeniedError):
        service.dismiss(session=session, actor=member, insight_id=insight.id, reason="No", now=NOW)
    service.dismiss(session=session, actor=dm, insight_id=insight.id, reason="Waiting on the vendor", now=NOW)
    with pytest.raises(ConflictError):
        service.dismiss(session=session, actor=dm, insight_id=insight.id, reason="Again", now=NOW)
    service.refresh(session, team_id=team.id, now=NOW + timedelta(hours=1))
    listed = service.list_insights(session=session, actor=dm, team_id=team.id, now=NOW + timedelta(hours=1))
    assert listed.active == []
    assert [(row.id, d.reason) for row, d in listed.dismissed] == [(insight.id, "Waiting on the vendor")]
    # A second overdue impediment doubles the magnitude (2 >= 1.5 x 1): it comes back.
    _overdue(session, team, "CI is broken")
    listed = service.list_insights(session=session, actor=dm, team_id=team.id, now=NOW + timedelta(hours=2))
    assert [row.id for row in listed.active] == [insight.id]
    [dismissal] = session.scalars(select(Dismissal).where(Dismissal.team_id == team.id))
    assert dismissal.lifted_at == NOW + timedelta(hours=2)


def test_to_action_creates_a_measured_coaching_action(session: Session) -> None:
    team, dm, member = _team(session)
    _overdue(session, team)
    [insight] = service.refresh(session, team_id=team.id, now=NOW)
    with pytest.raises(PermissionDeniedError):
        service.to_action(session=session, actor=member, insight_id=insight.id, now=NOW)
    action = service.to_action(session=session, actor=dm, insight_id=insight.id, now=NOW)
    assert (action.title, action.source, action.target_metric, action.started_on.isoformat()) == (
        "Review overdue impediments weekly and escalate them",
        "coaching",
        TargetMetric.BLOCKED_DAYS,
        "2026-11-26",
    )
    assert insight.action_id == action.id
    assert actions.measurement(session, action) is not None
    with pytest.raises(ConflictError):
        service.to_action(session=session, actor=dm, insight_id=insight.id, now=NOW)


def test_notes_are_private_to_their_author_unless_shared(session: Session) -> None:
    team, dm, member = _team(session)
    admin, ops = make_user(session, role=Role.ADMIN), make_user(session, role=Role.PRODUCT_OPS)
    private = notes.create(session=session, actor=dm, team_id=team.id, text="Watch the review queue")
    shared = notes.create(session=session, actor=dm, team_id=team.id, text="We agreed on WIP 5", shared_with_team=True)
    assert [n.id for n in notes.list_team(session=session, actor=dm, team_id=team.id)] == [shared.id, private.id]
    assert [n.id for n in notes.list_team(session=session, actor=member, team_id=team.id)] == [shared.id]
    assert notes.list_team(session=session, actor=admin, team_id=team.id) == []
    assert notes.list_team(session=session, actor=ops, team_id=team.id) == []
    for outsider in (admin, member, ops):
        with pytest.raises(NotFoundError):
            notes.get_or_raise(session=session, actor=outsider, note_id=private.id)
    with pytest.raises(PermissionDeniedError):
        notes.update(session=session, actor=member, note_id=shared.id, text="Changed")
    with pytest.raises(PermissionDeniedError):
        notes.create(session=session, actor=member, team_id=team.id, text="Mine")
    with pytest.raises(PermissionDeniedError):
        notes.create(session=session, actor=admin, team_id=team.id, text="Mine")
    with pytest.raises(ValidationFailedError) as empty:
        notes.create(session=session, actor=dm, team_id=team.id, text=" ")
    assert empty.value.fields == {"text": "The note is empty."}
    notes.update(session=session, actor=dm, note_id=private.id, shared_with_team=True)
    assert [n.id for n in notes.list_team(session=session, actor=member, team_id=team.id)] == [private.id, shared.id]


def test_counts_by_kind_for_product_ops_only(session: Session) -> None:
    team, dm, _member = _team(session)
    _overdue(session, team)
    ops = make_user(session, role=Role.PRODUCT_OPS)
    _teams, rows = service.counts_by_kind(session=session, actor=ops, now=NOW)
    mine = next(row for row in rows if row.kind == "impediments_overdue")
    assert mine.by_team[team.name] == 1
    assert mine.practice == "impediment_escalation"
    with pytest.raises(PermissionDeniedError):
        service.counts_by_kind(session=session, actor=dm, now=NOW)


def test_api_insights_dismiss_action_and_notes(client: TestClient, session: Session) -> None:
    team, dm, member = _team(session)
    _overdue(session, team, at=utcnow() - timedelta(days=30))
    admin = make_user(session, role=Role.ADMIN)
    dm_headers, member_headers = token_headers(session, dm), token_headers(session, member)
    listed = client.get(f"/api/v1/teams/{team.id}/coaching/insights", headers=member_headers)
    assert listed.status_code == 200
    [insight] = listed.json()["items"]
    assert (insight["kind"], insight["severity"], insight["practice"]) == (
        "impediments_overdue",
        "warning",
        "impediment_escalation",
    )
    denied = client.post(f"/api/v1/coaching/insights/{insight['id']}/dismiss", json={"reason": "x"}, headers=member_headers)
    assert denied.status_code == 403
    made = client.post(f"/api/v1/coaching/insights/{insight['id']}/action", json={}, headers=dm_headers)
    assert made.status_code == 201
    assert made.json()["target_metric"] == "blocked_days"
    dismissed = client.post(
        f"/api/v1/coaching/insights/{insight['id']}/dismiss", json={"reason": "Done via action"}, headers=dm_headers
    )
    assert dismissed.status_code == 200
    assert dismissed.json()["dismissed"]["reason"] == "Done via action"
    assert client.get(f"/api/v1/teams/{team.id}/coaching/insights", headers=dm_headers).json()["items"] == []
    note = client.post(f"/api/v1/teams/{team.id}/coaching/notes", json={"text": "Private thought"}, headers=dm_headers)
    assert note.status_code == 201
    admin_headers = token_headers(session, admin)
    assert client.get(f"/api/v1/teams/{team.id}/coaching/notes", headers=admin_headers).json()["items"] == []
    assert (
        client.patch(f"/api/v1/coaching/notes/{note.json()['id']}", json={"text": "x"}, headers=admin_headers).status_code == 404
    )
    assert client.delete(f"/api/v1/coaching/notes/{note.json()['id']}", headers=dm_headers).status_code == 204
    session.expire_all()
    assert session.scalar(select(Insight.action_id).where(Insight.id == insight["id"])) == made.json()["action_id"]


def test_evidence_links_to_retros_only_for_the_teams_people(client: TestClient, session: Session) -> None:
    team, dm, _member = _team(session)
    leader = make_user(session, role=Role.LEADER)
    service.ensure_fresh(session, team)
    session.add(
        Insight(
            team_id=team.id,
            kind="retros_without_actions",
            subject="team",
            severity="info",
            payload={
                "title": "3 retrospectives, no improvement action",
                "observed": "x",
                "why": "y",
                "evidence": [
                    {"label": "Retrospectives finished", "value": "3", "link": f"/teams/{team.slug}/retros"},
                    {"label": "Actions from retros", "value": "0", "link": f"/teams/{team.slug}/actions"},
                ],
            },
        )
    )
    session.flush()
    login(client, dm.email)
    page = client.get(f"/teams/{team.slug}/coaching").text
    assert f'<a href="/teams/{team.slug}/retros">Retrospectives finished</a>' in page
    client.cookies.clear()
    login(client, leader.email)
    page = client.get(f"/teams/{team.slug}/coaching").text
    assert "Retrospectives finished: <strong>3</strong>" in page  # retros are for the team's people only
    assert f'<a href="/teams/{team.slug}/actions">Actions from retros</a>' in page
