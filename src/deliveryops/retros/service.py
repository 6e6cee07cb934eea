"""Use cases for retrospectives. Every change bumps ``Retro.version``; live clients follow the version.

Only the team's people (members and its delivery managers) see a retro: not Product Ops, leaders or
admins (DESIGN.md, privacy). In an anonymous retro no card stores its author; a random token kept in
the writer's session marks their own cards so they can see them while the others' are private.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.actions import service as actions
from deliveryops.actions.models import ActionStatus, ImprovementAction, TargetMetric
from deliveryops.analytics.similarity import propose_clusters
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, ValidationFailedError
from deliveryops.facilitation import access
from deliveryops.health import service as health
from deliveryops.health.service import RoundSummary
from deliveryops.notify import service as notify
from deliveryops.retros.models import FORMATS, Card, Phase, Reaction, Retro, Theme, Vote
from deliveryops.retros.naming import suggest_title
from deliveryops.retros.schemas import CardRead, RetroActionRead, RetroRead, SuggestedTheme, ThemeRead
from deliveryops.teams.models import Membership, Team

__all__ = [
    "HEALTH_PHASES",
    "ICEBREAKERS",
    "REACTIONS",
    "HealthSnapshot",
    "RedStreak",
    "add_action",
    "add_card",
    "advance",
    "can_facilitate",
    "change_arrow",
    "change_label",
    "create_theme",
    "delete_theme",
    "export_markdown",
    "get_or_raise",
    "health_markdown",
    "health_snapshot",
    "list_team",
    "merge_themes",
    "move_card",
    "move_on",
    "react",
    "rename_theme",
    "schedule",
    "set_icebreaker",
    "set_notes",
    "set_timer",
    "state",
    "suggest_themes",
    "suggest_titles",
    "team_people",
    "vote",
]

HEALTH_PHASES = (Phase.REVIEW, Phase.REFLECT)  # the phases the board shows the team's latest health check in
REACTIONS = ("👍", "❤️", "😂", "🎉", "🤔")  # the emoji a card can get, one of each per participant
REACTION_PHASES = (Phase.GROUP, Phase.VOTE, Phase.DISCUSS, Phase.ACTIONS)
ICEBREAKERS = (
    "What was the best thing that happened to you since the last retro?",
    "If this sprint were a weather forecast, what would it be?",
    "Which tool or habit saved you time lately?",
    "What is one thing you learned from a teammate this sprint?",
    "Describe the sprint in three words.",
    "What would you tell yourself at the start of the sprint?",
    "Which small win deserves a mention?",
    "If you could remove one meeting, which one and why?",
)
RED_STREAK_ROUNDS = 2  # "red several rounds running": red in at least this many shown rounds in a row


def _membership(session: Session, user: User, team_id: int) -> Membership | None:
    return access.membership(session, user, team_id)


def _require_team_person(session: Session, user: User, team_id: int) -> Membership:
    return access.require_team_person(session, user, team_id, "Retrospectives")


def _touch(retro: Retro) -> None:
    retro.version = (retro.version or 0) + 1


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def schedule(
    *,
    session: Session,
    actor: User,
    team_id: int,
    title: str,
    retro_format: str = "start-stop-continue",
    custom_columns: list[str] | None = None,
    vote_budget: int = 3,
    anonymous: bool = True,
    scheduled_for: datetime | None = None,
) -> Retro:
    """Schedule a retro for a team (its people; the one who schedules it facilitates).

    Args:
        session: the unit of work.
        actor: who schedules and facilitates it.
        team_id: the team.
        title: e.g. "Sprint 42 retro".
        retro_format: one of FORMATS, or "custom" with ``custom_columns``.
        custom_columns: 1 to 6 column names for a custom format.
        vote_budget: votes per person (1 to 10).
        anonymous: store no author on cards (the default).
        scheduled_for: when it takes place.

    Returns:
        The retro, in its first phase (review of previous actions).
    """
    _require_team_person(session, actor, team_id)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the retro a title."
    if retro_format == "custom":
        columns = [c.strip() for c in (custom_columns or []) if c.strip()]
        if not 1 <= len(columns) <= 6:
            errors["columns"] = "A custom format has 1 to 6 columns."
    elif retro_format in FORMATS:
        columns = FORMATS[retro_format]
    else:
        columns = []
        errors["format"] = f"Choose one of: {', '.join([*FORMATS, 'custom'])}."
    if not 1 <= vote_budget <= 10:
        errors["vote_budget"] = "Give each person 1 to 10 votes."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    retro = Retro(
        team_id=team_id,
        title=title.strip()[:200],
        format=retro_format,
        columns=columns,
        vote_budget=vote_budget,
        anonymous=anonymous,
        facilitator_id=actor.id,
        scheduled_for=scheduled_for or utcnow(),
    )
    session.add(retro)
    session.flush()
    return retro


def list_team(*, session: Session, actor: User, team_id: int) -> list[Retro]:
    """The team's retros, newest first."""
    _require_team_person(session, actor, team_id)
    return list(
        session.scalars(select(Retro).where(Retro.team_id == team_id).order_by(Retro.scheduled_for.desc(), Retro.id.desc()))
    )


