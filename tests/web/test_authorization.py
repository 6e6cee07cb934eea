"""Walk every route with every role and check the expected allow or deny.

A new route without an entry in EXPECTED fails ``test_every_route_has_an_expectation``, so
authorisation is decided for each route on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role
from deliveryops.actions import service as improvement_actions
from deliveryops.app.main import route_table
from deliveryops.flow import service as flow
from deliveryops.impediments import clusters
from deliveryops.impediments import service as impediments
from deliveryops.impediments.models import Category
from deliveryops.retros import service as retros
from deliveryops.sync import service as connections
from deliveryops.teams.models import TeamRole
from deliveryops.work.importing import import_records
from deliveryops.work.jobs import start_import
from deliveryops.work.models import BlockedInterval, PendingUpload
from deliveryops.work.records import BlockedIntervalRecord, WorkItemRecord
from tests.factories import PASSWORD, csrf_from, join, login, make_group, make_team, make_user
from tests.web import (
    authz_coaching,
    authz_cockpit,
    authz_dependencies,
    authz_dependency_detection,
    authz_dependency_risk,
    authz_dora,
    authz_enablement,
    authz_experiments,
    authz_health,
    authz_impediment_learning,
    authz_jobs,
    authz_multi_retros,
    authz_navigation,
    authz_outbound,
    authz_outcomes,
    authz_risks,
    authz_roadmap,
    authz_sessions,
)
from tests.web.authz_roles import (
    A_DM,
    A_MANAGERS,
    A_PEOPLE,
    A_RAISERS,
    A_VIEWERS,
    ADMIN,
    ADMINS,
    ANON,
    CROSS_TEAM,
    DM_A,
    EXAMPLES,
    FILE,
    LEADER,
    MEMBER_A,
    MEMBER_B,
    NOBODY,
    OPS,
    OPS_ADMIN,
    PUBLIC,
    ROLES,
    SIGNED_IN,
    Expectations,
    WorldBase,
)

SIGNING_OUT = {("POST", "/logout"), ("POST", "/account/sign-out-everywhere"), ("POST", "/api/v1/me/sessions/end")}
CAPABILITIES = (
    authz_dora,
    authz_health,
    authz_coaching,
    authz_experiments,
    authz_cockpit,
    authz_impediment_learning,
    authz_jobs,
    authz_dependencies,
    authz_dependency_risk,
    authz_dependency_detection,
    authz_risks,
    authz_outcomes,
    authz_roadmap,
    authz_outbound,
    authz_enablement,
    authz_sessions,
    authz_multi_retros,
    authz_navigation,
)


# (method, path) -> (who is allowed, JSON or form body)
EXPECTED: Expectations = {
    ("GET", "/api/v1/me"): (SIGNED_IN, None),
    ("GET", "/api/v1/users"): (ADMINS, None),
    ("POST", "/api/v1/users"): (ADMINS, {"email": "new.person@example.com", "name": "New Person"}),
    ("GET", "/api/v1/users/{user_id}"): (ADMINS, None),
    ("PATCH", "/api/v1/users/{user_id}"): (ADMINS, {"name": "Renamed"}),
    ("GET", "/api/v1/tokens"): (SIGNED_IN, None),
    ("POST", "/api/v1/tokens"): (SIGNED_IN, {"name": "script"}),
    ("DELETE", "/api/v1/tokens/{token_id}"): (NOBODY, None),  # someone else's token
    ("GET", "/api/v1/teams"): (SIGNED_IN, None),
    ("POST", "/api/v1/teams"): (ADMINS, {"name": "Brand New"}),
    ("GET", "/api/v1/teams/{team_id}"): (A_VIEWERS, None),
    ("PATCH", "/api/v1/teams/{team_id}"): (A_MANAGERS, {"description": "Changed"}),
    ("GET", "/api/v1/teams/{team_id}/members"): (A_VIEWERS, None),
    ("POST", "/api/v1/teams/{team_id}/members"): (A_MANAGERS, {"user_id": "{outsider}"}),
    ("DELETE", "/api/v1/teams/{team_id}/members/{user_id}"): (A_MANAGERS, None),
    ("GET", "/api/v1/groups"): (SIGNED_IN, None),
    ("POST", "/api/v1/groups"): (ADMINS, {"name": "Brand New Group"}),
    ("GET", "/api/v1/groups/{group_id}"): (A_VIEWERS, None),
    ("GET", "/"): (SIGNED_IN, None),
    ("GET", "/definitions"): (SIGNED_IN, None),
    ("GET", "/login"): (PUBLIC, None),
    ("POST", "/login"): (PUBLIC, {"email": "{bystander_email}", "password": PASSWORD}),
    ("POST", "/logout"): (PUBLIC, {}),
    ("GET", "/account/tokens"): (SIGNED_IN, None),
    ("POST", "/account/tokens"): (SIGNED_IN, {"name": "script"}),
    ("POST", "/account/tokens/{token_id}/revoke"): (NOBODY, {}),
    ("GET", "/account/security"): (SIGNED_IN, None),
    ("POST", "/account/password"): (SIGNED_IN, {"current_password": "not it", "new_password": "x"}),
    ("POST", "/account/sign-out-everywhere"): (SIGNED_IN, {}),
    ("POST", "/api/v1/me/password"): (SIGNED_IN, {"current_password": "not it", "new_password": "x"}),
    ("POST", "/api/v1/me/sessions/end"): (SIGNED_IN, {}),
    ("GET", "/admin/people"): (ADMINS, None),
    ("POST", "/admin/people"): (ADMINS, {"name": "Page Person", "email": "page.person@example.com", "role": "member"}),
    ("POST", "/admin/people/{user_id}"): (ADMINS, {"role": "member", "is_active": "on"}),
    ("GET", "/teams"): (SIGNED_IN, None),
    ("GET", "/teams/{slug}"): (A_VIEWERS, None),
    ("POST", "/teams/{slug}/members"): (A_MANAGERS, {"user_id": "{outsider}", "team_role": "member"}),
    ("POST", "/teams/{slug}/members/{member_id}/remove"): (A_MANAGERS, {}),
    ("GET", "/api/v1/teams/{team_id}/workflow"): (A_VIEWERS, None),
    ("PUT", "/api/v1/teams/{team_id}/workflow"): (A_MANAGERS, {"statuses": []}),
    ("GET", "/api/v1/teams/{team_id}/imports"): (A_VIEWERS, None),
    ("POST", "/api/v1/teams/{team_id}/imports"): (A_MANAGERS, {FILE: "full-history.csv"}),
    ("GET", "/api/v1/teams/{team_id}/import-jobs/{job_id}"): (A_MANAGERS, None),
    ("POST", "/api/v1/teams/{team_id}/import-jobs/{job_id}/cancel"): (A_MANAGERS, {}),
    ("GET", "/api/v1/teams/{team_id}/items"): (A_VIEWERS, None),
    ("GET", "/teams/{slug}/workflow"): (A_VIEWERS, None),
    ("POST", "/teams/{slug}/workflow"): (A_MANAGERS, {}),
    ("GET", "/teams/{slug}/import"): (A_MANAGERS, None),
    ("POST", "/teams/{slug}/import"): (A_MANAGERS, {FILE: "full-history.csv"}),
    ("POST", "/teams/{slug}/import/confirm"): (A_MANAGERS, {"token": "expired"}),
    ("GET", "/teams/{slug}/import/jobs/{job_id}"): (A_MANAGERS, None),
    ("POST", "/teams/{slug}/import/jobs/{job_id}/cancel"): (A_MANAGERS, {}),
    ("GET", "/api/v1/teams/{team_id}/flow"): (A_VIEWERS, None),
    ("GET", "/api/v1/teams/{team_id}/flow/items"): (A_VIEWERS, None),
    ("GET", "/api/v1/teams/{team_id}/flow/{metric}"): (A_VIEWERS, None),
    ("GET", "/api/v1/teams/{team_id}/forecasts"): (A_VIEWERS, None),
    ("POST", "/api/v1/teams/{team_id}/forecasts/when"): (A_VIEWERS, {"items": 3}),
    ("POST", "/api/v1/teams/{team_id}/forecasts/how-many"): (A_VIEWERS, {"by": "{future}"}),
    ("POST", "/api/v1/teams/{team_id}/forecasts/epics"): (A_VIEWERS, {"allocation": "even"}),
    ("POST", "/api/v1/teams/{team_id}/forecasts/items"): (A_VIEWERS, {"item_keys": ["A-1"], "by": "{future}"}),
    ("GET", "/api/v1/forecasts/{forecast_id}"): (A_VIEWERS, None),
    ("POST", "/api/v1/forecasts/{forecast_id}/commit"): (A_RAISERS, {"commitment": "plan"}),
    ("GET", "/api/v1/teams/{team_id}/forecasts-calibration"): (A_VIEWERS, None),
    ("GET", "/flow"): (SIGNED_IN, None),
    ("GET", "/teams/{slug}/flow"): (A_VIEWERS, None),
    ("GET", "/teams/{slug}/flow/{chart}.csv"): (A_VIEWERS, None),
    ("GET", "/teams/{slug}/forecasts"): (A_VIEWERS, None),
    ("POST", "/teams/{slug}/forecasts"): (A_VIEWERS, {"kind": "when", "items": "3"}),
    ("POST", "/teams/{slug}/forecasts/{forecast_id}/commit"): (A_RAISERS, {}),
    ("GET", "/api/v1/connector-kinds"): (SIGNED_IN, None),
    ("GET", "/api/v1/connections"): (ADMINS, None),
    ("POST", "/api/v1/connections"): (
        ADMINS,
        {
            "name": "New",
            "kind": "github",
            "team_id": "{team_id}",
            "settings": {"base_url": "http://127.0.0.1:1", "repositories": ["a/b"]},
            "secret": "t0ken",
        },
    ),
    ("GET", "/api/v1/connections/{connection_id}"): (ADMINS, None),
    ("POST", "/api/v1/connections/{connection_id}/test"): (ADMINS, None),
    ("POST", "/api/v1/connections/{connection_id}/sync"): (ADMINS, {"full": False}),
    ("GET", "/api/v1/connections/{connection_id}/runs"): (ADMINS, None),
    ("GET", "/admin/connections"): (ADMINS, None),
    ("POST", "/admin/connections"): (
        ADMINS,
        {"name": "Page", "kind": "github", "team_id": "{team_id}", "repositories": "a/b", "secret": "t0ken"},
    ),
    ("GET", "/admin/connections/{connection_id}"): (ADMINS, None),
    ("POST", "/admin/connections/{connection_id}/test"): (ADMINS, {}),
    ("POST", "/admin/connections/{connection_id}/sync"): (ADMINS, {}),
    ("GET", "/groups"): (SIGNED_IN, None),
    ("GET", "/groups/{group_slug}"): (A_VIEWERS, None),
    ("GET", "/admin/teams"): (ADMINS, None),
    ("POST", "/admin/teams"): (ADMINS, {"name": "Page Team", "time_zone": "UTC"}),
    ("POST", "/admin/groups"): (ADMINS, {"name": "Page Group"}),
    ("GET", "/api/v1/teams/{team_id}/impediments"): (A_VIEWERS, None),
    ("POST", "/api/v1/teams/{team_id}/impediments"): (A_RAISERS, {"title": "Raised by the walk"}),
    ("GET", "/api/v1/impediments/queue"): (CROSS_TEAM, None),
    ("GET", "/api/v1/impediments/report"): (SIGNED_IN, None),
    ("GET", "/api/v1/impediments/{impediment_id}"): (A_VIEWERS, None),
    ("PATCH", "/api/v1/impediments/{impediment_id}/status"): (A_RAISERS, {"status": "in_progress"}),
    ("POST", "/api/v1/impediments/{impediment_id}/escalate"): (A_RAISERS, {"tried": "", "needed": ""}),
    ("POST", "/api/v1/impediments/{impediment_id}/hand-back"): (A_RAISERS, {"reason": ""}),
    ("POST", "/api/v1/impediments/{impediment_id}/resolve"): (A_RAISERS, {"note": ""}),
    ("POST", "/api/v1/impediments/{impediment_id}/comments"): (A_VIEWERS, {"text": "From the walk"}),
    ("GET", "/impediments"): (SIGNED_IN, None),
    ("GET", "/impediments/digest"): (SIGNED_IN, None),
    ("GET", "/impediments/reports"): (SIGNED_IN, None),
    ("GET", "/teams/{slug}/impediments"): (A_VIEWERS, None),
    ("POST", "/teams/{slug}/impediments"): (A_RAISERS, {"title": "Raised by the walk"}),
    ("POST", "/teams/{slug}/impediments/from-block/{interval_id}"): (A_RAISERS, {}),
    ("GET", "/impediments/{impediment_id}"): (A_VIEWERS, None),
    ("POST", "/impediments/{impediment_id}/status"): (A_RAISERS, {"status": "in_progress"}),
    ("POST", "/impediments/{impediment_id}/escalate"): (A_RAISERS, {}),
    ("POST", "/impediments/{impediment_id}/hand-back"): (A_RAISERS, {}),
    ("POST", "/impediments/{impediment_id}/resolve"): (A_RAISERS, {}),
    ("POST", "/impediments/{impediment_id}/comment"): (A_VIEWERS, {"text": "From the walk"}),
    ("GET", "/impediments/clusters"): (CROSS_TEAM, None),
    ("POST", "/impediments/clusters/propose"): (CROSS_TEAM, {}),
    ("POST", "/impediments/clusters/{cluster_id}/confirm"): (OPS_ADMIN, {"owner_id": "{outsider}"}),
    ("POST", "/impediments/clusters/{cluster_id}/reject"): (OPS_ADMIN, {"text": "Different"}),
    ("POST", "/impediments/clusters/{cluster_id}/resolve"): (OPS_ADMIN, {"text": "Fixed"}),
    ("GET", "/api/v1/impediment-clusters"): (CROSS_TEAM, None),
    ("POST", "/api/v1/impediment-clusters/{cluster_id}/confirm"): (OPS_ADMIN, {"owner_id": "{outsider}"}),
    ("POST", "/api/v1/impediment-clusters/{cluster_id}/reject"): (OPS_ADMIN, {"text": "Different"}),
    ("POST", "/api/v1/impediment-clusters/{cluster_id}/resolve"): (OPS_ADMIN, {"text": "Fixed"}),
    ("GET", "/actions"): (CROSS_TEAM, None),
    ("GET", "/teams/{slug}/actions"): (A_VIEWERS, None),
    ("POST", "/teams/{slug}/actions"): (A_RAISERS, {"title": "Walk action"}),
    ("GET", "/actions/{action_id}"): (A_VIEWERS, None),
    ("POST", "/actions/{action_id}/status"): (A_RAISERS, {"status": "doing"}),
    ("GET", "/api/v1/teams/{team_id}/actions"): (A_VIEWERS, None),
    ("POST", "/api/v1/teams/{team_id}/actions"): (A_RAISERS, {"title": "Walk action"}),
    ("GET", "/api/v1/actions/{action_id}"): (A_VIEWERS, None),
    ("PATCH", "/api/v1/actions/{action_id}"): (A_RAISERS, {"status": "doing"}),
    ("GET", "/api/v1/teams/{team_id}/retros"): (A_PEOPLE, None),
    ("POST", "/api/v1/teams/{team_id}/retros"): (A_PEOPLE, {"title": "Walk retro"}),
    ("GET", "/api/v1/retros/{retro_id}"): (A_PEOPLE, None),
    ("POST", "/api/v1/retros/{retro_id}/cards"): (A_PEOPLE, {"column": "Start", "text": "From the walk"}),
    ("POST", "/api/v1/retros/{retro_id}/themes"): (A_PEOPLE, {"title": "Walk theme", "card_ids": []}),
    ("POST", "/api/v1/retros/{retro_id}/cards/{card_id}/move"): (A_PEOPLE, {"theme_id": None}),
    ("GET", "/api/v1/retros/{retro_id}/suggestions"): (A_PEOPLE, None),
    ("GET", "/api/v1/retros/{retro_id}/suggested-themes"): (A_PEOPLE, None),
    ("POST", "/api/v1/retros/{retro_id}/cards/{card_id}/reactions"): (A_PEOPLE, {"emoji": "\N{THUMBS UP SIGN}"}),
    ("POST", "/api/v1/retros/{retro_id}/icebreaker"): (A_DM, {"shuffle": True}),
    ("POST", "/api/v1/retros/{retro_id}/themes/{theme_id}/rename"): (A_PEOPLE, {"title": "Walk rename"}),
    ("POST", "/api/v1/retros/{retro_id}/themes/{theme_id}/merge"): (A_PEOPLE, {"into_id": 1}),
    ("DELETE", "/api/v1/retros/{retro_id}/themes/{theme_id}"): (A_PEOPLE, None),
    ("POST", "/api/v1/retros/{retro_id}/votes"): (A_PEOPLE, {"theme_id": 1, "add": True}),
    ("POST", "/api/v1/retros/{retro_id}/themes/{theme_id}/notes"): (A_PEOPLE, {"notes": "From the walk"}),
    ("POST", "/api/v1/retros/{retro_id}/timer"): (A_DM, {"minutes": 0}),
    ("POST", "/api/v1/retros/{retro_id}/actions"): (A_PEOPLE, {"title": "Walk action"}),
    ("POST", "/api/v1/retros/{retro_id}/advance"): (A_DM, None),
    ("GET", "/teams/{slug}/retros"): (A_PEOPLE, None),
    ("POST", "/teams/{slug}/retros"): (A_PEOPLE, {"title": "Walk retro"}),
    ("GET", "/retros/{retro_id}"): (A_PEOPLE, None),
    ("GET", "/retros/{retro_id}/export.md"): (A_PEOPLE, None),
    ("GET", "/retros/{retro_id}/events"): (A_PEOPLE, None),
    ("GET", "/admin/impediments"): (ADMINS, None),
    ("POST", "/admin/impediments/categories"): (ADMINS, {"name": "Walk category"}),
    ("POST", "/admin/impediments/categories/{category_id}"): (ADMINS, {"name": "Renamed", "active": "on"}),
    ("POST", "/admin/impediments/service-levels"): (ADMINS, {}),
    **{key: value for module in CAPABILITIES for key, value in module.EXPECTED.items()},
    ("PATCH", "/api/v1/connections/{connection_id}"): (ADMINS, {"interval_minutes": 60}),
    ("POST", "/admin/connections/{connection_id}/edit"): (
        ADMINS,
        {"name": "World GitHub", "repositories": "a/b", "base_url": "http://127.0.0.1:1"},
    ),
    # Last: they remove the connection the entries above use.
    ("DELETE", "/api/v1/connections/{connection_id}"): (ADMINS, None),
    ("POST", "/admin/connections/{connection_id}/delete"): (ADMINS, {}),
}


# Path values that differ for one route: (method, path) -> {placeholder: world value name}.
PATH_OVERRIDES = {
    ("POST", "/admin/connections/{connection_id}/delete"): {"connection_id": "second_connection_id"},
    **{
        (method, path): {"job_id": "import_job_id"}
        for method, path in (
            ("GET", "/api/v1/teams/{team_id}/import-jobs/{job_id}"),
            ("POST", "/api/v1/teams/{team_id}/import-jobs/{job_id}/cancel"),
            ("GET", "/teams/{slug}/import/jobs/{job_id}"),
            ("POST", "/teams/{slug}/import/jobs/{job_id}/cancel"),
        )
    },
    **{key: value for module in CAPABILITIES for key, value in getattr(module, "PATH_OVERRIDES", {}).items()},
}


@dataclass
class World:
    """Two teams in two groups, people in every role, and a bystander to act upon."""

    emails: dict[str, str]
    values: dict[str, str]


def build_world(session: Session) -> World:
    group_a, group_b = make_group(session, name="Group A"), make_group(session, name="Group B")
    team_a = make_team(session, name="Team A", group=group_a)
    team_b = make_team(session, name="Team B", group=group_b)
    people = {
        MEMBER_A: make_user(session),
        MEMBER_B: make_user(session),
        DM_A: make_user(session, role=Role.DELIVERY_MANAGER),
        OPS: make_user(session, role=Role.PRODUCT_OPS),
        LEADER: make_user(session, role=Role.LEADER),
        ADMIN: make_user(session, role=Role.ADMIN),
    }
    join(session, team_a, people[MEMBER_A])
    join(session, team_b, people[MEMBER_B])
    join(session, team_a, people[DM_A], TeamRole.DELIVERY_MANAGER)
    bystander = make_user(session)  # in team A, so removing them from A is a real change
    join(session, team_a, bystander)
    outsider = make_user(session)
    second_bystander = make_user(session)
    join(session, team_a, second_bystander)
    token, _secret = accounts.create_token(session=session, actor=bystander, name="bystander's")
    blocked_since = datetime.now(UTC) - timedelta(days=5)
    import_records(
        session=session,
        actor=None,
        team=team_a,
        import_format="test",
        records=[
            WorkItemRecord(
                source="test",
                external_key="W-1",
                item_type="Story",
                title="Blocked item",
                created_at=blocked_since,
                blocked_intervals=(BlockedIntervalRecord(blocked_since, None, "Waiting for access"),),
            )
        ],
    )
    impediment = impediments.raise_(session=session, actor=None, team_id=team_a.id, title="World impediment")
    impediments.raise_(session=session, actor=None, team_id=team_a.id, title="No access to production logs")
    impediments.raise_(session=session, actor=None, team_id=team_b.id, title="Can't see prod logging")
    [cluster] = clusters.propose(session)
    action = improvement_actions.create(session=session, actor=None, team_id=team_a.id, title="World action")
    retro = retros.schedule(session=session, actor=people[DM_A], team_id=team_a.id, title="World retro")
    forecast, _result = flow.create_when(session=session, actor=None, team_id=team_a.id, remaining_items=2)
    # Encrypted under another key: testing or syncing fails at once, without waiting on a network.
    connection = connections.create(
        session=session,
        actor=None,
        name="World GitHub",
        kind="github",
        team_id=team_a.id,
        settings={"base_url": "http://127.0.0.1:1", "repositories": ["a/b"]},
        secret="t0ken",
        app_key="not the app's key",
    )
    second = connections.create(
        session=session,
        actor=None,
        name="Second GitHub",
        kind="github",
        team_id=team_b.id,
        settings={"base_url": "http://127.0.0.1:1", "repositories": ["c/d"]},
        secret="t0ken",
        app_key="not the app's key",
    )
    pending = PendingUpload(token="authz-upload", user_id=people[ADMIN].id, team_id=team_a.id, file_name="a.csv", content=b"")
    session.add(pending)
    import_job = start_import(session, actor=people[ADMIN], team=team_a, pending=pending, import_format=None, date_order=None)
    session.flush()
    values = {
        "team_id": str(team_a.id),
        "group_id": str(group_a.id),
        "slug": team_a.slug,
        "group_slug": group_a.slug,
        "user_id": str(bystander.id),
        "token_id": str(token.id),
        "outsider": str(outsider.id),
        "member_id": str(second_bystander.id),
        "bystander_email": bystander.email,
        "metric": "wip",
        "chart": "wip",
        "forecast_id": str(forecast.id),
        "connection_id": str(connection.id),
        "impediment_id": str(impediment.id),
        "cluster_id": str(cluster.id),
        "action_id": str(action.id),
        "retro_id": str(retro.id),
        "card_id": "1",
        "theme_id": "1",
        "category_id": str(session.scalar(select(Category.id).order_by(Category.id).limit(1))),
        "interval_id": str(session.scalar(select(BlockedInterval.id))),
        "second_connection_id": str(second.id),
        "import_job_id": str(import_job.id),
        "future": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
    }
    base = WorldBase(team_a=team_a, team_b=team_b, group_a=group_a, group_b=group_b, people=people, outsider=outsider)
    for module in CAPABILITIES:
        added = module.world_values(session, base)
        clash = set(added) & set(values)
        assert not clash, f"{module.__name__} reuses placeholder names {clash}"
        values.update(added)
    session.flush()
    return World(emails={role: user.email for role, user in people.items()}, values=values)


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        filled = values[value[1:-1]]
        return int(filled) if filled.isdigit() else filled
    return value


def test_every_route_has_an_expectation() -> None:
    served = set(route_table())
    assert served - set(EXPECTED) == set(), "routes without an authorisation expectation"
    assert set(EXPECTED) - served == set(), "expectations for routes that do not exist"


@pytest.mark.parametrize("role", ROLES)
def test_route_permissions(client: TestClient, session: Session, role: str) -> None:
    world = build_world(session)
    csrf = login(client, world.emails[role]) if role != ANON else csrf_from(client.get("/login").text)
    mistakes = []
    for (method, template), (allowed, body) in EXPECTED.items():
        if (method, template) in SIGNING_OUT:
            continue  # signs the client out; checked on their own (here and in tests/accounts/test_sessions.py)
        overrides = {name: world.values[source] for name, source in PATH_OVERRIDES.get((method, template), {}).items()}
        path = template.format(**{**world.values, **overrides})
        payload = {k: _fill(v, world.values) for k, v in (body or {}).items()}
        upload = payload.pop(FILE, None)
        files = {"file": (upload, (EXAMPLES / upload).read_bytes(), "text/csv")} if upload else None
        if template.endswith("/events"):
            # A live stream never ends: read the status, then hang up.
            with client.stream(method, path) as streamed:
                response = streamed
        elif template.startswith("/api/"):
            json_body = payload if body is not None and not files else None
            response = client.request(method, path, json=json_body, files=files, headers={"X-CSRF-Token": csrf})
        else:
            data = {**payload, "csrf_token": csrf} if method == "POST" else None
            response = client.request(method, path, data=data, files=files)
        location = response.headers.get("location", "")
        denied = response.status_code in (401, 403, 404) or location.startswith("/login?next=")
        # 409/410/422 come from validation, which runs only after authorisation has passed.
        granted = (200 <= response.status_code < 400 or response.status_code in (409, 410, 422)) and not denied
        if not denied and not granted:
            mistakes.append(f"{method} {template}: unexpected {response.status_code} {response.text[:200]}")
        elif granted != (role in allowed):
            mistakes.append(f"{method} {template}: {'allowed' if granted else 'denied'} ({response.status_code})")
        if template == "/login" and method == "POST" and role != ANON:
            csrf = login(client, world.emails[role])  # signing in as the bystander replaced the session
        elif template == "/login" and method == "POST":
            client.cookies.clear()
            csrf = csrf_from(client.get("/login").text)
    assert mistakes == []


def test_logout_is_open_to_everyone_with_a_valid_form(client: TestClient, session: Session) -> None:
    world = build_world(session)
    csrf = csrf_from(client.get("/login").text)
    assert client.post("/logout", data={"csrf_token": csrf}).headers["location"] == "/login"
    csrf = login(client, world.emails[MEMBER_A])
    assert client.post("/logout", data={"csrf_token": csrf}).headers["location"] == "/login"
    assert client.get("/").headers["location"] == "/login?next=/"
