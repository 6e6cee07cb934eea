"""JSON API: the catalogue of tools and practices, team adoption, the matrix, impediments naming a tool."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.adoption.checks import wip_limit_of
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.catalogue.schemas import (
    CellRead,
    CheckRead,
    ClusterRef,
    CustomCheckListed,
    CustomCheckRead,
    CustomCheckWrite,
    EntryDetail,
    EntryPatch,
    EntryRead,
    EntryWrite,
    HeldRead,
    HeldWrite,
    MatrixRead,
    SignalRead,
    StateRead,
    StateWrite,
    TeamCheckRead,
    TeamCount,
    TeamPractices,
    ToolRead,
    ToolWrite,
    TrendRead,
    WipLimitWrite,
    custom_check_listed,
)
from deliveryops.cockpit.models import CatalogueEntry, EntryKind, Signal
from deliveryops.cockpit.rollouts.stored import entry_results
from deliveryops.errors import PermissionDeniedError
from deliveryops.schemas import Page, paginate
from deliveryops.teams.service import get_group_or_raise, get_team_or_raise, team_ids_of
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

__all__ = ["api"]

api = APIRouter(tags=["tools and practices"], responses=error_responses(401, 403, 404, 422))
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _cells(result: adoption.AdoptionMatrix) -> list[CellRead]:
    out = []
    for team in result.teams:
        for entry in result.entries:
            row = result.states.get((team.id, entry.id))
            out.append(
                CellRead(
                    team_id=team.id,
                    entry_id=entry.id,
                    state=result.state(team.id, entry.id),
                    set_at=row.set_at if row else None,
                    note=row.note if row else "",
                    check=CheckRead.of(result.check(team.id, entry.id)),
                    mismatch=result.mismatch(team.id, entry.id),
                )
            )
    return out


def _detail(session: Session, actor: ApiUser, entry: CatalogueEntry) -> EntryDetail:
    usage = catalogue.impediments_of(
        session, entry.id, team_ids=None if actor.role.sees_all_teams else team_ids_of(session, actor)
    )
    return EntryDetail(
        **EntryRead.model_validate(entry).model_dump(),
        open_impediments=usage.open_total,
        closed_impediments=usage.closed_total,
        by_team=[TeamCount(team_id=c.team_id, team_name=c.team_name, open=c.open, closed=c.closed) for c in usage.by_team],
        open_clusters=[ClusterRef(id=c.id, title=c.title, status=c.status) for c in usage.open_clusters],
        custom_check=CustomCheckRead.model_validate(rule) if (rule := catalogue.custom_check_of(session, entry.id)) else None,
        rollouts=entry_results(session, entry.id) if actor.role.sees_all_teams else [],
    )


@api.get("/cockpit/catalogue", response_model=Page[EntryRead])
def list_entries(
    session: SessionDep, actor: ApiUser, page: Pagination, kind: EntryKind | None = None, active_only: bool = False
) -> Page[EntryRead]:
    """The catalogue: tools, then practices, by name."""
    return paginate(
        [EntryRead.model_validate(e) for e in catalogue.list_entries(session=session, kind=kind, active_only=active_only)], page
    )


@api.post("/cockpit/catalogue", response_model=EntryRead, status_code=201)
def create_entry(body: EntryWrite, session: SessionDep, actor: ApiUser) -> EntryRead:
    """Add a tool or practice (Product Ops and admins)."""
    catalogue.require_editor(actor)
    entry = catalogue.create(session=session, actor=actor, **body.model_dump(mode="json"))
    return EntryRead.model_validate(entry)


@api.get("/cockpit/catalogue/checks", response_model=Page[TeamCheckRead])
def read_checks(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    entry_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    team_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Page[TeamCheckRead]:
    """Every team's data check of every active entry that has one, with its evidence and how sure it is.

    Same audience as the adoption matrix (a delivery manager gets their teams); filter by entry or team.
    """
    allowed = adoption.matrix_team_ids(session, actor)
    team_ids = allowed
    if team_id is not None:
        team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
        if allowed is not None and team.id not in allowed:
            raise PermissionDeniedError("You can see the checks of the teams you manage only.")
        team_ids = [team.id]
    return paginate(TeamCheckRead.rows(adoption.matrix(session, team_ids=team_ids), entry_id=entry_id), page)


@api.get("/cockpit/catalogue/signals", response_model=Page[SignalRead])
def read_signals(actor: ApiUser, page: Pagination) -> Page[SignalRead]:
    """The signals an admin-defined check can use, with their units and which way the practice keeps them."""
    del actor
    return paginate([SignalRead(signal=s, label=s.label, unit=s.unit, at_most=s.at_most) for s in Signal], page)


@api.get("/cockpit/catalogue/{entry_id}", response_model=EntryDetail)
def read_entry(session: SessionDep, actor: ApiUser, entry_id: IdPath) -> EntryDetail:
    """One entry with the impediments that name it and the open clusters holding them."""
    return _detail(session, actor, catalogue.get_or_raise(session=session, entry_id=entry_id))


@api.patch("/cockpit/catalogue/{entry_id}", response_model=EntryRead)
def update_entry(body: EntryPatch, session: SessionDep, actor: ApiUser, entry_id: IdPath) -> EntryRead:
    """Change an entry (Product Ops and admins); fields left out keep their value."""
    catalogue.require_editor(actor)
    entry = catalogue.get_or_raise(session=session, entry_id=entry_id)
    sent = body.model_fields_set
    check = body.data_check if "data_check" in sent else entry.data_check
    entry = catalogue.update(
        session=session,
        actor=actor,
        entry_id=entry.id,
        kind=(body.kind or entry.kind).value,
        name=body.name if body.name is not None else entry.name,
        category=body.category if body.category is not None else entry.category,
        owner_id=body.owner_id if "owner_id" in sent else entry.owner_id,
        guide=body.guide if body.guide is not None else entry.guide,
        data_check=check.value if check else None,
        active=body.active if body.active is not None else entry.active,
    )
    return EntryRead.model_validate(entry)


@api.put("/cockpit/catalogue/{entry_id}/custom-check", response_model=CustomCheckRead)
def set_custom_check(body: CustomCheckWrite, session: SessionDep, actor: ApiUser, entry_id: IdPath) -> CustomCheckRead:
    """Define the entry's check from a signal, a threshold and a window (Product Ops and admins); the entry
    then uses it in the matrix and the checks."""
    rule = catalogue.set_custom_check(
        session=session,
        actor=actor,
        entry_id=entry_id,
        signal=body.signal.value,
        threshold=body.threshold,
        window_days=body.window_days,
    )
    return CustomCheckRead.model_validate(rule)


@api.get("/cockpit/custom-checks", response_model=Page[CustomCheckListed])
def list_custom_checks(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[CustomCheckListed]:
    """Every admin-defined check, by entry name (every signed-in person)."""
    return paginate([custom_check_listed(rule, entry) for rule, entry in catalogue.custom_checks(session)], page)


@api.delete("/cockpit/catalogue/{entry_id}/custom-check", status_code=204)
def delete_custom_check(session: SessionDep, actor: ApiUser, entry_id: IdPath) -> Response:
    """Remove the entry's admin-defined check (Product Ops and admins): the entry then has no data check."""
    catalogue.delete_custom_check(session=session, actor=actor, entry_id=entry_id)
    return Response(status_code=204)