def get_or_raise(*, session: Session, actor: User, retro_id: int) -> Retro:
    """A retro, if the actor is in its team."""
    retro = session.get(Retro, retro_id)
    if retro is None:
        raise NotFoundError(f"No retrospective with id {retro_id}.")
    _require_team_person(session, actor, retro.team_id)
    return retro


def _require_phase(retro: Retro, *phases: Phase) -> None:
    if retro.phase not in phases:
        allowed = " or ".join(p.value for p in phases)
        raise ValidationFailedError(
            f"That is done in the {allowed} phase; the retro is in the {retro.phase.value} phase.",
            fields={"phase": retro.phase.value},
        )


def can_facilitate(session: Session, actor: User, retro: Retro) -> bool:
    """Whether the actor runs the retro: whoever scheduled it, or a delivery manager of the team."""
    return access.can_facilitate(session, actor, retro.team_id, retro.facilitator_id)


def _require_facilitator(session: Session, actor: User, retro: Retro) -> None:
    access.require_facilitator(session, actor, retro.team_id, retro.facilitator_id, "retro")


def add_card(*, session: Session, actor: User, retro_id: int, token: str, column: str, text: str) -> Card:
    """Write a card (reflect phase); private to its writer until reflection ends."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_phase(retro, Phase.REFLECT)
    if column not in retro.columns:
        raise ValidationFailedError(f"No column {column!r} in this retro.", fields={"column": "unknown"})
    if not text.strip():
        raise ValidationFailedError("Write something on the card.", fields={"text": "empty"})
    card = Card(
        retro_id=retro.id,
        column=column,
        text=text.strip()[:2000],
        writer_token=_hash(token),
        author_id=None if retro.anonymous else actor.id,
    )
    session.add(card)
    _touch(retro)
    session.flush()
    return card


def create_theme(*, session: Session, actor: User, retro_id: int, title: str, card_ids: list[int]) -> Theme:
    """Group cards under a theme (group phase)."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_phase(retro, Phase.GROUP)
    theme = Theme(retro_id=retro.id, title=(title.strip() or "Untitled theme")[:200])
    retro.themes.append(theme)
    session.flush()
    for card in retro.cards:
        if card.id in card_ids:
            card.theme_id = theme.id
    _touch(retro)
    session.flush()
    return theme


