"""API shapes for workflows, imports and work items."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from deliveryops.work.records import StageCategory


class WorkflowStatusRead(BaseModel):
    """A status in board order; ``category`` null means not mapped yet."""

    name: str
    category: StageCategory | None
    position: int
    items_now: int = Field(description="Items currently in this status")


class WorkflowStatusWrite(BaseModel):
    """A status and its category (null leaves it unmapped)."""

    name: str = Field(min_length=1, max_length=100)
    category: StageCategory | None


class WorkflowWrite(BaseModel):
    """The whole workflow in board order."""

    statuses: list[WorkflowStatusWrite] = Field(max_length=200)


class ImportRunRead(BaseModel):
    """One import into a team."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    format: str
    file_name: str
    created: int
    updated: int
    unchanged: int
    transitions: int
    notes: list[str]
    at: datetime


class ImportResult(BaseModel):
    """What an import changed."""

    created: int
    updated: int
    unchanged: int
    transitions: int
    blocked_intervals: int
    unmapped_statuses: list[str]
    notes: list[str]


class WorkItemRead(BaseModel):
    """A work item's current state."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    external_key: str
    item_type: str
    title: str
    created_at: datetime
    current_status: str | None
    parent_key: str | None
    labels: list[str]
    history_is_estimated: bool
