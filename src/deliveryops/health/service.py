"""Use cases of team health checks: rounds, anonymous answers, results, history and interfaces for others.

Who does what (DESIGN.md, privacy):

- the team's delivery manager or an admin opens and closes a round;
- the team's members answer, once per round; nothing stores who gave which answer (see models.py);
- results appear only for a closed round with at least ``min_group_size`` respondents (setting,
  default 3): never partial counts, never one person's answers;
- the team, its DM, Product Ops, leaders and admins see results; comments only the team and its DM.
"""

from __future__ import annotations

import io
import random
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.db import utcnow
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.health.catalog import ensure_default_template
from deliveryops.health.models import (
    Colour,
    HealthComment,
    HealthParticipation,
    HealthRound,
    HealthRoundCard,
    HealthTally,
    HealthTemplate,
    Trend,
)
from deliveryops.health.scoring import CardResult, overall_score, tally_result
from deliveryops.settings import get_settings
from deliveryops.teams.models import Membership, Team, TeamRole
from deliveryops.teams.service import can_manage_team, get_team_or_raise
from deliveryops.web.csv_export import SafeCsvWriter

__all__ = [
    "AnswerIn",
    "CardStreak",
    "RoundScore",
    "RoundSummary",
    "card_streaks",
    "close_round",
    "closed_at_of",
    "comments_of",
    "export_csv",
    "get_round_or_raise",
    "has_answered",
    "is_team_person",
    "list_rounds",
    "minimum_respondents",
    "open_round",
    "red_streaks",
    "respondent_count",
    "submit_answers",
    "team_history",
    "team_role",
    "team_trend",
]

MAX_COMMENT = 1000


def minimum_respondents(value: int | None = None) -> int:
    """The smallest number of respondents whose results are shown (``value`` or the setting)."""
    return value if value is not None else get_settings().min_group_size


@dataclass(frozen=True)
class AnswerIn:
    """One person's answer to one card (it is tallied, never stored as it is)."""

    colour: Colour
    trend: Trend
    comment: str = ""


@dataclass(frozen=True)
class RoundSummary:
    """A closed round's results, or only that it is hidden (fewer respondents than the minimum)."""

    round_id: int
    title: str
    closed_at: datetime
    shown: bool
    respondents: int  # only ever shown to people when ``shown``
    cards: list[CardResult]
    overall: float | None
    previous_round_id: int | None


@dataclass(frozen=True)
class RoundScore:
    """A closed round's overall score (0..1) with enough respondents."""

    round_id: int
    closed_at: datetime
    score: float
    respondents: int


@dataclass(frozen=True)
class CardStreak:
    """A card whose team result was red in the latest ``red_rounds`` consecutive shown rounds."""

    card_key: str
    card_title: str
    red_rounds: int
    last_round_id: int
    last_round_closed_at: datetime


def team_role(session: Session, user: User, team_id: int) -> TeamRole | None:
    """The person's role in the team (None when not in it)."""
    return session.scalar(select(Membership.team_role).where(Membership.team_id == team_id, Membership.user_id == user.id))


def is_team_person(session: Session, user: User, team_id: int) -> bool:
    """Members and the DM of the team: the only people who read its comments."""
    return team_role(session, user, team_id) is not None


def closed_at_of(health_round: HealthRound, now: datetime | None = None) -> datetime | None:
    """When the round closed: by hand, or at its closing time once that has passed."""
    if health_round.closed_at is not None:
        return health_round.closed_at
    if health_round.closes_at is not None and health_round.closes_at <= (now or utcnow()):
        return health_round.closes_at
    return None


def _random_id() -> int:
    return secrets.randbits(62) + 1