def move_card(*, session: Session, actor: User, retro_id: int, card_id: int, theme_id: int | None) -> str | None:
    """Put a card into a theme, or take it out (group phase). A theme the move leaves without cards is
    removed, with any votes on it; returns a sentence saying so, or None."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_phase(retro, Phase.GROUP)
    card = next((c for c in retro.cards if c.id == card_id), None)
    if card is None or (theme_id is not None and theme_id not in {t.id for t in retro.themes}):
        raise ValidationFailedError("No such card or theme in this retro.", fields={"card": "unknown"})
    previous = card.theme_id
    card.theme_id = theme_id
    notice = None
    if previous is not None and previous != theme_id and not any(c.theme_id == previous for c in retro.cards):
        notice = _remove_theme(session, retro, _theme(retro, previous), reason="had no cards left")
    _touch(retro)
    session.flush()
    return notice


def _theme(retro: Retro, theme_id: int) -> Theme:
    theme = next((t for t in retro.themes if t.id == theme_id), None)
    if theme is None:
        raise ValidationFailedError("No such theme in this retro.", fields={"theme": "unknown"})
    return theme


def _remove_theme(session: Session, retro: Retro, theme: Theme, *, reason: str) -> str:
    """Delete a theme and its votes (its cards become loose); the sentence that tells the board."""
    votes = list(session.scalars(select(Vote).where(Vote.theme_id == theme.id)))
    for v in votes:
        session.delete(v)
    for card in retro.cards:
        if card.theme_id == theme.id:
            card.theme_id = None
    retro.themes.remove(theme)
    session.delete(theme)
    gone = f" and its {len(votes)} vote{'s' if len(votes) != 1 else ''} went with it" if votes else ""
    return f"The theme \u201c{theme.title}\u201d {reason} and was removed{gone}."


def rename_theme(*, session: Session, actor: User, retro_id: int, theme_id: int, title: str) -> Theme:
    """Rename a theme (group to actions phases)."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_phase(retro, Phase.GROUP, Phase.VOTE, Phase.DISCUSS, Phase.ACTIONS)
    theme = _theme(retro, theme_id)
    if not title.strip():
        raise ValidationFailedError("Give the theme a title.", fields={"title": "empty"})
    theme.title = title.strip()[:200]
    _touch(retro)
    session.flush()
    return theme


def merge_themes(*, session: Session, actor: User, retro_id: int, theme_id: int, into_id: int) -> str:
    """Merge a theme into another (group or vote phase): its cards and votes move over, then it is removed."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_phase(retro, Phase.GROUP, Phase.VOTE)
    source, target = _theme(retro, theme_id), _theme(retro, into_id)
    if source.id == target.id:
        raise ValidationFailedError("Choose another theme to merge into.", fields={"into_id": "same"})
    for card in retro.cards:
        if card.theme_id == source.id:
            card.theme_id = target.id
    votes = list(session.scalars(select(Vote).where(Vote.theme_id == source.id)))
    for v in votes:
        v.theme_id = target.id
    session.flush()
    _remove_theme(session, retro, source, reason="was merged")
    _touch(retro)
    session.flush()
    moved = f" with its {len(votes)} vote{'s' if len(votes) != 1 else ''}" if votes else ""
    return f"The theme \u201c{source.title}\u201d was merged into \u201c{target.title}\u201d{moved}."


def delete_theme(*, session: Session, actor: User, retro_id: int, theme_id: int) -> str:
    """Delete a theme (group or vote phase): its cards become loose again and its votes are deleted."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_phase(retro, Phase.GROUP, Phase.VOTE)
    notice = _remove_theme(session, retro, _theme(retro, theme_id), reason="was deleted")
    _touch(retro)
    session.flush()
    return notice


def react(*, session: Session, actor: User, retro_id: int, token: str, card_id: int, emoji: str) -> bool:
    """Add the caller's emoji to a card, or take it back when it is there (group to actions phases).

    One of each emoji per participant; the participant is a hash of their token, as with votes, so
    reactions name nobody. Returns whether the reaction is now on the card.
    """
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_phase(retro, *REACTION_PHASES)
    if emoji not in REACTIONS:
        raise ValidationFailedError(f"React with one of: {' '.join(REACTIONS)}.", fields={"emoji": "unknown"})
    if card_id not in {c.id for c in retro.cards}:
        raise ValidationFailedError("No such card in this retro.", fields={"card": "unknown"})
    reactor = _hash(f"{token}:{retro.id}")
    mine = session.scalar(
        select(Reaction).where(Reaction.card_id == card_id, Reaction.emoji == emoji, Reaction.reactor_token == reactor)
    )
    if mine is not None:
        session.delete(mine)
    else:
        session.add(Reaction(retro_id=retro.id, card_id=card_id, emoji=emoji, reactor_token=reactor))
    _touch(retro)
    session.flush()
    return mine is None


