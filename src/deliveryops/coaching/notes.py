"""Coaching notes: a delivery manager's notes per team, private to their author unless shared with the team.

DESIGN.md: "coaching notes: the DM who wrote them, unless shared with the team". A shared note is
read by the team's members and delivery managers; nobody else reads notes, admins included.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.coaching.models import CoachingNote
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.teams.models import Membership, TeamRole
from deliveryops.teams.service import get_team_or_raise, team_ids_of

__all__ = ["MAX_NOTE_CHARS", "can_write_notes", "create", "delete", "get_or_raise", "list_team", "update"]

MAX_NOTE_CHARS = 10_000


def can_write_notes(session: Session, user: User, team_id: int) -> bool:
    """Whether ``user`` is a delivery manager of the team (only they keep coaching notes)."""
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.team_id == team_id, Membership.user_id == user.id, Membership.team_role == TeamRole.DELIVERY_MANAGER
            )
        )
        is not None
    )


def _can_read(session: Session, user: User, note: CoachingNote) -> bool:
    if note.author_id == user.id:
        return True
    return note.shared_with_team and note.team_id in team_ids_of(session, user)


def _text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise ValidationFailedError("Write the note first.", fields={"text": "The note is empty."})
    if len(cleaned) > MAX_NOTE_CHARS:
        raise ValidationFailedError(
            f"A note is at most {MAX_NOTE_CHARS:,} characters.", fields={"text": f"Shorten it to {MAX_NOTE_CHARS:,} characters."}
        )
    return cleaned


def list_team(*, session: Session, actor: User, team_id: int) -> list[CoachingNote]:
    """The notes about a team that ``actor`` may read: their own, and shared ones if they are in the team."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    statement = select(CoachingNote).where(CoachingNote.team_id == team.id)
    if team.id in team_ids_of(session, actor):
        statement = statement.where(or_(CoachingNote.author_id == actor.id, CoachingNote.shared_with_team.is_(True)))
    else:
        statement = statement.where(CoachingNote.author_id == actor.id)
    return list(session.scalars(statement.order_by(CoachingNote.updated_at.desc(), CoachingNote.id.desc())))


def get_or_raise(*, session: Session, actor: User, note_id: int) -> CoachingNote:
    """One note, if ``actor`` may read it (others get "not found": a private note's existence is private too)."""
    note = session.get(CoachingNote, note_id)
    if note is None or not _can_read(session, actor, note):
        raise NotFoundError(f"No coaching note with id {note_id}.")
    return note


def create(*, session: Session, actor: User, team_id: int, text: str, shared_with_team: bool = False) -> CoachingNote:
    """Write a note about a team (its delivery managers only).

    Args:
        session: the unit of work.
        actor: the author.
        team_id: the team.
        text: the note.
        shared_with_team: whether the team's members read it too.

    Returns:
        The note.
    """
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    if not can_write_notes(session, actor, team.id):
        raise PermissionDeniedError("Coaching notes are kept by the team's delivery managers.")
    now = utcnow()
    note = CoachingNote(
        team_id=team.id, author_id=actor.id, text=_text(text), shared_with_team=shared_with_team, created_at=now, updated_at=now
    )
    session.add(note)
    session.flush()
    return note


def _own(session: Session, actor: User, note_id: int) -> CoachingNote:
    note = get_or_raise(session=session, actor=actor, note_id=note_id)
    if note.author_id != actor.id:
        raise PermissionDeniedError("Only the note's author can change it.")
    return note


def update(
    *, session: Session, actor: User, note_id: int, text: str | None = None, shared_with_team: bool | None = None
) -> CoachingNote:
    """Change a note's text or sharing (its author only)."""
    note = _own(session, actor, note_id)
    if text is not None:
        note.text = _text(text)
    if shared_with_team is not None:
        note.shared_with_team = shared_with_team
    note.updated_at = utcnow()
    session.flush()
    return note


def delete(*, session: Session, actor: User, note_id: int) -> None:
    """Delete a note (its author only)."""
    session.delete(_own(session, actor, note_id))
    session.flush()