def _reshuffle(session: Session, health_round: HealthRound) -> None:
    """Write the round's comments again in a random order with new random ids, and its participations
    in key order, so that not even the storage order follows the order of answering."""
    card_ids = [card.id for card in health_round.cards]
    comments = [
        (row.round_card_id, row.text)
        for row in session.execute(
            select(HealthComment.round_card_id, HealthComment.text).where(HealthComment.round_card_id.in_(card_ids))
        )
    ]
    people = sorted(session.scalars(select(HealthParticipation.user_id).where(HealthParticipation.round_id == health_round.id)))
    session.execute(
        delete(HealthComment).where(HealthComment.round_card_id.in_(card_ids)).execution_options(synchronize_session=False)
    )
    session.execute(
        delete(HealthParticipation)
        .where(HealthParticipation.round_id == health_round.id)
        .execution_options(synchronize_session=False)
    )
    for obj in [o for o in session.identity_map.values() if isinstance(o, HealthComment | HealthParticipation)]:
        session.expunge(obj)
    random.SystemRandom().shuffle(comments)
    session.add_all([HealthComment(id=_random_id(), round_card_id=card_id, text=text) for card_id, text in comments])
    session.add_all([HealthParticipation(round_id=health_round.id, user_id=user_id) for user_id in people])
    session.flush()


def _settle(session: Session, health_round: HealthRound, now: datetime) -> None:
    """A round whose closing time has passed is closed (and reshuffled) the first time it is looked at."""
    if health_round.closed_at is None and health_round.closes_at is not None and health_round.closes_at <= now:
        health_round.closed_at = health_round.closes_at
        _reshuffle(session, health_round)


def open_round(
    *,
    session: Session,
    actor: User,
    team_id: int,
    template_id: int | None = None,
    title: str = "",
    closes_at: datetime | None = None,
    now: datetime | None = None,
) -> HealthRound:
    """Open a health check for a team (its delivery manager or an admin).

    Args:
        session: the unit of work.
        actor: who opens it.
        team_id: the team.
        template_id: the template whose cards are asked; the standard Squad Health Check when None.
        title: e.g. "Health check Q4"; "Health check <month year>" when empty.
        closes_at: when it closes by itself (optional; in the future).
        now: the current time (tests pass one).

    Returns:
        The open round with a copy of the template's cards and a zero tally for every answer.
    """
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only the team's delivery manager or an admin opens a health check.")
    now = now or utcnow()
    errors: dict[str, str] = {}
    template = ensure_default_template(session) if template_id is None else session.get(HealthTemplate, template_id)
    if template is None:
        errors["template_id"] = f"No health-check template with id {template_id}."
    if len(title.strip()) > 200:
        errors["title"] = "Use at most 200 characters."
    if closes_at is not None and closes_at <= now:
        errors["closes_at"] = "Choose a closing time in the future."
    if errors or template is None:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    for existing in session.scalars(select(HealthRound).where(HealthRound.team_id == team.id, HealthRound.closed_at.is_(None))):
        _settle(session, existing, now)
        if existing.closed_at is None:
            raise ConflictError(
                f"{team.name} has an open health check already ({existing.title}); close it first.",
                details={"round_id": existing.id},
            )
    health_round = HealthRound(
        team_id=team.id,
        title=title.strip() or f"Health check {now:%B %Y}",
        template_id=template.id,
        template_name=template.name,
        template_version=template.version,
        opened_by_id=actor.id,
        opened_at=now,
        closes_at=closes_at,
    )
    health_round.cards = [
        HealthRoundCard(position=c.position, key=c.key, title=c.title, awesome=c.awesome, crappy=c.crappy) for c in template.cards
    ]
    session.add(health_round)
    session.flush()
    session.add_all(
        [
            HealthTally(round_card_id=card.id, colour=colour, trend=trend, count=0)
            for card in health_round.cards
            for colour in Colour
            for trend in Trend
        ]
    )
    session.flush()
    return health_round