def set_icebreaker(*, session: Session, actor: User, retro_id: int, question: str | None = None, shuffle: bool = False) -> Retro:
    """Set the icebreaker question (facilitator, before reflecting ends): a chosen or written question,
    a random one from ICEBREAKERS other than the current (``shuffle``), or none (empty question)."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_facilitator(session, actor, retro)
    _require_phase(retro, Phase.REVIEW, Phase.REFLECT)
    if shuffle:
        retro.icebreaker = secrets.choice([q for q in ICEBREAKERS if q != retro.icebreaker])
    else:
        retro.icebreaker = (question or "").strip()[:300] or None
    _touch(retro)
    session.flush()
    return retro


def suggest_themes(*, session: Session, actor: User, retro_id: int) -> list[list[int]]:
    """Groups of ungrouped cards that read alike (the same text similarity as cross-team impediments)."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    loose = [c for c in retro.cards if c.theme_id is None]
    if len(loose) < 2:
        return []
    return [[loose[i].id for i in group] for group in propose_clusters([c.text for c in loose])]


def suggest_titles(*, session: Session, actor: User, retro_id: int) -> list[SuggestedTheme]:
    """Groups of ungrouped cards that read alike, each with a title from the words its cards share."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    text = {c.id: c.text for c in retro.cards}
    board = list(text.values())
    return [
        SuggestedTheme(title=suggest_title([text[i] for i in group], board), card_ids=group)
        for group in suggest_themes(session=session, actor=actor, retro_id=retro_id)
    ]


def vote(*, session: Session, actor: User, retro_id: int, token: str, theme_id: int, add: bool = True) -> int:
    """Cast (or take back) a vote on a theme; returns the votes the voter has left.

    ``token`` is the voter's vote token (``participants.vote_token``: one per person per retro), not the
    participant token of their cards: the budget is the person's, whatever session they vote from.
    """
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_phase(retro, Phase.VOTE)
    if theme_id not in {t.id for t in retro.themes}:
        raise ValidationFailedError("No such theme in this retro.", fields={"theme": "unknown"})
    voter = _hash(f"{token}:{retro.id}")
    mine = list(session.scalars(select(Vote).where(Vote.retro_id == retro.id, Vote.voter_token == voter)))
    if add:
        if len(mine) >= retro.vote_budget:
            raise ValidationFailedError(f"You have used all {retro.vote_budget} of your votes.", fields={"votes": "budget"})
        session.add(Vote(retro_id=retro.id, theme_id=theme_id, voter_token=voter))
        mine_after = len(mine) + 1
    else:
        on_theme = [v for v in mine if v.theme_id == theme_id]
        if on_theme:
            session.delete(on_theme[0])
        mine_after = len(mine) - (1 if on_theme else 0)
    _touch(retro)
    session.flush()
    return retro.vote_budget - mine_after


def set_notes(*, session: Session, actor: User, retro_id: int, theme_id: int, notes: str) -> None:
    """Discussion notes of a theme (discuss phase)."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_phase(retro, Phase.DISCUSS, Phase.ACTIONS)
    theme = next((t for t in retro.themes if t.id == theme_id), None)
    if theme is None:
        raise ValidationFailedError("No such theme in this retro.", fields={"theme": "unknown"})
    theme.notes = notes.strip()[:5000]
    _touch(retro)
    session.flush()


