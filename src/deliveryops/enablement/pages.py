"""HTML pages of enablement: the hub, organisation-level actions, playbooks, onboarding, communities of practice."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import User
from deliveryops.actions.models import ActionStatus, TargetMetric
from deliveryops.coaching.practices import PRACTICES
from deliveryops.cockpit.models import CatalogueEntry
from deliveryops.db import utcnow
from deliveryops.enablement import communities, onboarding, org_actions, playbooks
from deliveryops.enablement.access import is_ops
from deliveryops.enablement.models import OnboardingKind
from deliveryops.enablement.schemas import (
    ChecklistCreate,
    CommunityCreate,
    EventCreate,
    OnboardingTemplateWrite,
    OrgActionCreate,
    OrgActionUpdate,
    PlaybookCreate,
    TickWrite,
    VersionCreate,
)
from deliveryops.schemas import paginate
from deliveryops.teams.models import Team
from deliveryops.teams.service import can_manage_team, list_teams
from deliveryops.web.form_pages import form_page, submit_form
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.markdown import render_markdown
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
register_nav("Enablement", "/enablement", order=61)

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
OrgActionForm = Annotated[FormInput[OrgActionCreate], form_model(OrgActionCreate)]
StatusForm = Annotated[FormInput[OrgActionUpdate], form_model(OrgActionUpdate)]
PlaybookForm = Annotated[FormInput[PlaybookCreate], form_model(PlaybookCreate)]
VersionForm = Annotated[FormInput[VersionCreate], form_model(VersionCreate)]
TemplateForm = Annotated[FormInput[OnboardingTemplateWrite], form_model(OnboardingTemplateWrite)]
ChecklistForm = Annotated[FormInput[ChecklistCreate], form_model(ChecklistCreate)]
TickForm = Annotated[FormInput[TickWrite], form_model(TickWrite)]
CommunityForm = Annotated[FormInput[CommunityCreate], form_model(CommunityCreate)]
EventForm = Annotated[FormInput[EventCreate], form_model(EventCreate)]


def _entries(session: Session) -> list[CatalogueEntry]:
    return list(session.scalars(select(CatalogueEntry).where(CatalogueEntry.active.is_(True)).order_by(CatalogueEntry.name)))


def _people(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))


@router.get("/enablement", response_class=HTMLResponse)
def hub(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Where Product Ops drives adoption: organisation-level actions, playbooks, onboarding, communities."""
    mine = [c for c in onboarding.list_checklists(session=session, actor=actor) if c.user_id == actor.id]
    return render(
        request,
        "enablement/hub.html",
        {
            "actions": len(org_actions.list_(session=session)),
            "playbooks": len(playbooks.list_(session=session)),
            "communities": len(communities.list_(session=session)),
            "mine": mine,
        },
    )


# Organisation-level actions


def _min_group(request: Request) -> int:
    """The smallest group whose results are shown (the setting that hides small groups everywhere)."""
    return int(request.app.state.settings.min_group_size)