@api.get("/cockpit/adoption", response_model=MatrixRead)
def read_matrix(
    session: SessionDep, actor: ApiUser, group_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> MatrixRead:
    """The adoption matrix (Product Ops, leaders, admins; a delivery manager gets their teams' rows)."""
    allowed = adoption.matrix_team_ids(session, actor)
    team_ids = allowed
    if group_id is not None:
        in_group = [t.id for t in get_group_or_raise(session=session, actor=actor, group_id=group_id).teams]
        team_ids = in_group if allowed is None else [t for t in allowed if t in in_group]
    result = adoption.matrix(session, team_ids=team_ids)
    return MatrixRead(
        entries=[EntryRead.model_validate(e) for e in result.entries],
        team_ids=[t.id for t in result.teams],
        team_names=[t.name for t in result.teams],
        cells=_cells(result),
    )


@api.get("/cockpit/adoption/trend", response_model=TrendRead)
def read_trend(
    request: Request, session: SessionDep, actor: ApiUser, months: Annotated[int, Query(ge=1, le=60)] = 12
) -> TrendRead:
    """Adoption over time, per entry and month (same audience as the matrix)."""
    allowed = adoption.matrix_team_ids(session, actor)
    trend = adoption.trend(session, team_ids=allowed, months=months, min_group_size=request.app.state.settings.min_group_size)
    return TrendRead(months=trend.months, shares=trend.shares, teams=trend.teams, min_group_size=trend.min_group_size)


def _team_practices(session: Session, team_id: int) -> TeamPractices:
    result = adoption.matrix(session, team_ids=[team_id])
    return TeamPractices(
        team_id=team_id,
        wip_limit=wip_limit_of(session, team_id),
        cells=_cells(result),
        history=[StateRead.model_validate(r) for r in adoption.history(session=session, team_id=team_id)],
    )


@api.get("/teams/{team_id}/practices", response_model=TeamPractices)
def read_team_practices(session: SessionDep, actor: ApiUser, team_id: IdPath) -> TeamPractices:
    """The team's tools and practices: current states, data checks, WIP limit and history."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    return _team_practices(session, team.id)


@api.post("/teams/{team_id}/practices", response_model=StateRead, status_code=201)
def set_team_state(body: StateWrite, session: SessionDep, actor: ApiUser, team_id: IdPath) -> StateRead:
    """Declare the team's state of one entry (its delivery manager, Product Ops, admins)."""
    row = adoption.set_state(
        session=session, actor=actor, team_id=team_id, entry_id=body.entry_id, state=body.state.value, note=body.note
    )
    return StateRead.model_validate(row)


@api.put("/teams/{team_id}/practices/wip-limit", response_model=TeamPractices)
def set_team_wip_limit(body: WipLimitWrite, session: SessionDep, actor: ApiUser, team_id: IdPath) -> TeamPractices:
    """Set or clear the team's WIP limit (its delivery manager, Product Ops, admins)."""
    adoption.set_wip_limit(session=session, actor=actor, team_id=team_id, wip_limit=body.wip_limit)
    return _team_practices(session, team_id)


@api.post("/teams/{team_id}/practices/held", response_model=HeldRead, status_code=201)
def record_held(body: HeldWrite, session: SessionDep, actor: ApiUser, team_id: IdPath) -> HeldRead:
    """Record a retro or health check the team held outside DeliveryOps (its delivery manager, Product Ops, admins)."""
    row = adoption.record_held(
        session=session, actor=actor, team_id=team_id, kind=body.kind.value, held_on=body.held_on, note=body.note
    )
    return HeldRead.model_validate(row)


@api.get("/teams/{team_id}/practices/held", response_model=Page[HeldRead])
def read_held(session: SessionDep, actor: ApiUser, page: Pagination, team_id: IdPath) -> Page[HeldRead]:
    """The team's sessions recorded as held outside DeliveryOps, newest first."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    return paginate([HeldRead.model_validate(r) for r in adoption.held_sessions(session=session, team_id=team.id)], page)


@api.put("/impediments/{impediment_id}/tool", response_model=ToolRead)
def set_impediment_tool(body: ToolWrite, session: SessionDep, actor: ApiUser, impediment_id: IdPath) -> ToolRead:
    """Name (or clear) the tool or practice an impediment concerns."""
    catalogue.link_impediment(session=session, actor=actor, impediment_id=impediment_id, entry_id=body.entry_id)
    entry = catalogue.entry_of_impediment(session, impediment_id)
    return ToolRead(impediment_id=impediment_id, entry=EntryRead.model_validate(entry) if entry else None)