def advance(*, session: Session, actor: User, retro_id: int) -> Retro:
    """Move to the next phase (facilitator). Entering voting gives every loose card its own theme."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_facilitator(session, actor, retro)
    return move_on(session, retro)


def move_on(session: Session, retro: Retro) -> Retro:
    """Move the retro to its next phase, without a permission check: callers have checked the actor
    runs it (``advance``, or the facilitator of the multi-team retro it is a breakout of)."""
    following = retro.phase.next()
    if following is None:
        raise ValidationFailedError("The retro is finished.", fields={"phase": "finished"})
    if following is Phase.VOTE:
        for card in retro.cards:
            if card.theme_id is None:
                theme = Theme(retro_id=retro.id, title=card.text[:200])
                retro.themes.append(theme)
                session.flush()
                card.theme_id = theme.id
    retro.phase = following
    retro.timer_ends_at = None
    if following is Phase.FINISHED:
        retro.finished_at = utcnow()
    _touch(retro)
    session.flush()
    if following is Phase.FINISHED:
        announce_finished(session, retro)
    return retro


def announce_finished(session: Session, retro: Retro) -> None:
    """Post the finished retro's summary to the team's channels: the themes voted highest and the actions decided.

    Never a card or who wrote it: only theme titles, vote counts and the actions with their owners and due dates.
    """
    votes: dict[int, int] = defaultdict(int)
    for vote in session.scalars(select(Vote).where(Vote.retro_id == retro.id)):
        votes[vote.theme_id] += 1
    top = sorted((t for t in retro.themes if votes[t.id]), key=lambda t: (-votes[t.id], t.id))[:3]
    decided = list(
        session.scalars(select(ImprovementAction).where(ImprovementAction.retro_id == retro.id).order_by(ImprovementAction.id))
    )
    lines = [f"Theme \u201c{t.title}\u201d: {votes[t.id]} vote{'' if votes[t.id] == 1 else 's'}" for t in top]
    for action in decided:
        owner = session.get(User, action.owner_id) if action.owner_id else None
        details = ", ".join(
            part
            for part in (owner.name if owner else "", f"due {action.due_date.isoformat()}" if action.due_date else "")
            if part
        )
        lines.append(f"Action: {action.title}{f' ({details})' if details else ''}")
    if not decided:
        lines.append("No action decided.")
    notify.announce(
        session,
        team_id=retro.team_id,
        event="retro_finished",
        title=f"Retro finished: {retro.title}",
        lines=lines,
        link=f"/retros/{retro.id}",
    )


def set_timer(*, session: Session, actor: User, retro_id: int, minutes: int) -> Retro:
    """Start a countdown for the current phase (facilitator); 0 stops it."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_facilitator(session, actor, retro)
    if not 0 <= minutes <= 120:
        raise ValidationFailedError("A timer runs 1 to 120 minutes.", fields={"minutes": "1 to 120"})
    retro.timer_ends_at = utcnow() + timedelta(minutes=minutes) if minutes else None
    _touch(retro)
    session.flush()
    return retro


def add_action(
    *,
    session: Session,
    actor: User,
    retro_id: int,
    title: str,
    owner_id: int | None = None,
    target_metric: TargetMetric | None = None,
    target_card: str | None = None,
    due_date: date | None = None,
    expected_direction: str | None = None,
    expected_size: float | None = None,
) -> ImprovementAction:
    """Turn a discussion into an improvement action of the team (discuss or actions phase); it joins the
    team's ledger of improvement actions. Without a due date it is due in two weeks."""
    retro = get_or_raise(session=session, actor=actor, retro_id=retro_id)
    _require_phase(retro, Phase.DISCUSS, Phase.ACTIONS)
    if (
        owner_id is not None
        and (owner := session.get(User, owner_id)) is not None
        and _membership(session, owner, retro.team_id) is None
    ):
        raise ValidationFailedError("The owner must be one of the team's people.", fields={"owner_id": "not in the team"})
    action = actions.create(
        session=session,
        actor=actor,
        team_id=retro.team_id,
        title=title,
        source="retro",
        owner_id=owner_id,
        target_metric=target_metric,
        target_card=target_card,
        due_date=due_date or (utcnow() + timedelta(days=14)).date(),
        expected_direction=expected_direction,
        expected_size=expected_size,
    )
    action.retro_id = retro.id
    _touch(retro)
    session.flush()
    return action


def _name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.name if user else None


def team_people(session: Session, team_id: int) -> list[User]:
    """The team's people, by name: who can own an action decided in its retro."""
    return access.team_people(session, team_id)