def _actions_page(
    request: Request, session: Session, actor: User, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    rows = [
        org_actions.read(session, actor, row, min_group_size=_min_group(request)) for row in org_actions.list_(session=session)
    ]
    editable = is_ops(actor)
    return form_page(
        request,
        "enablement/org_actions.html",
        {
            "actions": rows,
            "editable": editable,
            "teams": list_teams(session=session, actor=actor) if editable else [],
            "entries": _entries(session) if editable else [],
            "metrics": list(TargetMetric),
        },
        values,
        errors,
        status,
    )


@router.get("/org-actions", response_class=HTMLResponse)
def org_actions_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Organisation-level actions with their pooled verdicts; Product Ops starts one."""
    return _actions_page(request, session, actor, {}, {}, 200)


@router.post("/org-actions", response_class=HTMLResponse)
def create_org_action_page(request: Request, session: SessionDep, actor: PageUser, form: OrgActionForm) -> Response:
    """Start an organisation-level action; errors re-render beside each field."""
    return submit_form(
        session,
        form,
        lambda body: org_actions.create(session=session, actor=actor, body=body, today=utcnow().date()),
        done=lambda row: f"/org-actions/{row.id}",
        again=partial(_actions_page, request, session, actor),
    )


def _action_page(
    request: Request, session: Session, actor: User, action_id: int, errors: dict[str, str], status: int
) -> Response:
    row = org_actions.get_or_raise(session=session, action_id=action_id)
    return render(
        request,
        "enablement/org_action.html",
        {
            "a": org_actions.read(session, actor, row, min_group_size=_min_group(request)),
            "editable": is_ops(actor),
            "statuses": list(ActionStatus),
            "playbook": playbooks.for_entry(session, row.entry_id) if row.entry_id else None,
            "errors": errors,
        },
        status_code=status,
    )


@router.get("/org-actions/{org_action_id}", response_class=HTMLResponse)
def org_action_page(request: Request, session: SessionDep, actor: PageUser, org_action_id: IdPath) -> Response:
    """One organisation-level action: each team's verdict you may read, and the pooled verdict."""
    return _action_page(request, session, actor, org_action_id, {}, 200)


@router.post("/org-actions/{org_action_id}/status", response_class=HTMLResponse)
def org_action_status_page(
    request: Request, session: SessionDep, actor: PageUser, org_action_id: IdPath, form: StatusForm
) -> Response:
    """Change its status (Product Ops, admins)."""
    return submit_form(
        session,
        form,
        lambda body: org_actions.update(session=session, actor=actor, action_id=org_action_id, body=body, today=utcnow().date()),
        done=f"/org-actions/{org_action_id}",
        again=lambda _values, errors, status: _action_page(request, session, actor, org_action_id, errors, status),
    )


# Playbooks


def _playbooks_page(
    request: Request, session: Session, actor: User, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    editable = is_ops(actor)
    return form_page(
        request,
        "enablement/playbooks.html",
        {
            "playbooks": [playbooks.read(session, row) for row in playbooks.list_(session=session)],
            "editable": editable,
            "entries": _entries(session) if editable else [],
            "practices": PRACTICES,
            "people": _people(session) if editable else [],
        },
        values,
        errors,
        status,
    )


@router.get("/playbooks", response_class=HTMLResponse)
def playbooks_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Every playbook; Product Ops writes a new one."""
    return _playbooks_page(request, session, actor, {}, {}, 200)


@router.post("/playbooks", response_class=HTMLResponse)
def create_playbook_page(request: Request, session: SessionDep, actor: PageUser, form: PlaybookForm) -> Response:
    """Write a playbook; errors re-render beside each field."""
    return submit_form(
        session,
        form,
        lambda body: playbooks.create(session=session, actor=actor, body=body),
        done=lambda row: f"/playbooks/{row.id}",
        again=partial(_playbooks_page, request, session, actor),
    )


@router.get("/playbooks/for-entry/{entry_id}", response_class=HTMLResponse)
def playbook_for_entry_page(request: Request, session: SessionDep, actor: PageUser, entry_id: IdPath) -> Response:
    """The link hook of a catalogue entry and its rollouts: its playbook, or the list with none found."""
    row = playbooks.for_entry(session, entry_id)
    return RedirectResponse(f"/playbooks/{row.id}" if row else "/playbooks?missing=entry", status_code=303)


@router.get("/playbooks/for-practice/{practice_key}", response_class=HTMLResponse)
def playbook_for_practice_page(
    request: Request, session: SessionDep, actor: PageUser, practice_key: Annotated[str, Path(max_length=60)]
) -> Response:
    """The link of a coaching insight that suggests the practice: its playbook, or the list with none found."""
    row = playbooks.for_practice(session, practice_key)
    return RedirectResponse(f"/playbooks/{row.id}" if row else "/playbooks?missing=practice", status_code=303)


def _playbook_page(
    request: Request,
    session: Session,
    actor: User,
    playbook_id: int,
    number: int | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int,
) -> Response:
    row = playbooks.get_or_raise(session=session, playbook_id=playbook_id)
    read = playbooks.read(session, row)
    history = playbooks.versions(session, row)
    shown = playbooks.version_or_raise(session, row, number) if number is not None else history[0]
    return form_page(
        request,
        "enablement/playbook.html",
        {
            "p": read,
            "shown": shown,
            "html": render_markdown(shown.body),
            "history": history,
            "practice": PRACTICES.get(read.practice_key or ""),
            "editable": playbooks.can_edit(actor, row),
        },
        values or {"body": read.body},
        errors,
        status,
    )


@router.get("/playbooks/{playbook_id}", response_class=HTMLResponse)
def playbook_page(request: Request, session: SessionDep, actor: PageUser, playbook_id: IdPath) -> Response:
    """A playbook's current version, rendered, with its history."""
    return _playbook_page(request, session, actor, playbook_id, None, {}, {}, 200)


@router.get("/playbooks/{playbook_id}/versions/{number}", response_class=HTMLResponse)
def playbook_version_page(
    request: Request, session: SessionDep, actor: PageUser, playbook_id: IdPath, number: IdPath
) -> Response:
    """An earlier version of a playbook."""
    return _playbook_page(request, session, actor, playbook_id, number, {}, {}, 200)


@router.post("/playbooks/{playbook_id}/versions", response_class=HTMLResponse)
def add_version_page(request: Request, session: SessionDep, actor: PageUser, playbook_id: IdPath, form: VersionForm) -> Response:
    """Write a new version (its owner, Product Ops, admins)."""
    return submit_form(
        session,
        form,
        lambda body: playbooks.add_version(session=session, actor=actor, playbook_id=playbook_id, body=body),
        done=f"/playbooks/{playbook_id}",
        again=partial(_playbook_page, request, session, actor, playbook_id, None),
    )


# Onboarding


def _managed_teams(session: Session, actor: User) -> list[Team]:
    teams = list_teams(session=session, actor=actor)
    return teams if is_ops(actor) else [t for t in teams if can_manage_team(session, actor, t)]


def _onboarding_page(
    request: Request, session: Session, actor: User, page: Any, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    managed = _managed_teams(session, actor)
    return form_page(
        request,
        "enablement/onboarding.html",
        {
            "templates": {t.kind: t for t in onboarding.templates(session)},
            "kinds": list(OnboardingKind),
            "standard": onboarding.STANDARD_TEMPLATES,
            "page": paginate(onboarding.list_checklists(session=session, actor=actor), page),
            "editable": is_ops(actor),
            "teams": managed,
            "people": _people(session) if managed else [],
        },
        values,
        errors,
        status,
    )


@router.get("/onboarding", response_class=HTMLResponse)
def onboarding_page(request: Request, session: SessionDep, actor: PageUser, page: Pagination) -> Response:
    """Checklists and their progress (the ones you may read); templates (Product Ops edits them)."""
    return _onboarding_page(request, session, actor, page, {}, {}, 200)


@router.post("/onboarding/templates/{kind}", response_class=HTMLResponse)
def write_template_page(
    request: Request, session: SessionDep, actor: PageUser, page: Pagination, kind: OnboardingKind, form: TemplateForm
) -> Response:
    """Save a template (Product Ops, admins)."""

    def again(values: dict[str, Any], errors: dict[str, str], status: int) -> Response:
        errors = {f"{kind.value}.{name}": text for name, text in errors.items()}
        return _onboarding_page(request, session, actor, page, {kind.value: values}, errors, status)

    return submit_form(
        session,
        form,
        lambda body: onboarding.write_template(session=session, actor=actor, kind=kind, body=body),
        done="/onboarding",
        again=again,
    )


@router.post("/onboarding/checklists", response_class=HTMLResponse)
def create_checklist_page(
    request: Request, session: SessionDep, actor: PageUser, page: Pagination, form: ChecklistForm
) -> Response:
    """Give a team or a person of it a checklist (the team's delivery manager, Product Ops, admins)."""
    return submit_form(
        session,
        form,
        lambda body: onboarding.create_checklist(session=session, actor=actor, body=body),
        done=lambda row: f"/onboarding/checklists/{row.id}",
        again=lambda values, errors, status: _onboarding_page(
            request, session, actor, page, {"checklist": values}, errors, status
        ),
        conflict_status=409,
    )


@router.get("/onboarding/checklists/{checklist_id}", response_class=HTMLResponse)
def checklist_page(request: Request, session: SessionDep, actor: PageUser, checklist_id: IdPath) -> Response:
    """One checklist: its steps, ticked by the person, the team's delivery manager or Product Ops."""
    row = onboarding.get_or_raise(session=session, actor=actor, checklist_id=checklist_id)
    return render(
        request,
        "enablement/checklist.html",
        {"c": onboarding.read(session, row), "can_tick": onboarding.can_tick(session, actor, row)},
    )


@router.post("/onboarding/checklists/{checklist_id}/steps/{step_id}", response_class=HTMLResponse)
def tick_page(
    request: Request, session: SessionDep, actor: PageUser, checklist_id: IdPath, step_id: IdPath, form: TickForm
) -> Response:
    """Tick or untick a step."""
    onboarding.tick(session=session, actor=actor, checklist_id=checklist_id, item_id=step_id, done=form.validated().done)
    return RedirectResponse(f"/onboarding/checklists/{checklist_id}#step-{step_id}", status_code=303)


# Communities of practice


def _communities_page(
    request: Request, session: Session, actor: User, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    editable = is_ops(actor)
    return form_page(
        request,
        "enablement/communities.html",
        {
            "communities": [communities.read(session, row) for row in communities.list_(session=session)],
            "mine": {row.id for row in communities.list_(session=session) if communities.is_member(session, actor, row)},
            "editable": editable,
            "entries": _entries(session) if editable else [],
        },
        values,
        errors,
        status,
    )


@router.get("/communities", response_class=HTMLResponse)
def communities_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Communities of practice; anyone joins, Product Ops starts them."""
    return _communities_page(request, session, actor, {}, {}, 200)


@router.post("/communities", response_class=HTMLResponse)
def create_community_page(request: Request, session: SessionDep, actor: PageUser, form: CommunityForm) -> Response:
    """Start a community; errors re-render beside each field."""
    return submit_form(
        session,
        form,
        lambda body: communities.create(session=session, actor=actor, body=body),
        done=lambda row: f"/communities/{row.id}",
        again=partial(_communities_page, request, session, actor),
    )


def _community_page(
    request: Request,
    session: Session,
    actor: User,
    community_id: int,
    page: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int,
) -> Response:
    row = communities.get_or_raise(session=session, community_id=community_id)
    read = communities.read(session, row)
    return form_page(
        request,
        "enablement/community.html",
        {
            "c": read,
            "events": communities.events(session, row),
            "feed": paginate(communities.feed(session, row, min_group_size=_min_group(request)), page),
            "member": communities.is_member(session, actor, row),
            "can_record": is_ops(actor) or communities.is_member(session, actor, row),
            "playbook": playbooks.for_entry(session, row.entry_id) if row.entry_id else None,
        },
        values,
        errors,
        status,
    )


@router.get("/communities/{community_id}", response_class=HTMLResponse)
def community_page(request: Request, session: SessionDep, actor: PageUser, page: Pagination, community_id: IdPath) -> Response:
    """A community: members, meetings and its feed of learnings."""
    return _community_page(request, session, actor, community_id, page, {}, {}, 200)


@router.post("/communities/{community_id}/join", response_class=HTMLResponse)
def join_page(session: SessionDep, actor: PageUser, community_id: IdPath, _csrf: CsrfChecked) -> Response:
    """Join the community."""
    communities.join(session=session, actor=actor, community_id=community_id)
    return RedirectResponse(f"/communities/{community_id}", status_code=303)


@router.post("/communities/{community_id}/leave", response_class=HTMLResponse)
def leave_page(session: SessionDep, actor: PageUser, community_id: IdPath, _csrf: CsrfChecked) -> Response:
    """Leave the community."""
    communities.leave(session=session, actor=actor, community_id=community_id)
    return RedirectResponse(f"/communities/{community_id}", status_code=303)


@router.post("/communities/{community_id}/meetings", response_class=HTMLResponse)
def add_event_page(
    request: Request, session: SessionDep, actor: PageUser, page: Pagination, community_id: IdPath, form: EventForm
) -> Response:
    """Record a meeting (members, Product Ops, admins)."""
    return submit_form(
        session,
        form,
        lambda body: communities.add_event(session=session, actor=actor, community_id=community_id, body=body),
        done=f"/communities/{community_id}#meetings",
        again=partial(_community_page, request, session, actor, community_id, page),
        conflict_status=422,
    )
