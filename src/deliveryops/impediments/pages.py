"""HTML pages: a team's impediment log, one impediment with its timeline and actions, the cross-team
queues, the daily digest of overdue impediments and the blocker-clustering report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.db import utcnow
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import blockers, clusters, impact, service
from deliveryops.impediments import tool_link as catalogue
from deliveryops.impediments.models import AffectedItem, Cluster, Event, Impediment, Level, Severity, Status
from deliveryops.impediments.queries import CLOSED, actor_names, open_at_level, report_period, visible_team_ids
from deliveryops.impediments.schemas import (
    CommentCreate,
    EscalationCreate,
    HandBackCreate,
    ImpedimentRaiseForm,
    ReportPeriod,
    ResolutionCreate,
    StatusUpdate,
)
from deliveryops.teams.models import Membership, Team, TeamRole
from deliveryops.teams.service import get_team_or_raise, list_teams, team_ids_of
from deliveryops.web.forms import FormInput, form_model, read_form
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, render
from deliveryops.work.models import BlockedInterval, WorkItem

__all__ = ["LogRow", "actor_names", "can_raise", "open_at_level", "report_period", "router", "visible_team_ids"]

router = APIRouter(include_in_schema=False)
register_nav("Impediments", "/impediments", order=14)

ImpedimentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
IntervalId = Annotated[int, Path(ge=1, le=2**63 - 1)]
CLUSTERS_PAGE = "/impediments/clusters"  # cluster_pages.py: one section per cluster, id "cluster-<id>"
M = TypeVar("M", bound=BaseModel)


def can_raise(session: Session, actor: User, team: Team) -> bool:
    """People in the team (its delivery manager too) and admins raise its impediments."""
    return actor.role is Role.ADMIN or team.id in team_ids_of(session, actor)


@dataclass
class LogRow:
    """An impediment with its time at the level against its service level, and what it costs."""

    impediment: Impediment
    team: Team
    working_days: int
    allowed_days: int | None
    overdue: bool
    blocked_days: float


def _rows(session: Session, impediments: list[Impediment], now: datetime) -> list[LogRow]:
    levels = service.service_levels(session)
    costs = impact.blocked_days(session, impediments, now=now)
    teams = (
        {team.id: team for team in session.scalars(select(Team).where(Team.id.in_({imp.team_id for imp in impediments})))}
        if impediments
        else {}
    )
    return [
        LogRow(
            imp,
            teams[imp.team_id],
            service.working_days_at_level(imp, now=now),
            levels.get((imp.level, imp.severity)),
            service.is_overdue(imp, levels, now=now),
            costs.get(imp.id, 0.0),
        )
        for imp in impediments
    ]


# Cross-team views. Declared before /impediments/{impediment_id}, which would otherwise match their paths.


def _open_by_team(session: Session, team_ids: list[int], now: datetime) -> dict[int, tuple[int, int]]:
    """Open and overdue impediments per team."""
    if not team_ids:
        return {}
    levels = service.service_levels(session)
    counts = dict.fromkeys(team_ids, (0, 0))
    for imp in session.scalars(select(Impediment).where(Impediment.team_id.in_(team_ids), Impediment.status.not_in(CLOSED))):
        open_count, overdue = counts[imp.team_id]
        counts[imp.team_id] = (open_count + 1, overdue + service.is_overdue(imp, levels, now=now))
    return counts


@router.get("/impediments", response_class=HTMLResponse)
def impediments_index(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """The Product Ops and leadership queues by impact, or the viewer's teams' logs."""
    now = utcnow()
    levels = service.service_levels(session)
    queues = []
    if actor.role.sees_all_teams:
        for level in (Level.PRODUCT_OPS, Level.LEADERSHIP):
            costs = impact.blocked_days(session, open_at_level(session, level), now=now)
            entries = service.queue(session=session, actor=actor, level=level, now=now, blocked_days=costs)
            queues.append((level, [(entry, levels.get((level, entry.impediment.severity))) for entry in entries]))
    cluster_ids = {entry.impediment.cluster_id for _level, rows in queues for entry, _allowed in rows} - {None}
    in_clusters = (
        {cluster.id: cluster for cluster in session.scalars(select(Cluster).where(Cluster.id.in_(cluster_ids)))}
        if cluster_ids
        else {}
    )
    teams = [] if actor.role.sees_all_teams else list_teams(session=session, actor=actor)
    return render(
        request,
        "impediments/index.html",
        {
            "queues": queues,
            "clusters": in_clusters,
            "teams": teams,
            "counts": _open_by_team(session, [team.id for team in teams], now),
        },
    )


def _delivery_managers(session: Session, team_ids: set[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    if team_ids:
        for team_id, name in session.execute(
            select(Membership.team_id, User.name)
            .join(User, User.id == Membership.user_id)
            .where(Membership.team_id.in_(team_ids), Membership.team_role == TeamRole.DELIVERY_MANAGER)
            .order_by(User.name)
        ):
            names.setdefault(team_id, []).append(name)
    return names


def _who_acts(row: LogRow, managers: dict[int, list[str]]) -> str:
    level = row.impediment.level
    if level is Level.TEAM:
        return f"{row.team.name} (anyone in the team)"
    if level is Level.DELIVERY_MANAGER:
        names = managers.get(row.team.id)
        return ", ".join(names) if names else f"{row.team.name} has no delivery manager: an admin should name one"
    return "Product Ops" if level is Level.PRODUCT_OPS else "Product leaders"


@router.get("/impediments/digest", response_class=HTMLResponse)
def digest(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Every open impediment past its service level, by level, with who should act."""
    now = utcnow()
    scope = visible_team_ids(session, actor)
    statement = select(Impediment).where(Impediment.status.not_in(CLOSED)).order_by(Impediment.id)
    if scope is not None:
        statement = statement.where(Impediment.team_id.in_(scope))
    rows = [row for row in _rows(session, list(session.scalars(statement)), now) if row.overdue]
    rows.sort(key=lambda row: (-(row.working_days - (row.allowed_days or 0)), row.impediment.id))
    managers = _delivery_managers(session, {row.team.id for row in rows if row.impediment.level is Level.DELIVERY_MANAGER})
    groups = [(level, [(row, _who_acts(row, managers)) for row in rows if row.impediment.level is level]) for level in Level]
    return render(
        request,
        "impediments/digest.html",
        {
            "groups": [group for group in groups if group[1]],
            "total": len(rows),
            "all_teams": scope is None,
            "today": now.date(),
        },
    )


