"""Deployments, incidents, which changes each deployment shipped, webhook sources and DORA settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deliveryops.db import Base, UTCDateTime, utcnow

# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing row id; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Deployment(Base):
    """One deployment of a repository (or service) to an environment.

    ``status_at`` is the sender's time of the state stored (its finish, else its start, or the webhook's
    ``updated_at``): an older delivery never overwrites a newer state.
    """

    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint("source", "repository", "external_id", name="uq_deployments_source_repo_external"),
        Index("ix_deployments_team_started", "team_id", "started_at"),
        Index("ix_deployments_repo_env_started", "repository", "environment", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    repository: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str] = mapped_column(String(100))
    result: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    commit_sha: Mapped[str | None] = mapped_column(String(64), nullable=True)
    commit_shas: Mapped[list[str]] = mapped_column(JSON, default=list)
    ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeploymentChange(Base):
    """A change (pull request) that a deployment shipped."""

    __tablename__ = "deployment_changes"

    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"), primary_key=True, index=True)
    # "commits" (the deployment's commit list named the merge commit) or "merge_time" (the fallback).
    matched_by: Mapped[str] = mapped_column(String(20), default="commits")


class Incident(Base):
    """An incident in production; ``deployment_id`` is the explicit link, resolved from the sender's id."""

    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_incidents_source_external"),
        Index("ix_incidents_team_created", "team_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(40), nullable=True)
    repository: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deployment_external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    deployment_id: Mapped[int | None] = mapped_column(
        ForeignKey("deployments.id", ondelete="SET NULL"), nullable=True, index=True
    )
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookSource(Base):
    """A CI/CD or incident tool allowed to call the webhooks for one team; only the token's hash is kept."""

    __tablename__ = "webhook_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DoraSettings(Base):
    """A team's DORA settings: which environment names count as production."""

    __tablename__ = "dora_settings"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    production_environments: Mapped[list[str]] = mapped_column(JSON, default=list)