def state(session: Session, retro: Retro, *, token: str, voter: str = "") -> RetroRead:
    """What one participant sees now: others' cards stay private while reflecting,
    vote counts stay hidden while voting, and no author is ever included.

    ``token`` is the participant token that marks one's own cards and reactions; ``voter`` the vote token
    that marks one's own votes (``participants.vote_token``; empty: nobody's, the whole budget left)."""
    mine = _hash(token)
    reflecting = retro.phase in (Phase.REVIEW, Phase.REFLECT)
    cards = []
    hidden: dict[str, int] = defaultdict(int)
    reactor = _hash(f"{token}:{retro.id}")
    reactions: dict[int, dict[str, int]] = defaultdict(dict)
    my_reactions: dict[int, list[str]] = defaultdict(list)
    for r in session.scalars(select(Reaction).where(Reaction.retro_id == retro.id).order_by(Reaction.id)):
        reactions[r.card_id][r.emoji] = reactions[r.card_id].get(r.emoji, 0) + 1
        if r.reactor_token == reactor:
            my_reactions[r.card_id].append(r.emoji)
    for card in retro.cards:
        if reflecting and card.writer_token != mine:
            hidden[card.column] += 1
            continue
        cards.append(
            CardRead(
                id=card.id,
                column=card.column,
                text=card.text,
                theme_id=card.theme_id,
                mine=card.writer_token == mine,
                reactions={e: reactions[card.id][e] for e in REACTIONS if e in reactions.get(card.id, {})},
                my_reactions=sorted(my_reactions.get(card.id, []), key=REACTIONS.index),
            )
        )
    votes = list(session.scalars(select(Vote).where(Vote.retro_id == retro.id)))
    voted_by = _hash(f"{voter}:{retro.id}")
    show_counts = retro.phase not in (Phase.REVIEW, Phase.REFLECT, Phase.GROUP, Phase.VOTE)
    counts: dict[int, int] = defaultdict(int)
    for v in votes:
        counts[v.theme_id] += 1
    themes = [
        ThemeRead(
            id=t.id,
            title=t.title,
            notes=t.notes,
            votes=counts.get(t.id, 0) if show_counts else None,
            my_votes=sum(1 for v in votes if v.theme_id == t.id and v.voter_token == voted_by),
        )
        for t in retro.themes
    ]
    if show_counts:
        themes.sort(key=lambda t: -(t.votes or 0))
    retro_actions = session.scalars(select(ImprovementAction).where(ImprovementAction.retro_id == retro.id))
    return RetroRead(
        id=retro.id,
        title=retro.title,
        phase=retro.phase.value,
        version=retro.version,
        columns=retro.columns,
        anonymous=retro.anonymous,
        vote_budget=retro.vote_budget,
        votes_left=retro.vote_budget - sum(1 for v in votes if v.voter_token == voted_by),
        timer_ends_at=retro.timer_ends_at,
        icebreaker=retro.icebreaker,
        reaction_choices=list(REACTIONS),
        cards=cards,
        hidden_cards=dict(hidden),
        themes=themes,
        actions=[
            RetroActionRead(
                id=a.id,
                title=a.title,
                status=a.status.value,
                owner=_name(session, a.owner_id),
                due_date=a.due_date,
                target_metric=a.target_metric.value if a.target_metric else None,
                target_label=a.target_metric.label if a.target_metric else None,
                expected_direction=a.expected_direction,
            )
            for a in retro_actions
        ],
    )


@dataclass(frozen=True)
class RedStreak:
    """A card of the latest shown round whose result was red in its latest ``rounds`` shown rounds in a row."""

    title: str
    rounds: int


@dataclass(frozen=True)
class HealthSnapshot:
    """The team's latest health check with at least ``minimum`` respondents, as the retro shows it.

    ``latest`` is None when no closed round has enough respondents. Nothing from a round below the
    minimum is here (not even that it exists), and no comments: only the team's results per card.
    """

    minimum: int
    latest: RoundSummary | None
    previous: RoundSummary | None  # the shown round the cards' change compares with
    red_streaks: list[RedStreak]


def health_snapshot(
    session: Session, *, team_id: int, min_group_size: int | None = None, at: datetime | None = None
) -> HealthSnapshot:
    """The team's latest health check with enough respondents, closed by ``at`` (now when None).

    No permission check: callers have checked that the viewer is one of the team's people (a retro).

    Args:
        session: the unit of work.
        team_id: the team.
        min_group_size: the minimum respondents (the setting when None).
        at: the moment to look from; a finished retro's export passes its finishing time.

    Returns:
        The latest shown round, the one before it and the cards red ``RED_STREAK_ROUNDS`` or more
        shown rounds running (``health.service.red_streaks`` up to ``at``).
    """
    minimum = health.minimum_respondents(min_group_size)
    history = health.team_history(session, team_id=team_id, min_group_size=minimum, now=at)
    shown = [s for s in history if s.shown and (at is None or s.closed_at <= at)]
    if not shown:
        return HealthSnapshot(minimum, None, None, [])
    latest = shown[-1]
    previous = next((s for s in shown if s.round_id == latest.previous_round_id), None)
    streaks = [
        RedStreak(streak.card_title, streak.red_rounds)
        for streak in health.red_streaks(shown)
        if streak.red_rounds >= RED_STREAK_ROUNDS
    ]
    return HealthSnapshot(minimum, latest, previous, streaks)


