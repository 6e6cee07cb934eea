"""Health-check templates, rounds and their anonymous answers.

Anonymity by construction (docs/health-checks.md, "Anonymity"):

- an answer is never stored as a row of its own: submitting adds one to a pre-created tally
  (round card × colour × trend), so no table holds one person's set of answers;
- who has answered is kept in ``health_participations`` (round, person) only to refuse a second
  answer; it has no surrogate id and no timestamp, and nothing links it to tallies or comments;
- a comment has a random id (not a sequence) and no timestamp; one person's comments are inserted
  in a shuffled order;
- when the round closes, its comments and participations are deleted and written again in a random
  (comments) or key (participations) order, so not even the storage order follows the answers.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow

# A 64-bit integer that is SQLite's rowid alias (so the table's physical order follows the random ids).
RandomId = BigInteger().with_variant(Integer(), "sqlite")


class Colour(enum.StrEnum):
    """How a card feels now."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def points(self) -> int:
        """Points of the score: green 2, amber 1, red 0."""
        return {"green": 2, "amber": 1, "red": 0}[self.value]


class Trend(enum.StrEnum):
    """Where a card is heading."""

    BETTER = "better"
    SAME = "same"
    WORSE = "worse"


class HealthTemplate(Base):
    """A set of cards to ask about; the standard Squad Health Check is the default."""

    __tablename__ = "health_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cards: Mapped[list[HealthTemplateCard]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="HealthTemplateCard.position"
    )


class HealthTemplateCard(Base):
    """One card of a template."""

    __tablename__ = "health_template_cards"
    __table_args__ = (UniqueConstraint("template_id", "key", name="uq_health_template_cards_template_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("health_templates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(120))
    awesome: Mapped[str] = mapped_column(Text)
    crappy: Mapped[str] = mapped_column(Text)

    template: Mapped[HealthTemplate] = relationship(back_populates="cards")


class HealthRound(Base):
    """One health check of one team; the template's cards are copied in when it opens."""

    __tablename__ = "health_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("health_templates.id", ondelete="SET NULL"), nullable=True)
    template_name: Mapped[str] = mapped_column(String(100))
    template_version: Mapped[int] = mapped_column(Integer)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    cards: Mapped[list[HealthRoundCard]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="HealthRoundCard.position"
    )


class HealthRoundCard(Base):
    """A card as it was asked in one round (a copy: editing the template later changes nothing here)."""

    __tablename__ = "health_round_cards"
    __table_args__ = (UniqueConstraint("round_id", "key", name="uq_health_round_cards_round_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("health_rounds.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(120))
    awesome: Mapped[str] = mapped_column(Text)
    crappy: Mapped[str] = mapped_column(Text)

    round: Mapped[HealthRound] = relationship(back_populates="cards")


class HealthTally(Base):
    """How many answered a card with a colour and a trend. Created at zero when the round opens."""

    __tablename__ = "health_tallies"
    __table_args__ = (
        PrimaryKeyConstraint("round_card_id", "colour", "trend", name="pk_health_tallies"),
        {"sqlite_with_rowid": False},
    )

    round_card_id: Mapped[int] = mapped_column(ForeignKey("health_round_cards.id", ondelete="CASCADE"))
    colour: Mapped[Colour] = mapped_column(Enum(Colour, native_enum=False, length=8, values_callable=enum_values))
    trend: Mapped[Trend] = mapped_column(Enum(Trend, native_enum=False, length=8, values_callable=enum_values))
    count: Mapped[int] = mapped_column(Integer, default=0)


class HealthComment(Base):
    """A comment on a card: random id, no author, no timestamp; visible only to the team."""

    __tablename__ = "health_comments"

    id: Mapped[int] = mapped_column(RandomId, primary_key=True, autoincrement=False)
    round_card_id: Mapped[int] = mapped_column(ForeignKey("health_round_cards.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)


class HealthParticipation(Base):
    """That a person has answered a round (to refuse a second answer); nothing links it to the answers."""

    __tablename__ = "health_participations"
    # Without a rowid, SQLite keeps the rows in key order, not in the order people answered.
    __table_args__ = (PrimaryKeyConstraint("round_id", "user_id", name="pk_health_participations"), {"sqlite_with_rowid": False})

    round_id: Mapped[int] = mapped_column(ForeignKey("health_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
