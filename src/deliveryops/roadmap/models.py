"""A team's calendar (public-holiday country, planned absences) and its roadmap plan (sharing rule, epic order and shares)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deliveryops.db import Base, UTCDateTime, utcnow


class TeamCalendar(Base):
    """Where a team's public holidays come from: an ISO country code and optional subdivision."""

    __tablename__ = "team_calendars"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    country: Mapped[str | None] = mapped_column(String(8), nullable=True)
    subdivision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class TeamAbsence(Base):
    """Planned absence: ``percent`` of the team's capacity away from ``start`` to ``end`` (inclusive, team dates)."""

    __tablename__ = "team_absences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    percent: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class RoadmapPlan(Base):
    """How a team's open epics share its throughput on the roadmap: "priority", "even" or "shares"."""

    __tablename__ = "roadmap_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    rule: Mapped[str] = mapped_column(String(20), default="priority")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class RoadmapEpic(Base):
    """One epic's place in its team's plan: priority position (0 first) and stated share in percent."""

    __tablename__ = "roadmap_epics"
    __table_args__ = (UniqueConstraint("team_id", "epic_key", name="uq_roadmap_epics_team_epic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    epic_key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    share: Mapped[int | None] = mapped_column(Integer, nullable=True)
