"""JSON API of coaching: insights (list, dismiss, to-action), counts by kind, notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.coaching import notes, service
from deliveryops.coaching.models import CoachingNote
from deliveryops.coaching.schemas import (
    ActionCreated,
    DismissBody,
    InsightRead,
    KindCountRead,
    NoteCreate,
    NoteRead,
    NoteUpdate,
    ToActionBody,
)
from deliveryops.schemas import Page, paginate
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

__all__ = ["api"]

api = APIRouter(tags=["coaching"], responses=error_responses(401, 403, 404, 409, 422))
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


@api.get("/teams/{team_id}/coaching/insights", response_model=Page[InsightRead])
def list_insights(
    session: SessionDep, actor: ApiUser, page: Pagination, team_id: IdPath, include_dismissed: bool = False
) -> Page[InsightRead]:
    """The team's open insights (recomputed when its data changed), most severe first."""
    result = service.list_insights(session=session, actor=actor, team_id=team_id)
    rows = [InsightRead.of(row) for row in result.active]
    if include_dismissed:
        rows += [InsightRead.of(row, dismissal) for row, dismissal in result.dismissed]
    return paginate(rows, page)


@api.post("/coaching/insights/{insight_id}/dismiss", response_model=InsightRead)
def dismiss(body: DismissBody, session: SessionDep, actor: ApiUser, insight_id: IdPath) -> InsightRead:
    """Dismiss an insight with a reason (the team's delivery manager or an admin)."""
    dismissal = service.dismiss(session=session, actor=actor, insight_id=insight_id, reason=body.reason, until=body.until)
    return InsightRead.of(service.get_insight_or_raise(session=session, actor=actor, insight_id=insight_id), dismissal)


@api.post("/coaching/insights/{insight_id}/action", response_model=ActionCreated, status_code=201)
def to_action(body: ToActionBody, session: SessionDep, actor: ApiUser, insight_id: IdPath) -> ActionCreated:
    """Turn an insight into an improvement action that measures its effect."""
    action = service.to_action(session=session, actor=actor, insight_id=insight_id, title=body.title)
    return ActionCreated(
        action_id=action.id, title=action.title, target_metric=action.target_metric.value if action.target_metric else None
    )


@api.get("/coaching/counts", response_model=Page[KindCountRead])
def counts(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[KindCountRead]:
    """Open insights counted by kind across teams (Product Ops, leaders, admins)."""
    _teams, rows = service.counts_by_kind(session=session, actor=actor)
    return paginate(
        [KindCountRead(kind=r.kind, label=r.label, practice=r.practice, total=r.total, by_team=r.by_team) for r in rows], page
    )


def _note(row: CoachingNote) -> NoteRead:
    return NoteRead(
        id=row.id,
        team_id=row.team_id,
        author_id=row.author_id,
        text=row.text,
        shared_with_team=row.shared_with_team,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@api.get("/teams/{team_id}/coaching/notes", response_model=Page[NoteRead])
def list_notes(session: SessionDep, actor: ApiUser, page: Pagination, team_id: IdPath) -> Page[NoteRead]:
    """The notes about a team the caller may read: their own, and notes shared with the team they are in."""
    return paginate([_note(row) for row in notes.list_team(session=session, actor=actor, team_id=team_id)], page)


@api.post("/teams/{team_id}/coaching/notes", response_model=NoteRead, status_code=201)
def create_note(body: NoteCreate, session: SessionDep, actor: ApiUser, team_id: IdPath) -> NoteRead:
    """Write a coaching note (the team's delivery managers)."""
    return _note(
        notes.create(session=session, actor=actor, team_id=team_id, text=body.text, shared_with_team=body.shared_with_team)
    )


@api.patch("/coaching/notes/{note_id}", response_model=NoteRead)
def update_note(body: NoteUpdate, session: SessionDep, actor: ApiUser, note_id: IdPath) -> NoteRead:
    """Change a note's text or sharing (its author)."""
    return _note(
        notes.update(session=session, actor=actor, note_id=note_id, text=body.text, shared_with_team=body.shared_with_team)
    )


@api.delete("/coaching/notes/{note_id}", status_code=204)
def delete_note(session: SessionDep, actor: ApiUser, note_id: IdPath) -> Response:
    """Delete a note (its author)."""
    notes.delete(session=session, actor=actor, note_id=note_id)
    return Response(status_code=204)