def change_label(change: float | None) -> str:
    """A card's score change since its previous result, in words ("up 0.17", "no change", "first result")."""
    if change is None:
        return "first result"
    if round(change, 2) == 0:
        return "no change"
    return f"{'up' if change > 0 else 'down'} {abs(change):.2f}"


def change_arrow(change: float | None) -> str:
    """The arrow shown before ``change_label`` on the board ("" for a first result)."""
    if change is None:
        return ""
    return "=" if round(change, 2) == 0 else ("▲" if change > 0 else "▼")


def health_markdown(snapshot: HealthSnapshot, *, health_url: str) -> list[str]:
    """The "Health check at the time" section of the export: the same facts as the board's panel."""
    lines = ["## Health check at the time", ""]
    latest = snapshot.latest
    if latest is None:
        return [
            *lines,
            f"No health check with at least {snapshot.minimum} respondents at the time.",
            "",
            f"Health checks: {health_url}",
            "",
        ]
    since = f" (changes since {snapshot.previous.title})" if snapshot.previous else ""
    overall = "–" if latest.overall is None else f"{latest.overall:.2f}"
    lines += [
        f"{latest.title}, closed {latest.closed_at:%Y-%m-%d}: {latest.respondents} respondents, "
        f"overall score {overall} (0 all red, 1 all green){since}.",
        "",
    ]
    lines += [f"- {c.title}: {c.colour.value}, score {c.score:.2f}, {change_label(c.change)}" for c in latest.cards]
    if snapshot.red_streaks:
        lines += [
            "",
            "Red several rounds running: " + ", ".join(f"{s.title} ({s.rounds} rounds)" for s in snapshot.red_streaks) + ".",
        ]
    return [*lines, "", f"Health checks: {health_url}", ""]


def export_markdown(session: Session, retro: Retro, *, min_group_size: int | None = None, base_url: str = "") -> str:
    """The retro as Markdown: themes by votes with their cards and notes, the actions, then the team's
    health check at the time (the latest with enough respondents when the retro finished, or now)."""
    team = session.get(Team, retro.team_id)
    data = state(session, retro, token="export")  # noqa: S106 (no card's token: shows what all may see)
    by_theme: dict[int | None, list[str]] = defaultdict(list)
    for card in retro.cards:
        by_theme[card.theme_id].append(f"- {card.text} ({card.column})")
    lines = [f"# {retro.title}", "", f"{team.name if team else ''} · {retro.scheduled_for:%Y-%m-%d} · {retro.format}", ""]
    for theme in data.themes:
        votes = f" ({theme.votes} votes)" if theme.votes is not None else ""
        lines += [f"## {theme.title}{votes}", "", *by_theme.get(theme.id, [])]
        if theme.notes:
            lines += ["", f"Notes: {theme.notes}"]
        lines.append("")
    if by_theme.get(None):
        lines += ["## Not grouped", "", *by_theme[None], ""]
    lines += ["## Actions", ""] + [f"- {a.title} ({a.status})" for a in data.actions] + [""]
    snapshot = health_snapshot(session, team_id=retro.team_id, min_group_size=min_group_size, at=retro.finished_at)
    lines += health_markdown(snapshot, health_url=f"{base_url.rstrip('/')}/teams/{team.slug if team else ''}/health")
    return "\n".join(lines).rstrip() + "\n"


def open_actions(session: Session, team_id: int) -> list[ImprovementAction]:
    """The team's actions not done yet, for the review phase."""
    return [
        a
        for a in actions.list_team(session=session, actor=None, team_id=team_id)
        if a.status in (ActionStatus.OPEN, ActionStatus.DOING)
    ]
