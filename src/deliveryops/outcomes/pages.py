"""HTML pages: objectives per group and team, a key result's page, KPI series, decision briefs, CSV export."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.charts import page_figure
from deliveryops.cockpit.digest.models import LeadershipQuestion
from deliveryops.cockpit.leadership.service import current_quarter, decide_question
from deliveryops.db import utcnow
from deliveryops.errors import ValidationFailedError
from deliveryops.outcomes import decisions, lead, service
from deliveryops.outcomes import series as kpi
from deliveryops.outcomes.charts import key_result_figure
from deliveryops.outcomes.export import objectives_csv
from deliveryops.outcomes.models import KpiSeries, LinkKind, Objective, SourceKind
from deliveryops.outcomes.schemas import (
    BriefUpdate,
    EvidenceCreate,
    KeyResultCreate,
    KeyResultUpdate,
    LinkCreate,
    ObjectiveCreate,
    ObjectiveUpdate,
    QuestionDecision,
    SeriesCreate,
)
from deliveryops.teams.models import Group, Team
from deliveryops.teams.service import list_groups, list_teams
from deliveryops.web.form_pages import form_page, submit_form
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
register_nav("Outcomes", "/outcomes", order=11)
__all__ = ["lead", "router"]  # importing lead registers the leadership pack's outcomes panel

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
ObjectiveForm = Annotated[FormInput[ObjectiveCreate], form_model(ObjectiveCreate)]
KeyResultForm = Annotated[FormInput[KeyResultCreate], form_model(KeyResultCreate)]
ObjectiveEditForm = Annotated[FormInput[ObjectiveUpdate], form_model(ObjectiveUpdate)]
KeyResultEditForm = Annotated[FormInput[KeyResultUpdate], form_model(KeyResultUpdate)]
LinkForm = Annotated[FormInput[LinkCreate], form_model(LinkCreate)]
SeriesForm = Annotated[FormInput[SeriesCreate], form_model(SeriesCreate)]
BriefForm = Annotated[FormInput[BriefUpdate], form_model(BriefUpdate)]
EvidenceForm = Annotated[FormInput[EvidenceCreate], form_model(EvidenceCreate)]


DecideForm = Annotated[FormInput[QuestionDecision], form_model(QuestionDecision)]
METRICS = {
    "throughput": "Throughput (items per week)",
    "cycle_time_p85": "85th percentile cycle time (days)",
    "wip": "Average WIP (items)",
    "flow_efficiency": "Flow efficiency (%)",
    "blocked_days": "Blocked time (days per week)",
    "deployment_frequency": "DORA: deployment frequency (per week)",
    "lead_time": "DORA: lead time for changes (weekly median, hours)",
    "change_failure_rate": "DORA: change failure rate (% per week)",
    "time_to_restore": "DORA: time to restore (weekly median, hours)",
    "health_card": "Health-check card score (0–100 per round)",
}


def _editable_scopes(session: Session, actor: User) -> tuple[list[Group], list[Team]]:
    groups = [
        g for g in list_groups(session=session, actor=actor) if kpi.can_edit_scope(session, actor, group_id=g.id, team_id=None)
    ]
    teams = [
        t for t in list_teams(session=session, actor=actor) if kpi.can_edit_scope(session, actor, group_id=None, team_id=t.id)
    ]
    return groups, teams


def _people(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))


def _list_page(
    request: Request, session: Session, actor: User, period: str, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    today = utcnow().date()
    rows = service.list_objectives(session=session, actor=actor, period=period or None)
    objectives = [service.objective_read(session, row, today=today) for row in rows]
    groups, teams = _editable_scopes(session, actor)
    return form_page(
        request,
        "outcomes/list.html",
        {
            "objectives": objectives,
            "period": period,
            "groups": groups,
            "teams": teams,
            "people": _people(session) if groups or teams else [],
        },
        values,
        errors,
        status,
    )


@router.get("/outcomes", response_class=HTMLResponse)
def list_page(
    request: Request, session: SessionDep, actor: PageUser, period: Annotated[str | None, Query(max_length=30)] = None
) -> Response:
    """Objectives per group and team for a period (default: the current quarter), key results measured."""
    chosen = current_quarter(utcnow().date()) if period is None else period.strip()
    try:
        return _list_page(request, session, actor, chosen, {}, {}, 200)
    except ValidationFailedError as exc:
        return _list_page(request, session, actor, "", {"period": chosen}, {"period": exc.fields.get("period", exc.message)}, 422)


@router.post("/outcomes/objectives", response_class=HTMLResponse)
def create_objective_page(request: Request, session: SessionDep, actor: PageUser, form: ObjectiveForm) -> Response:
    """Set an objective; errors re-render beside each field."""
    return submit_form(
        session,
        form,
        lambda body: service.create_objective(session=session, actor=actor, body=body, today=utcnow().date()),
        done=lambda row: f"/outcomes/objectives/{row.id}",
        again=partial(_list_page, request, session, actor, ""),
    )


@router.get("/outcomes/export.csv")
def export_csv(session: SessionDep, actor: PageUser, period: Annotated[str | None, Query(max_length=30)] = None) -> Response:
    """The objectives you may read, one row per key result, as CSV."""
    today = utcnow().date()
    rows = service.list_objectives(session=session, actor=actor, period=period or None)
    text = objectives_csv([service.objective_read(session, row, today=today) for row in rows])
    return Response(text, media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="objectives.csv"'})


def _objective_page(
    request: Request,
    session: Session,
    actor: User,
    objective: Objective,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int,
    edit: tuple[dict[str, Any], dict[str, str]] = ({}, {}),
) -> Response:
    read = service.objective_read(session, objective, today=utcnow().date())
    editable = kpi.can_edit_scope(session, actor, group_id=objective.group_id, team_id=objective.team_id)
    return form_page(
        request,
        "outcomes/objective.html",
        {
            "o": read,
            "editable": editable,
            "series": kpi.list_(session=session, actor=actor) if editable else [],
            "teams": list_teams(session=session, actor=actor) if editable else [],
            "people": _people(session) if editable else [],
            "metrics": METRICS,
            "sources": list(SourceKind),
            "edit_values": edit[0],
            "edit_errors": edit[1],
        },
        values,
        errors,
        status,
    )


@router.get("/outcomes/objectives/{objective_id}", response_class=HTMLResponse)
def objective_page(request: Request, session: SessionDep, actor: PageUser, objective_id: IdPath) -> Response:
    """One objective and its key results; its editors add key results."""
    objective = service.get_objective_or_raise(session=session, actor=actor, objective_id=objective_id)
    return _objective_page(request, session, actor, objective, {}, {}, 200)


@router.post("/outcomes/objectives/{objective_id}/key-results", response_class=HTMLResponse)
def add_key_result_page(
    request: Request, session: SessionDep, actor: PageUser, objective_id: IdPath, form: KeyResultForm
) -> Response:
    """Add a key result; errors re-render beside each field."""
    objective = service.get_objective_or_raise(session=session, actor=actor, objective_id=objective_id, edit=True)

    def again(values: dict[str, Any], errors: dict[str, str], status: int) -> Response:
        objective = service.get_objective_or_raise(session=session, actor=actor, objective_id=objective_id)
        return _objective_page(request, session, actor, objective, values, errors, status)

    return submit_form(
        session,
        form,
        lambda body: service.add_key_result(session=session, actor=actor, objective=objective, body=body),
        done=lambda row: f"/outcomes/key-results/{row.id}",
        again=again,
    )


@router.post("/outcomes/objectives/{objective_id}/edit", response_class=HTMLResponse)
def edit_objective_page(
    request: Request, session: SessionDep, actor: PageUser, objective_id: IdPath, form: ObjectiveEditForm
) -> Response:
    """Change an objective's title, description, period or owner; errors re-render beside each field."""
    objective = service.get_objective_or_raise(session=session, actor=actor, objective_id=objective_id, edit=True)

    def again(values: dict[str, Any], errors: dict[str, str], status: int) -> Response:
        objective = service.get_objective_or_raise(session=session, actor=actor, objective_id=objective_id)
        return _objective_page(request, session, actor, objective, {}, {}, status, edit=(values, errors))

    return submit_form(
        session,
        form,
        lambda body: service.update_objective(session=session, actor=actor, objective=objective, body=body),
        done=f"/outcomes/objectives/{objective_id}",
        again=again,
    )


