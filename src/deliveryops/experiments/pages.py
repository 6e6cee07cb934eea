"""HTML pages of experiments: the library, the form, the detail page with its checks, review,
statistics upload, results and decision, the power calculator, the portfolio and the methods."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from deliveryops import jobs
from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.analytics.experiments import Correction, Method
from deliveryops.charts import page_figure
from deliveryops.db import utcnow
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.experiments import analysis, charts, service
from deliveryops.experiments.jobs import import_job_of_experiment
from deliveryops.experiments.models import Decision, Experiment, ExperimentStatus, MetricRole
from deliveryops.experiments.schemas import (
    DecisionIn,
    ExperimentCreate,
    ExperimentDesign,
    ExperimentFilter,
    ExperimentUpdate,
    LearningsIn,
    LibraryQuery,
    PortfolioQuery,
    PowerQuery,
    ResultsQuery,
    ReviewIn,
    StatisticsUploadOptions,
    TransitionIn,
)
from deliveryops.experiments.uploads import csv_import, read_upload, start_background_import
from deliveryops.schemas import PageParams
from deliveryops.teams.models import Membership, Team
from deliveryops.teams.service import get_team_or_raise, list_teams
from deliveryops.web.forms import FormInput, form_model, form_values
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, register_team_link, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
register_nav("Experiments", "/experiments", order=17)
register_team_link("Experiments", "experiments", order=60, section="/experiments")

STEPS = list(ExperimentStatus)
METHOD_LABELS = {
    "frequentist": "Frequentist (fixed horizon)",
    "sequential": "Sequential (always valid)",
    "bayesian": "Bayesian (Gaussian prior)",
}
CORRECTION_LABELS = {"none": "None", "holm": "Holm (family-wise)", "bh": "Benjamini–Hochberg (false discovery)"}
LIBRARY_PAGE = PageParams(limit=200)
SPARE_VARIATION_ROWS = 1
SPARE_METRIC_ROWS = 2
CreateForm = Annotated[FormInput[ExperimentCreate], form_model(ExperimentCreate)]
UpdateForm = Annotated[FormInput[ExperimentUpdate], form_model(ExperimentUpdate)]
PowerForm = Annotated[FormInput[PowerQuery], form_model(PowerQuery)]
DecisionForm = Annotated[FormInput[DecisionIn], form_model(DecisionIn)]
TransitionForm = Annotated[FormInput[TransitionIn], form_model(TransitionIn)]
ReviewForm = Annotated[FormInput[ReviewIn], form_model(ReviewIn)]
LearningsForm = Annotated[FormInput[LearningsIn], form_model(LearningsIn)]
UploadForm = Annotated[FormInput[StatisticsUploadOptions], form_model(StatisticsUploadOptions)]
LibraryForm = Annotated[FormInput[LibraryQuery], form_model(LibraryQuery)]
ResultsForm = Annotated[FormInput[ResultsQuery], form_model(ResultsQuery)]
PortfolioForm = Annotated[FormInput[PortfolioQuery], form_model(PortfolioQuery)]
LIBRARY_FIELDS = ("q", "status", "tag", "metric", "decision", "team")


def _padded(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values with spare rows, so that people without JavaScript can add a variation or metrics."""
    variations = [dict(v) for v in values.get("variations") or [] if isinstance(v, dict)]
    metrics = [dict(m) for m in values.get("metrics") or [] if isinstance(m, dict)]
    if variations and not any(v.get("is_control") for v in variations):
        variations[0]["is_control"] = True
    variations += [{"name": "", "weight": "1", "is_control": False} for _ in range(SPARE_VARIATION_ROWS)]
    for _ in range(SPARE_METRIC_ROWS):
        role = "secondary" if metrics else "primary"
        metrics.append({"name": "", "kind": "proportion", "role": role, "higher_is_better": True})
    return {**values, "variations": variations, "metrics": metrics}


def _editable_teams(session: SessionDep, actor: User) -> list[Team]:
    return [t for t in list_teams(session=session, actor=actor) if service.can_edit(session, actor, t.id)]


