"""HTML pages of coaching: a team's insights and notes, and the cross-team counts by kind."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.coaching import notes, service
from deliveryops.coaching.practices import PRACTICES
from deliveryops.coaching.schemas import DismissBody, NoteCreate, NoteUpdate, ToActionBody
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.teams.service import get_team_or_raise, team_ids_of
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, register_team_link, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
DismissForm = Annotated[FormInput[DismissBody], form_model(DismissBody)]
ToActionForm = Annotated[FormInput[ToActionBody], form_model(ToActionBody)]
NoteForm = Annotated[FormInput[NoteCreate], form_model(NoteCreate)]
NoteUpdateForm = Annotated[FormInput[NoteUpdate], form_model(NoteUpdate)]
register_team_link("Coaching", "coaching", order=60)
register_nav("Coaching", "/coaching", order=17, visible=lambda u: u.role in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN))


def _team_page(
    request: Request,
    session: SessionDep,
    actor: User,
    slug: str,
    *,
    errors: dict[str, str] | None = None,
    failed_insight: int | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    insights = service.list_insights(session=session, actor=actor, team_id=team.id)
    return render(
        request,
        "coaching/team.html",
        {
            "team": team,
            "insights": insights,
            "practices": PRACTICES,
            "notes": notes.list_team(session=session, actor=actor, team_id=team.id),
            "can_write_notes": notes.can_write_notes(session, actor, team.id),
            "me": actor.id,
            "errors": errors or {},
            "failed_insight": failed_insight,
            "values": values or {},
            "in_team": team.id in team_ids_of(session, actor),
        },
        status_code=status_code,
    )


@router.get("/teams/{slug}/coaching", response_class=HTMLResponse)
def team_coaching(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """The team's coaching insights with their evidence, what was dismissed, and coaching notes."""
    return _team_page(request, session, actor, slug)


@router.post("/teams/{slug}/coaching/insights/{insight_id}/dismiss", response_class=HTMLResponse)
def dismiss_insight(
    request: Request, slug: str, insight_id: int, session: SessionDep, actor: PageUser, form: DismissForm
) -> Response:
    """Dismiss an insight with a reason (the team's delivery manager)."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    try:
        body = form.validated()
        insight = service.get_insight_or_raise(session=session, actor=actor, insight_id=insight_id)
        if insight.team_id != team.id:
            raise PermissionDeniedError("This insight belongs to another team.")
        service.dismiss(session=session, actor=actor, insight_id=insight_id, reason=body.reason, until=body.until)
    except ValidationFailedError as exc:
        session.rollback()
        return _team_page(
            request,
            session,
            actor,
            slug,
            errors=form.errors_with(exc),
            failed_insight=insight_id,
            values=form.values,
            status_code=422,
        )
    return RedirectResponse(f"/teams/{slug}/coaching#dismissed", status_code=303)


@router.post("/teams/{slug}/coaching/insights/{insight_id}/action")
def insight_to_action(slug: str, insight_id: int, session: SessionDep, actor: PageUser, form: ToActionForm) -> Response:
    """Turn an insight into an improvement action that measures its effect."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    insight = service.get_insight_or_raise(session=session, actor=actor, insight_id=insight_id)
    if insight.team_id != team.id:
        raise PermissionDeniedError("This insight belongs to another team.")
    action = service.to_action(session=session, actor=actor, insight_id=insight_id, title=form.validated().title)
    return RedirectResponse(f"/actions/{action.id}", status_code=303)


@router.post("/teams/{slug}/coaching/notes", response_class=HTMLResponse)
def add_note(request: Request, slug: str, session: SessionDep, actor: PageUser, form: NoteForm) -> Response:
    """Write a coaching note (the team's delivery managers); private unless shared with the team."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    try:
        body = form.validated()
        notes.create(session=session, actor=actor, team_id=team.id, text=body.text, shared_with_team=body.shared_with_team)
    except ValidationFailedError as exc:
        session.rollback()
        return _team_page(request, session, actor, slug, errors=form.errors_with(exc), values=form.values, status_code=422)
    return RedirectResponse(f"/teams/{slug}/coaching#notes", status_code=303)


@router.post("/coaching/notes/{note_id}/share")
def share_note(note_id: int, session: SessionDep, actor: PageUser, form: NoteUpdateForm) -> Response:
    """Share a note with the team, or make it private again (its author); the form holds only the choice."""
    body = form.validated()
    note = notes.update(session=session, actor=actor, note_id=note_id, text=body.text, shared_with_team=body.shared_with_team)
    slug = get_team_or_raise(session=session, actor=actor, team_id=note.team_id).slug
    return RedirectResponse(f"/teams/{slug}/coaching#notes", status_code=303)


@router.post("/coaching/notes/{note_id}/delete")
def delete_note(note_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Delete a note (its author)."""
    note = notes.get_or_raise(session=session, actor=actor, note_id=note_id)
    slug = get_team_or_raise(session=session, actor=actor, team_id=note.team_id).slug
    notes.delete(session=session, actor=actor, note_id=note_id)
    return RedirectResponse(f"/teams/{slug}/coaching#notes", status_code=303)


@router.get("/coaching", response_class=HTMLResponse)
def coaching_counts(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Product Ops and leaders: open insights counted by kind across teams, with the practice each suggests."""
    teams, rows = service.counts_by_kind(session=session, actor=actor)
    return render(request, "coaching/counts.html", {"teams": teams, "rows": rows, "practices": PRACTICES})