@router.post("/outcomes/objectives/{objective_id}/delete")
def delete_objective_page(session: SessionDep, actor: PageUser, objective_id: IdPath, _csrf: CsrfChecked) -> Response:
    """Delete an objective with its key results and their links."""
    objective = service.get_objective_or_raise(session=session, actor=actor, objective_id=objective_id, edit=True)
    period = objective.period
    service.delete_objective(session=session, actor=actor, objective=objective)
    return RedirectResponse(f"/outcomes?{urlencode({'period': period})}", status_code=303)


def _key_result_page(
    request: Request,
    session: Session,
    actor: User,
    key_result_id: int,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int,
    edit: tuple[dict[str, Any], dict[str, str]] = ({}, {}),
) -> Response:
    row = service.get_key_result_or_raise(session=session, actor=actor, key_result_id=key_result_id)
    detail = service.key_result_detail(session, row, today=utcnow().date())
    objective = row.objective
    editable = kpi.can_edit_scope(session, actor, group_id=objective.group_id, team_id=objective.team_id)
    return form_page(
        request,
        "outcomes/key_result.html",
        {
            "kr": detail,
            "objective": objective,
            "figure": page_figure("key-result", key_result_figure(detail)) if row.source is not SourceKind.EXPERIMENT else None,
            "editable": editable,
            "kinds": list(LinkKind),
            "people": _people(session) if editable else [],
            "edit_values": edit[0],
            "edit_errors": edit[1],
        },
        values,
        errors,
        status,
    )


