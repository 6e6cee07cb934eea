"""Authorisation expectations for the roadmap and the team calendar (see ``authz_roles`` for the contract).

Everyone who may see Group A reads its roadmap and Team A's calendar and plan; Product Ops, leaders, admins and
Team A's delivery manager change Team A's calendar, absences and plan. A what-if stores nothing, so whoever reads
the roadmap may try one.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from deliveryops.db import utcnow
from deliveryops.roadmap import service
from tests.web.authz_roles import A_VIEWERS, ADMINS, DM_A, LEADER, OPS, Expectations, WorldBase

EDITORS_A = frozenset({DM_A, OPS, LEADER}) | ADMINS
ABSENCE = {"start": "{future}", "end": "{future}", "percent": 50, "note": "Walk"}
PAGE_ABSENCE = {"start": "{future}", "end": "{future}", "percent": "50", "note": "Walk"}

EXPECTED: Expectations = {
    ("GET", "/api/v1/groups/{group_id}/roadmap"): (A_VIEWERS, None),
    ("GET", "/api/v1/groups/{group_id}/roadmap.csv"): (A_VIEWERS, None),
    ("POST", "/api/v1/groups/{group_id}/roadmap/what-if"): (A_VIEWERS, {"teams": [{"team_id": 1, "rule": "even"}]}),
    ("GET", "/api/v1/teams/{team_id}/calendar"): (A_VIEWERS, None),
    ("PUT", "/api/v1/teams/{team_id}/calendar"): (EDITORS_A, {"country": "DE", "subdivision": "BY"}),
    ("POST", "/api/v1/teams/{team_id}/absences"): (EDITORS_A, ABSENCE),
    ("DELETE", "/api/v1/teams/{team_id}/absences/{absence_id}"): (EDITORS_A, None),
    ("GET", "/api/v1/teams/{team_id}/roadmap-plan"): (A_VIEWERS, None),
    ("PUT", "/api/v1/teams/{team_id}/roadmap-plan"): (EDITORS_A, {"rule": "even"}),
    ("GET", "/groups/{slug}/roadmap"): (A_VIEWERS, None),
    ("GET", "/groups/{slug}/roadmap.csv"): (A_VIEWERS, None),
    ("GET", "/teams/{slug}/calendar"): (A_VIEWERS, None),
    ("POST", "/teams/{slug}/calendar"): (EDITORS_A, {"country": "DE", "subdivision": ""}),
    ("POST", "/teams/{slug}/absences"): (EDITORS_A, PAGE_ABSENCE),
    ("POST", "/teams/{slug}/absences/{absence_id}/delete"): (EDITORS_A, {}),
    ("POST", "/teams/{slug}/roadmap-plan"): (EDITORS_A, {"rule": "even", "order": "", "shares": ""}),
}

# The group pages take the group's slug; the API and the page each delete an absence of their own.
PATH_OVERRIDES = {
    ("GET", "/groups/{slug}/roadmap"): {"slug": "group_slug"},
    ("GET", "/groups/{slug}/roadmap.csv"): {"slug": "group_slug"},
    ("DELETE", "/api/v1/teams/{team_id}/absences/{absence_id}"): {"absence_id": "absence_api_id"},
    ("POST", "/teams/{slug}/absences/{absence_id}/delete"): {"absence_id": "absence_page_id"},
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Two planned absences of Team A, one for the API's delete and one for the page's."""
    start = utcnow().date() + timedelta(days=20)
    made = [
        service.add_absence(session=session, actor=None, team_id=world.team_a.id, start=start, end=start, percent=50, note=note)
        for note in ("API walk", "Page walk")
    ]
    return {"absence_api_id": str(made[0].id), "absence_page_id": str(made[1].id)}
