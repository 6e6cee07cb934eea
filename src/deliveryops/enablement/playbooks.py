"""Playbooks: versioned guides (Markdown) to a tool or practice, with an owner, linked from the catalogue,
the coaching insights that suggest the practice, and the rollouts of the entry."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.coaching.practices import PRACTICES
from deliveryops.db import utcnow
from deliveryops.enablement.access import check_entry, check_person, entry_name, is_ops, person_name, raise_if, require_ops
from deliveryops.enablement.models import Playbook, PlaybookVersion
from deliveryops.enablement.schemas import PlaybookCreate, PlaybookFilter, PlaybookRead, VersionCreate, VersionRead
from deliveryops.errors import NotFoundError, PermissionDeniedError

__all__ = [
    "add_version",
    "can_edit",
    "create",
    "for_entry",
    "for_practice",
    "get_or_raise",
    "list_",
    "read",
    "version_or_raise",
    "versions",
]


def can_edit(actor: User | None, playbook: Playbook) -> bool:
    """Its owner, Product Ops and admins write new versions."""
    return is_ops(actor) or (actor is not None and actor.id == playbook.owner_id)


def create(*, session: Session, actor: User | None, body: PlaybookCreate) -> Playbook:
    """Write a playbook and its first version (Product Ops, admins)."""
    require_ops(actor, "add playbooks")
    errors: dict[str, str] = {}
    check_entry(session, body.entry_id, errors)
    check_person(session, body.owner_id, "owner_id", errors)
    key = (body.practice_key or "").strip() or None
    if key is not None and key not in PRACTICES:
        errors["practice_key"] = f"Choose one of the coaching practices: {', '.join(sorted(PRACTICES))}."
    raise_if(errors)
    now = utcnow()
    playbook = Playbook(
        title=body.title.strip(),
        entry_id=body.entry_id,
        practice_key=key,
        owner_id=body.owner_id or (actor.id if actor is not None else None),
        created_at=now,
        updated_at=now,
    )
    author = actor.id if actor is not None else None
    note = body.note.strip() or "First version"
    playbook.versions.append(PlaybookVersion(number=1, body=body.body, note=note, author_id=author))
    session.add(playbook)
    session.flush()
    return playbook


def get_or_raise(*, session: Session, playbook_id: int) -> Playbook:
    """One playbook (every signed-in person reads them)."""
    playbook = session.get(Playbook, playbook_id)
    if playbook is None:
        raise NotFoundError(f"No playbook with id {playbook_id}.")
    return playbook


def add_version(*, session: Session, actor: User | None, playbook_id: int, body: VersionCreate) -> PlaybookVersion:
    """Write a new version (its owner, Product Ops, admins); earlier versions stay readable."""
    playbook = get_or_raise(session=session, playbook_id=playbook_id)
    if not can_edit(actor, playbook):
        raise PermissionDeniedError("Only the playbook's owner, Product Ops and admins write its versions.")
    number = (playbook.versions[-1].number if playbook.versions else 0) + 1
    version = PlaybookVersion(number=number, body=body.body, note=body.note.strip(), author_id=actor.id if actor else None)
    playbook.versions.append(version)
    playbook.updated_at = utcnow()
    session.flush()
    return version


def list_(*, session: Session, filters: PlaybookFilter | None = None) -> list[Playbook]:
    """Playbooks by title, optionally of one catalogue entry or coaching practice."""
    query = select(Playbook).order_by(Playbook.title, Playbook.id)
    if filters is not None and filters.entry_id is not None:
        query = query.where(Playbook.entry_id == filters.entry_id)
    if filters is not None and filters.practice_key:
        query = query.where(Playbook.practice_key == filters.practice_key)
    return list(session.scalars(query))


def for_entry(session: Session, entry_id: int) -> Playbook | None:
    """The playbook of a catalogue entry (the most recently updated, if several): the link hook of the
    catalogue entry and its rollouts."""
    return session.scalars(
        select(Playbook).where(Playbook.entry_id == entry_id).order_by(Playbook.updated_at.desc(), Playbook.id.desc())
    ).first()


def for_practice(session: Session, practice_key: str) -> Playbook | None:
    """The playbook of a coaching practice (the link of the insights that suggest it)."""
    return session.scalars(
        select(Playbook).where(Playbook.practice_key == practice_key).order_by(Playbook.updated_at.desc(), Playbook.id.desc())
    ).first()


def read(session: Session, playbook: Playbook) -> PlaybookRead:
    """The playbook with its current version's text."""
    current = playbook.versions[-1]
    return PlaybookRead(
        id=playbook.id,
        title=playbook.title,
        entry_id=playbook.entry_id,
        entry=entry_name(session, playbook.entry_id),
        practice_key=playbook.practice_key,
        owner_id=playbook.owner_id,
        owner=person_name(session, playbook.owner_id),
        version=current.number,
        versions=len(playbook.versions),
        body=current.body,
        updated_at=playbook.updated_at,
    )


def versions(session: Session, playbook: Playbook) -> list[VersionRead]:
    """Its versions, newest first."""
    return [
        VersionRead(
            number=v.number,
            body=v.body,
            note=v.note,
            author=person_name(session, v.author_id),
            created_at=v.created_at,
        )
        for v in reversed(playbook.versions)
    ]


def version_or_raise(session: Session, playbook: Playbook, number: int) -> VersionRead:
    """One version of a playbook."""
    for version in versions(session, playbook):
        if version.number == number:
            return version
    raise NotFoundError(f"The playbook has no version {number}.")
