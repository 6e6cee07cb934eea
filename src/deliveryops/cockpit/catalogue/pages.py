"""HTML pages: the catalogue of tools and practices, the adoption matrix, a team's practices tab.

Who sees what (docs/tools-and-practices.md): the catalogue, everyone signed in; the matrix, Product
Ops, leaders, admins, and delivery managers for their own teams' rows; a team's practices tab, the
team's viewers, with its delivery manager, Product Ops and admins setting states.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from deliveryops.accounts.dependencies import PageUser, Viewer
from deliveryops.accounts.models import Role, User
from deliveryops.charts import page_figure
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.adoption.charts import trend_figure
from deliveryops.cockpit.adoption.checks import CheckResult, run_check, wip_limit_of
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.catalogue.schemas import EntryWrite, HeldWrite, StateWrite, ToolWrite, WipLimitWrite
from deliveryops.cockpit.models import (
    PRACTICE_CATEGORIES,
    TOOL_CATEGORIES,
    AdoptionLevel,
    CatalogueEntry,
    DataCheck,
    EntryKind,
    HeldKind,
    Signal,
)
from deliveryops.cockpit.rollouts.stored import entry_results
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments.models import Impediment
from deliveryops.impediments.tool_link import register_tool_linker
from deliveryops.teams.models import Group, Team
from deliveryops.teams.service import get_team_or_raise, list_groups, list_teams, team_ids_of
from deliveryops.web.forms import FormInput, form_model, form_values
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import register_nav, register_team_link, render, templates

__all__ = ["guide_blocks", "router"]

router = APIRouter(include_in_schema=False)
register_nav("Practices", "/cockpit/catalogue", order=60)
register_team_link("Practices", "practices", order=70, section="/cockpit/catalogue")
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
EntryForm = Annotated[FormInput[EntryWrite], form_model(EntryWrite)]
StateForm = Annotated[FormInput[StateWrite], form_model(StateWrite)]
HeldForm = Annotated[FormInput[HeldWrite], form_model(HeldWrite)]
WipLimitForm = Annotated[FormInput[WipLimitWrite], form_model(WipLimitWrite)]
ToolForm = Annotated[FormInput[ToolWrite], form_model(ToolWrite)]


def guide_blocks(text: str) -> list[tuple[str, list[str]]]:
    """Split a plain-text or light Markdown guide into paragraphs and bullet lists (rendered escaped).

    Args:
        text: the guide; blank lines separate blocks, lines starting with "- " or "* " are bullets.

    Returns:
        ("p", [lines]) or ("ul", [items]) blocks.
    """
    blocks: list[tuple[str, list[str]]] = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.rstrip() for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.lstrip().startswith(("- ", "* ")) for line in lines):
            blocks.append(("ul", [line.lstrip()[2:].strip() for line in lines]))
        else:
            blocks.append(("p", [line.lstrip("# ").strip() if line.startswith("#") else line for line in lines]))
    return blocks


def _people(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))


def _sees_matrix(session: Session, actor: User) -> bool:
    try:
        adoption.matrix_team_ids(session, actor)
    except PermissionDeniedError:
        return False
    return True


# The catalogue.


def _list_page(
    request: Request,
    session: Session,
    actor: User,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    entries = catalogue.list_entries(session=session)
    owners = {
        u.id: u.name
        for u in session.scalars(select(User).where(User.id.in_({e.owner_id for e in entries if e.owner_id is not None})))
    }
    shares: dict[int, float | None] = {}
    if actor.role.sees_all_teams:
        states = adoption.current_states(session)
        teams = list(session.scalars(select(Team.id)))
        for entry in entries:
            # A roll-up over fewer teams than the minimum group size is hidden.
            shares[entry.id] = adoption.adopted_share(
                (states[(t, entry.id)].state if (t, entry.id) in states else AdoptionLevel.NOT_STARTED for t in teams),
                min_group_size=request.app.state.settings.min_group_size,
            )
    return render(
        request,
        "cockpit/catalogue_list.html",
        {
            "entries": entries,
            "owners": owners,
            "shares": shares,
            "can_edit": catalogue.can_edit(actor),
            "sees_matrix": _sees_matrix(session, actor),
            "people": _people(session),
            "kinds": list(EntryKind),
            "checks": list(DataCheck),
            "tool_categories": TOOL_CATEGORIES,
            "practice_categories": PRACTICE_CATEGORIES,
            "errors": errors or {},
            "values": values or {"kind": "tool"},
            "message": message,
        },
        status_code=status_code,
    )


@router.get("/cockpit/catalogue", response_class=HTMLResponse)
def catalogue_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """The tools and practices the organisation supports, each with an owner and a guide."""
    return _list_page(request, session, actor)


@router.post("/cockpit/catalogue", response_class=HTMLResponse)
def create_entry(request: Request, session: SessionDep, actor: PageUser, form: EntryForm) -> Response:
    """Add a tool or practice (Product Ops and admins)."""
    catalogue.require_editor(actor)
    try:
        # The form has no "active" box: a new entry is active.
        entry = catalogue.create(session=session, actor=actor, **form.validated().model_dump(mode="json", exclude={"active"}))
    except ValidationFailedError as exc:
        session.rollback()
        return _list_page(
            request, session, actor, errors=form.errors_with(exc), values=form.values, message=exc.message, status_code=422
        )
    return RedirectResponse(f"/cockpit/catalogue/{entry.id}", status_code=303)


def _detail_page(
    request: Request,
    session: Session,
    actor: User,
    entry: CatalogueEntry,
    *,
    editing: bool = False,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    teams = list_teams(session=session, actor=actor)
    visible = None if actor.role.sees_all_teams else {t.id for t in teams}
    states = adoption.current_states(session, team_ids=[t.id for t in teams])
    rows = []
    for team in teams:
        state = states.get((team.id, entry.id))
        check = run_check(session, team, entry.data_check, entry_id=entry.id) if entry.data_check else None
        rows.append((team, state, check))
    owner = session.get(User, entry.owner_id) if entry.owner_id else None
    custom = catalogue.custom_check_of(session, entry.id)
    custom_values = (
        {"signal": custom.signal.value, "threshold": f"{custom.threshold:g}", "window_days": str(custom.window_days)}
        if custom
        else {"signal": Signal.DEPLOYMENTS_PER_WEEK.value, "threshold": "1", "window_days": "28"}
    )
    current = form_values(EntryWrite.model_validate(entry, from_attributes=True))
    return render(
        request,
        "cockpit/catalogue_detail.html",
        {
            "entry": entry,
            "owner": owner,
            "guide": guide_blocks(entry.guide),
            "rows": rows,
            "usage": catalogue.impediments_of(session, entry.id, team_ids=visible),
            "team_names": {t.id: t.name for t in teams},
            "sees_clusters": actor.role in (Role.PRODUCT_OPS, Role.ADMIN, Role.LEADER),
            "can_edit": catalogue.can_edit(actor),
            "editing": editing,
            "people": _people(session),
            "kinds": list(EntryKind),
            "checks": list(DataCheck),
            "tool_categories": TOOL_CATEGORIES,
            "practice_categories": PRACTICE_CATEGORIES,
            "errors": errors or {},
            "values": values or current,
            "message": message,
            "retro_team_ids": team_ids_of(session, actor),
            "custom": custom,
            "custom_values": custom_values,
            "signals": list(Signal),
            "rollout_results": entry_results(session, entry.id) if actor.role.sees_all_teams else None,
        },
        status_code=status_code,
    )


@router.get("/cockpit/catalogue/{entry_id}", response_class=HTMLResponse)
def entry_page(request: Request, entry_id: IdPath, session: SessionDep, actor: PageUser) -> Response:
    """One tool or practice: its guide, owner, adoption by team, and the impediments that name it."""
    return _detail_page(request, session, actor, catalogue.get_or_raise(session=session, entry_id=entry_id))


@router.get("/cockpit/catalogue/{entry_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, entry_id: IdPath, session: SessionDep, actor: PageUser) -> Response:
    """The edit form of an entry (Product Ops and admins)."""
    catalogue.require_editor(actor)
    return _detail_page(request, session, actor, catalogue.get_or_raise(session=session, entry_id=entry_id), editing=True)


@router.post("/cockpit/catalogue/{entry_id}", response_class=HTMLResponse)
def update_entry(request: Request, entry_id: IdPath, session: SessionDep, actor: PageUser, form: EntryForm) -> Response:
    """Save an entry's changes (Product Ops and admins)."""
    catalogue.require_editor(actor)
    entry = catalogue.get_or_raise(session=session, entry_id=entry_id)
    try:
        catalogue.update(session=session, actor=actor, entry_id=entry.id, **form.validated().model_dump(mode="json"))
    except ValidationFailedError as exc:
        session.rollback()
        entry = catalogue.get_or_raise(session=session, entry_id=entry_id)
        return _detail_page(
            request,
            session,
            actor,
            entry,
            editing=True,
            errors=form.errors_with(exc),
            values=form.values,
            message=exc.message,
            status_code=422,
        )
    return RedirectResponse(f"/cockpit/catalogue/{entry.id}", status_code=303)


