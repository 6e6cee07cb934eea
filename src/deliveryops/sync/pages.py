"""HTML pages: connections (admins), testing them, starting and following syncs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role
from deliveryops.accounts.service import require_role
from deliveryops.connectors.github_deployments import format_deployment_sources
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.connectors.registry import available
from deliveryops.errors import ConflictError, ValidationFailedError
from deliveryops.settings import Settings
from deliveryops.sync import service, source_forms
from deliveryops.sync.models import Connection
from deliveryops.sync.schemas import ConnectionAddForm, ConnectionForm, SyncStart
from deliveryops.teams.models import Team
from deliveryops.teams.service import list_teams
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import render

router = APIRouter(include_in_schema=False)
AddForm = Annotated[FormInput[ConnectionAddForm], form_model(ConnectionAddForm)]
EditForm = Annotated[FormInput[ConnectionForm], form_model(ConnectionForm)]


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
    values: dict[str, Any] | None = None,
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


def _form_errors(fields: dict[str, str], deployments_text: str) -> dict[str, str]:
    """Settings errors keyed by the form field they concern (``deployments.1`` → its line of the text)."""
    written = [
        number
        for number, raw in enumerate(deployments_text.splitlines(), start=1)
        if raw.strip() and not raw.strip().startswith("#")
    ]
    line_of = {str(index): number for index, number in enumerate(written)}  # "deployments.<index>" → its line
    errors: dict[str, str] = {}
    for key, raw_message in fields.items():
        message = raw_message.removeprefix("Value error, ")
        top, _, rest = key.partition(".")
        if top == "settings" and ": " in message and message.split(": ", 1)[0] in ConnectionAddForm.model_fields:
            top, message = message.split(": ", 1)
        line = line_of.get(rest.split(".")[0]) if top == "deployments" else None
        if line is not None:
            message = f"Line {line}: {message}"
        errors[top] = f"{errors[top]} {message}" if top in errors else message
    return errors


def _shown(form: FormInput[Any]) -> dict[str, Any]:
    """What the form held, to fill it again (never the token)."""
    return {key: value for key, value in form.values.items() if key != "secret"}


def _settings_errors(kind: str, exc: ValidationFailedError, form: FormInput[Any]) -> dict[str, str]:
    """The messages of a refused connection form, each beside its field, and the whole message under ``form``.

    The form's own messages are keyed by its fields already; the connector's name settings, re-keyed here.
    """
    if not form.valid:
        return {**form.errors, **exc.fields, "form": exc.message}
    deployments = form.values.get("pipelines" if kind == "azure-devops" else "deployments", "")
    fields = source_forms.form_errors(kind, _form_errors(exc.fields, str(deployments or "")))
    return {**fields, "form": exc.message}


@router.post("/admin/connections", response_class=HTMLResponse)
def add_connection(request: Request, session: SessionDep, actor: PageUser, form: AddForm) -> Response:
    """Add a connection, then go to it to test and sync."""
    require_role(actor, Role.ADMIN)
    kind = str(form.values.get("kind") or "")
    try:
        if kind not in available():
            raise ValidationFailedError("Choose a kind.", fields={"kind": "Choose what to connect to."})
        body = form.validated()
        connection = service.create(
            session=session,
            actor=actor,
            name=body.name,
            kind=kind,
            team_id=body.team_id or 0,
            secret=body.secret,
            app_key=_key(request),
            hosts=_hosts(request),
            settings=source_forms.settings_for(kind, body),
            interval_minutes=body.interval_minutes,
        )
    except ValidationFailedError as exc:
        session.rollback()
        errors = _settings_errors(kind, exc, form)
        return _list_page(request, session, actor, errors=errors, values=_shown(form), status_code=422)
    except ConflictError as exc:
        session.rollback()
        return _list_page(request, session, actor, errors={"name": exc.message}, values=_shown(form), status_code=409)
    return RedirectResponse(f"/admin/connections/{connection.id}", status_code=303)


def _edit_values(connection: Connection) -> dict[str, Any]:
    """The edit form pre-filled from the stored settings (never the token)."""
    stored = connection.settings

    def joined(key: str) -> str:
        return ", ".join(str(value) for value in stored.get(key) or [])

    if connection.kind in source_forms.SOURCE_KINDS:
        return {
            "name": connection.name,
            "base_url": str(stored.get("base_url") or ""),
            "incident_labels": joined("incident_labels"),
            "incidents_only": not stored.get("incidents_as_work_items", True),
            "interval_minutes": str(connection.interval_minutes or ""),
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
        "incidents_only": not stored.get("incidents_as_work_items", True),
        "action_issue_type": str(stored.get("action_issue_type") or ""),
        "interval_minutes": str(connection.interval_minutes or ""),
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
    values: dict[str, Any] | None = None,
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
    form: Annotated[FormInput[SyncStart], form_model(SyncStart)],
) -> Response:
    """Queue a sync on a worker; the page then follows it."""
    full = form.validated().full
    job, started = service.start_sync(session=session, actor=actor, connection_id=connection_id, full=full)
    job_id = job.id
    # The job exists once this commits; with background syncs off (tests) it then runs in this request.
    session.commit()
    if started and not request.app.state.settings.sync_in_background:
        request.app.state.jobs.run(job_id)
    return RedirectResponse(f"/admin/connections/{connection_id}?started={'1' if started else '0'}", status_code=303)


@router.post("/admin/connections/{connection_id}/edit", response_class=HTMLResponse)
def edit_connection(request: Request, connection_id: int, session: SessionDep, actor: PageUser, form: EditForm) -> Response:
    """Change the connection's name, settings, token (empty: keep) or schedule; its kind and team stay."""
    connection = service.get_or_raise(session=session, actor=actor, connection_id=connection_id)
    try:
        body = form.validated()
        before = dict(connection.settings)
        service.update(
            session=session,
            actor=actor,
            connection_id=connection_id,
            app_key=_key(request),
            hosts=_hosts(request),
            name=body.name,
            settings=source_forms.settings_for(connection.kind, body),
            secret=body.secret if body.secret.strip() else None,
            interval_minutes=body.interval_minutes,
        )
    except ValidationFailedError as exc:
        session.rollback()
        errors = _settings_errors(connection.kind, exc, form)
        return _detail(request, session, actor, connection_id, status_code=422, values=_shown(form), errors=errors)
    except ConflictError as exc:
        session.rollback()
        field = "name" if exc.details.get("field") == "name" else "form"
        errors = {field: exc.message}
        return _detail(request, session, actor, connection_id, status_code=409, values=_shown(form), errors=errors)
    saved = "reread" if connection.settings != before else "1"
    return RedirectResponse(f"/admin/connections/{connection_id}?saved={saved}", status_code=303)


@router.post("/admin/connections/{connection_id}/delete")
def delete_connection(connection_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Remove the connection (imported items stay)."""
    service.delete(session=session, actor=actor, connection_id=connection_id)
    return RedirectResponse("/admin/connections", status_code=303)
