"""HTML pages: connections (admins), testing them, starting and following syncs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role
from deliveryops.accounts.service import require_role
from deliveryops.connectors.github_deployments import (
    DeploymentLineError,
    format_deployment_sources,
    parse_deployment_sources,
)
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.connectors.registry import available
from deliveryops.errors import ConflictError, ValidationFailedError
from deliveryops.settings import Settings
from deliveryops.sync import service, source_forms
from deliveryops.sync.models import Connection
from deliveryops.sync.schemas import ConnectionNumbers
from deliveryops.sync.source_forms import SourceFields
from deliveryops.teams.models import Team
from deliveryops.teams.service import list_teams
from deliveryops.web.forms import read_form
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import render

router = APIRouter(include_in_schema=False)


def _key(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.resolved_secret_key()


def _hosts(request: Request) -> HostPolicy:
    settings: Settings = request.app.state.settings
    return HostPolicy.from_settings(settings)


def _list_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    connections = service.list_(session=session, actor=actor)
    last_runs = {
        c.id: next(iter(service.runs_of(session=session, actor=actor, connection_id=c.id, limit=1)), None) for c in connections
    }
    teams = {t.id: t for t in list_teams(session=session, actor=actor)}
    return render(
        request,
        "sync/connections.html",
        {
            "connections": connections,
            "last_runs": last_runs,
            "teams": teams,
            "kinds": service.kinds(),
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/admin/connections", response_class=HTMLResponse)
def connections_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Every connection with its last sync, and a form to add one."""
    return _list_page(request, session, actor)


_FORM_FIELDS = (
    "base_url",
    "email",
    "projects",
    "repositories",
    "deployments",
    "incident_label",
    "incident_issue_types",
    "incident_labels",
    "incident_severity_field",
    "incidents_only",
    "action_issue_type",
    *source_forms.FIELD_NAMES,
)


def _settings_from_form(kind: str, form: dict[str, str]) -> dict[str, Any]:
    """The connector settings of the add form; a deployments line that cannot be read raises, naming it."""

    def listed(text: str) -> list[str]:
        return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]

    if kind in source_forms.SOURCE_KINDS:
        return source_forms.settings_for(kind, form)
    settings: dict[str, Any] = {"base_url": form["base_url"].strip()}
    incidents_only = form.get("incidents_only") == "on"
    if kind.startswith("jira"):
        settings["projects"] = listed(form["projects"])
        if kind == "jira-cloud":
            settings["email"] = form["email"].strip()
        settings["incident_issue_types"] = listed(form.get("incident_issue_types", ""))
        settings["incident_labels"] = listed(form.get("incident_labels", ""))
        settings["incident_severity_field"] = form.get("incident_severity_field", "").strip() or None
        settings["incidents_as_work_items"] = not incidents_only
        settings["action_issue_type"] = form.get("action_issue_type", "").strip() or "Task"
    elif kind == "github":
        settings["repositories"] = listed(form["repositories"])
        if not settings["base_url"]:
            settings["base_url"] = "https://api.github.com"
        try:
            settings["deployments"] = parse_deployment_sources(form.get("deployments", ""))
        except DeploymentLineError as exc:
            raise ValidationFailedError(
                "Please correct the deployment sources.", fields={"deployments": str(exc)[0].upper() + str(exc)[1:] + "."}
            ) from None
        settings["incident_label"] = form.get("incident_label", "").strip() or None
        settings["incidents_as_work_items"] = not incidents_only
    return settings


def _form_errors(fields: dict[str, str], deployments_text: str) -> dict[str, str]:
    """Settings errors keyed by the form field they concern (``deployments.1`` → its line of the text)."""
    lines = [
        number
        for number, raw in enumerate(deployments_text.splitlines(), start=1)
        if raw.strip() and not raw.strip().startswith("#")
    ]
    errors: dict[str, str] = {}
    for key, raw_message in fields.items():
        message = raw_message.removeprefix("Value error, ")
        top, _, rest = key.partition(".")
        if top == "settings" and ": " in message and message.split(": ", 1)[0] in _FORM_FIELDS:
            top, message = message.split(": ", 1)
        if top == "deployments" and rest.split(".")[0].isdigit() and int(rest.split(".")[0]) < len(lines):
            message = f"Line {lines[int(rest.split('.')[0])]}: {message}"
        errors[top] = f"{errors[top]} {message}" if top in errors else message
    return errors


def _numbers(*, team_id: str = "", interval: str) -> ConnectionNumbers:
    """The form's whole numbers, read by the form adapter.

    Raises:
        ValidationFailedError: a value is not a whole number (its message names the field).
    """
    return read_form([("team_id", team_id), ("interval_minutes", interval)], ConnectionNumbers).validated()


