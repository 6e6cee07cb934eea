"""JSON API: the chance of delivery of dependencies, the at-risk list and the requester's warning threshold.

Included before the dependency routes, so ``/dependencies/risk`` is not read as a dependency id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.dependencies import risk, service
from deliveryops.dependencies.models import Dependency
from deliveryops.dependencies.schemas import ChanceRead, ThresholdUpdate
from deliveryops.schemas import Page, paginate
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

api = APIRouter(tags=["dependencies"], responses=error_responses(401, 403, 404, 422))
DependencyId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@api.get("/dependencies/risk", response_model=Page[ChanceRead])
def list_chances(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    team_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Requested by or from this team")] = None,
    at_risk: Annotated[bool, Query(description="Only those below their threshold")] = False,
) -> Page[ChanceRead]:
    """Accepted (and missed) dependencies you may see with their chance of delivery; ``at_risk=true``: only those at risk."""
    teams = {team_id} if team_id is not None else None
    if at_risk:
        return paginate(risk.at_risk(session, actor=actor, team_ids=teams), page)
    return paginate(risk.chance_reads(session, risk.visible_open(session, actor, team_ids=teams)), page)


@api.get("/dependencies/{dependency_id}/chance", response_model=ChanceRead)
def read_chance(session: SessionDep, actor: ApiUser, dependency_id: DependencyId) -> ChanceRead:
    """One dependency's chance of delivery by its needed-by and committed dates, and how it was computed."""
    dependency = service.get_or_raise(session=session, actor=actor, dependency_id=dependency_id)
    return risk.chance_reads(session, [dependency])[0]


@api.put("/dependencies/{dependency_id}/threshold", response_model=ChanceRead)
def update_threshold(body: ThresholdUpdate, session: SessionDep, actor: ApiUser, dependency_id: DependencyId) -> ChanceRead:
    """Set the warning threshold in % (the requesting side: its delivery managers, Product Ops, admins)."""
    risk.set_threshold(session=session, actor=actor, dependency_id=dependency_id, body=body)
    dependency = session.scalar(select(Dependency).where(Dependency.id == dependency_id))
    assert dependency is not None
    return risk.chance_reads(session, [dependency])[0]
