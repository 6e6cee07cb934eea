"""Multi-team retros (teams of teams): a breakout retro per team, then a shared synthesis board.

Each breakout is an ordinary retro of its team (``Retro``), so only that team's people see its cards.
The synthesis carries the breakouts' themes over with their votes and source team, never a card or
an author; its votes, like a retro's, store a keyed hash of the voter (``participants.vote_token``), no user id.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow


class MultiPhase(enum.StrEnum):
    """The phases of a multi-team retro, in order."""

    BREAKOUTS = "breakouts"  # each team runs its own breakout board
    SYNTHESIS = "synthesis"  # the facilitator brings the breakouts' themes together
    VOTE = "vote"  # everyone votes across teams
    ACTIONS = "actions"  # actions, each owned by one team
    FINISHED = "finished"

    def next(self) -> MultiPhase | None:
        """The following phase, or None when finished."""
        order = list(MultiPhase)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


class MultiRetro(Base):
    """A retro across several teams."""

    __tablename__ = "multi_retros"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(40))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    vote_budget: Mapped[int] = mapped_column(Integer, default=3)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"), nullable=True)
    phase: Mapped[MultiPhase] = mapped_column(
        Enum(MultiPhase, native_enum=False, length=20, values_callable=enum_values), default=MultiPhase.BREAKOUTS
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    breakouts: Mapped[list[Breakout]] = relationship(cascade="all, delete-orphan", order_by="Breakout.id")
    themes: Mapped[list[SynthesisTheme]] = relationship(cascade="all, delete-orphan", order_by="SynthesisTheme.id")


class Breakout(Base):
    """One team's breakout: an ordinary retro of the team."""

    __tablename__ = "multi_retro_breakouts"
    __table_args__ = (UniqueConstraint("multi_retro_id", "team_id", name="uq_multi_retro_breakouts_team"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    multi_retro_id: Mapped[int] = mapped_column(ForeignKey("multi_retros.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    retro_id: Mapped[int] = mapped_column(ForeignKey("retros.id", ondelete="CASCADE"), unique=True)


class SynthesisTheme(Base):
    """A theme on the synthesis board; ``sources`` lists the breakout themes it carries:
    ``{"team_id", "theme_id", "votes"}`` each (no card, no author)."""

    __tablename__ = "multi_retro_themes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    multi_retro_id: Mapped[int] = mapped_column(ForeignKey("multi_retros.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")


class SynthesisVote(Base):
    """One vote on a synthesis theme; the voter is a hash of their vote token, kept only for the per-person budget."""

    __tablename__ = "multi_retro_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    multi_retro_id: Mapped[int] = mapped_column(ForeignKey("multi_retros.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("multi_retro_themes.id", ondelete="CASCADE"), index=True)
    voter_token: Mapped[str] = mapped_column(String(64))


class SynthesisAction(Base):
    """An improvement action decided on the synthesis board: it belongs to one team's ledger."""

    __tablename__ = "multi_retro_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    multi_retro_id: Mapped[int] = mapped_column(ForeignKey("multi_retros.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("improvement_actions.id", ondelete="CASCADE"), unique=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("multi_retro_themes.id", ondelete="SET NULL"), nullable=True)