def get_round_or_raise(*, session: Session, actor: User, round_id: int, now: datetime | None = None) -> HealthRound:
    """A round, if the actor may see the team's health (its people, Product Ops, leaders, admins)."""
    health_round = session.get(HealthRound, round_id)
    if health_round is None:
        raise NotFoundError(f"No health check with id {round_id}.")
    get_team_or_raise(session=session, actor=actor, team_id=health_round.team_id)
    _settle(session, health_round, now or utcnow())
    return health_round


def list_rounds(*, session: Session, actor: User, team_id: int, now: datetime | None = None) -> list[HealthRound]:
    """The team's rounds, newest first."""
    get_team_or_raise(session=session, actor=actor, team_id=team_id)
    rounds = list(
        session.scalars(
            select(HealthRound)
            .where(HealthRound.team_id == team_id)
            .order_by(HealthRound.opened_at.desc(), HealthRound.id.desc())
        )
    )
    for health_round in rounds:
        _settle(session, health_round, now or utcnow())
    return rounds


def respondent_count(session: Session, round_id: int) -> int:
    """How many have answered the round (shown to the team while it is open, as progress)."""
    return (
        session.scalar(select(func.count()).select_from(HealthParticipation).where(HealthParticipation.round_id == round_id)) or 0
    )


def has_answered(session: Session, round_id: int, user: User) -> bool:
    """Whether ``user`` has answered the round."""
    return (
        session.scalar(
            select(HealthParticipation.user_id).where(
                HealthParticipation.round_id == round_id, HealthParticipation.user_id == user.id
            )
        )
        is not None
    )


def submit_answers(
    *, session: Session, actor: User, round_id: int, answers: Mapping[str, AnswerIn], now: datetime | None = None
) -> None:
    """Answer every card of an open round, once (the team's members).

    The answers are added to the round's tallies; the comments are stored with random ids and no
    author; only the fact that ``actor`` answered is recorded, apart from the answers.

    Args:
        session: the unit of work.
        actor: a member of the round's team.
        round_id: the round.
        answers: card key -> colour, trend and optional comment, for every card.
        now: the current time (tests pass one).
    """
    now = now or utcnow()
    health_round = get_round_or_raise(session=session, actor=actor, round_id=round_id, now=now)
    role = team_role(session, actor, health_round.team_id)
    if role is TeamRole.DELIVERY_MANAGER:
        raise PermissionDeniedError("Delivery managers facilitate the health check; the team's members answer it.")
    if role is None:
        raise PermissionDeniedError("Only the team's members answer its health check.")
    closed = closed_at_of(health_round, now)
    if closed is not None:
        raise ValidationFailedError(
            f"This health check closed on {closed:%Y-%m-%d}; it takes no more answers.", fields={"round": "closed"}
        )
    if has_answered(session, health_round.id, actor):
        raise ConflictError("You have answered this health check already. Answers cannot be changed: nothing links them to you.")
    keys = {card.key for card in health_round.cards}
    errors = {key: f"Unknown card {key!r}." for key in answers if key not in keys}
    for card in health_round.cards:
        answer = answers.get(card.key)
        if answer is None:
            errors[card.key] = f"Choose a colour and a trend for {card.title}."
        elif len(answer.comment) > MAX_COMMENT:
            errors[card.key] = f"Keep the comment on {card.title} under {MAX_COMMENT} characters."
    if errors:
        missing = sum(1 for key in errors if key in keys)
        raise ValidationFailedError(
            f"Answer every card ({missing} still need{'s' if missing == 1 else ''} a colour and a trend)."
            if missing
            else "Unknown cards in the answer.",
            fields=errors,
        )
    try:
        with session.begin_nested():
            session.add(HealthParticipation(round_id=health_round.id, user_id=actor.id))
    except IntegrityError as exc:
        raise ConflictError("You have answered this health check already.") from exc
    comments = []
    for card in health_round.cards:
        answer = answers[card.key]
        session.execute(
            update(HealthTally)
            .where(HealthTally.round_card_id == card.id, HealthTally.colour == answer.colour, HealthTally.trend == answer.trend)
            .values(count=HealthTally.count + 1)
            .execution_options(synchronize_session=False)
        )
        if answer.comment.strip():
            comments.append(HealthComment(id=_random_id(), round_card_id=card.id, text=answer.comment.strip()))
    random.SystemRandom().shuffle(comments)
    session.add_all(comments)
    session.flush()