def _reviewers(session: SessionDep, team_id: int | None) -> list[User]:
    """People who can be named reviewer: Product Ops and the team's people."""
    people = list(session.scalars(select(User).where(User.role == Role.PRODUCT_OPS, User.is_active)))
    if team_id is not None:
        people += list(
            session.scalars(
                select(User).join(Membership, Membership.user_id == User.id).where(Membership.team_id == team_id, User.is_active)
            )
        )
    unique = {p.id: p for p in people}
    return sorted(unique.values(), key=lambda p: p.name)


# --- library ------------------------------------------------------------------------------------------


def _library(
    request: Request, session: SessionDep, actor: PageUser, *, team: Team | None, form: FormInput[LibraryQuery]
) -> Response:
    """The library; a filter that breaks a rule is left out (the others still apply)."""
    query = form.or_defaults(LibraryQuery)
    teams = list_teams(session=session, actor=actor)
    chosen_team = team or next((t for t in teams if t.slug == query.team), None)
    filters = ExperimentFilter(**query.model_dump(exclude={"team", "team_id"}), team_id=chosen_team.id if chosen_team else None)
    experiments, _total = service.search(session=session, actor=actor, filters=filters, page=LIBRARY_PAGE)
    names = {t.id: t for t in teams}
    shown = {key: str(form.values.get(key) or "") for key in LIBRARY_FIELDS}
    return render(
        request,
        "experiments/list.html",
        {
            "team": team,
            "experiments": experiments,
            "teams": teams,
            "team_names": names,
            "statuses": list(ExperimentStatus),
            "decisions": list(Decision),
            "tags": service.all_tags(session=session, actor=actor),
            "filters": shown,
            "errors": form.errors,
            "filtered": any(shown.values()),
            "can_create": bool(_editable_teams(session, actor)) if team is None else service.can_edit(session, actor, team.id),
            "portfolio_visible": actor.role in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN),
        },
    )


@router.get("/experiments", response_class=HTMLResponse)
def library_page(request: Request, session: SessionDep, actor: PageUser, form: LibraryForm) -> Response:
    """The library: every experiment of the teams you see, searchable by hypothesis, metric, team, tag, learning."""
    return _library(request, session, actor, team=None, form=form)