@router.get("/impediments/reports", response_class=HTMLResponse)
def reports(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[ReportPeriod], form_model(ReportPeriod)],
) -> Response:
    """The blocker-clustering report of a period: categories, time at each level, open impediments per week."""
    now = utcnow()
    errors = dict(form.errors)
    values = {key: str(value) for key, value in form.values.items()}
    scope = visible_team_ids(session, actor)
    context: dict[str, Any] = {
        "errors": errors,
        "values": values,
        "report": None,
        "all_teams": scope is None,
        "teams": [] if scope is None else list_teams(session=session, actor=actor),
    }
    period: tuple[date, date] | None = None
    if form.model is not None:
        try:
            period = report_period(form.model.start, form.model.end, today=now.date())
        except ValidationFailedError as exc:
            errors.update(exc.fields)
    if errors or period is None:
        return render(request, "impediments/report.html", context, status_code=422)
    start_date, end_date = period
    data = impact.report(session, team_ids=scope, start=start_date, end=end_date, now=now)
    by_level = cast(dict[str, float | None], data["by_level"])
    context.update(
        report=data,
        start=start_date,
        end=end_date,
        values={"from": start_date.isoformat(), "to": end_date.isoformat()},
        by_level=[(level, by_level[level.value]) for level in Level if level.value in by_level],
    )
    return render(request, "impediments/report.html", context)


# The team log and raising.


