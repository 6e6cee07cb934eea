"""What the impediments pages and the JSON API both read: who sees which teams, names, open impediments, periods."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.errors import ValidationFailedError
from deliveryops.impediments.models import Impediment, Level, Status
from deliveryops.teams.service import team_ids_of

__all__ = ["CLOSED", "actor_names", "open_at_level", "report_period", "visible_team_ids"]

CLOSED = (Status.RESOLVED, Status.WONT_FIX)
DEFAULT_REPORT_DAYS = 90
MAX_REPORT_DAYS = 731
EARLIEST, LATEST = date(1970, 1, 1), date(2100, 12, 31)


def visible_team_ids(session: Session, actor: User) -> set[int] | None:
    """The teams whose impediments ``actor`` sees: None means every team (Product Ops, leaders, admins)."""
    return None if actor.role.sees_all_teams else team_ids_of(session, actor)


def actor_names(session: Session, impediment: Impediment) -> dict[int, str]:
    """The names of the people in the impediment's timeline, by id."""
    ids = {event.actor_id for event in impediment.events if event.actor_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def open_at_level(session: Session, level: Level) -> list[Impediment]:
    """Every open impediment at a level (for blocked days before the queue is ordered)."""
    return list(session.scalars(select(Impediment).where(Impediment.level == level, Impediment.status.not_in(CLOSED))))


def report_period(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """The report's period: default the last 90 days up to today; at most two years.

    Raises:
        ValidationFailedError: with the field ("from" or "to") and what is wrong.
    """
    for field, value in (("from", start), ("to", end)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise ValidationFailedError(
                f"Choose a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}.",
                fields={field: f"Choose a date between {EARLIEST.year} and {LATEST.year}."},
            )
    end = end or today
    start = start or end - timedelta(days=DEFAULT_REPORT_DAYS - 1)
    if start > end:
        raise ValidationFailedError(
            "The start must be on or before the end.", fields={"from": "The start must be on or before the end."}
        )
    if (end - start).days + 1 > MAX_REPORT_DAYS:
        raise ValidationFailedError(
            "Choose a period of at most two years.", fields={"from": "Choose a period of at most two years."}
        )
    return start, end
