"""HTML pages: the DORA index, team and group pages, CSV upload and webhook-source admin."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deliveryops import jobs
from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.analytics.dora import BAND_THRESHOLDS, hours_text
from deliveryops.dora import service
from deliveryops.dora.charts import dora_figures
from deliveryops.dora.csv_formats import COLUMNS, import_csv, preview_csv, upload_kind
from deliveryops.dora.import_jobs import import_job_of_team, start_import
from deliveryops.dora.ingest import ImportOutcome
from deliveryops.dora.schemas import ProductionEnvironments, ReportQuery, UploadOptions, WebhookSourceCreate
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.flow.service import today_in
from deliveryops.schemas import MAX_OFFSET
from deliveryops.teams.models import Team
from deliveryops.teams.service import get_group_or_raise, get_team_or_raise, list_groups, list_teams, team_ids_of
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, register_team_link, render
from deliveryops.work.models import PendingUpload

router = APIRouter(include_in_schema=False)

register_nav("DORA", "/dora", order=35)
register_team_link("DORA", "dora", order=25, section="/dora")

DRILL_PAGE = 25  # rows per page of the lists behind the numbers
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many rows of the list first")]
KEY_ROWS = (
    ("deployment_frequency", "Deployment frequency", "deployment-frequency"),
    ("lead_time", "Lead time for changes", "lead-time"),
    ("change_failure_rate", "Change failure rate", "change-failure-rate"),
    ("recovery_time", "Failed deployment recovery time", "recovery-time"),
)


ReportForm = Annotated[FormInput[ReportQuery], form_model(ReportQuery)]


def _period(form: FormInput[ReportQuery], today: date) -> tuple[date, date, str, dict[str, str]]:
    """The period asked for; a value that breaks a rule falls back to its default, with a message."""
    errors = dict(form.errors)
    asked = form.or_defaults(ReportQuery)
    start, end, period = asked.start, asked.end, asked.period
    try:
        first, last = service.default_period(today, start, end)
    except ValidationFailedError as exc:
        errors["from"] = next(iter(exc.fields.values()), exc.message)
        first, last = service.default_period(today, None, None)
    return first, last, period, errors


def _list_kind(request: Request) -> str:
    kind = request.query_params.get("list", "deployments")
    return kind if kind in service.DRILL_KINDS else "deployments"


def _context(report: service.DoraReport, request: Request, errors: dict[str, str], offset: int = 0) -> dict[str, Any]:
    kind = _list_kind(request)
    rows = service.drill_down(report, kind)
    offset = min(offset, max(len(rows) - 1, 0) // DRILL_PAGE * DRILL_PAGE)
    keys = report.keys
    query = {"from": report.start.isoformat(), "to": report.end.isoformat(), "period": report.period}
    return {
        "report": report,
        "keys": keys,
        "errors": errors,
        "figures": dora_figures(report.series, period=report.period),
        "thresholds": BAND_THRESHOLDS,
        "key_rows": KEY_ROWS,
        "kind": kind,
        "rows": rows[offset : offset + DRILL_PAGE],
        "row_count": len(rows),
        "offset": offset,
        "page_size": DRILL_PAGE,
        "query": query,
        "hours_text": hours_text,
        "has_data": not report.tables.deployments.is_empty(),
        "bands": {
            "deployment_frequency": keys.deployment_frequency_band,
            "lead_time": keys.lead_time_band,
            "change_failure_rate": keys.change_failure_rate_band,
            "recovery_time": keys.recovery_band,
        },
    }


@router.get("/dora", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """The teams and groups whose DORA keys the viewer may see, with the last 90 days' bands."""
    teams = list_teams(session=session, actor=actor)
    rows = []
    for team in teams:
        end = today_in(team)
        rows.append((team, service.team_keys(session, team_id=team.id, start=end - timedelta(days=89), end=end)))
    return render(request, "dora/index.html", {"rows": rows, "groups": list_groups(session=session, actor=actor)})