def _raise_body(form: FormInput[ImpedimentRaiseForm]) -> ImpedimentRaiseForm:
    """The form's model; when some fields broke a rule, the model of the others (so the service marks its own mistakes too)."""
    if form.model is not None:
        return form.model
    rest = read_form(((key, str(value)) for key, value in form.values.items() if key not in form.errors), ImpedimentRaiseForm)
    return rest.model or ImpedimentRaiseForm()


def _log_page(
    request: Request,
    session: Session,
    actor: User,
    team: Team,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    rows = _rows(session, service.list_team(session=session, actor=actor, team_id=team.id), now)
    return render(
        request,
        "impediments/log.html",
        {
            "team": team,
            "open_rows": [r for r in rows if not r.impediment.status.is_closed],
            "closed_rows": [r for r in rows if r.impediment.status.is_closed],
            "categories": service.categories(session),
            "severities": list(Severity),
            "can_raise": can_raise(session, actor, team),
            "blocks": impact.unraised_blocked_items(session, team, now=now),
            "errors": errors or {},
            "block_proposals": blockers.proposals(session, team_ids={team.id}),
            "values": values or {"severity": Severity.MEDIUM.value},
            "message": message,
        },
        status_code=status_code,
    )


@router.get("/teams/{slug}/impediments", response_class=HTMLResponse)
def team_log(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """The team's impediments, open first, the raise form and long-blocked items nobody raised yet."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    blockers.propose_links(session, team_ids={team.id})  # until a job does it after each sync (blockers docstring)
    return _log_page(request, session, actor, team)


@router.post("/teams/{slug}/impediments", response_class=HTMLResponse)
def raise_impediment(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[ImpedimentRaiseForm], form_model(ImpedimentRaiseForm)],
) -> Response:
    """Raise an impediment; the form comes back with a message next to each bad field."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    if not can_raise(session, actor, team):
        raise PermissionDeniedError("Only people in the team can raise its impediments.")
    values = {key: str(value) for key, value in form.values.items()}
    errors = dict(form.errors)
    body = _raise_body(form)
    message = "Please correct the marked fields."
    try:
        # The service checks the other fields even when the form could not read one, so that every
        # mistake is marked at once; what it wrote is rolled back below.
        impediment = service.raise_(
            session=session,
            actor=actor,
            team_id=team.id,
            title=body.title,
            description=body.description,
            category_id=body.category_id,
            severity=body.severity,
            needed_by=body.needed_by,
            work_item_keys=body.work_item_keys,
        )
    except ValidationFailedError as exc:
        errors, message = {**exc.fields, **errors}, exc.message
    else:
        if body.tool_id is not None and not errors:
            try:  # the tool or practice it concerns (deliveryops.cockpit)
                catalogue.link_impediment(session=session, actor=actor, impediment_id=impediment.id, entry_id=body.tool_id)
            except ValidationFailedError:
                errors["tool_id"] = "Choose a tool or practice from the catalogue."
        if not errors:
            return RedirectResponse(f"/impediments/{impediment.id}", status_code=303)
    session.rollback()
    return _log_page(request, session, actor, team, errors=errors, values=values, message=message, status_code=422)


@router.post("/teams/{slug}/impediments/from-block/{interval_id}", response_class=HTMLResponse)
def raise_from_block(
    request: Request, slug: str, interval_id: IntervalId, session: SessionDep, actor: PageUser, _csrf: CsrfChecked
) -> Response:
    """One click: an impediment titled from the block's reason, with the blocked item linked."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    if not can_raise(session, actor, team):
        raise PermissionDeniedError("Only people in the team can raise its impediments.")
    found = session.execute(
        select(BlockedInterval, WorkItem)
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .where(BlockedInterval.id == interval_id, WorkItem.team_id == team.id)
    ).first()
    if found is None:
        raise NotFoundError(f"No blocked item with interval {interval_id} in {team.name}.")
    interval, item = found
    linked = session.scalar(
        select(Impediment).join(AffectedItem).where(AffectedItem.work_item_id == item.id, Impediment.team_id == team.id).limit(1)
    )
    if linked is not None:
        raise ConflictError(f"{item.external_key} is linked to an impediment already: {linked.title}.")
    other = next((c for c in service.categories(session) if c.name == "Other"), None)
    reason = " ".join(interval.reason.split())
    impediment = service.raise_(
        session=session,
        actor=actor,
        team_id=team.id,
        title=(reason or f"{item.external_key} is blocked")[:200],
        description=f"Raised from the block of {item.external_key} ({item.title}), blocked since "
        f"{interval.start.date().isoformat()}.",
        category_id=other.id if other else None,
        severity=Severity.MEDIUM,
        work_item_keys=[item.external_key],
    )
    # The block is what the impediment describes: its days count from the block's start.
    blockers.link_interval(session, actor=actor, interval_id=interval.id, impediment_id=impediment.id)
    return RedirectResponse(f"/impediments/{impediment.id}", status_code=303)


# One impediment.


def _label(value: str | None) -> str:
    if value is None:
        return ""
    for kind in (Level, Status):
        try:
            return str(kind(value).label)
        except ValueError:
            continue
    return value.replace("_", " ")


def describe(event: Event) -> str:
    """What an entry of the timeline says happened."""
    before, after = _label(event.from_value), _label(event.to_value)
    if event.kind == "raised":
        return f"Raised at the {after} level" if after else "Raised"
    if event.kind == "status":
        return f"Status {before} → {after}"
    if event.kind == "escalated":
        return f"Escalated from {before} to {after}"
    if event.kind == "handed_back":
        return f"Handed back from {before} to {after}"
    if event.kind == "resolved":
        return "Closed as won't fix" if event.to_value == Status.WONT_FIX.value else "Resolved"
    if event.kind == "comment":
        return "Commented"
    text = event.kind.replace("_", " ").capitalize()
    return f"{text}: {before} → {after}" if before and after else f"{text} {after}".strip()


def _cluster_href(request: Request, cluster_id: int) -> str | None:
    # The cluster page has its own router: link to it only where the app serves it.
    served = {str(getattr(route, "path", "")) for route in request.app.routes}
    return f"{CLUSTERS_PAGE}#cluster-{cluster_id}" if CLUSTERS_PAGE in served else None


def _detail_page(
    request: Request,
    session: Session,
    actor: User,
    impediment_id: int,
    *,
    failed: str | None = None,
    message: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    impediment = service.get_or_raise(session=session, actor=actor, impediment_id=impediment_id)
    now = utcnow()
    row = _rows(session, [impediment], now)[0]
    names = actor_names(session, impediment)
    item_ids = [link.work_item_id for link in impediment.items]
    items = (
        list(session.scalars(select(WorkItem).where(WorkItem.id.in_(item_ids)).order_by(WorkItem.external_key)))
        if item_ids
        else []
    )
    cluster = session.get(Cluster, impediment.cluster_id) if impediment.cluster_id is not None else None
    acts = service.can_act(session, actor, impediment) and not impediment.status.is_closed
    next_level = impediment.level.next() if acts else None
    previous_level = impediment.level.previous() if acts else None
    shown = (
        {"comment"}
        | ({"status", "resolve"} if acts else set())
        | ({"escalate"} if next_level else set())
        | ({"hand-back"} if previous_level else set())
    )
    similar = (
        []
        if impediment.status.is_closed or cluster
        else [
            (other, score, session.get(Team, other.team_id)) for other, score in clusters.similar_elsewhere(session, impediment)
        ]
    )
    sees_clusters = actor.role in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN)
    return render(
        request,
        "impediments/detail.html",
        {
            "imp": impediment,
            "row": row,
            "team": row.team,
            "items": items,
            "cluster": cluster,
            "similar": similar,
            "cluster_href": _cluster_href(request, cluster.id) if cluster and sees_clusters else None,
            "sees_clusters": sees_clusters,
            "visible_team_ids": visible_team_ids(session, actor),
            "timeline": [(event, names.get(event.actor_id or 0, "someone"), describe(event)) for event in impediment.events],
            "can_act": acts,
            "next_level": next_level,
            "levels_above": impediment.level.above() if next_level else [],
            "last_tried": service.last_tried(impediment),
            "previous_level": previous_level,
            "shown": shown,
            "failed": failed,
            "message": message,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/impediments/{impediment_id}", response_class=HTMLResponse)
def impediment_page(request: Request, impediment_id: ImpedimentId, session: SessionDep, actor: PageUser) -> Response:
    """One impediment: its timeline, affected items, cost, and what the viewer may do next."""
    return _detail_page(request, session, actor, impediment_id)


def _act(
    request: Request,
    session: Session,
    actor: User,
    impediment_id: int,
    form_name: str,
    form: FormInput[M],
    action: Callable[[M], object],
) -> Response:
    """Run ``action`` with the form's model; a refused form comes back with its messages beside its fields."""
    try:
        action(form.validated())
    except ValidationFailedError as exc:
        session.rollback()
        return _detail_page(
            request,
            session,
            actor,
            impediment_id,
            failed=form_name,
            message=exc.message,
            errors=exc.fields,
            values={key: str(value) for key, value in form.values.items()},
            status_code=422,
        )
    return RedirectResponse(f"/impediments/{impediment_id}", status_code=303)


@router.post("/impediments/{impediment_id}/status", response_class=HTMLResponse)
def change_status(
    request: Request,
    impediment_id: ImpedimentId,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[StatusUpdate], form_model(StatusUpdate)],
) -> Response:
    """Move between open and in progress."""
    impediment = service.get_or_raise(session=session, actor=actor, impediment_id=impediment_id)
    if not service.can_act(session, actor, impediment):
        raise PermissionDeniedError(f"At the {impediment.level.label} level, you cannot change this impediment.")

    def action(body: StatusUpdate) -> None:
        service.set_status(session=session, actor=actor, impediment_id=impediment_id, status=body.status)

    return _act(request, session, actor, impediment_id, "status", form, action)


@router.post("/impediments/{impediment_id}/escalate", response_class=HTMLResponse)
def escalate(
    request: Request,
    impediment_id: ImpedimentId,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[EscalationCreate], form_model(EscalationCreate)],
) -> Response:
    """Move up the ladder, to the level chosen, saying what was tried and what is needed."""

    def action(body: EscalationCreate) -> None:
        service.escalate(
            session=session, actor=actor, impediment_id=impediment_id, tried=body.tried, needed=body.needed, to=body.to
        )

    return _act(request, session, actor, impediment_id, "escalate", form, action)


