"""Stored forecasts: inputs, seed and answer, and later the outcome they are scored against.

Only commitments are scored: a forecast someone marked as the team's plan, or shared, exported or
put in the leadership pack. Other forecasts are what-ifs: kept so they can be committed later, never
counted in the track record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deliveryops.db import Base, UTCDateTime, utcnow


class Forecast(Base):
    """A Monte Carlo forecast, reproducible from its stored inputs and seed.

    ``kind`` is "when" (N items, or the unfinished items of an epic or a list) or "how_many" (by a date).
    ``predicted`` maps a percentile level to an ISO date ("when") or a count ("how_many").
    ``commitment`` is None for a what-if, else why it is scored: "plan" (marked as the team's plan),
    "shared", "exported", "pack" (put in the leadership pack) or "before_commitments" (stored before
    what-ifs and commitments were told apart). ``commit_key`` names the question (team, kind, day,
    work, dates, types, window): one question committed twice on one day is one commitment.
    """

    __tablename__ = "forecasts"
    __table_args__ = (UniqueConstraint("team_id", "commit_key", name="uq_forecasts_commit_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    window_throughput: Mapped[list[int]] = mapped_column(JSON)
    item_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    trials: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    remaining_items: Mapped[int | None] = mapped_column(Integer, nullable=True)
    item_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    by_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    target_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    predicted: Mapped[dict[str, Any]] = mapped_column(JSON)
    probability_by_target: Mapped[float | None] = mapped_column(nullable=True)
    message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    outcome_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    commitment: Mapped[str | None] = mapped_column(String(20), nullable=True)
    commit_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    allocation: Mapped[str | None] = mapped_column(String(200), nullable=True)
