"""The retro of retros: themes that recur across teams' retros over a period, for Product Ops.

Themes of the period's retros are grouped by the similarity of their titles (the same text similarity
as cross-team impediments, ``analytics.similarity``). A group is shown only when it spans at least the
privacy minimum of teams (``min_group_size``, DESIGN.md privacy), with the number of retros and the
teams, and a name from the words its theme titles share: never a card, an author or a vote.

A theme whose title is the text of one of its retro's cards (a loose card becomes its own theme when
voting starts) is a card, not a theme: it is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.analytics.similarity import DEFAULT_THRESHOLD, propose_clusters
from deliveryops.db import utcnow
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.retros.models import Card, Phase, Retro, Theme
from deliveryops.retros.naming import suggest_title
from deliveryops.teams.models import Team

__all__ = ["MAX_DAYS", "RecurringTheme", "ThemeText", "card_titled", "group_themes", "period", "recurring_themes", "theme_texts"]

MAX_DAYS = 366
DEFAULT_PERIOD_DAYS = 90
THEMED = (Phase.VOTE, Phase.DISCUSS, Phase.ACTIONS, Phase.FINISHED)  # retros whose themes are settled


@dataclass(frozen=True)
class ThemeText:
    """A theme's title with the retro and team it comes from."""

    title: str
    retro_id: int
    team_id: int


@dataclass(frozen=True)
class RecurringTheme:
    """Theme titles of several teams' retros that read alike: a name, how many retros, which teams."""

    title: str
    retros: int
    teams: list[str]


def period(start: date | None, end: date | None) -> tuple[date, date]:
    """The period looked at: the last 90 days up to today unless given."""
    last = end or utcnow().date()
    span = timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    return start or (last - span if last - date.min >= span else date.min), last


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def card_titled(retro: Retro) -> set[int]:
    """The ids of the retro's themes whose title is one of its cards' texts: cards, not themes."""
    texts = {_normal(c.text) for c in retro.cards}
    return {t.id for t in retro.themes if _normal(t.title) in texts}


def theme_texts(session: Session, *, start: date, end: date) -> list[ThemeText]:
    """The titles of the themes of retros held from ``start`` to ``end`` (both included, UTC) that have voted;
    a title that is one of its retro's card texts is left out."""
    since = datetime.combine(start, time(), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC) if end < date.max else datetime.max.replace(tzinfo=UTC)
    rows = session.execute(
        select(Theme.title, Retro.id, Retro.team_id)
        .join(Retro, Retro.id == Theme.retro_id)
        .where(Retro.scheduled_for >= since, Retro.scheduled_for < until, Retro.phase.in_(THEMED))
        .order_by(Retro.id, Theme.id)
    ).all()
    cards: dict[int, set[str]] = {}
    for text, retro_id in session.execute(select(Card.text, Card.retro_id).where(Card.retro_id.in_({r[1] for r in rows}))).all():
        cards.setdefault(retro_id, set()).add(_normal(text))
    return [
        ThemeText(title, retro_id, team_id)
        for title, retro_id, team_id in rows
        if title.strip() and _normal(title) not in cards.get(retro_id, set())
    ]


def group_themes(
    texts: list[ThemeText], *, min_teams: int, team_names: dict[int, str], threshold: float = DEFAULT_THRESHOLD
) -> list[RecurringTheme]:
    """Groups of theme titles that read alike, spanning at least ``min_teams`` teams, most teams first."""
    if len(texts) < 2:
        return []
    clusters = propose_clusters([t.title for t in texts], groups=[t.team_id for t in texts], threshold=threshold)
    found = []
    for cluster in clusters:
        members = [texts[i] for i in cluster]
        teams = {m.team_id for m in members}
        if len(teams) < min_teams:
            continue
        found.append(
            RecurringTheme(
                title=suggest_title([m.title for m in members], [t.title for t in texts]),
                retros=len({m.retro_id for m in members}),
                teams=sorted((team_names.get(i, "") for i in teams), key=str.casefold),
            )
        )
    return sorted(found, key=lambda r: (-len(r.teams), -r.retros, r.title.casefold()))


def recurring_themes(
    *, session: Session, actor: User | None, start: date, end: date, min_group_size: int
) -> list[RecurringTheme]:
    """Themes that recur across at least ``min_group_size`` teams' retros from ``start`` to ``end``.

    Args:
        session: the unit of work.
        actor: Product Ops, leaders and admins (cross-team roll-ups); None for the command line.
        start: the first day of the period.
        end: the last day (at most 366 days after ``start``).
        min_group_size: the privacy minimum: fewer teams than this and a group is not shown.

    Returns:
        The recurring themes, most teams first.
    """
    if actor is not None and not actor.role.sees_all_teams:
        raise PermissionDeniedError("Recurring retro themes across teams are for Product Ops and leaders.")
    if end < start:
        raise ValidationFailedError("The period ends before it starts.", fields={"end": "before start"})
    if (end - start).days > MAX_DAYS:
        raise ValidationFailedError(f"Choose a period of at most {MAX_DAYS} days.", fields={"start": "too early"})
    texts = theme_texts(session, start=start, end=end)
    names: dict[int, str] = dict(session.execute(select(Team.id, Team.name)).all())
    return group_themes(texts, min_teams=max(2, min_group_size), team_names=names)