@router.post("/admin/connections", response_class=HTMLResponse)
def add_connection(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    _csrf: CsrfChecked,
    extra: SourceFields,
    name: Annotated[str, Form(max_length=100)] = "",
    kind: Annotated[str, Form(max_length=40)] = "",
    team_id: Annotated[str, Form(max_length=12)] = "",
    base_url: Annotated[str, Form(max_length=300)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    projects: Annotated[str, Form(max_length=2000)] = "",
    repositories: Annotated[str, Form(max_length=4000)] = "",
    deployments: Annotated[str, Form(max_length=8000)] = "",
    incident_label: Annotated[str, Form(max_length=100)] = "",
    incident_issue_types: Annotated[str, Form(max_length=500)] = "",
    incident_labels: Annotated[str, Form(max_length=500)] = "",
    incident_severity_field: Annotated[str, Form(max_length=100)] = "",
    incidents_only: Annotated[str, Form(max_length=5)] = "",
    action_issue_type: Annotated[str, Form(max_length=60)] = "",
    secret: Annotated[str, Form(max_length=2000)] = "",
    interval: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    """Add a connection, then go to it to test and sync."""
    require_role(actor, Role.ADMIN)
    values = {
        "name": name,
        "kind": kind,
        "team_id": team_id,
        "base_url": base_url,
        "email": email,
        "projects": projects,
        "repositories": repositories,
        "interval": interval,
        "deployments": deployments,
        "incident_label": incident_label,
        "incident_issue_types": incident_issue_types,
        "incident_labels": incident_labels,
        "incident_severity_field": incident_severity_field,
        "incidents_only": incidents_only,
        "action_issue_type": action_issue_type,
        **extra,
    }
    try:
        if kind not in available():
            raise ValidationFailedError("Choose a kind.", fields={"kind": "Choose what to connect to."})
        numbers = _numbers(team_id=team_id, interval=interval)
        connection = service.create(
            session=session,
            actor=actor,
            name=name,
            kind=kind,
            team_id=numbers.team_id or 0,
            secret=secret,
            app_key=_key(request),
            hosts=_hosts(request),
            settings=_settings_from_form(kind, {key: value for key, value in values.items() if key in _FORM_FIELDS}),
            interval_minutes=numbers.interval_minutes,
        )
    except ValidationFailedError as exc:
        session.rollback()
        lines = extra["pipelines"] if kind == "azure-devops" else deployments
        errors = source_forms.form_errors(kind, _form_errors(exc.fields, lines))
        return _list_page(request, session, actor, errors={**errors, "form": exc.message}, values=values, status_code=422)
    except ConflictError as exc:
        session.rollback()
        return _list_page(request, session, actor, errors={"name": exc.message}, values=values, status_code=409)
    return RedirectResponse(f"/admin/connections/{connection.id}", status_code=303)


def _edit_values(connection: Connection) -> dict[str, str]:
    """The edit form pre-filled from the stored settings (never the token)."""
    stored = connection.settings

    def joined(key: str) -> str:
        return ", ".join(str(value) for value in stored.get(key) or [])

    if connection.kind in source_forms.SOURCE_KINDS:
        return {
            "name": connection.name,
            "base_url": str(stored.get("base_url") or ""),
            "incident_labels": joined("incident_labels"),
            "incidents_only": "" if stored.get("incidents_as_work_items", True) else "on",
            "interval": str(connection.interval_minutes or ""),
            **source_forms.edit_values(connection.kind, stored),
        }
    return {
        "name": connection.name,
        "base_url": str(stored.get("base_url") or ""),
        "email": str(stored.get("email") or ""),
        "projects": joined("projects"),
        "repositories": joined("repositories"),
        "deployments": format_deployment_sources(stored.get("deployments") or []),
        "incident_label": str(stored.get("incident_label") or ""),
        "incident_issue_types": joined("incident_issue_types"),
        "incident_labels": joined("incident_labels"),
        "incident_severity_field": str(stored.get("incident_severity_field") or ""),
        "incidents_only": "" if stored.get("incidents_as_work_items", True) else "on",
        "action_issue_type": str(stored.get("action_issue_type") or ""),
        "interval": str(connection.interval_minutes or ""),
    }


def _detail(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    connection_id: int,
    *,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    connection = service.get_or_raise(session=session, actor=actor, connection_id=connection_id)
    return render(
        request,
        "sync/connection.html",
        {
            "connection": connection,
            "team": session.get(Team, connection.team_id),
            "runs": service.runs_of(session=session, actor=actor, connection_id=connection_id),
            "notice": notice,
            "problem": problem,
            "sync_job": service.sync_under_way(session=session, connection_id=connection_id),
            "label": service.kinds().get(connection.kind, connection.kind),
            "deployment_sources": format_deployment_sources(connection.settings.get("deployments") or [])
            if connection.kind == "github"
            else source_forms.deployment_text(connection.kind, connection.settings),
            "errors": errors or {},
            "values": values if values is not None else _edit_values(connection),
        },
        status_code=status_code,
    )


@router.get("/admin/connections/{connection_id}", response_class=HTMLResponse)
def connection_page(
    request: Request, connection_id: int, session: SessionDep, actor: PageUser, saved: Annotated[str, Query(max_length=10)] = ""
) -> Response:
    """A connection: test, sync, edit it, see its sync history."""
    notice = {"1": "Changes saved.", "reread": "Changes saved. The next sync reads the whole history again."}.get(saved)
    return _detail(request, session, actor, connection_id, notice=notice)


@router.post("/admin/connections/{connection_id}/test", response_class=HTMLResponse)
def check_connection(request: Request, connection_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Reach the source with the stored credentials and say what happened."""
    try:
        message = service.check(
            session=session, actor=actor, connection_id=connection_id, app_key=_key(request), hosts=_hosts(request)
        )
    except service.ConnectionFailedError as exc:
        return _detail(request, session, actor, connection_id, problem=exc.message, status_code=422)
    return _detail(request, session, actor, connection_id, notice=message)


@router.post("/admin/connections/{connection_id}/sync", response_class=HTMLResponse)
def sync_connection(
    request: Request,
    connection_id: int,
    session: SessionDep,
    actor: PageUser,
    _csrf: CsrfChecked,
    full: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Queue a sync on a worker; the page then follows it."""
    job, started = service.start_sync(session=session, actor=actor, connection_id=connection_id, full=full == "on")
    job_id = job.id
    # The job exists once this commits; with background syncs off (tests) it then runs in this request.
    session.commit()
    if started and not request.app.state.settings.sync_in_background:
        request.app.state.jobs.run(job_id)
    return RedirectResponse(f"/admin/connections/{connection_id}?started={'1' if started else '0'}", status_code=303)


@router.post("/admin/connections/{connection_id}/edit", response_class=HTMLResponse)
def edit_connection(
    request: Request,
    connection_id: int,
    session: SessionDep,
    actor: PageUser,
    _csrf: CsrfChecked,
    extra: SourceFields,
    name: Annotated[str, Form(max_length=100)] = "",
    base_url: Annotated[str, Form(max_length=300)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    projects: Annotated[str, Form(max_length=2000)] = "",
    repositories: Annotated[str, Form(max_length=4000)] = "",
    deployments: Annotated[str, Form(max_length=8000)] = "",
    incident_label: Annotated[str, Form(max_length=100)] = "",
    incident_issue_types: Annotated[str, Form(max_length=500)] = "",
    incident_labels: Annotated[str, Form(max_length=500)] = "",
    incident_severity_field: Annotated[str, Form(max_length=100)] = "",
    incidents_only: Annotated[str, Form(max_length=5)] = "",
    action_issue_type: Annotated[str, Form(max_length=60)] = "",
    secret: Annotated[str, Form(max_length=2000)] = "",
    interval: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    """Change the connection's name, settings, token (empty: keep) or schedule; its kind and team stay."""
    connection = service.get_or_raise(session=session, actor=actor, connection_id=connection_id)
    values = {
        "name": name,
        "base_url": base_url,
        "email": email,
        "projects": projects,
        "repositories": repositories,
        "deployments": deployments,
        "incident_label": incident_label,
        "incident_issue_types": incident_issue_types,
        "incident_labels": incident_labels,
        "incident_severity_field": incident_severity_field,
        "incidents_only": incidents_only,
        "action_issue_type": action_issue_type,
        "interval": interval,
        **extra,
    }
    try:
        numbers = _numbers(interval=interval)
        before = dict(connection.settings)
        service.update(
            session=session,
            actor=actor,
            connection_id=connection_id,
            app_key=_key(request),
            hosts=_hosts(request),
            name=name,
            settings=_settings_from_form(connection.kind, {k: v for k, v in values.items() if k in _FORM_FIELDS}),
            secret=secret if secret.strip() else None,
            interval_minutes=numbers.interval_minutes,
        )
    except ValidationFailedError as exc:
        session.rollback()
        return _detail(
            request,
            session,
            actor,
            connection_id,
            status_code=422,
            values=values,
            errors={
                **source_forms.form_errors(
                    connection.kind,
                    _form_errors(exc.fields, extra["pipelines"] if connection.kind == "azure-devops" else deployments),
                ),
                "form": exc.message,
            },
        )
    except ConflictError as exc:
        session.rollback()
        field = "name" if exc.details.get("field") == "name" else "form"
        return _detail(request, session, actor, connection_id, status_code=409, values=values, errors={field: exc.message})
    saved = "reread" if connection.settings != before else "1"
    return RedirectResponse(f"/admin/connections/{connection_id}?saved={saved}", status_code=303)


@router.post("/admin/connections/{connection_id}/delete")
def delete_connection(connection_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Remove the connection (imported items stay)."""
    service.delete(session=session, actor=actor, connection_id=connection_id)
    return RedirectResponse("/admin/connections", status_code=303)
