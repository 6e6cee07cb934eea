"""Pydantic shapes of the DORA API and webhooks."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from deliveryops.analytics.dora import Band, DoraKeys
from deliveryops.analytics.dora.series import Period
from deliveryops.dora.ingest import IdentityConflict, ImportOutcome
from deliveryops.schemas import WebUrl


class KeysRead(BaseModel):
    """The four keys over a period, with their bands, and the deployment rework rate (see /definitions#dora)."""

    deployment_days_per_week: float | None
    deployment_frequency_band: Band | None
    lead_time_hours: float | None
    lead_time_band: Band | None
    change_failure_rate: float | None
    change_failure_rate_band: Band | None
    recovery_hours: float | None
    recovery_band: Band | None
    deployments: int
    changes: int
    incidents: int
    deployment_days: int
    deployment_days_per_month: float | None
    failed_deployments: int
    coding_hours: float | None
    pickup_hours: float | None
    review_hours: float | None
    deploy_hours: float | None
    rework_rate: float | None = Field(
        default=None,
        description="Deployment rework rate (DORA 2024): share of counted deployments that were unplanned fixes of "
        "an incident; no band (see /definitions#rework-rate).",
    )
    rework_deployments: int = 0

    @classmethod
    def of(cls, keys: DoraKeys) -> KeysRead:
        """Copy a :class:`DoraKeys`."""
        return cls(**{name: getattr(keys, name) for name in cls.model_fields})


class SeriesPoint(BaseModel):
    """The keys of one week, month or quarter."""

    period_start: date
    period_end: date
    deployments: int
    deployment_days: int
    deployment_days_per_week: float | None
    lead_time_hours: float | None
    change_failure_rate: float | None
    recovery_hours: float | None
    changes: int
    incidents: int
    failed_deployments: int
    coding_hours: float | None
    pickup_hours: float | None
    review_hours: float | None
    deploy_hours: float | None
    rework_rate: float | None = None
    rework_deployments: int = 0


class TeamKeys(BaseModel):
    """One team's keys in a group roll-up."""

    team_id: int
    name: str
    keys: KeysRead


class DoraSummary(BaseModel):
    """A team's or group's DORA summary and trend series."""

    name: str
    start: date
    end: date
    period: Literal["week", "month", "quarter"]
    time_zone: str
    production_environments: list[str]
    keys: KeysRead
    series: list[SeriesPoint]
    teams: list[TeamKeys]


class DeploymentRow(BaseModel):
    """A deployment behind the numbers."""

    id: int
    external_id: str
    repository: str
    environment: str
    result: str
    started_at: datetime
    finished_at: datetime | None
    production: bool
    counted: bool
    incidents: int
    changes: int
    recovery_minutes: int | None
    ref: str | None = None
    rework: bool = False
    rework_reason: Literal["ref", "incident"] | None = None
    url: str | None


class ChangeRow(BaseModel):
    """A pull request deployed in the period, with its lead time and breakdown in minutes."""

    id: int
    repository: str
    number: int
    title: str
    author: str
    first_commit_at: datetime | None
    opened_at: datetime
    first_review_at: datetime | None
    merged_at: datetime | None
    deployment_id: int
    deployed_at: datetime
    lead_time_minutes: int | None
    coding_minutes: int | None
    pickup_minutes: int | None
    review_minutes: int | None
    deploy_minutes: int | None
    url: str | None


class IncidentRow(BaseModel):
    """An incident created in the period and the deployment it is linked to."""

    id: int
    external_id: str
    title: str
    severity: str | None
    created_at: datetime
    resolved_at: datetime | None
    deployment_id: int | None
    link: Literal["explicit", "inferred", "none"]
    recovery_minutes: int | None
    url: str | None


class IdentityConflictRead(BaseModel):
    """A deployment or incident whose identity was already another team's: skipped, or moved as asked."""

    kind: Literal["deployment", "incident"]
    source: str
    repository: str | None
    external_id: str
    team_id: int
    team_name: str
    moved: bool
    reason: str


class ImportResult(BaseModel):
    """What a CSV upload did: records written, unchanged, older than what is stored, skipped and moved."""

    kind: str
    written: int
    unchanged: int = 0
    older: int = 0
    skipped: list[IdentityConflictRead] = Field(default_factory=list)
    moved: list[IdentityConflictRead] = Field(default_factory=list)
    message: str = ""
    preview: bool = Field(default=False, description="True when nothing was saved (a preview of the import).")

    @classmethod
    def of(cls, kind: str, outcome: ImportOutcome) -> ImportResult:
        """The API shape of an import's outcome."""

        def read(conflict: IdentityConflict) -> IdentityConflictRead:
            return IdentityConflictRead.model_validate({**asdict(conflict), "reason": conflict.reason})

        return cls(
            kind=kind,
            written=outcome.written,
            unchanged=outcome.unchanged,
            older=outcome.older,
            skipped=[read(conflict) for conflict in outcome.skipped],
            moved=[read(conflict) for conflict in outcome.moved],
            message=outcome.summary(kind),
            preview=outcome.preview,
        )


class UploadOptions(BaseModel):
    """The fields of a CSV upload beside its file, as the API's form names them (the file is read apart)."""

    kind: str = Field(default="", max_length=20, description="deployments, changes or incidents")
    move_from_other_teams: bool = False
    preview: bool = False


class ProductionEnvironments(BaseModel):
    """The upload page's settings form: the environment names that count as production, separated by commas."""

    environments: str = Field(default="", max_length=1000)


class WebhookSourceCreate(BaseModel):
    """A new webhook source for a team."""

    name: str = Field(min_length=1, max_length=100)
    team_id: int = Field(ge=1, le=2**31 - 1, title="Team")


class WebhookSourceRead(BaseModel):
    """A webhook source (never its token)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    team_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class WebhookSourceCreated(WebhookSourceRead):
    """A new webhook source with its token, shown this once."""

    token: str


def _no_nul(value: object) -> object:
    """Refuse NUL characters, which PostgreSQL cannot store in text."""
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(text, str) and "\x00" in text for text in texts):
        raise ValueError("must not contain NUL characters")
    return value


class DeploymentEvent(BaseModel):
    """A deployment as a CI/CD tool reports it; re-send the same ``id`` to update it."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200, description="The sender's id of the deployment")
    repository: str = Field(min_length=1, max_length=200)
    environment: str = Field(min_length=1, max_length=100)
    result: Literal["success", "failure", "error", "cancelled", "in_progress"]
    started_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    commit_sha: str | None = Field(default=None, max_length=64)
    commit_shas: list[str] = Field(default_factory=list, max_length=5000)
    ref: str | None = Field(default=None, max_length=200)
    url: WebUrl = Field(default=None, max_length=500)

    _text = field_validator("id", "repository", "environment", "commit_sha", "commit_shas", "ref", "url")(_no_nul)

    @model_validator(mode="after")
    def _times(self) -> DeploymentEvent:
        if self.finished_at is not None and self.finished_at < self.started_at:
            raise ValueError("finished_at is before started_at")
        if self.finished_at is None and self.result in ("success", "failure", "error"):
            raise ValueError(f"finished_at is required for a {self.result} deployment")
        return self


class IncidentEvent(BaseModel):
    """An incident as an incident tool reports it; re-send the same ``id`` to update it."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200, description="The sender's id of the incident")
    title: str = Field(min_length=1, max_length=500)
    created_at: AwareDatetime
    resolved_at: AwareDatetime | None = None
    severity: str | None = Field(default=None, max_length=40)
    repository: str | None = Field(default=None, max_length=200)
    deployment_id: str | None = Field(
        default=None, max_length=200, description="The sender's id of the deployment that caused it, if known"
    )
    url: WebUrl = Field(default=None, max_length=500)

    _text = field_validator("id", "title", "severity", "repository", "deployment_id", "url")(_no_nul)

    @model_validator(mode="after")
    def _times(self) -> IncidentEvent:
        if self.resolved_at is not None and self.resolved_at < self.created_at:
            raise ValueError("resolved_at is before created_at")
        return self


class WebhookResult(BaseModel):
    """What a webhook delivery did: "created", "updated", or "unchanged" (a duplicate or an older state)."""

    id: str
    status: Literal["created", "updated", "unchanged"]


class ReportQuery(BaseModel):
    """The DORA pages' period (``from``, ``to``: empty is the default) and trend bucket, as in their query string."""

    start: date | None = Field(default=None, alias="from", title="From")
    end: date | None = Field(default=None, alias="to", title="To")
    period: Period = "week"

    @field_validator("period", mode="before")
    @classmethod
    def _known_period(cls, value: object) -> object:
        if value not in get_args(Period):
            raise ValueError("Choose weeks, months or quarters.")
        return value