@router.get("/outcomes/key-results/{key_result_id}", response_class=HTMLResponse)
def key_result_page(request: Request, session: SessionDep, actor: PageUser, key_result_id: IdPath) -> Response:
    """A key result: its series chart, progress, verdict and confidence, linked work with forecasts, experiments."""
    return _key_result_page(request, session, actor, key_result_id, {}, {}, 200)


@router.post("/outcomes/key-results/{key_result_id}/links", response_class=HTMLResponse)
def link_page(request: Request, session: SessionDep, actor: PageUser, key_result_id: IdPath, form: LinkForm) -> Response:
    """Link an epic, experiment, improvement action or dependency."""
    row = service.get_key_result_or_raise(session=session, actor=actor, key_result_id=key_result_id, edit=True)
    return submit_form(
        session,
        form,
        lambda body: service.add_link(session=session, actor=actor, key_result=row, body=body),
        done=f"/outcomes/key-results/{key_result_id}#links",
        again=partial(_key_result_page, request, session, actor, key_result_id),
    )


@router.post("/outcomes/key-results/{key_result_id}/edit", response_class=HTMLResponse)
def edit_key_result_page(
    request: Request, session: SessionDep, actor: PageUser, key_result_id: IdPath, form: KeyResultEditForm
) -> Response:
    """Change a key result's title, owner, baseline, target or direction; errors re-render beside each field."""
    row = service.get_key_result_or_raise(session=session, actor=actor, key_result_id=key_result_id, edit=True)
    return submit_form(
        session,
        form,
        lambda body: service.update_key_result(session=session, actor=actor, row=row, body=body),
        done=f"/outcomes/key-results/{key_result_id}",
        again=lambda values, errors, status: _key_result_page(
            request, session, actor, key_result_id, {}, {}, status, edit=(values, errors)
        ),
    )


@router.post("/outcomes/key-results/{key_result_id}/delete")
def delete_key_result_page(session: SessionDep, actor: PageUser, key_result_id: IdPath, _csrf: CsrfChecked) -> Response:
    """Delete a key result and its links."""
    row = service.get_key_result_or_raise(session=session, actor=actor, key_result_id=key_result_id, edit=True)
    objective_id = row.objective_id
    service.delete_key_result(session=session, actor=actor, row=row)
    return RedirectResponse(f"/outcomes/objectives/{objective_id}", status_code=303)


def _series_page(
    request: Request, session: Session, actor: User, values: dict[str, Any], errors: dict[str, str], status: int, token: str = ""
) -> Response:
    groups, teams = _editable_scopes(session, actor)
    rows = kpi.list_(session=session, actor=actor)
    return form_page(
        request,
        "outcomes/series.html",
        {
            "series": [
                (kpi.read(session, s), kpi.can_edit_scope(session, actor, group_id=s.group_id, team_id=s.team_id)) for s in rows
            ],
            "groups": groups,
            "teams": teams,
            "can_create": bool(groups or teams) or actor.role in (Role.LEADER, Role.PRODUCT_OPS, Role.ADMIN),
            "token": token,
        },
        values,
        errors,
        status,
    )


@router.get("/outcomes/series", response_class=HTMLResponse)
def series_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """The KPI series you may read; their editors add series and upload values."""
    return _series_page(request, session, actor, {}, {}, 200)


@router.post("/outcomes/series", response_class=HTMLResponse)
def create_series_page(request: Request, session: SessionDep, actor: PageUser, form: SeriesForm) -> Response:
    """Add a KPI series; its webhook token is shown once on the page that follows."""
    return submit_form(
        session,
        form,
        lambda body: kpi.create(session=session, actor=actor, body=body),
        done=lambda created: _series_page(request, session, actor, {}, {}, 201, token=created[1]),
        again=partial(_series_page, request, session, actor),
    )