# The adoption matrix.


@router.get("/cockpit/adoption", response_class=HTMLResponse)
def adoption_page(
    request: Request, session: SessionDep, actor: PageUser, group: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    """Teams × tools and practices: declared states, data checks and adoption over time."""
    allowed = adoption.matrix_team_ids(session, actor)
    groups = list_groups(session=session, actor=actor)
    chosen: Group | None = next((g for g in groups if g.slug == group), None) if group else None
    if group and chosen is None:
        raise NotFoundError(f"No group {group!r}.")
    team_ids = allowed
    if chosen is not None:
        in_group = [t.id for t in chosen.teams]
        team_ids = in_group if allowed is None else [t for t in allowed if t in in_group]
    result = adoption.matrix(session, team_ids=team_ids)
    trend = adoption.trend(
        session, team_ids=[t.id for t in result.teams], min_group_size=request.app.state.settings.min_group_size
    )
    figures = [
        page_figure(
            f"adoption-{kind.value}",
            trend_figure(trend, [e for e in result.entries if e.kind is kind], title=f"Adoption of {kind.value}s over time"),
        )
        for kind in EntryKind
    ]
    return render(
        request,
        "cockpit/adoption_matrix.html",
        {
            "matrix": result,
            "groups": groups,
            "chosen": chosen,
            "figures": figures,
            "trend": trend,
            "dm_view": allowed is not None,
            "levels": list(AdoptionLevel),
        },
    )


# A team's practices tab.


def _team_page(
    request: Request,
    session: Session,
    actor: User,
    team: Team,
    *,
    errors: dict[str, str] | None = None,
    failed: str | None = None,
    values: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    result = adoption.matrix(session, team_ids=[team.id])
    names = {
        u.id: u.name
        for u in session.scalars(
            select(User).where(User.id.in_({row.set_by_id for row in result.states.values() if row.set_by_id is not None}))
        )
    }
    entries = {e.id: e for e in catalogue.list_entries(session=session)}
    return render(
        request,
        "cockpit/practices_team.html",
        {
            "team": team,
            "matrix": result,
            "names": names,
            "can_set": adoption.can_set(session, actor, team),
            "levels": list(AdoptionLevel),
            "history": adoption.history(session=session, team_id=team.id)[:30],
            "entries": entries,
            "wip_limit": wip_limit_of(session, team.id),
            "held": adoption.held_sessions(session=session, team_id=team.id)[:10],
            "held_kinds": list(HeldKind),
            "errors": errors or {},
            "failed": failed,
            "values": values or {},
            "message": message,
            "retro_team_ids": team_ids_of(session, actor),
        },
        status_code=status_code,
    )


@router.get("/teams/{slug}/practices", response_class=HTMLResponse)
def team_practices(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """The team's tools and practices: declared state, the data's view, and history."""
    return _team_page(request, session, actor, get_team_or_raise(session=session, actor=actor, slug=slug))


def _settable_team(session: Session, actor: User, slug: str, what: str) -> Team:
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    if not adoption.can_set(session, actor, team):
        raise PermissionDeniedError(f"Only the team's delivery manager, Product Ops and admins can {what}.")
    return team


@router.post("/teams/{slug}/practices", response_class=HTMLResponse)
def set_team_state(request: Request, slug: str, session: SessionDep, actor: PageUser, form: StateForm) -> Response:
    """Declare where the team stands with one tool or practice."""
    team = _settable_team(session, actor, slug, "set its adoption of tools and practices")
    try:
        body = form.validated()
        adoption.set_state(session=session, actor=actor, team_id=team.id, **body.model_dump(mode="json"))
    except ValidationFailedError as exc:
        session.rollback()
        return _team_page(
            request,
            session,
            actor,
            team,
            errors=form.errors_with(exc),
            failed=str(form.values.get("entry_id", "")),
            values=form.values,
            message=exc.message,
            status_code=422,
        )
    return RedirectResponse(f"/teams/{team.slug}/practices#entry-{body.entry_id}", status_code=303)


@router.post("/teams/{slug}/practices/held", response_class=HTMLResponse)
def record_held(request: Request, slug: str, session: SessionDep, actor: PageUser, form: HeldForm) -> Response:
    """Record a retro or health check the team held outside DeliveryOps."""
    team = _settable_team(session, actor, slug, "record a held session")
    try:
        body = form.validated()
        adoption.record_held(
            session=session, actor=actor, team_id=team.id, kind=body.kind.value, held_on=body.held_on, note=body.note
        )
    except ValidationFailedError as exc:
        session.rollback()
        return _team_page(
            request,
            session,
            actor,
            team,
            errors=form.errors_with(exc),
            failed="held",
            values=form.values,
            message=exc.message,
            status_code=422,
        )
    return RedirectResponse(f"/teams/{team.slug}/practices#held", status_code=303)


@router.post("/teams/{slug}/practices/wip-limit", response_class=HTMLResponse)
def set_team_wip_limit(request: Request, slug: str, session: SessionDep, actor: PageUser, form: WipLimitForm) -> Response:
    """Set the team's WIP limit, which the WIP limits check compares against."""
    team = _settable_team(session, actor, slug, "set its WIP limit")
    try:
        adoption.set_wip_limit(session=session, actor=actor, team_id=team.id, wip_limit=form.validated().wip_limit)
    except ValidationFailedError as exc:
        session.rollback()
        return _team_page(
            request,
            session,
            actor,
            team,
            errors=form.errors_with(exc),
            failed="wip",
            values=form.values,
            message=exc.message,
            status_code=422,
        )
    return RedirectResponse(f"/teams/{team.slug}/practices#wip-limit", status_code=303)


# Impediments that name a tool or practice.


@router.post("/impediments/{impediment_id}/tool", response_class=HTMLResponse)
def name_tool(impediment_id: IdPath, session: SessionDep, actor: PageUser, form: ToolForm) -> Response:
    """Name (or clear) the tool or practice an impediment concerns."""
    entry_id = form.validated().entry_id
    catalogue.link_impediment(session=session, actor=actor, impediment_id=impediment_id, entry_id=entry_id)
    return RedirectResponse(f"/impediments/{impediment_id}#tool", status_code=303)


def impediment_tool(impediment: Impediment, viewer: Viewer | None = None) -> dict[str, Any]:
    """For the impediment page (a template global): the named tool, and the choices if the viewer may change it."""
    session = object_session(impediment)
    if session is None:
        return {"entry": None, "choices": []}
    actor = session.get(User, viewer.id) if viewer is not None else None
    may_link = actor is not None and catalogue.can_link(session, actor, impediment)
    return {
        "entry": catalogue.entry_of_impediment(session, impediment.id),
        "choices": catalogue.list_entries(session=session, active_only=True) if may_link else [],
    }


def catalogue_choices(team: Team) -> list[CatalogueEntry]:
    """For the raise form: the active tools and practices (a template global)."""
    session = object_session(team)
    return catalogue.list_entries(session=session, active_only=True) if session is not None else []


def check_class(result: CheckResult | None) -> str:
    """The badge colour of a data check's result."""
    if result is None or result.confirmed is None:
        return "band-none"
    return "band-green" if result.confirmed else "band-red"


def state_class(level: AdoptionLevel) -> str:
    """The badge colour of a declared state."""
    return {"adopted": "band-green", "trying": "band-amber"}.get(level.value, "band-none")


def _short_date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


templates.env.globals.update(
    impediment_tool=impediment_tool, catalogue_choices=catalogue_choices, check_class=check_class, state_class=state_class
)
register_tool_linker(catalogue.link_impediment)  # the raise form's choice of tool (deliveryops.impediments)
templates.env.filters["short_date"] = _short_date