@router.post("/impediments/{impediment_id}/hand-back", response_class=HTMLResponse)
def hand_back(
    request: Request,
    impediment_id: ImpedimentId,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[HandBackCreate], form_model(HandBackCreate)],
) -> Response:
    """Hand the impediment back one level down, with a reason."""

    def action(body: HandBackCreate) -> None:
        service.de_escalate(session=session, actor=actor, impediment_id=impediment_id, reason=body.reason)

    return _act(request, session, actor, impediment_id, "hand-back", form, action)


@router.post("/impediments/{impediment_id}/resolve", response_class=HTMLResponse)
def resolve(
    request: Request,
    impediment_id: ImpedimentId,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[ResolutionCreate], form_model(ResolutionCreate)],
) -> Response:
    """Resolve, or close as won't fix, with a note."""

    def action(body: ResolutionCreate) -> None:
        service.resolve(session=session, actor=actor, impediment_id=impediment_id, note=body.note, wont_fix=body.wont_fix)

    return _act(request, session, actor, impediment_id, "resolve", form, action)


@router.post("/impediments/{impediment_id}/comment", response_class=HTMLResponse)
def add_comment(
    request: Request,
    impediment_id: ImpedimentId,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[CommentCreate], form_model(CommentCreate)],
) -> Response:
    """Add a comment to the timeline."""

    def action(body: CommentCreate) -> None:
        service.comment(session=session, actor=actor, impediment_id=impediment_id, text=body.text)

    return _act(request, session, actor, impediment_id, "comment", form, action)
