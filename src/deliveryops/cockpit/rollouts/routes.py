"""JSON API: stored rollouts (plan, list, report) and the measured effect of adopting a catalogue entry
across chosen teams."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.actions.models import TargetMetric
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.rollouts import service as rollouts
from deliveryops.cockpit.rollouts import stored as rollout_stored
from deliveryops.cockpit.rollouts.schemas import (
    RolloutCreate,
    RolloutDetail,
    RolloutEffectRead,
    RolloutRead,
    create_from,
    effect_read,
    read_of,
)
from deliveryops.cockpit.rollouts.service import FLOW_METRICS, measure_rollout
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.flow.service import today_in
from deliveryops.schemas import Page, paginate
from deliveryops.teams.service import get_team_or_raise, list_teams
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

__all__ = ["api"]

api = APIRouter(tags=["tools and practices"], responses=error_responses(401, 403, 404, 422))
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


@api.get("/cockpit/rollouts", response_model=Page[RolloutRead])
def list_rollouts(
    session: SessionDep, actor: ApiUser, page: Pagination, entry_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> Page[RolloutRead]:
    """Rollouts of tools and practices, newest start first (Product Ops, leaders, admins)."""
    rollouts.require_reader(actor)
    return paginate([read_of(session, r) for r in rollouts.list_rollouts(session=session, entry_id=entry_id)], page)


@api.post("/cockpit/rollouts", response_model=RolloutRead, status_code=201)
def create_rollout(body: RolloutCreate, session: SessionDep, actor: ApiUser) -> RolloutRead:
    """Plan a rollout of a catalogue entry across teams with target dates (Product Ops and admins)."""
    return read_of(session, create_from(session, actor, body))


@api.get("/cockpit/rollouts/{rollout_id}", response_model=RolloutDetail)
def read_rollout(session: SessionDep, actor: ApiUser, rollout_id: IdPath) -> RolloutDetail:
    """A rollout: each team's progress against its target, the adoption curve (declared and confirmed by the
    entry's data check) and the effect on its metric with its interval, or "not enough evidence"; the stored
    report with when it was computed (``recomputing`` while a newer one is computed after the data changed)."""
    rollouts.require_reader(actor)
    rollout = rollouts.get_rollout_or_raise(session=session, rollout_id=rollout_id)
    return rollout_stored.read(session, rollout).detail


@api.get("/cockpit/catalogue/{entry_id}/rollout-effect", response_model=RolloutEffectRead)
def read_rollout_effect(
    session: SessionDep,
    actor: ApiUser,
    entry_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    team_id: Annotated[
        list[int] | None, Query(max_length=200, description="The teams compared; default every team of the matrix")
    ] = None,
    metric: TargetMetric = TargetMetric.THROUGHPUT,
) -> RolloutEffectRead:
    """The effect of adopting the entry on a flow metric: the given teams that adopted (declared) before
    and after, against those that had not yet (a staggered difference-in-differences over the last 26
    complete weeks). Same audience as the adoption matrix."""
    allowed = adoption.matrix_team_ids(session, actor)
    entry = catalogue.get_or_raise(session=session, entry_id=entry_id)
    if metric not in FLOW_METRICS:
        raise ValidationFailedError("Choose a flow metric.", fields={"metric": "Choose a flow metric."})
    wanted = list(dict.fromkeys(team_id)) if team_id else allowed
    if wanted is None:
        wanted = [team.id for team in list_teams(session=session, actor=actor)]
    if not wanted:
        raise ValidationFailedError("There are no teams to compare.", fields={"team_id": "Choose at least one team."})
    teams = [get_team_or_raise(session=session, actor=actor, team_id=tid) for tid in wanted]
    if allowed is not None and any(team.id not in allowed for team in teams):
        raise PermissionDeniedError("You can measure rollouts across the teams you manage only.")
    result = measure_rollout(session, entry_id=entry.id, teams=teams, today=today_in(teams[0]), metric=metric)
    return RolloutEffectRead(entry_id=entry.id, metric=metric, **effect_read(result).model_dump())
