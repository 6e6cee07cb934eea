"""API shapes for impediments, their timeline, the cross-team queues and the blocker-clustering report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from deliveryops.impediments.models import Level, Severity, Status

# Free-text fields default to "" so that the service, not the schema, words the message for a missing value.


class ImpedimentCreate(BaseModel):
    """A new impediment of a team."""

    title: str = Field(default="", max_length=300, description="Short and specific; at most 200 characters")
    description: str = Field(default="", max_length=10_000)
    category_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="A category of the taxonomy")
    severity: Severity = Severity.MEDIUM
    needed_by: date | None = None
    work_item_keys: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=200, description="Keys of the team's work items it blocks"
    )


class ImpedimentRaiseForm(ImpedimentCreate):
    """The team log's raise form: the API's fields, the blocked items typed in one box (``work_items``, one
    key per line or separated by commas), and the tool or practice of the catalogue it concerns."""

    work_item_keys: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=200, alias="work_items", title="Work items"
    )
    tool_id: int | None = Field(default=None, ge=1, le=2**31 - 1, title="Tool or practice")

    @field_validator("work_item_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list):
            return value
        return [key.strip() for text in texts for key in str(text).replace(",", "\n").splitlines() if key.strip()]


class ReportPeriod(BaseModel):
    """The report page's period, as the API's ``from`` and ``to`` query parameters (empty: the default)."""

    start: date | None = Field(default=None, alias="from", description="First day; default 89 days before the end")
    end: date | None = Field(default=None, alias="to", description="Last day, inclusive; default today (UTC)")


class EventRead(BaseModel):
    """One entry of the timeline: who did what, when and why."""

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None = Field(description="Null when the person is gone or a trusted job acted")
    kind: str = Field(description="raised, status, escalated, handed_back, comment, resolved...")
    from_value: str | None
    to_value: str | None
    note: str


class ImpedimentRead(BaseModel):
    """An impediment with where it sits on the ladder and what it costs."""

    id: int
    team_id: int
    title: str
    description: str
    category_id: int | None
    category: str | None
    severity: Severity
    status: Status
    level: Level
    level_entered_at: datetime
    working_days_at_level: int = Field(description="Working days (Monday to Friday) since it reached its level")
    service_level_days: int | None = Field(description="Working days allowed at this level for its severity")
    overdue: bool
    raised_by_id: int | None
    needed_by: date | None
    cluster_id: int | None
    resolution_note: str
    created_at: datetime
    resolved_at: datetime | None
    work_item_keys: list[str]
    blocked_days: float = Field(description="Blocked days of the linked items while the impediment was open")


class ImpedimentDetailRead(ImpedimentRead):
    """An impediment with its timeline, oldest entry first."""

    events: list[EventRead]


class EscalationCreate(BaseModel):
    """Move up the ladder: what was tried, what is needed, and to which level (default: the next one up)."""

    tried: str = Field(default="", max_length=5000)
    needed: str = Field(default="", max_length=5000)
    to: Level | None = None


class HandBackCreate(BaseModel):
    """Move one level down, with a reason."""

    reason: str = Field(default="", max_length=5000)


class ResolutionCreate(BaseModel):
    """Close the impediment as resolved or won't fix, with a note."""

    note: str = Field(default="", max_length=5000)
    wont_fix: bool = False


class CommentCreate(BaseModel):
    """A comment for the timeline."""

    text: str = Field(default="", max_length=5000)


class StatusUpdate(BaseModel):
    """Move between open and in progress (escalating and resolving have their own endpoints)."""

    status: Status


class QueueEntryRead(BaseModel):
    """An impediment in a cross-team queue, with what makes it urgent."""

    impediment: ImpedimentRead
    team_name: str
    impact: float = Field(description="Severity weight × (1 + blocked days) × (1 + working days at the level ÷ 5)")


class ReportRowRead(BaseModel):
    """One category of the blocker-clustering report."""

    category: str
    teams: int
    impediments: int
    blocked_days: float
    resolved: int
    median_days_to_resolve: float | None
    within_service_level: float | None = Field(description="Share of the resolved ones never overdue at a level")


class LevelMedianRead(BaseModel):
    """Median working days impediments spent at a level."""

    level: Level
    median_working_days: float | None


class WeekOpenRead(BaseModel):
    """Impediments open at the end of an ISO week (labelled by its Monday)."""

    week: date
    open: int


class ReportRead(BaseModel):
    """Impediments raised in a period, by category, with time at each level and open ones per week."""

    start: date
    end: date
    impediments: int
    rows: list[ReportRowRead]
    by_level: list[LevelMedianRead]
    open_by_week: list[WeekOpenRead]


class SynonymRead(BaseModel):
    """An organisation's own term and what it means, read by the similarity."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    term: str
    meaning: str


class SplitCreate(BaseModel):
    """Split some impediments off into their own cluster."""

    impediment_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(min_length=1, max_length=500)
    reason: str = Field(max_length=2000)
    title: str = Field(default="", max_length=200)


class MergeCreate(BaseModel):
    """Merge another cluster into this one."""

    other_id: int = Field(ge=1, le=2**31 - 1)
    note: str = Field(default="", max_length=2000)


class MoveCreate(BaseModel):
    """Move an impediment out of this cluster, into another (or none)."""

    impediment_id: int = Field(ge=1, le=2**31 - 1)
    to_cluster_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    reason: str = Field(default="", max_length=2000)


class ClusterConfirm(BaseModel):
    """Confirm a proposed cross-team cluster with its owner (and, optionally, a better title)."""

    owner_id: int = Field(ge=1, le=2**31 - 1)
    title: str | None = Field(default=None, max_length=200)


def cell(level: Level, severity: Severity) -> str:
    """The service-level table's field for one level and severity, e.g. ``delivery_manager_high``."""
    return f"{level.value}_{severity.value}"


class ServiceLevelsUpdate(BaseModel):
    """The service-level table: working days (1 to 250) an impediment may stay at each level, per severity."""

    team_low: int = Field(ge=1, le=250, title="Team, low")
    team_medium: int = Field(ge=1, le=250, title="Team, medium")
    team_high: int = Field(ge=1, le=250, title="Team, high")
    team_critical: int = Field(ge=1, le=250, title="Team, critical")
    delivery_manager_low: int = Field(ge=1, le=250, title="Delivery manager, low")
    delivery_manager_medium: int = Field(ge=1, le=250, title="Delivery manager, medium")
    delivery_manager_high: int = Field(ge=1, le=250, title="Delivery manager, high")
    delivery_manager_critical: int = Field(ge=1, le=250, title="Delivery manager, critical")
    product_ops_low: int = Field(ge=1, le=250, title="Product Ops, low")
    product_ops_medium: int = Field(ge=1, le=250, title="Product Ops, medium")
    product_ops_high: int = Field(ge=1, le=250, title="Product Ops, high")
    product_ops_critical: int = Field(ge=1, le=250, title="Product Ops, critical")
    leadership_low: int = Field(ge=1, le=250, title="Leadership, low")
    leadership_medium: int = Field(ge=1, le=250, title="Leadership, medium")
    leadership_high: int = Field(ge=1, le=250, title="Leadership, high")
    leadership_critical: int = Field(ge=1, le=250, title="Leadership, critical")


class CrossTeamClusterRead(BaseModel):
    """A cross-team cluster with its members and cost."""

    id: int
    title: str
    status: str
    auto_escalated: bool
    owner_id: int | None
    impediment_ids: list[int]
    team_ids: list[int]
    blocked_days: float


class ClusterNote(BaseModel):
    """A reason (reject) or a resolution note (resolve)."""

    text: str = Field(max_length=2000)
