"""HTML pages: a group's roadmap with its what-if (GET, nothing stored) and CSV; a team's calendar and roadmap plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import User
from deliveryops.charts import page_figure
from deliveryops.errors import ValidationFailedError
from deliveryops.roadmap import service
from deliveryops.roadmap.charts import roadmap_chart
from deliveryops.roadmap.engine import Absence, Rule, supported_countries
from deliveryops.roadmap.schemas import AbsenceCreate, CalendarUpdate, PlanForm, WhatIfForm, csv_response, keys_from_text
from deliveryops.teams.service import get_group_or_raise, get_team_or_raise
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_team_link, render

router = APIRouter(include_in_schema=False)
register_team_link("Calendar and plan", "calendar", order=55)

WhatIfQuery = Annotated[FormInput[WhatIfForm], form_model(WhatIfForm)]


@router.get("/groups/{slug}/roadmap", response_class=HTMLResponse)
def roadmap_page(request: Request, slug: str, session: SessionDep, actor: PageUser, form: WhatIfQuery) -> Response:
    """The group's roadmap; the what-if form (GET) shows another plan beside it without storing anything."""
    group = get_group_or_raise(session=session, actor=actor, slug=slug)
    errors = dict(form.errors)
    body = form.model or WhatIfForm()
    what_if: dict[int, service.TeamWhatIf] = {}
    if body.team.strip():
        what_if = _what_if(group.teams, body, errors)
    try:
        roadmap = service.group_roadmap(
            session=session,
            actor=actor,
            group_id=group.id,
            cut_date=None if errors else body.cut,
            what_if=None if errors else what_if,
        )
    except ValidationFailedError as exc:
        errors.update({k if k != "cut_date" else "cut": v for k, v in exc.fields.items()} or {"team": str(exc)})
        roadmap = service.group_roadmap(session=session, actor=actor, group_id=group.id)
    has_epics = any(lane.epics for lane in roadmap.teams)
    figures = []
    if has_epics:
        figures.append(page_figure("roadmap", roadmap_chart(roadmap.teams, cut_date=roadmap.cut_date)))
        if roadmap.what_if is not None:
            figures.append(
                page_figure(
                    "roadmap-what-if", roadmap_chart(roadmap.what_if, cut_date=roadmap.cut_date, title="What-if (not stored)")
                )
            )
    values = dict.fromkeys(WhatIfForm.model_fields, "") | {key: str(value) for key, value in form.values.items()}
    values["cut"] = values["cut"] or roadmap.cut_date.isoformat()
    compared = _compare(roadmap) if roadmap.what_if is not None else []
    return render(
        request,
        "roadmap/group.html",
        {
            "group": group,
            "roadmap": roadmap,
            "figures": figures,
            "values": values,
            "errors": errors,
            "rules": list(Rule),
            "compared": compared,
            "csv_href": f"/groups/{group.slug}/roadmap.csv?cut={roadmap.cut_date.isoformat()}",
        },
        status_code=422 if errors else 200,
    )


def _what_if(teams: list[Any], body: WhatIfForm, errors: dict[str, str]) -> dict[int, service.TeamWhatIf]:
    chosen = next((t for t in teams if str(t.id) == body.team.strip() or t.slug == body.team.strip()), None)
    if chosen is None:
        errors["team"] = "Choose a team of this group."
        return {}
    absences: tuple[Absence, ...] = ()
    start, end, percent = body.away_from, body.away_to, body.away_percent
    if percent is not None or start or end:
        if start is None or end is None or percent is None:
            errors["away_percent"] = "For an absence give a start, an end and a share of capacity from 1 to 100%."
        elif end < start:
            errors["away_to"] = "The end must be on or after the start."
        else:
            absences = (Absence(start, end, percent / 100),)
    keys = keys_from_text(body.order)
    return {
        chosen.id: service.TeamWhatIf(
            rule=Rule(body.rule) if body.rule else None,
            order=tuple(keys) if keys else None,
            shares=body.shares or None,
            absences=absences,
        )
    }


def _compare(roadmap: service.Roadmap) -> list[dict[str, Any]]:
    rows = []
    for stored, changed in zip(roadmap.teams, roadmap.what_if or [], strict=True):
        if not changed.changed:
            continue
        before = {e.key: e for e in stored.epics}
        for epic in changed.epics:
            old = before.get(epic.key)
            shift = (epic.p85 - old.p85).days if old and old.p85 and epic.p85 else None
            rows.append({"team": changed.team, "epic": epic, "old": old, "shift": shift})
    return rows


