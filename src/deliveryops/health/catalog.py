"""Health-check templates: the standard Squad Health Check and the custom ones admins and DMs write.

The standard template is read-only (copy it to change it). Editing a custom template bumps its
``version``; rounds copy their cards when they open, so past rounds never change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.db import utcnow
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.health.models import HealthTemplate, HealthTemplateCard
from deliveryops.teams.models import Membership, TeamRole

__all__ = [
    "DEFAULT_CARDS",
    "DEFAULT_NAME",
    "MAX_CARDS",
    "CardIn",
    "can_edit_templates",
    "cards_as_text",
    "create_template",
    "ensure_default_template",
    "get_template_or_raise",
    "list_templates",
    "parse_cards",
    "require_editor",
    "update_template",
]

DEFAULT_NAME = "Squad Health Check"
DEFAULT_DESCRIPTION = (
    'The standard cards of the Squad Health Check model (Spotify, 2014): each card has an "awesome" and a "crappy" example.'
)
MAX_CARDS = 20
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


@dataclass(frozen=True)
class CardIn:
    """A card as written by the template's author."""

    key: str
    title: str
    awesome: str
    crappy: str


DEFAULT_CARDS: tuple[CardIn, ...] = (
    CardIn(
        "easy_to_release",
        "Easy to release",
        "Releasing is simple, safe, painless and mostly automated.",
        "Releasing is risky, painful, lots of manual work, and takes forever.",
    ),
    CardIn("suitable_process", "Suitable process", "Our way of working fits us perfectly.", "Our way of working sucks."),
    CardIn(
        "tech_quality",
        "Tech quality (health of codebase)",
        "We're proud of the quality of our code! It is clean, easy to read, and has great test coverage.",
        "Our code is a pile of dung, and technical debt is raging out of control.",
    ),
    CardIn(
        "value",
        "Value",
        "We deliver great stuff! We're proud of it and our stakeholders are really happy.",
        "We deliver crap. We feel ashamed to deliver it. Our stakeholders hate us.",
    ),
    CardIn(
        "speed",
        "Speed",
        "We get stuff done really quickly. No waiting, no delays.",
        "We never seem to get done with anything. We keep getting stuck or interrupted. Stories keep getting "
        "stuck on dependencies.",
    ),
    CardIn(
        "mission",
        "Mission",
        "We know exactly why we are here, and we are really excited about it.",
        "We have no idea why we are here. There is no high-level picture or focus. Our so-called mission is "
        "completely unclear and uninspiring.",
    ),
    CardIn("fun", "Fun", "We love going to work, and have great fun working together.", "Boooooooring."),
    CardIn(
        "learning", "Learning", "We're learning lots of interesting stuff all the time!", "We never have time to learn anything."
    ),
    CardIn(
        "support",
        "Support",
        "We always get great support and help when we ask for it!",
        "We keep getting stuck because we can't get the support and help that we ask for.",
    ),
    CardIn(
        "pawns_or_players",
        "Pawns or players",
        "We are in control of our destiny! We decide what to build and how to build it.",
        "We are just pawns in a game of chess, with no influence over what we build or how we build it.",
    ),
)


def ensure_default_template(session: Session) -> HealthTemplate:
    """Return the standard template, creating it if it is missing (the migration seeds it).

    Args:
        session: the unit of work.

    Returns:
        The default template.
    """
    template = session.scalar(
        select(HealthTemplate).where(HealthTemplate.is_default.is_(True)).order_by(HealthTemplate.id).limit(1)
    )
    if template is None:
        template = HealthTemplate(name=DEFAULT_NAME, description=DEFAULT_DESCRIPTION, is_default=True, version=1)
        template.cards = [
            HealthTemplateCard(position=i, key=c.key, title=c.title, awesome=c.awesome, crappy=c.crappy)
            for i, c in enumerate(DEFAULT_CARDS)
        ]
        session.add(template)
        session.flush()
    return template


def can_edit_templates(session: Session, user: User) -> bool:
    """Admins and delivery managers (by role or by leading a team) write templates."""
    if user.role in (Role.ADMIN, Role.DELIVERY_MANAGER):
        return True
    return (
        session.scalar(
            select(Membership.id).where(Membership.user_id == user.id, Membership.team_role == TeamRole.DELIVERY_MANAGER).limit(1)
        )
        is not None
    )


def require_editor(session: Session, user: User) -> None:
    """Refuse anyone who may not write templates (see :func:`can_edit_templates`)."""
    if not can_edit_templates(session, user):
        raise PermissionDeniedError("Only admins and delivery managers write health-check templates.")


def list_templates(*, session: Session) -> list[HealthTemplate]:
    """Every template, the standard one first, then by name (anyone signed in may read them)."""
    ensure_default_template(session)
    return list(session.scalars(select(HealthTemplate).order_by(HealthTemplate.is_default.desc(), HealthTemplate.name)))