@router.get("/teams/{slug}/experiments", response_class=HTMLResponse)
def team_page(request: Request, slug: str, session: SessionDep, actor: PageUser, form: LibraryForm) -> Response:
    """One team's experiments."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    return _library(request, session, actor, team=team, form=form)


# --- create and edit ----------------------------------------------------------------------------------


def _form(
    request: Request,
    session: SessionDep,
    actor: User,
    *,
    experiment: Experiment | None,
    teams: list[Team],
    team_id: int | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "experiments/form.html",
        {
            "experiment": experiment,
            "teams": teams,
            "team_id": team_id,
            "values": values,
            "errors": errors,
            "reviewers": _reviewers(session, team_id),
            "methods": METHOD_LABELS,
            "corrections": CORRECTION_LABELS,
            "locked": experiment is not None and experiment.status not in service.DESIGN_STATUSES,
        },
        status_code=status_code,
    )


@router.get("/experiments/new", response_class=HTMLResponse)
def new_page(
    request: Request, session: SessionDep, actor: PageUser, team: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    """The form to register an experiment."""
    teams = _editable_teams(session, actor)
    if not teams:
        raise PermissionDeniedError("You are in no team, so there is no team to register an experiment for.")
    chosen = next((t for t in teams if t.slug == team), teams[0])
    values = _padded(form_values(ExperimentDesign.model_construct()))
    return _form(request, session, actor, experiment=None, teams=teams, team_id=chosen.id, values=values, errors={})


@router.post("/experiments/new", response_class=HTMLResponse)
def create(request: Request, session: SessionDep, actor: PageUser, form: CreateForm) -> Response:
    """Register the experiment as a draft and open it."""
    try:
        body = form.validated()
        experiment = service.create(session=session, actor=actor, team_id=body.team_id, design=body)
    except ValidationFailedError as exc:
        session.rollback()
        teams = _editable_teams(session, actor)
        chosen = str(form.values.get("team_id") or "").strip()
        team_id = next((t.id for t in teams if str(t.id) == chosen), None)
        errors = form.errors_with(exc)
        values = _padded(form.values)
        return _form(
            request, session, actor, experiment=None, teams=teams, team_id=team_id, values=values, errors=errors, status_code=422
        )
    return RedirectResponse(f"/experiments/{experiment.id}", status_code=303)


@router.get("/experiments/power", response_class=HTMLResponse)
def power_page(request: Request, actor: PageUser, form: PowerForm) -> Response:
    """The power calculator: sample size from the MDE, the MDE from a sample size, duration from traffic."""
    values = {**form_values(PowerQuery()), "baseline": "", **form.values}
    errors, result = dict(form.errors), None
    if form.values.get("baseline") and form.model is not None and not errors:  # a baseline asks the question
        try:
            result = service.calculate_power(form.model)
        except ValidationFailedError as exc:
            errors = exc.fields
    return render(
        request,
        "experiments/power.html",
        {"values": values, "errors": errors, "result": result},
        status_code=422 if errors else 200,
    )


@router.get("/experiments/portfolio", response_class=HTMLResponse)
def portfolio_page(request: Request, session: SessionDep, actor: PageUser, form: PortfolioForm) -> Response:
    """Experiments by team and status, and how well good practice is followed (Product Ops, leaders)."""
    service.portfolio_allowed(actor)
    errors = form.errors
    period = form.or_defaults(PortfolioQuery)
    result = service.portfolio(session, start=period.start, end=period.end)
    return render(
        request,
        "experiments/portfolio.html",
        {
            "portfolio": result,
            "statuses": list(ExperimentStatus),
            "values": {"from": "", "to": "", **form.values},
            "errors": errors,
            "figure": page_figure("portfolio", charts.portfolio_figure(result)) if result.rows else None,
        },
        status_code=422 if errors else 200,
    )


@router.get("/experiments/methods", response_class=HTMLResponse)
def methods_page(request: Request, actor: PageUser) -> Response:
    """How each analysis method works and what it assumes."""
    return render(request, "experiments/methods.html", {})


# --- one experiment -----------------------------------------------------------------------------------


def _detail(
    request: Request,
    session: SessionDep,
    actor: User,
    experiment: Experiment,
    *,
    method: Method | None = None,
    correction: Correction | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    message: str | None = None,
) -> Response:
    team = get_team_or_raise(session=session, actor=actor, team_id=experiment.team_id)
    results = None
    figures: list[dict[str, Any]] = []
    if experiment.status not in service.DESIGN_STATUSES:
        results = analysis.analyse_experiment(
            session=session,
            actor=actor,
            experiment_id=experiment.id,
            method=method,
            correction=correction,
            today=utcnow().date(),
        )
        if results.analysis is not None:
            figures.append(
                page_figure("forest", charts.forest_figure(results.results, method=results.method, alpha=experiment.alpha))
            )
            for metric in experiment.metrics:
                if metric.role in (MetricRole.PRIMARY, MetricRole.GUARDRAIL):
                    figures.append(
                        page_figure(
                            f"over-time-{metric.id}",
                            charts.over_time_figure(results.over_time, metric=metric.name, method=results.method),
                        )
                    )
    people = {
        u.id: u
        for u in session.scalars(
            select(User).where(
                User.id.in_(
                    {h.actor_id for h in experiment.history if h.actor_id}
                    | {experiment.reviewer_id or 0, experiment.approved_by_id or 0, experiment.created_by_id or 0}
                )
            )
        )
    }
    return render(
        request,
        "experiments/detail.html",
        {
            "experiment": experiment,
            "team": team,
            "checks": service.prelaunch_checks(experiment),
            "steps": STEPS,
            "next_statuses": [s for s in service.ALLOWED_TRANSITIONS[experiment.status] if s is not ExperimentStatus.DECIDED],
            "can_edit": service.can_edit(session, actor, experiment),
            "can_approve": service.can_approve(actor, experiment),
            "people": people,
            "results": results,
            "figures": figures,
            "methods": METHOD_LABELS,
            "corrections": CORRECTION_LABELS,
            "decisions": list(Decision),
            "errors": errors or {},
            "values": values or {},
            "message": message,
        },
        status_code=status_code,
    )


@router.get("/experiments/{experiment_id}", response_class=HTMLResponse)
def detail_page(request: Request, experiment_id: int, session: SessionDep, actor: PageUser, form: ResultsForm) -> Response:
    """An experiment: status, pre-launch checklist, review, statistics, results, decision and learnings."""
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    chosen = form.or_defaults(ResultsQuery)  # an unknown method or correction: the experiment's own
    return _detail(request, session, actor, experiment, method=chosen.method, correction=chosen.correction)


@router.get("/experiments/{experiment_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, experiment_id: int, session: SessionDep, actor: PageUser) -> Response:
    """The form to change an experiment."""
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    if not service.can_edit(session, actor, experiment):
        raise PermissionDeniedError("Only the team's people, Product Ops and admins change its experiments.")
    team = get_team_or_raise(session=session, actor=actor, team_id=experiment.team_id)
    values = _padded(form_values(service.design_of(experiment)))
    return _form(request, session, actor, experiment=experiment, teams=[team], team_id=team.id, values=values, errors={})


@router.post("/experiments/{experiment_id}/edit", response_class=HTMLResponse)
def edit(request: Request, experiment_id: int, session: SessionDep, actor: PageUser, form: UpdateForm) -> Response:
    """Save the changes."""
    service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    try:
        service.update(session=session, actor=actor, experiment_id=experiment_id, change=form.validated())
    except ValidationFailedError as exc:
        session.rollback()
        experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
        return _form(
            request,
            session,
            actor,
            experiment=experiment,
            teams=[],
            team_id=experiment.team_id,
            values=_padded(form.values),
            errors=form.errors_with(exc),
            status_code=422,
        )
    return RedirectResponse(f"/experiments/{experiment_id}", status_code=303)


def _failed(
    request: Request,
    session: SessionDep,
    actor: User,
    experiment_id: int,
    exc: ValidationFailedError,
    values: dict[str, str] | None = None,
) -> Response:
    session.rollback()
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    return _detail(request, session, actor, experiment, errors=exc.fields, values=values, status_code=422, message=exc.message)


@router.post("/experiments/{experiment_id}/transition", response_class=HTMLResponse)
def move(request: Request, experiment_id: int, session: SessionDep, actor: PageUser, form: TransitionForm) -> Response:
    """Move the experiment to its next status (running needs the pre-launch checks)."""
    try:
        body = form.validated()
        service.transition(session=session, actor=actor, experiment_id=experiment_id, to=body.to, note=body.note)
    except ValidationFailedError as exc:
        return _failed(request, session, actor, experiment_id, exc)
    return RedirectResponse(f"/experiments/{experiment_id}", status_code=303)


@router.post("/experiments/{experiment_id}/review", response_class=HTMLResponse)
def review(request: Request, experiment_id: int, session: SessionDep, actor: PageUser, form: ReviewForm) -> Response:
    """Approve, or send back to draft with what should change."""
    try:
        body = form.validated()
        service.review(session=session, actor=actor, experiment_id=experiment_id, approve=body.approve, note=body.note)
    except ValidationFailedError as exc:
        return _failed(request, session, actor, experiment_id, exc, values={"note": str(form.values.get("note") or "")})
    return RedirectResponse(f"/experiments/{experiment_id}", status_code=303)


@router.post("/experiments/{experiment_id}/statistics", response_class=HTMLResponse)
async def upload(
    request: Request,
    experiment_id: int,
    session: SessionDep,
    actor: PageUser,
    form: UploadForm,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import the statistics CSV (all or nothing; errors name the line and column)."""
    try:
        chosen_period = form.validated().period
        if file is None or not file.filename:
            raise ValidationFailedError("Choose a CSV file to upload.", fields={"file": "Choose a CSV file."})
        data = await read_upload(file)
        if len(data) > request.app.state.settings.import_background_bytes:
            job = start_background_import(session, actor, experiment_id, data, file.filename, chosen_period)
            return RedirectResponse(f"/experiments/{experiment_id}/statistics/jobs/{job.id}", status_code=303)
        summary = await run_in_threadpool(  # off the event loop: other requests go on while a large file imports
            csv_import, session, actor, experiment_id, data, file.filename, chosen_period
        )
    except ValidationFailedError as exc:
        return _failed(request, session, actor, experiment_id, exc)
    return RedirectResponse(f"/experiments/{experiment_id}?imported={summary.snapshots}#results", status_code=303)


