"""Functions outside engineering, dependencies between teams (or a team and a function) and their history."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow


class DependencyState(enum.StrEnum):
    """requested → accepted | countered | declined; accepted → delivered | missed; missed → delivered."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    COUNTERED = "countered"
    DECLINED = "declined"
    DELIVERED = "delivered"
    MISSED = "missed"

    @property
    def is_open(self) -> bool:
        """Still waiting for the provider (neither delivered nor declined)."""
        return self not in (DependencyState.DELIVERED, DependencyState.DECLINED)

    @property
    def label(self) -> str:
        """Human name."""
        return self.value.capitalize()


class DependencyFunction(Base):
    """A function outside engineering that teams depend on (design, legal, security ...), with an owner."""

    __tablename__ = "dependency_functions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dependency(Base):
    """What a requester team needs from a provider (a team or a function), by when, and where the talks stand."""

    __tablename__ = "dependencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    provider_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True, index=True)
    provider_function_id: Mapped[int | None] = mapped_column(
        ForeignKey("dependency_functions.id", ondelete="CASCADE"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    why: Mapped[str] = mapped_column(Text, default="")
    needed_by: Mapped[date] = mapped_column(Date)
    state: Mapped[DependencyState] = mapped_column(
        Enum(DependencyState, native_enum=False, length=20, values_callable=enum_values), default=DependencyState.REQUESTED
    )
    committed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    countered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    delivered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    # Work item keys, space-separated, on each side (e.g. "PAY-12 PAY-14").
    requester_keys: Mapped[str] = mapped_column(String(1000), default="")
    provider_keys: Mapped[str] = mapped_column(String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list[DependencyEvent]] = relationship(
        back_populates="dependency", cascade="all, delete-orphan", order_by="DependencyEvent.id"
    )


class DependencyEvent(Base):
    """One step of a dependency's history: who did what, when, with which date or note."""

    __tablename__ = "dependency_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dependency_id: Mapped[int] = mapped_column(ForeignKey("dependencies.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    on_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")

    dependency: Mapped[Dependency] = relationship(back_populates="events")


# --- detection, webhooks-in (issue 20, detection slice) -------------------------------------------------------


class ProposalStatus(enum.StrEnum):
    """A found dependency waits for a person: proposed → confirmed (a requested dependency) or dismissed."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class DependencyProposal(Base):
    """A dependency found in the data (a link, a blocked reason, a cross-repository reference), for a person to decide.

    ``signature`` names what was found (the pair of items, or the item and the named provider); a signature is
    proposed once: a dismissed one is never proposed again, a confirmed one points at its dependency.
    """

    __tablename__ = "dependency_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signature: Mapped[str] = mapped_column(String(300), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    requester_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    provider_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True, index=True)
    provider_function_id: Mapped[int | None] = mapped_column(
        ForeignKey("dependency_functions.id", ondelete="CASCADE"), nullable=True
    )
    requester_key: Mapped[str] = mapped_column(String(100))
    provider_key: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProposalStatus] = mapped_column(
        Enum(ProposalStatus, native_enum=False, length=20, values_callable=enum_values), default=ProposalStatus.PROPOSED
    )
    dependency_id: Mapped[int | None] = mapped_column(ForeignKey("dependencies.id", ondelete="SET NULL"), nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dismiss_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DependencyLinkType(Base):
    """A tracker link phrase an admin maps to a dependency: ``needs`` (this item needs the other) or ``provides``."""

    __tablename__ = "dependency_link_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phrase: Mapped[str] = mapped_column(String(100), unique=True)
    direction: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DependencyAlias(Base):
    """Another name of a team or a function, as people write it in blocked reasons ("payments squad", "infosec")."""

    __tablename__ = "dependency_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True)
    function_id: Mapped[int | None] = mapped_column(ForeignKey("dependency_functions.id", ondelete="CASCADE"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundHook(Base):
    """A tool allowed to send dependencies it holds (admin-created); its token is stored encrypted."""

    __tablename__ = "dependency_inbound_hooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_encrypted: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DependencyExternalRef(Base):
    """Which dependency an inbound hook's external id is (re-sending the id updates it in place)."""

    __tablename__ = "dependency_external_refs"
    __table_args__ = (UniqueConstraint("hook_id", "external_id", name="uq_dependency_external_refs_hook_external"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hook_id: Mapped[int] = mapped_column(ForeignKey("dependency_inbound_hooks.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    dependency_id: Mapped[int] = mapped_column(ForeignKey("dependencies.id", ondelete="CASCADE"), unique=True)


class DependencyRisk(Base):
    """The chance that the provider delivers an accepted dependency in time, and the requester's warning threshold.

    Computed by ``deliveryops.dependencies.risk`` (from the provider team's Monte Carlo forecast) and computed again
    by a job when the provider's data or the dependency changes (``inputs_version``).
    """

    __tablename__ = "dependency_risks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dependency_id: Mapped[int] = mapped_column(ForeignKey("dependencies.id", ondelete="CASCADE"), unique=True)
    threshold: Mapped[int] = mapped_column(Integer, default=70)
    chance_needed: Mapped[float | None] = mapped_column(Float, nullable=True)
    chance_committed: Mapped[float | None] = mapped_column(Float, nullable=True)
    remaining_items: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ahead_items: Mapped[int] = mapped_column(Integer, default=0)
    basis: Mapped[str] = mapped_column(Text, default="")
    seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    inputs_version: Mapped[str] = mapped_column(String(40), default="")
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The impediment raised when the dependency became overdue or at risk (raised once, remembered).
    impediment_id: Mapped[int | None] = mapped_column(ForeignKey("impediments.id", ondelete="SET NULL"), nullable=True)
