"""API shapes for connections and sync runs (secrets are write-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SyncRunRead(BaseModel):
    """One sync: counts, duration and, if it failed, why."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    full: bool
    trigger: str
    fetched: int
    created: int
    updated: int
    unchanged: int
    deleted: int
    changes: int
    deployments: int = Field(description="Deployments (DORA) imported by this run")
    incidents: int = Field(description="Incidents (DORA) imported by this run")
    errors: int
    requests: int
    message: str | None
    resumed_from: int | None
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None


class ConnectionRead(BaseModel):
    """A connection; its token is never returned."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    team_id: int
    settings: dict[str, Any]
    has_secret: bool = True
    interval_minutes: int | None
    enabled: bool
    watermark: datetime | None
    last_success_at: datetime | None


class ConnectionCreate(BaseModel):
    """A new connection (admins only)."""

    name: str = Field(max_length=100)
    kind: str = Field(max_length=40)
    team_id: int = Field(ge=1, le=2**31 - 1)
    settings: dict[str, Any]
    secret: str = Field(max_length=2000, description="The API token; stored encrypted, never shown again")
    interval_minutes: int | None = Field(default=None, ge=5, le=10080)


class ConnectionNumbers(BaseModel):
    """The whole numbers of the connection forms: the team fed (none chosen: None) and the sync interval (empty: None).

    The page reads them through the form adapter, so a value that is not a number is named beside its field;
    the service checks the ranges, with the messages the API gives.
    """

    team_id: int | None = Field(default=None, title="Team")
    interval_minutes: int | None = Field(default=None, title="Sync every (minutes)")


class ConnectionUpdate(BaseModel):
    """Changes to a connection (admins only); omitted fields stay. Its kind and team cannot change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=100)
    settings: dict[str, Any] | None = Field(
        default=None,
        description="Settings to change, key by key (keys not given stay). Changing them makes the "
        "next sync read the whole history again.",
    )
    secret: str | None = Field(
        default=None, max_length=2000, description="A new API token; stored encrypted, never shown again (omit: keep it)"
    )
    interval_minutes: int | None = Field(
        default=None, ge=5, le=10080, description="Sync every so many minutes; null: only by hand (omit: keep)"
    )


class SyncStart(BaseModel):
    """Start a sync."""

    full: bool = False


class SyncStarted(BaseModel):
    """Whether a sync was queued (False: one is queued or running already), and the job that runs it."""

    started: bool
    job_id: int


class TestResult(BaseModel):
    """What the connection reached."""

    message: str
