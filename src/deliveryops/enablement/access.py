"""Who may do what in enablement, and the names shown beside ids."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.cockpit.models import CatalogueEntry
from deliveryops.errors import PermissionDeniedError, ValidationFailedError

__all__ = ["check_entry", "check_person", "entry_name", "is_ops", "person_name", "raise_if", "require_ops"]


def is_ops(actor: User | None) -> bool:
    """Product Ops and admins (and trusted callers, ``None``) run enablement."""
    return actor is None or actor.role in (Role.PRODUCT_OPS, Role.ADMIN)


def require_ops(actor: User | None, what: str) -> None:
    """Raise unless Product Ops, an admin or a trusted caller."""
    if not is_ops(actor):
        raise PermissionDeniedError(f"Only Product Ops and admins {what}.")


def person_name(session: Session, user_id: int | None) -> str | None:
    """A person's name, or None."""
    user = session.get(User, user_id) if user_id is not None else None
    return user.name if user is not None else None


def entry_name(session: Session, entry_id: int | None) -> str | None:
    """A catalogue entry's name, or None."""
    entry = session.get(CatalogueEntry, entry_id) if entry_id is not None else None
    return entry.name if entry is not None else None


def check_entry(session: Session, entry_id: int | None, errors: dict[str, str]) -> None:
    """Note an error when the catalogue entry does not exist."""
    if entry_id is not None and session.get(CatalogueEntry, entry_id) is None:
        errors["entry_id"] = "Choose an entry of the catalogue."


def check_person(session: Session, user_id: int | None, field: str, errors: dict[str, str]) -> None:
    """Note an error when the person does not exist."""
    if user_id is not None and session.get(User, user_id) is None:
        errors[field] = "Choose an existing person."


def raise_if(errors: dict[str, str]) -> None:
    """Raise the marked fields, if any."""
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
