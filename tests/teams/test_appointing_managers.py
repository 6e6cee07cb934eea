"""Who makes someone a team's delivery manager: admins; delivery managers only where the policy allows."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import Role
from deliveryops.app.main import create_app
from deliveryops.errors import PermissionDeniedError
from deliveryops.settings import Settings
from deliveryops.teams import service
from deliveryops.teams.models import Membership, TeamRole
from tests.factories import csrf_from, join, login, make_team, make_user, token_headers


def _role(session: Session, team_id: int, user_id: int) -> TeamRole | None:
    return session.scalar(select(Membership.team_role).where(Membership.team_id == team_id, Membership.user_id == user_id))


def test_a_delivery_manager_cannot_appoint_another_through_the_api(client: TestClient, session: Session) -> None:
    team = make_team(session)
    manager = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, manager, TeamRole.DELIVERY_MANAGER)
    member = make_user(session)
    join(session, team, member)
    outsider = make_user(session)
    headers = token_headers(session, manager)
    promote = client.post(
        f"/api/v1/teams/{team.id}/members", json={"user_id": member.id, "team_role": "delivery_manager"}, headers=headers
    )
    add_as_manager = client.post(
        f"/api/v1/teams/{team.id}/members", json={"user_id": outsider.id, "team_role": "delivery_manager"}, headers=headers
    )
    add_as_member = client.post(
        f"/api/v1/teams/{team.id}/members", json={"user_id": outsider.id, "team_role": "member"}, headers=headers
    )
    assert promote.status_code == 403
    assert "Only an admin can make someone a delivery manager" in promote.json()["error"]["message"]
    assert add_as_manager.status_code == 403
    assert add_as_member.status_code == 201
    assert _role(session, team.id, member.id) is TeamRole.MEMBER
    assert _role(session, team.id, outsider.id) is TeamRole.MEMBER


def test_an_admin_appoints_and_a_delivery_manager_cannot_demote_another(client: TestClient, session: Session) -> None:
    team = make_team(session)
    admin = make_user(session, role=Role.ADMIN)
    manager = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, manager, TeamRole.DELIVERY_MANAGER)
    member = make_user(session)
    join(session, team, member)
    appointed = client.post(
        f"/api/v1/teams/{team.id}/members",
        json={"user_id": member.id, "team_role": "delivery_manager"},
        headers=token_headers(session, admin),
    )
    assert appointed.status_code == 201
    assert _role(session, team.id, member.id) is TeamRole.DELIVERY_MANAGER
    with pytest.raises(PermissionDeniedError):
        service.add_member(session=session, actor=manager, team_id=team.id, user_id=member.id, team_role=TeamRole.MEMBER)
    # Stepping down oneself is allowed.
    service.add_member(session=session, actor=manager, team_id=team.id, user_id=manager.id, team_role=TeamRole.MEMBER)
    assert _role(session, team.id, manager.id) is TeamRole.MEMBER


def test_the_page_offers_the_manager_role_to_admins_only(client: TestClient, session: Session) -> None:
    team = make_team(session)
    manager = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, manager, TeamRole.DELIVERY_MANAGER)
    outsider = make_user(session)
    session.commit()
    csrf = login(client, manager.email)
    page = client.get(f"/teams/{team.slug}")
    assert 'value="delivery_manager"' not in page.text
    refused = client.post(
        f"/teams/{team.slug}/members", data={"email": outsider.email, "team_role": "delivery_manager", "csrf_token": csrf}
    )
    assert refused.status_code == 403
    assert _role(session, team.id, outsider.id) is None


def test_the_policy_lets_delivery_managers_appoint(
    settings: Settings, session_factory: sessionmaker[Session], session: Session
) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"delivery_managers_appoint": True}), session_factory)
    team = make_team(session)
    manager = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, manager, TeamRole.DELIVERY_MANAGER)
    member = make_user(session)
    join(session, team, member)
    session.commit()
    with TestClient(app, follow_redirects=False) as client:
        login(client, manager.email)
        page = client.get(f"/teams/{team.slug}")
        assert 'value="delivery_manager"' in page.text
        response = client.post(
            f"/teams/{team.slug}/members",
            data={"user_id": str(member.id), "team_role": "delivery_manager", "csrf_token": csrf_from(page.text)},
        )
    assert response.status_code == 303
    assert _role(session, team.id, member.id) is TeamRole.DELIVERY_MANAGER