@router.get("/teams/{slug}/dora", response_class=HTMLResponse)
def team_page(
    request: Request, slug: str, session: SessionDep, actor: PageUser, form: ReportForm, offset: Offset = 0
) -> Response:
    """A team's four keys, bands, trends and the items behind them."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    start, end, period, errors = _period(form, today_in(team))
    report = service.team_report(session=session, actor=actor, team_id=team.id, start=start, end=end, period=period)
    context = _context(report, request, errors, offset)
    context.update(
        {
            "team": team,
            "group": None,
            "base_href": f"/teams/{team.slug}/dora",
            "can_upload": service.can_upload(session, actor, team),
        }
    )
    return render(request, "dora/summary.html", context, status_code=422 if errors else 200)


@router.get("/groups/{slug}/dora", response_class=HTMLResponse)
def group_page(
    request: Request, slug: str, session: SessionDep, actor: PageUser, form: ReportForm, offset: Offset = 0
) -> Response:
    """A group's roll-up of the four keys, and each team's."""
    group = get_group_or_raise(session=session, actor=actor, slug=slug)
    start, end, period, errors = _period(form, service.group_today(group))
    report = service.group_report(session=session, actor=actor, group_id=group.id, start=start, end=end, period=period)
    context = _context(report, request, errors, offset)
    visible = None if actor.role.sees_all_teams else team_ids_of(session, actor)
    context.update(
        {
            "team": None,
            "group": group,
            "base_href": f"/groups/{group.slug}/dora",
            "can_upload": False,
            "visible_team_ids": visible,
        }
    )
    return render(request, "dora/summary.html", context, status_code=422 if errors else 200)


def _upload_page(
    request: Request,
    session: SessionDep,
    actor: User,
    team: Team,
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    outcome: ImportOutcome | None = None,
    environments: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The upload page; ``environments`` holds the settings form's values as typed, to show again."""
    if not service.can_upload(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can upload DORA files.")
    return render(
        request,
        "dora/upload.html",
        {
            "team": team,
            "columns": COLUMNS,
            "errors": errors or {},
            "message": message,
            "conflicts": [*outcome.skipped, *outcome.moved] if outcome else [],
            "preview": bool(outcome and outcome.preview),
            "environments": (environments or {}).get("environments")
            or ", ".join(service.production_environments(session, team.id)),
        },
        status_code=status_code,
    )


@router.get("/teams/{slug}/dora/upload", response_class=HTMLResponse)
def upload_form(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """Upload deployments, changes or incidents as CSV, and set the production environment names."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    return _upload_page(request, session, actor, team)


@router.post("/teams/{slug}/dora/upload", response_class=HTMLResponse)
async def upload(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[UploadOptions], form_model(UploadOptions)],
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import one CSV file; a bad file imports nothing and names each line and column.

    Deployments and incidents that are already another team's are skipped and listed, or moved (and listed)
    when the form asks to and the user manages that team too. "Preview" shows the same and keeps nothing.
    The options are read as the API reads them (:class:`UploadOptions`); the file through FastAPI's ``File``.
    """
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    if not service.can_upload(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can upload DORA files.")
    try:
        options = form.validated()
        kind = upload_kind(options.kind)
    except ValidationFailedError as exc:
        return _upload_page(request, session, actor, team, errors=form.errors_with(exc), status_code=422)
    preview, move_from_other_teams = options.preview, options.move_from_other_teams
    data = await file.read() if file is not None else b""  # the app refuses bodies over the upload limit
    if not data:
        return _upload_page(request, session, actor, team, errors={"file": "Choose a CSV file."}, status_code=422)
    file_name = (file.filename if file else None) or ""
    if not preview and len(data) > request.app.state.settings.import_background_bytes:
        pending = PendingUpload(
            token=secrets.token_urlsafe(24),
            user_id=actor.id,
            team_id=team.id,
            file_name=(file_name or "upload.csv")[:255],
            content=data,
        )
        session.add(pending)
        job = start_import(session, actor=actor, team=team, pending=pending, kind=kind)
        return RedirectResponse(f"/teams/{team.slug}/dora/upload/jobs/{job.id}", status_code=303)
    try:
        outcome = await run_in_threadpool(
            partial(
                preview_csv if preview else import_csv,
                session,
                team=team,
                kind=kind,
                content=data,
                file_name=file_name,
                on_conflict="move" if move_from_other_teams else "skip",
                may_move_from=service.movable_from(session, actor),
            )
        )
    except ValidationFailedError as exc:
        session.rollback()
        return _upload_page(request, session, actor, team, errors={"file": exc.message}, status_code=422)
    return _upload_page(request, session, actor, team, message=outcome.summary(kind, "from the file"), outcome=outcome)


@router.get("/teams/{slug}/dora/upload/jobs/{job_id}", response_class=HTMLResponse)
def import_job_page(request: Request, slug: str, job_id: int, session: SessionDep, actor: PageUser) -> Response:
    """A background DORA import's progress, result or error, with a Cancel button while it runs."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    job = import_job_of_team(session, actor=actor, team=team, job_id=job_id)
    return render(request, "dora/import_job.html", {"team": team, "job": job})


@router.post("/teams/{slug}/dora/upload/jobs/{job_id}/cancel")
def cancel_import_job(
    request: Request, slug: str, job_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked
) -> Response:
    """Cancel a background DORA import: nothing of the file is written."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    job = import_job_of_team(session, actor=actor, team=team, job_id=job_id)
    if job.state in ("queued", "running"):
        jobs.cancel(session=session, job_id=job.id)
    return RedirectResponse(f"/teams/{team.slug}/dora/upload/jobs/{job.id}", status_code=303)


@router.post("/teams/{slug}/dora/settings", response_class=HTMLResponse)
def settings(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[ProductionEnvironments], form_model(ProductionEnvironments)],
) -> Response:
    """Set which environment names count as production (empty: production, prod)."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    try:
        typed = form.validated().environments
        names = service.set_production_environments(session=session, actor=actor, team_id=team.id, names=typed.split(","))
    except ValidationFailedError as exc:
        session.rollback()
        errors = form.errors_with(exc)
        return _upload_page(request, session, actor, team, errors=errors, environments=form.values, status_code=422)
    return _upload_page(request, session, actor, team, message=f"Production environments: {', '.join(names)}.")


def _webhooks_page(
    request: Request,
    session: SessionDep,
    actor: User,
    *,
    errors: dict[str, str] | None = None,
    created: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    sources = service.list_webhook_sources(session=session, actor=actor)
    teams = {team.id: team for team in list_teams(session=session, actor=actor)}
    return render(
        request,
        "dora/webhooks.html",
        {
            "sources": sources,
            "teams": teams,
            "errors": errors or {},
            "created": created,
            "base_url": str(request.base_url).rstrip("/"),
        },
        status_code=status_code,
    )


@router.get("/admin/dora/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Webhook sources: which tools may send deployments and incidents for which team (admins)."""
    return _webhooks_page(request, session, actor)


@router.post("/admin/dora/webhooks", response_class=HTMLResponse)
def create_webhook(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[WebhookSourceCreate], form_model(WebhookSourceCreate)],
) -> Response:
    """Create a webhook source and show its token once."""
    if actor.role is not Role.ADMIN:
        raise PermissionDeniedError("Only admins can manage webhook sources.")
    try:
        body = form.validated()
        row, token = service.create_webhook_source(session=session, actor=actor, team_id=body.team_id, name=body.name)
    except ValidationFailedError as exc:
        session.rollback()
        return _webhooks_page(request, session, actor, errors=form.errors_with(exc), status_code=422)
    return _webhooks_page(request, session, actor, created=(row.name, token), status_code=201)


@router.post("/admin/dora/webhooks/{webhook_source_id}/revoke", response_class=HTMLResponse)
def revoke_webhook(
    request: Request, webhook_source_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked
) -> Response:
    """Revoke a webhook source."""
    service.revoke_webhook_source(session=session, actor=actor, source_id=webhook_source_id)
    return RedirectResponse("/admin/dora/webhooks", status_code=303)