def close_round(*, session: Session, actor: User, round_id: int, now: datetime | None = None) -> HealthRound:
    """Close an open round (its team's DM or an admin); results appear if enough people answered."""
    now = now or utcnow()
    health_round = get_round_or_raise(session=session, actor=actor, round_id=round_id, now=now)
    team = session.get(Team, health_round.team_id)
    assert team is not None
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only the team's delivery manager or an admin closes a health check.")
    if health_round.closed_at is not None:
        raise ConflictError(f"This health check closed on {health_round.closed_at:%Y-%m-%d} already.")
    health_round.closed_at = now
    _reshuffle(session, health_round)
    return health_round


def _tallies(session: Session, card_ids: list[int]) -> dict[int, dict[tuple[Colour, Trend], int]]:
    found: dict[int, dict[tuple[Colour, Trend], int]] = defaultdict(dict)
    if not card_ids:
        return found
    for card_id, colour, trend, count in session.execute(
        select(HealthTally.round_card_id, HealthTally.colour, HealthTally.trend, HealthTally.count).where(
            HealthTally.round_card_id.in_(card_ids)
        )
    ):
        found[card_id][(colour, trend)] = count
    return found


def team_history(
    session: Session, *, team_id: int, min_group_size: int | None = None, now: datetime | None = None
) -> list[RoundSummary]:
    """The team's closed rounds, oldest first, with results for those with enough respondents.

    No permission check: callers check the team scope. ``change`` compares each card with the
    previous shown round that asked it.

    Args:
        session: the unit of work.
        team_id: the team.
        min_group_size: the minimum respondents (the setting when None).
        now: the current time (rounds past their closing time count as closed).

    Returns:
        One summary per closed round.
    """
    minimum = minimum_respondents(min_group_size)
    closed = [(closed_at_of(r, now), r) for r in session.scalars(select(HealthRound).where(HealthRound.team_id == team_id))]
    rounds = sorted(((at, r) for at, r in closed if at is not None), key=lambda pair: (pair[0], pair[1].id))
    if not rounds:
        return []
    round_ids = [r.id for _at, r in rounds]
    counts = dict(
        session.execute(
            select(HealthParticipation.round_id, func.count())
            .where(HealthParticipation.round_id.in_(round_ids))
            .group_by(HealthParticipation.round_id)
        ).all()
    )
    tallies = _tallies(session, [card.id for _at, r in rounds for card in r.cards])
    summaries: list[RoundSummary] = []
    last_scores: dict[str, float] = {}
    previous_id: int | None = None
    for at, health_round in rounds:
        respondents = counts.get(health_round.id, 0)
        if respondents < minimum:
            summaries.append(RoundSummary(health_round.id, health_round.title, at, False, respondents, [], None, previous_id))
            continue
        cards = []
        for card in health_round.cards:
            result = tally_result(card.key, card.title, tallies.get(card.id, {}))
            if result is None:
                continue
            change = round(result.score - last_scores[card.key], 4) if card.key in last_scores else None
            cards.append(CardResult(**{**result.__dict__, "change": change}))
        summaries.append(
            RoundSummary(health_round.id, health_round.title, at, True, respondents, cards, overall_score(cards), previous_id)
        )
        last_scores.update({c.key: c.score for c in cards})
        previous_id = health_round.id
    return summaries


