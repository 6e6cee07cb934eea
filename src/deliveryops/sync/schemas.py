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
    team_id: int = Field(ge=1, le=2**31 - 1, title="Team")
    settings: dict[str, Any]
    secret: str = Field(max_length=2000, description="The API token; stored encrypted, never shown again")
    interval_minutes: int | None = Field(default=None, ge=5, le=10080, title="Sync every (minutes)")


class ConnectionForm(BaseModel):
    """The connection page's edit form: the name, token and schedule of :class:`ConnectionUpdate`, and the
    connector settings as typed, one text field each (lists separated by commas or lines); each kind reads
    the fields it has (:func:`deliveryops.sync.pages.settings_from_form`). Empty text is an empty setting.

    The connector checks the settings themselves, with the messages the API gives; the form's own rules are
    the fields' lengths and whole numbers.
    """

    name: str = Field(default="", max_length=100)
    secret: str = Field(default="", max_length=2000, description="A new API token (empty: keep it)")
    interval_minutes: int | None = Field(default=None, title="Sync every (minutes)")
    base_url: str = Field(default="", max_length=300, title="Base URL")
    incidents_only: bool = False
    # GitHub and Jira
    email: str = Field(default="", max_length=254, title="E-mail")
    projects: str = Field(default="", max_length=2000)
    repositories: str = Field(default="", max_length=4000)
    deployments: str = Field(default="", max_length=8000)
    incident_label: str = Field(default="", max_length=100)
    incident_issue_types: str = Field(default="", max_length=500)
    incident_labels: str = Field(default="", max_length=500)
    incident_severity_field: str = Field(default="", max_length=100)
    action_issue_type: str = Field(default="", max_length=60)
    # GitLab
    gitlab_projects: str = Field(default="", max_length=4000, title="Projects")
    status_labels: str = Field(default="", max_length=2000)
    environments: str = Field(default="", max_length=1000)
    # Azure DevOps
    ado_project: str = Field(default="", max_length=200, title="Project")
    area_paths: str = Field(default="", max_length=4000)
    work_item_types: str = Field(default="", max_length=1000)
    ado_repositories: str = Field(default="", max_length=4000, title="Repositories")
    pipelines: str = Field(default="", max_length=8000, title="Deployment sources")
    incident_types: str = Field(default="", max_length=500)
    incident_tags: str = Field(default="", max_length=500)
    # Linear
    linear_teams: str = Field(default="", max_length=500, title="Teams")


class ConnectionAddForm(ConnectionForm):
    """The connections page's add form: the edit form's fields and, as in :class:`ConnectionCreate`, the kind and
    the team fed (none chosen: None; the service names a missing one)."""

    kind: str = Field(default="", max_length=40)
    team_id: int | None = Field(default=None, title="Team")


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
        default=None,
        ge=5,
        le=10080,
        title="Sync every (minutes)",
        description="Sync every so many minutes; null: only by hand (omit: keep)",
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
