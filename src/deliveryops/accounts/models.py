"""People, their API tokens and failed sign-in attempts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow


class Role(enum.StrEnum):
    """Organisation-wide role; team scope comes from memberships."""

    MEMBER = "member"
    DELIVERY_MANAGER = "delivery_manager"
    PRODUCT_OPS = "product_ops"
    LEADER = "leader"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """Human name of the role."""
        return {
            "member": "Team member",
            "delivery_manager": "Delivery manager",
            "product_ops": "Product Ops",
            "leader": "Product leader",
            "admin": "Admin",
        }[self.value]

    @property
    def sees_all_teams(self) -> bool:
        """Whether the role reads every team's shared data (flow, DORA, impediments)."""
        return self in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN)


class User(Base):
    """A person who signs in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=32, values_callable=enum_values), default=Role.MEMBER)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(Base):
    """A personal API token; only its SHA-256 hash is stored, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginFailure(Base):
    """A failed sign-in, kept to throttle guessing per account and per address."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_email_at", "email", "at"), Index("ix_login_failures_ip_at", "ip", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSession(Base):
    """A signed-in browser session, kept on the server so that signing out ends it everywhere.

    The cookie carries only a random session id (no user id, no name); this row keeps the SHA-256 of it.
    A session ends when its person signs out, signs out everywhere, changes their password (the other
    sessions), is deactivated, or when it is older than ``session_max_age_seconds``.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
