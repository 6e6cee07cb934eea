"""Retrospectives, their cards, themes and votes.

Cards of an anonymous retro store no author: only a random per-participant token, kept in the
writer's session, lets the writer see their own cards while the others' are still private.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow


class Phase(enum.StrEnum):
    """The phases a facilitator moves the retro through, in order."""

    REVIEW = "review"
    REFLECT = "reflect"
    GROUP = "group"
    VOTE = "vote"
    DISCUSS = "discuss"
    ACTIONS = "actions"
    FINISHED = "finished"

    def next(self) -> Phase | None:
        """The following phase, or None when finished."""
        order = list(Phase)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


FORMATS: dict[str, list[str]] = {
    "start-stop-continue": ["Start", "Stop", "Continue"],
    "4ls": ["Liked", "Learned", "Lacked", "Longed for"],
    "mad-sad-glad": ["Mad", "Sad", "Glad"],
    "sailboat": ["Wind (helps us)", "Anchors (slow us)", "Rocks (risks)", "Island (goal)"],
}


class Retro(Base):
    """A retrospective of one team."""

    __tablename__ = "retros"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(40))
    columns: Mapped[list[str]] = mapped_column(JSON)
    phase: Mapped[Phase] = mapped_column(
        Enum(Phase, native_enum=False, length=20, values_callable=enum_values), default=Phase.REVIEW
    )
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    vote_budget: Mapped[int] = mapped_column(Integer, default=3)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    timer_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    icebreaker: Mapped[str | None] = mapped_column(String(300), nullable=True)

    cards: Mapped[list[Card]] = relationship(back_populates="retro", cascade="all, delete-orphan", order_by="Card.id")
    themes: Mapped[list[Theme]] = relationship(back_populates="retro", cascade="all, delete-orphan", order_by="Theme.id")


class Theme(Base):
    """Cards grouped under one title; votes and discussion notes attach here."""

    __tablename__ = "retro_themes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    retro_id: Mapped[int] = mapped_column(ForeignKey("retros.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")

    retro: Mapped[Retro] = relationship(back_populates="themes")


def card_day() -> datetime:
    """When a card is written, to the day (UTC midnight): no finer, so that it cannot tell writers apart."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


class Card(Base):
    """One card. ``author_id`` is None in anonymous retros; ``writer_token`` is a random hash, not a person.

    The writer token is derived per retro from the writer's session (see ``retros.participants.participant_token``),
    so one person's cards in two retros carry unrelated tokens; ``created_at`` keeps the day only (cards are
    ordered by id), so the times cards were written cannot tie them together either.
    """

    __tablename__ = "retro_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    retro_id: Mapped[int] = mapped_column(ForeignKey("retros.id", ondelete="CASCADE"), index=True)
    column: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    writer_token: Mapped[str] = mapped_column(String(64), default="")
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("retro_themes.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=card_day)

    retro: Mapped[Retro] = relationship(back_populates="cards")


class Vote(Base):
    """One vote on a theme. The voter is kept only to enforce the budget; counts stay hidden until voting ends.

    ``voter_token`` is a hash of the person's vote token (``retros.participants.vote_token``, keyed with the
    app's secret key): one budget per person per retro, never the user id, unrelated to their cards' token.
    """

    __tablename__ = "retro_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    retro_id: Mapped[int] = mapped_column(ForeignKey("retros.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("retro_themes.id", ondelete="CASCADE"), index=True)
    voter_token: Mapped[str] = mapped_column(String(64))


class Reaction(Base):
    """One participant's emoji on a card: at most one of each emoji per participant (a hashed token, not a person)."""

    __tablename__ = "retro_reactions"
    __table_args__ = (UniqueConstraint("card_id", "emoji", "reactor_token", name="uq_retro_reactions_card_emoji_reactor"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    retro_id: Mapped[int] = mapped_column(ForeignKey("retros.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("retro_cards.id", ondelete="CASCADE"), index=True)
    emoji: Mapped[str] = mapped_column(String(16))
    reactor_token: Mapped[str] = mapped_column(String(64))
