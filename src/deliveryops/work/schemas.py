"""API shapes for workflows, imports and work items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


class WorkflowStatusPlace(WorkflowStatusWrite):
    """A status on the board form, with the position it was moved to (empty: where it stands)."""

    position: float | None = None


class WorkflowBoard(BaseModel):
    """The workflow board's form: :class:`WorkflowWrite`'s statuses as the board shows them, each with its position."""

    statuses: list[WorkflowStatusPlace] = Field(default_factory=list, max_length=200)

    def in_order(self) -> WorkflowWrite:
        """The statuses sorted by position (ties, and empty positions, keep the board's order)."""
        placed = sorted(
            enumerate(self.statuses), key=lambda pair: (pair[1].position if pair[1].position is not None else pair[0], pair[0])
        )
        return WorkflowWrite(statuses=[WorkflowStatusWrite(name=s.name, category=s.category) for _index, s in placed])


IMPORT_FORMAT_PATTERN = "^(stage-dates|full-history|jira-export)$"
DATE_ORDER_PATTERN = "^(day_first|month_first)$"


class ImportOptions(BaseModel):
    """The import page's fields beside its files: the API's ``format`` and ``date_order``, and the token of the
    upload being previewed (the files are read apart)."""

    file_format: str | None = Field(default=None, alias="format", pattern=IMPORT_FORMAT_PATTERN)
    date_order: str | None = Field(default=None, pattern=DATE_ORDER_PATTERN)
    token: str = Field(default="", max_length=64)

    @field_validator("file_format", "date_order", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        """An empty choice is no choice, as an empty form field is for the API."""
        return None if isinstance(value, str) and not value.strip() else value


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
