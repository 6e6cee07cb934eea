"""The contracts of the dependencies domain: create, respond (one transition), read, list, matrix."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deliveryops.dependencies.models import DependencyState
from deliveryops.errors import FieldError

__all__ = [
    "ACTIONS",
    "ChanceRead",
    "DependencyCreate",
    "DependencyDetailRead",
    "DependencyEventRead",
    "DependencyFilter",
    "DependencyRead",
    "DependencyTransition",
    "FunctionCreate",
    "FunctionRead",
    "MatrixCell",
    "MatrixRead",
    "ThresholdUpdate",
    "TransitionAction",
    "split_keys",
]

Id = int
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.#/-]{0,49}$")

TransitionAction = Literal["accept", "counter", "decline", "accept_counter", "reject_counter", "deliver", "miss"]
# Each action: the states it starts from, the state it leads to, and which side takes it.
ACTIONS: dict[str, tuple[tuple[DependencyState, ...], DependencyState, str]] = {
    "accept": ((DependencyState.REQUESTED,), DependencyState.ACCEPTED, "provider"),
    "counter": ((DependencyState.REQUESTED,), DependencyState.COUNTERED, "provider"),
    "decline": ((DependencyState.REQUESTED, DependencyState.COUNTERED), DependencyState.DECLINED, "provider"),
    "accept_counter": ((DependencyState.COUNTERED,), DependencyState.ACCEPTED, "requester"),
    "reject_counter": ((DependencyState.COUNTERED,), DependencyState.REQUESTED, "requester"),
    "deliver": ((DependencyState.ACCEPTED, DependencyState.MISSED), DependencyState.DELIVERED, "provider"),
    "miss": ((DependencyState.ACCEPTED,), DependencyState.MISSED, "either"),
}


def split_keys(text: str | list[str] | None) -> list[str]:
    """Work item keys from a list or a text separated by spaces or commas, without repeats."""
    texts = text if isinstance(text, list) else [text or ""]
    parts = [part for item in texts for part in re.split(r"[\s,]+", str(item))]
    return list(dict.fromkeys(part.strip() for part in parts if part and part.strip()))


def _check_keys(value: list[str], label: str) -> list[str]:
    for key in value:
        if not KEY.match(key):
            raise ValueError(f"{label}: {key!r} is not a work item key (letters, digits and - _ . # /, e.g. PAY-123).")
    if len(" ".join(value)) > 1000:
        raise ValueError(f"{label}: at most 1,000 characters of keys.")
    return value


class DependencyCreate(BaseModel):
    """What a requester team needs, from whom, by when."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Dependency")

    requester_team_id: Id = Field(ge=1, le=2**31 - 1, title="Requesting team")
    provider_team_id: Id | None = Field(default=None, ge=1, le=2**31 - 1, title="Providing team")
    provider_function_id: Id | None = Field(default=None, ge=1, le=2**31 - 1, title="Providing function")
    title: str = Field(min_length=1, max_length=200, title="What is needed")
    why: str = Field(default="", max_length=5000, title="Why")
    needed_by: date = Field(title="Needed by")
    requester_keys: list[str] = Field(default_factory=list, title="Our work items")

    @field_validator("requester_keys", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return split_keys(value) if isinstance(value, str | list) else value

    @field_validator("requester_keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        return _check_keys(value, "Our work items")

    @model_validator(mode="after")
    def _one_provider(self) -> DependencyCreate:
        if (self.provider_team_id is None) == (self.provider_function_id is None):
            raise FieldError("provider_team_id", "Choose the provider: either a team or a function, not both.")
        if self.provider_team_id == self.requester_team_id:
            raise FieldError("provider_team_id", "A team cannot depend on itself: choose another providing team.")
        return self


class DependencyTransition(BaseModel):
    """One step of the negotiation, with the date or reason it needs."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Response")

    action: TransitionAction = Field(title="Action")
    committed_on: date | None = Field(default=None, title="Committed date")
    countered_on: date | None = Field(default=None, title="Proposed date")
    delivered_on: date | None = Field(default=None, title="Delivered on")
    reason: str = Field(default="", max_length=5000, title="Reason")
    provider_keys: list[str] = Field(default_factory=list, title="Provider's work items")

    @field_validator("provider_keys", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return split_keys(value) if isinstance(value, str | list) else value

    @field_validator("provider_keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        return _check_keys(value, "Provider's work items")

    @model_validator(mode="after")
    def _needs(self) -> DependencyTransition:
        if self.action == "accept" and self.committed_on is None:
            raise FieldError("committed_on", "Accepting needs the committed date: the day you commit to deliver.")
        if self.action == "counter" and self.countered_on is None:
            raise FieldError("countered_on", "A counter-proposal needs the date you can deliver instead.")
        if self.action in ("decline", "reject_counter", "miss") and not self.reason:
            raise FieldError("reason", "Give a reason: the other side reads it in the history.")
        return self


class FunctionCreate(BaseModel):
    """A function outside engineering that teams can depend on."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Function")

    name: str = Field(min_length=1, max_length=100, title="Name")
    owner_id: Id | None = Field(default=None, ge=1, le=2**31 - 1, title="Owner")


class FunctionRead(BaseModel):
    """A function and its owner."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    owner_id: int | None
    owner_name: str | None = None
    active: bool


class DependencyFilter(BaseModel):
    """Which dependencies a list shows."""

    team_id: Id | None = Field(default=None, ge=1, le=2**31 - 1, title="Team", description="Requested by or from this team")
    state: DependencyState | None = Field(default=None, title="State")
    overdue: bool | None = Field(default=None, title="Overdue", description="Only overdue ones (true) or only the others (false)")

    @field_validator("overdue", mode="before")
    @classmethod
    def _either(cls, value: object) -> object:
        return None if value == "" else value


class DependencyRead(BaseModel):
    """A dependency as the API shows it."""

    id: int
    requester_team_id: int
    requester_team: str
    provider_team_id: int | None
    provider_function_id: int | None
    provider: str = Field(description="The providing team's or function's name")
    title: str
    why: str
    needed_by: date
    state: DependencyState
    committed_on: date | None
    countered_on: date | None
    delivered_on: date | None
    decline_reason: str
    requester_keys: list[str]
    provider_keys: list[str]
    overdue: bool = Field(description="Not delivered nor declined, and the needed-by date has passed")
    days_late: int | None = Field(description="Days after the needed-by date it was delivered, or is still open (0 or more)")
    created_at: datetime


class DependencyEventRead(BaseModel):
    """One step of the history."""

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    from_state: str | None
    to_state: str
    on_date: date | None
    note: str


class DependencyDetailRead(DependencyRead):
    """A dependency with its history and what the caller may do next."""

    events: list[DependencyEventRead]
    allowed_actions: list[str] = Field(description="The actions the caller may take now")


class MatrixCell(BaseModel):
    """Dependencies of one requester team on one provider."""

    requester_team_id: int
    provider: str
    provider_key: str = Field(description="team:<id> or function:<id>")
    open: int = Field(description="Not delivered nor declined")
    overdue: int
    total: int


class MatrixRead(BaseModel):
    """The team × provider matrix: rows are requesting teams, columns are providing teams and functions."""

    rows: list[str]
    row_ids: list[int]
    columns: list[str]
    column_keys: list[str]
    cells: list[MatrixCell]


class ThresholdUpdate(BaseModel):
    """The requester's warning threshold: below this chance (in %) the dependency is at risk."""

    model_config = ConfigDict(title="Warning threshold")

    threshold: int = Field(ge=1, le=99, title="Warn below (%)")


class ChanceRead(BaseModel):
    """A dependency with the chance that its provider delivers by the needed-by and the committed date."""

    dependency: DependencyRead
    threshold: int = Field(description="The requester's threshold in %: below it the dependency is at risk.")
    chance_needed: float | None = Field(description="Probability (0..1) of delivery on or before the needed-by date.")
    chance_committed: float | None = Field(description="Probability (0..1) of delivery on or before the committed date.")
    at_risk: bool = Field(description="Accepted or missed, and the chance by the needed-by date is below the threshold.")
    remaining_items: int | None = Field(description="Items the forecast waits for: the linked ones and those ahead.")
    ahead_items: int = Field(description="The provider's items in progress ahead of the linked ones.")
    basis: str = Field(description="How the chance was computed, in words.")
    computed_at: datetime | None
