"""JSON API: a group's roadmap (and an unstored what-if), its CSV, a team's calendar, absences and roadmap plan."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.roadmap import service
from deliveryops.roadmap.engine import Rule
from deliveryops.roadmap.schemas import (
    AbsenceCreate,
    AbsenceItem,
    CalendarRead,
    CalendarUpdate,
    PlanRead,
    PlanUpdate,
    RoadmapRead,
    WhatIfBody,
    calendar_read,
    csv_response,
    plan_read,
    roadmap_read,
)
from deliveryops.web.errors import error_responses
from deliveryops.web.security import SessionDep

api = APIRouter(tags=["roadmap"], responses=error_responses(401, 403, 404, 422))
GroupId = Annotated[int, Path(ge=1, le=2**31 - 1)]
TeamId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CutDate = Annotated[date | None, Query(description="The cut line's date (default: 13 weeks from today)")]


@api.get("/groups/{group_id}/roadmap", response_model=RoadmapRead)
def read_roadmap(session: SessionDep, actor: ApiUser, group_id: GroupId, cut_date: CutDate = None) -> RoadmapRead:
    """The group's roadmap: each team's open epics with 50%/85% dates sharing the team's capacity, and the cut line."""
    return roadmap_read(service.group_roadmap(session=session, actor=actor, group_id=group_id, cut_date=cut_date))


@api.get(
    "/groups/{group_id}/roadmap.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "One row per epic"}},
)
def export_roadmap(session: SessionDep, actor: ApiUser, group_id: GroupId, cut_date: CutDate = None) -> Response:
    """The group's roadmap as CSV, one row per epic."""
    roadmap = service.group_roadmap(session=session, actor=actor, group_id=group_id, cut_date=cut_date)
    return csv_response(roadmap)


@api.post("/groups/{group_id}/roadmap/what-if", response_model=RoadmapRead)
def what_if(body: WhatIfBody, session: SessionDep, actor: ApiUser, group_id: GroupId) -> RoadmapRead:
    """Try other allocations, priority orders or absences: the answer shows them beside the stored plan; nothing is stored."""
    changes = {team.team_id: team.to_what_if() for team in body.teams}
    roadmap = service.group_roadmap(session=session, actor=actor, group_id=group_id, cut_date=body.cut_date, what_if=changes)
    return roadmap_read(roadmap)


@api.get("/teams/{team_id}/calendar", response_model=CalendarRead)
def read_calendar(session: SessionDep, actor: ApiUser, team_id: TeamId) -> CalendarRead:
    """The team's public-holiday country, its next public holidays and planned absences (anyone in its group)."""
    return calendar_read(session, actor, team_id)


@api.put("/teams/{team_id}/calendar", response_model=CalendarRead)
def update_calendar(body: CalendarUpdate, session: SessionDep, actor: ApiUser, team_id: TeamId) -> CalendarRead:
    """Set the team's public-holiday country and subdivision (Product Ops, leaders, admins, its delivery managers)."""
    service.set_calendar(session=session, actor=actor, team_id=team_id, country=body.country, subdivision=body.subdivision)
    return calendar_read(session, actor, team_id)


@api.post("/teams/{team_id}/absences", response_model=AbsenceItem, status_code=201)
def add_absence(body: AbsenceCreate, session: SessionDep, actor: ApiUser, team_id: TeamId) -> AbsenceItem:
    """Plan an absence as a share of the team's capacity (Product Ops, leaders, admins, its delivery managers)."""
    row = service.add_absence(
        session=session, actor=actor, team_id=team_id, start=body.start, end=body.end, percent=body.percent, note=body.note
    )
    return AbsenceItem(id=row.id, start=row.start, end=row.end, percent=row.percent, note=row.note)


@api.delete("/teams/{team_id}/absences/{absence_id}", status_code=204)
def delete_absence(
    session: SessionDep, actor: ApiUser, team_id: TeamId, absence_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Response:
    """Remove a planned absence."""
    service.delete_absence(session=session, actor=actor, team_id=team_id, absence_id=absence_id)
    return Response(status_code=204)


@api.get("/teams/{team_id}/roadmap-plan", response_model=PlanRead)
def read_plan(session: SessionDep, actor: ApiUser, team_id: TeamId) -> PlanRead:
    """How the team's open epics share its throughput: rule, priority order, shares."""
    return plan_read(session, actor, team_id)


@api.put("/teams/{team_id}/roadmap-plan", response_model=PlanRead)
def update_plan(body: PlanUpdate, session: SessionDep, actor: ApiUser, team_id: TeamId) -> PlanRead:
    """Store the rule, the priority order and the shares (Product Ops, leaders, admins, its delivery managers)."""
    service.set_plan(session=session, actor=actor, team_id=team_id, rule=Rule(body.rule), order=body.order, shares=body.shares)
    return plan_read(session, actor, team_id)