@router.get("/groups/{slug}/roadmap.csv")
def roadmap_csv_page(slug: str, session: SessionDep, actor: PageUser, form: WhatIfQuery) -> Response:
    """The group's roadmap as CSV (a cut date that is not a date: the default cut line)."""
    group = get_group_or_raise(session=session, actor=actor, slug=slug)
    cut = form.or_defaults(WhatIfForm).cut
    roadmap = service.group_roadmap(session=session, actor=actor, group_id=group.id, cut_date=cut)
    return csv_response(roadmap)


def _calendar_page(
    request: Request, session: Session, actor: User, slug: str, errors: dict[str, str], values: dict[str, str], status: int
) -> Response:
    team = service.read_team(session, actor, service.team_id_by_slug(session, slug))
    country, subdivision, holidays, absences = service.calendar_view(session, team)
    rule, stored = service.team_plan(session, team)
    lane = service.team_roadmap(session, team)
    order = " ".join(e.key for e in lane.epics)
    shares = ", ".join(f"{e.key}={stored.get(e.key, (0, None))[1]}" for e in lane.epics if stored.get(e.key, (0, None))[1])
    defaults = {"country": country or "", "subdivision": subdivision or "", "rule": rule.value, "order": order, "shares": shares}
    return render(
        request,
        "roadmap/calendar.html",
        {
            "team": team,
            "holidays": holidays,
            "absences": absences,
            "lane": lane,
            "values": {**defaults, **values},
            "errors": errors,
            "rules": list(Rule),
            "countries": supported_countries(),
            "can_edit": service.can_edit(session, actor, team),
        },
        status_code=status,
    )


def _save(
    request: Request,
    session: Session,
    actor: User,
    slug: str,
    errors: dict[str, str],
    values: dict[str, str],
    action: Callable[[], object],
) -> Response:
    """Run ``action`` unless the form already has errors; re-render the page with the errors, else go back to it."""
    if not errors:
        try:
            action()
        except ValidationFailedError as exc:
            session.rollback()
            errors = dict(exc.fields) or {"form": str(exc)}
    if errors:
        return _calendar_page(request, session, actor, slug, errors, values, 422)
    return RedirectResponse(f"/teams/{slug}/calendar", status_code=303)


@router.get("/teams/{slug}/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """The team's public holidays, planned absences and how its epics share its throughput."""
    return _calendar_page(request, session, actor, slug, {}, {}, 200)


@router.post("/teams/{slug}/calendar", response_class=HTMLResponse)
def calendar_save(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[CalendarUpdate], form_model(CalendarUpdate)],
) -> Response:
    """Set the public-holiday country and subdivision."""
    team = service.team_for_edit(session, actor, get_team_or_raise(session=session, actor=actor, slug=slug).id)
    values = {key: str(value) for key, value in form.values.items()}

    def save() -> object:
        body = form.validated()  # never raises here: _save runs it only when the form has no errors
        return service.set_calendar(
            session=session, actor=actor, team_id=team.id, country=body.country, subdivision=body.subdivision
        )

    return _save(request, session, actor, slug, dict(form.errors), values, save)


@router.post("/teams/{slug}/absences", response_class=HTMLResponse)
def absence_add(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[AbsenceCreate], form_model(AbsenceCreate)],
) -> Response:
    """Plan an absence as a share of capacity."""
    team = service.team_for_edit(session, actor, get_team_or_raise(session=session, actor=actor, slug=slug).id)
    values = {key: str(value) for key, value in form.values.items()}

    def save() -> object:
        body = form.validated()  # never raises here: _save runs it only when the form has no errors
        return service.add_absence(
            session=session, actor=actor, team_id=team.id, start=body.start, end=body.end, percent=body.percent, note=body.note
        )

    return _save(request, session, actor, slug, dict(form.errors), values, save)


@router.post("/teams/{slug}/absences/{absence_id}/delete")
def absence_delete(slug: str, absence_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Remove a planned absence."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    service.delete_absence(session=session, actor=actor, team_id=team.id, absence_id=absence_id)
    return RedirectResponse(f"/teams/{slug}/calendar", status_code=303)


@router.post("/teams/{slug}/roadmap-plan", response_class=HTMLResponse)
def plan_save(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[PlanForm], form_model(PlanForm)],
) -> Response:
    """Store the rule, priority order and shares of the team's open epics."""
    team = service.team_for_edit(session, actor, get_team_or_raise(session=session, actor=actor, slug=slug).id)
    values = {key: str(value) for key, value in form.values.items()}

    def save() -> object:
        body = form.validated()  # never raises here: _save runs it only when the form has no errors
        return service.set_plan(
            session=session,
            actor=actor,
            team_id=team.id,
            rule=Rule(body.rule),
            order=keys_from_text(body.order),
            shares=body.shares,
        )

    return _save(request, session, actor, slug, dict(form.errors), values, save)