def get_template_or_raise(*, session: Session, template_id: int) -> HealthTemplate:
    """A template by id."""
    template = session.get(HealthTemplate, template_id)
    if template is None:
        raise NotFoundError(f"No health-check template with id {template_id}.")
    return template


def parse_cards(text: str) -> list[CardIn]:
    """Read cards written one per line: ``key | title | awesome example | crappy example``.

    The key may be left out (three parts): it is then made from the title. Blank lines are skipped.

    Args:
        text: the lines.

    Returns:
        The cards in order.

    Raises:
        ValidationFailedError: naming the first bad line (field ``cards``).
    """
    cards: list[CardIn] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3:
            parts = [_key_from(parts[0]), *parts]
        if len(parts) != 4:
            message = (
                f"Line {number}: write 'key | title | awesome example | crappy example' "
                f"(found {len(parts)} part{'s' if len(parts) != 1 else ''})."
            )
            raise ValidationFailedError(message, fields={"cards": message})
        cards.append(CardIn(*parts))
    return cards


def cards_as_text(cards: Sequence[CardIn | HealthTemplateCard]) -> str:
    """The cards in the line format :func:`parse_cards` reads."""
    return "\n".join(f"{c.key} | {c.title} | {c.awesome} | {c.crappy}" for c in cards)


def _key_from(title: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    return key[:60] if key and key[0].isalpha() else f"card_{key}"[:60]


def _check(session: Session, *, name: str, cards: Sequence[CardIn], template_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the template a name."
    elif len(name.strip()) > 100:
        errors["name"] = "Use at most 100 characters."
    elif (
        session.scalar(
            select(HealthTemplate.id).where(HealthTemplate.name == name.strip(), HealthTemplate.id != (template_id or 0))
        )
        is not None
    ):
        errors["name"] = f"A template named {name.strip()!r} exists already."
    if not 1 <= len(cards) <= MAX_CARDS:
        errors["cards"] = f"A template has 1 to {MAX_CARDS} cards (this one has {len(cards)})."
        return errors
    seen: set[str] = set()
    for number, card in enumerate(cards, start=1):
        problem = None
        if not KEY_PATTERN.match(card.key):
            problem = f"the key {card.key!r} must be snake_case: a lower-case letter, then letters, digits or _ (at most 60)"
        elif card.key in seen:
            problem = f"the key {card.key!r} is used twice"
        elif not card.title.strip() or len(card.title) > 120:
            problem = "give a title of 1 to 120 characters"
        elif not card.awesome.strip() or not card.crappy.strip():
            problem = "give both an awesome and a crappy example"
        elif len(card.awesome) > 500 or len(card.crappy) > 500:
            problem = "keep each example under 500 characters"
        seen.add(card.key)
        if problem:
            errors["cards"] = f"Card {number} ({card.title.strip() or card.key}): {problem}."
            break
    return errors


def _set_cards(template: HealthTemplate, cards: Sequence[CardIn]) -> None:
    template.cards = [
        HealthTemplateCard(position=i, key=c.key, title=c.title.strip(), awesome=c.awesome.strip(), crappy=c.crappy.strip())
        for i, c in enumerate(cards)
    ]


def create_template(
    *, session: Session, actor: User, name: str, description: str = "", cards: Sequence[CardIn]
) -> HealthTemplate:
    """Write a custom template (admins and delivery managers).

    Args:
        session: the unit of work.
        actor: who writes it.
        name: unique name.
        description: what it is for.
        cards: 1 to 20 cards, keys unique snake_case, in the order they are asked.

    Returns:
        The template, version 1.
    """
    require_editor(session, actor)
    errors = _check(session, name=name, cards=cards, template_id=None)
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    template = HealthTemplate(
        name=name.strip(), description=description.strip()[:2000], is_default=False, version=1, created_by_id=actor.id
    )
    _set_cards(template, cards)
    session.add(template)
    session.flush()
    return template


def update_template(
    *, session: Session, actor: User, template_id: int, name: str, description: str = "", cards: Sequence[CardIn]
) -> HealthTemplate:
    """Change a custom template's name, description and cards (add, remove, reorder); bumps its version.

    Rounds opened earlier keep the cards they were asked with.
    """
    require_editor(session, actor)
    template = get_template_or_raise(session=session, template_id=template_id)
    if template.is_default:
        raise ConflictError("The standard Squad Health Check cannot be changed; create a template from it instead.")
    errors = _check(session, name=name, cards=cards, template_id=template.id)
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    template.name = name.strip()
    template.description = description.strip()[:2000]
    template.cards.clear()
    session.flush()  # the old cards go first: the new ones may reuse their keys
    _set_cards(template, cards)
    template.version += 1
    template.updated_at = utcnow()
    session.flush()
    return template