@router.post("/outcomes/series/{series_id}/values", response_class=HTMLResponse)
async def upload_values_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    series_id: IdPath,
    _csrf: CsrfChecked,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Upload date,value lines as CSV (all or nothing; errors name the line and column)."""
    row = kpi.get_or_raise(session=session, actor=actor, series_id=series_id, edit=True)
    try:
        if file is None or not file.filename:
            raise ValidationFailedError("Choose a CSV file to upload.", fields={"file": "Choose a CSV file."})
        text = (await file.read()).decode("utf-8", errors="replace")
        kpi.write_values(session, row, kpi.parse_csv(text))
    except ValidationFailedError as exc:
        session.rollback()
        return _series_page(request, session, actor, {"series_id": series_id}, {f"file-{series_id}": exc.message}, 422)
    return RedirectResponse(f"/outcomes/series#series-{series_id}", status_code=303)


@router.get("/outcomes/decisions", response_class=HTMLResponse)
def decisions_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Questions to leadership: waiting for a decision, decided with a follow-up due, and the rest."""
    decisions.require_readers(actor)
    today = utcnow().date()
    rows = list(
        session.scalars(select(LeadershipQuestion).order_by(LeadershipQuestion.created_at.desc(), LeadershipQuestion.id.desc()))
    )
    return render(
        request,
        "outcomes/decisions.html",
        {
            "briefs": [decisions.brief_read(session, q, today=today) for q in rows],
            "waiting": decisions.waiting(session, today=today),
        },
    )


def _decision_page(
    request: Request, session: Session, actor: User, question_id: int, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    question = decisions.get_question_or_raise(session=session, actor=actor, question_id=question_id)
    brief = decisions.brief_read(session, question, today=utcnow().date())
    return form_page(
        request,
        "outcomes/decision.html",
        {
            "b": brief,
            "can_edit": actor.role in decisions.EDITORS,
            "can_decide": actor.role in (Role.LEADER, Role.PRODUCT_OPS, Role.ADMIN),
            "series": list(session.scalars(select(KpiSeries).order_by(KpiSeries.name))),
            "metrics": METRICS,
            "teams": list_teams(session=session, actor=actor),
        },
        values,
        errors,
        status,
    )


@router.get("/outcomes/decisions/{question_id}", response_class=HTMLResponse)
def decision_page(request: Request, session: SessionDep, actor: PageUser, question_id: IdPath) -> Response:
    """A decision brief: the question, options, evidence, recommendation, decision, expected effect and follow-up."""
    return _decision_page(request, session, actor, question_id, {}, {}, 200)


@router.post("/outcomes/decisions/{question_id}", response_class=HTMLResponse)
def write_brief_page(request: Request, session: SessionDep, actor: PageUser, question_id: IdPath, form: BriefForm) -> Response:
    """Write the brief (Product Ops, admins); errors re-render beside each field."""
    return submit_form(
        session,
        form,
        lambda body: decisions.update_brief(session=session, actor=actor, question_id=question_id, body=body),
        done=f"/outcomes/decisions/{question_id}",
        again=partial(_decision_page, request, session, actor, question_id),
    )


@router.post("/outcomes/decisions/{question_id}/evidence", response_class=HTMLResponse)
def add_evidence_page(
    request: Request, session: SessionDep, actor: PageUser, question_id: IdPath, form: EvidenceForm
) -> Response:
    """Attach evidence from a page (Product Ops, admins)."""
    return submit_form(
        session,
        form,
        lambda body: decisions.add_evidence(session=session, actor=actor, question_id=question_id, body=body),
        done=f"/outcomes/decisions/{question_id}#evidence",
        again=lambda values, errors, status: _decision_page(
            request, session, actor, question_id, values, {f"evidence_{k}": v for k, v in errors.items()}, status
        ),
    )


@router.post("/outcomes/decisions/{question_id}/decide", response_class=HTMLResponse)
def decide_page(request: Request, session: SessionDep, actor: PageUser, question_id: IdPath, form: DecideForm) -> Response:
    """Record leadership's decision (leaders, Product Ops, admins)."""
    decisions.get_question_or_raise(session=session, actor=actor, question_id=question_id)
    return submit_form(
        session,
        form,
        lambda body: decide_question(session=session, actor=actor, question_id=question_id, decision=body.decision),
        done=f"/outcomes/decisions/{question_id}",
        again=partial(_decision_page, request, session, actor, question_id),
    )
