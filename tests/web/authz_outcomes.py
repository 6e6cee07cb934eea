"""Authorisation expectations for outcomes (see ``authz_roles`` for the contract).

The walk's objective, key result and KPI series belong to Group A: Team A's people and the cross-team roles
read them; leaders, Product Ops and admins edit them. Team objectives and series are Team A's delivery
manager's (and admins'). Decision briefs are for leaders, Product Ops and admins; Product Ops and admins write
them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from deliveryops.actions import service as actions
from deliveryops.outcomes import series, service
from deliveryops.outcomes.models import SourceKind
from deliveryops.outcomes.schemas import KeyResultCreate, ObjectiveCreate, SeriesCreate
from tests.web.authz_roles import (
    A_MANAGERS,
    A_VIEWERS,
    ADMIN,
    CROSS_TEAM,
    FILE,
    LEADER,
    NOBODY,
    OPS,
    OPS_ADMIN,
    SIGNED_IN,
    Expectations,
    WorldBase,
)

GROUP_EDITORS = frozenset({LEADER, OPS, ADMIN})
_KR = {"title": "Walk KR", "source": "kpi", "series_id": "{kpi_series_id}", "baseline": 1, "target": 2, "direction": "increase"}
_LINK = {"kind": "action", "target_id": "{kr_action_id}"}

EXPECTED: Expectations = {
    ("GET", "/api/v1/objectives"): (SIGNED_IN, None),
    ("POST", "/api/v1/objectives"): (A_MANAGERS, {"title": "Walk objective", "team_id": "{team_id}"}),
    ("GET", "/api/v1/objectives/{objective_id}"): (A_VIEWERS, None),
    ("PATCH", "/api/v1/objectives/{objective_id}"): (GROUP_EDITORS, {"title": "Walk objective, renamed"}),
    ("DELETE", "/api/v1/objectives/{objective_id}"): (GROUP_EDITORS, None),
    ("POST", "/api/v1/objectives/{objective_id}/key-results"): (GROUP_EDITORS, _KR),
    ("GET", "/api/v1/key-results/{key_result_id}"): (A_VIEWERS, None),
    ("PATCH", "/api/v1/key-results/{key_result_id}"): (GROUP_EDITORS, {"target": 3}),
    ("DELETE", "/api/v1/key-results/{key_result_id}"): (GROUP_EDITORS, None),
    ("POST", "/api/v1/key-results/{key_result_id}/links"): (GROUP_EDITORS, _LINK),
    ("GET", "/api/v1/kpi-series"): (SIGNED_IN, None),
    ("POST", "/api/v1/kpi-series"): (A_MANAGERS, {"name": "Walk series", "team_id": "{team_id}"}),
    ("GET", "/api/v1/kpi-series/{series_id}"): (A_VIEWERS, None),
    ("POST", "/api/v1/kpi-series/{series_id}/values"): (GROUP_EDITORS, {"values": [{"on": "2026-11-02", "value": 3}]}),
    ("POST", "/api/v1/kpi-series/{series_id}/values.csv"): (GROUP_EDITORS, {FILE: "kpi-values.csv"}),
    ("POST", "/api/v1/webhooks/kpi"): (NOBODY, {"values": [{"on": "2026-11-02", "value": 3}]}),
    ("GET", "/api/v1/decision-briefs/{question_id}"): (CROSS_TEAM, None),
    ("PUT", "/api/v1/decision-briefs/{question_id}"): (OPS_ADMIN, {"options": "A\nB", "recommendation": "A"}),
    ("POST", "/api/v1/decision-briefs/{question_id}/evidence"): (OPS_ADMIN, {"label": "Flow", "url": "/flow"}),
    ("GET", "/outcomes"): (SIGNED_IN, None),
    ("POST", "/outcomes/objectives"): (A_MANAGERS, {"title": "Walk page objective", "team_id": "{team_id}"}),
    ("GET", "/outcomes/export.csv"): (SIGNED_IN, None),
    ("GET", "/outcomes/objectives/{objective_id}"): (A_VIEWERS, None),
    ("POST", "/outcomes/objectives/{objective_id}/edit"): (GROUP_EDITORS, {"title": "Walk page rename", "period": "2026-Q4"}),
    ("POST", "/outcomes/objectives/{objective_id}/delete"): (GROUP_EDITORS, {}),
    ("POST", "/outcomes/objectives/{objective_id}/key-results"): (GROUP_EDITORS, _KR),
    ("GET", "/outcomes/key-results/{key_result_id}"): (A_VIEWERS, None),
    ("POST", "/outcomes/key-results/{key_result_id}/edit"): (GROUP_EDITORS, {"title": "Walk KR", "target": 3}),
    ("POST", "/outcomes/key-results/{key_result_id}/delete"): (GROUP_EDITORS, {}),
    ("POST", "/outcomes/key-results/{key_result_id}/links"): (GROUP_EDITORS, _LINK),
    ("GET", "/outcomes/series"): (SIGNED_IN, None),
    ("POST", "/outcomes/series"): (A_MANAGERS, {"name": "Walk page series", "team_id": "{team_id}"}),
    ("POST", "/outcomes/series/{series_id}/values"): (GROUP_EDITORS, {FILE: "kpi-values.csv"}),
    ("GET", "/outcomes/decisions"): (CROSS_TEAM, None),
    ("GET", "/outcomes/decisions/{question_id}"): (CROSS_TEAM, None),
    ("POST", "/outcomes/decisions/{question_id}"): (OPS_ADMIN, {"options": "A\nB", "recommendation": "A"}),
    ("POST", "/outcomes/decisions/{question_id}/evidence"): (OPS_ADMIN, {"label": "Flow", "url": "/flow"}),
    ("POST", "/outcomes/decisions/{question_id}/decide"): (CROSS_TEAM, {"decision": "Go with A"}),
}

# Each delete acts on its own objective or key result, so the other routes still find theirs.
PATH_OVERRIDES = {
    ("DELETE", "/api/v1/objectives/{objective_id}"): {"objective_id": "objective_api_delete_id"},
    ("POST", "/outcomes/objectives/{objective_id}/delete"): {"objective_id": "objective_page_delete_id"},
    ("DELETE", "/api/v1/key-results/{key_result_id}"): {"key_result_id": "key_result_api_delete_id"},
    ("POST", "/outcomes/key-results/{key_result_id}/delete"): {"key_result_id": "key_result_page_delete_id"},
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Group A's KPI series, objective and key result; an action to link (the question is the cockpit's)."""
    kpi, _token = series.create(session=session, actor=None, body=SeriesCreate(name="World sign-ups", group_id=world.group_a.id))
    objectives = [
        service.create_objective(
            session=session,
            actor=None,
            body=ObjectiveCreate(title=f"World objective {n}", group_id=world.group_a.id),
            today=date(2026, 11, 2),
        )
        for n in range(3)
    ]
    key_results = [
        service.add_key_result(
            session=session,
            actor=None,
            objective=objectives[0],
            body=KeyResultCreate(
                title=f"World KR {n}", source=SourceKind.KPI, series_id=kpi.id, baseline=1, target=2, direction="increase"
            ),
        )
        for n in range(3)
    ]
    action = actions.create(session=session, actor=None, team_id=world.team_a.id, title="World KR action")
    return {
        "kpi_series_id": str(kpi.id),
        "series_id": str(kpi.id),
        "objective_id": str(objectives[0].id),
        "objective_api_delete_id": str(objectives[1].id),
        "objective_page_delete_id": str(objectives[2].id),
        "key_result_id": str(key_results[0].id),
        "key_result_api_delete_id": str(key_results[1].id),
        "key_result_page_delete_id": str(key_results[2].id),
        "kr_action_id": str(action.id),
    }