def comments_of(session: Session, health_round: HealthRound) -> dict[str, list[str]]:
    """The round's comments by card key, alphabetically (an order that says nothing about who wrote them)."""
    by_id = {card.id: card.key for card in health_round.cards}
    found: dict[str, list[str]] = defaultdict(list)
    for card_id, text in session.execute(
        select(HealthComment.round_card_id, HealthComment.text).where(HealthComment.round_card_id.in_(list(by_id)))
    ):
        found[by_id[card_id]].append(text)
    return {key: sorted(texts, key=str.casefold) for key, texts in found.items()}


def team_trend(session: Session, *, team_id: int, min_group_size: int | None = None) -> list[RoundScore]:
    """The overall score of each closed round with enough respondents, oldest first (no permission check).

    Args:
        session: the unit of work.
        team_id: the team.
        min_group_size: the minimum respondents (the setting when None).

    Returns:
        ``RoundScore(round_id, closed_at, score 0..1, respondents)`` per shown round.
    """
    return [
        RoundScore(s.round_id, s.closed_at, s.overall, s.respondents)
        for s in team_history(session, team_id=team_id, min_group_size=min_group_size)
        if s.shown and s.overall is not None
    ]


def card_streaks(session: Session, *, team_id: int, min_group_size: int | None = None) -> list[CardStreak]:
    """Cards whose team result was red in the latest N ≥ 1 consecutive shown rounds (no permission check).

    "Red" is the documented result colour: a score below 0.40. Only cards of the latest shown round
    count; a round that did not ask a card ends its streak. Longest streaks first.

    Args:
        session: the unit of work.
        team_id: the team.
        min_group_size: the minimum respondents (the setting when None).

    Returns:
        The streaks.
    """
    return red_streaks(team_history(session, team_id=team_id, min_group_size=min_group_size))


def red_streaks(history: Sequence[RoundSummary]) -> list[CardStreak]:
    """The streaks of :func:`card_streaks` in a history already loaded by :func:`team_history`.

    Args:
        history: the team's rounds, oldest first (rounds not shown are skipped).

    Returns:
        The streaks, longest first.
    """
    shown = [s for s in history if s.shown]
    if not shown:
        return []
    latest = shown[-1]
    streaks = []
    for position, card in enumerate(latest.cards):
        count = 0
        for summary in reversed(shown):
            result = next((c for c in summary.cards if c.key == card.key), None)
            if result is None or result.colour is not Colour.RED:
                break
            count += 1
        if count:
            streaks.append((count, position, CardStreak(card.key, card.title, count, latest.round_id, latest.closed_at)))
    return [streak for _count, _position, streak in sorted(streaks, key=lambda s: (-s[0], s[1]))]


def export_csv(session: Session, *, team_id: int, min_group_size: int | None = None) -> str:
    """The team's results as CSV: a row per card of each shown round; hidden rounds say so, without values."""
    minimum = minimum_respondents(min_group_size)
    out = io.StringIO()
    writer = SafeCsvWriter(out, lineterminator="\n")
    writer.writerow(
        [
            "round_id",
            "round",
            "closed_at",
            "respondents",
            "card_key",
            "card",
            "green",
            "amber",
            "red",
            "better",
            "same",
            "worse",
            "score",
            "result",
            "change_since_previous",
        ]
    )
    for summary in team_history(session, team_id=team_id, min_group_size=minimum):
        closed = summary.closed_at.isoformat(timespec="seconds")
        if not summary.shown:
            writer.writerow(
                [
                    summary.round_id,
                    summary.title,
                    closed,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    f"hidden: fewer than {minimum} respondents",
                    "",
                ]
            )
            continue
        for card in summary.cards:
            writer.writerow(
                [
                    summary.round_id,
                    summary.title,
                    closed,
                    summary.respondents,
                    card.key,
                    card.title,
                    card.colours["green"],
                    card.colours["amber"],
                    card.colours["red"],
                    card.trends["better"],
                    card.trends["same"],
                    card.trends["worse"],
                    f"{card.score:.4f}",
                    card.colour.value,
                    "" if card.change is None else f"{card.change:+.4f}",
                ]
            )
    return out.getvalue()
