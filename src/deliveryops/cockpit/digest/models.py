"""ORM models of the digests (subscriptions and what was sent) and the questions for leadership."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deliveryops.db import Base, UTCDateTime, utcnow

__all__ = ["DigestSend", "DigestSubscription", "LeadershipQuestion"]


class LeadershipQuestion(Base):
    """A question Product Ops wants product leadership to decide, for a scope and a period.

    ``group_id`` None means the whole organisation; ``period`` is the pack's period label
    ("2026-Q3", "2026-11" or "2026-07-01..2026-09-30").
    """

    __tablename__ = "leadership_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), nullable=True, index=True)
    period: Mapped[str] = mapped_column(String(30), index=True)
    text: Mapped[str] = mapped_column(String(500))
    context: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, decided
    decision: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DigestSubscription(Base):
    """A person's choice about the weekly digest e-mail (no row: subscribed)."""

    __tablename__ = "digest_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestSend(Base):
    """One attempt to send a person the digest of one ISO week ("2026-W48")."""

    __tablename__ = "digest_sends"
    __table_args__ = (UniqueConstraint("user_id", "week", name="uq_digest_sends_user_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    week: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10))  # sent, failed
    error: Mapped[str] = mapped_column(Text, default="")