@router.get("/experiments/{experiment_id}/statistics/jobs/{job_id}", response_class=HTMLResponse)
def statistics_job_page(request: Request, experiment_id: int, job_id: int, session: SessionDep, actor: PageUser) -> Response:
    """A background statistics import's progress, result or error, with a Cancel button while it runs."""
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    job = import_job_of_experiment(session, actor=actor, experiment=experiment, job_id=job_id)
    return render(request, "experiments/import_job.html", {"experiment": experiment, "job": job})


@router.post("/experiments/{experiment_id}/statistics/jobs/{job_id}/cancel")
def cancel_statistics_job(
    request: Request, experiment_id: int, job_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked
) -> Response:
    """Cancel a background statistics import: nothing of the file is written."""
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    job = import_job_of_experiment(session, actor=actor, experiment=experiment, job_id=job_id)
    if job.state in ("queued", "running"):
        jobs.cancel(session=session, job_id=job.id)
    return RedirectResponse(f"/experiments/{experiment.id}/statistics/jobs/{job.id}", status_code=303)


@router.post("/experiments/{experiment_id}/decision", response_class=HTMLResponse)
def decide(request: Request, experiment_id: int, session: SessionDep, actor: PageUser, form: DecisionForm) -> Response:
    """Record ship, iterate or stop with the rationale and learnings."""
    try:
        body = form.validated()
        service.decide(
            session=session,
            actor=actor,
            experiment_id=experiment_id,
            decision=body.decision,
            rationale=body.rationale,
            learnings=body.learnings,
        )
    except ValidationFailedError as exc:
        fields = form.errors_with(exc)
        failed = ValidationFailedError(" ".join(dict.fromkeys(fields.values())), fields=fields)
        values = {key: str(value) for key, value in form.values.items()}
        return _failed(request, session, actor, experiment_id, failed, values=values)
    return RedirectResponse(f"/experiments/{experiment_id}", status_code=303)


@router.post("/experiments/{experiment_id}/learnings", response_class=HTMLResponse)
def learnings(request: Request, experiment_id: int, session: SessionDep, actor: PageUser, form: LearningsForm) -> Response:
    """Update what was learnt (any time: learnings often come later)."""
    try:
        change = ExperimentUpdate(learnings=form.validated().learnings)
        service.update(session=session, actor=actor, experiment_id=experiment_id, change=change)
    except ValidationFailedError as exc:
        return _failed(request, session, actor, experiment_id, exc, values={"learnings": str(form.values.get("learnings") or "")})
    return RedirectResponse(f"/experiments/{experiment_id}#learnings", status_code=303)


@router.post("/experiments/{experiment_id}/delete")
def remove(request: Request, experiment_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Delete a draft."""
    try:
        service.delete(session=session, actor=actor, experiment_id=experiment_id)
    except ValidationFailedError as exc:
        return _failed(request, session, actor, experiment_id, exc)
    return RedirectResponse("/experiments", status_code=303)
