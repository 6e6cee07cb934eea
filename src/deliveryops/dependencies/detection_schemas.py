"""The contracts of found dependencies (proposals, mapped link types, aliases), inbound hooks and the export."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deliveryops.dependencies.models import DependencyState, ProposalStatus
from deliveryops.dependencies.schemas import KEY, DependencyFilter, split_keys
from deliveryops.errors import FieldError

__all__ = [
    "AliasCreate",
    "AliasRead",
    "DetectionRead",
    "ExportFilter",
    "ExportFormat",
    "HookCreate",
    "HookCreated",
    "HookRead",
    "InboundDependency",
    "InboundResult",
    "LinkTypeCreate",
    "LinkTypeRead",
    "ProposalConfirm",
    "ProposalDismiss",
    "ProposalFilter",
    "ProposalRead",
]

ExportFormat = Literal["csv", "json"]


class ProposalRead(BaseModel):
    """A dependency found in the data, waiting for a person (or decided)."""

    id: int
    source: str = Field(description="tracker_link, blocked_reason or code_reference")
    requester_team_id: int
    requester_team: str
    provider_team_id: int | None
    provider_function_id: int | None
    provider: str
    requester_key: str
    provider_key: str
    title: str
    evidence: str = Field(description="What in the data suggests it, in words")
    status: ProposalStatus
    dependency_id: int | None = Field(description="The dependency it became, once confirmed")
    dismiss_reason: str
    decided_at: datetime | None
    created_at: datetime
    can_confirm: bool = Field(description="Whether the caller may confirm it now")
    can_dismiss: bool = Field(description="Whether the caller may dismiss it now")


class ProposalFilter(BaseModel):
    """Which proposals a list shows."""

    status: ProposalStatus | None = Field(default=ProposalStatus.PROPOSED, title="Status")

    @field_validator("status", mode="before")
    @classmethod
    def _any(cls, value: object) -> object:
        return None if value in ("", "any") else value


class ProposalConfirm(BaseModel):
    """Confirming a proposal requests the dependency: it needs the date it is needed by."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Confirm")

    needed_by: date = Field(title="Needed by")
    title: str = Field(default="", max_length=200, title="What is needed (default: the proposal's)")
    why: str = Field(default="", max_length=5000, title="Why (default: what the data says)")


class ProposalDismiss(BaseModel):
    """Dismissing a proposal: it is never proposed again."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Dismiss")

    reason: str = Field(default="", max_length=2000, title="Why not a dependency")


class DetectionRead(BaseModel):
    """What a detection run found."""

    proposed: int = Field(description="New proposals")
    already_known: int = Field(description="Findings proposed, confirmed or dismissed before")
    covered: int = Field(description="Findings a recorded dependency already covers")


class LinkTypeCreate(BaseModel):
    """A tracker link phrase that means a dependency, read from the item that carries the link."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Link type")

    phrase: str = Field(min_length=2, max_length=100, title="Link phrase", description='e.g. "needs sign-off from"')
    direction: Literal["needs", "provides"] = Field(
        title="Meaning", description="needs: this item needs the linked one; provides: the linked item needs this one"
    )

    @field_validator("phrase")
    @classmethod
    def _lower(cls, value: str) -> str:
        return " ".join(value.lower().split())


class LinkTypeRead(BaseModel):
    """A mapped link phrase."""

    model_config = ConfigDict(from_attributes=True)

    id: int | None = Field(description="None for the built-in phrases")
    phrase: str
    direction: str
    built_in: bool = False


class AliasCreate(BaseModel):
    """Another name of a team or a function, as blocked reasons name it."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Alias")

    alias: str = Field(min_length=2, max_length=100, title="Alias")
    team_id: int | None = Field(default=None, ge=1, le=2**31 - 1, title="Team")
    function_id: int | None = Field(default=None, ge=1, le=2**31 - 1, title="Function")

    @model_validator(mode="after")
    def _one(self) -> AliasCreate:
        if (self.team_id is None) == (self.function_id is None):
            raise FieldError("team_id", "Choose the team or the function this alias names (one of them).")
        return self


class AliasRead(BaseModel):
    """An alias and what it names."""

    id: int
    alias: str
    team_id: int | None
    function_id: int | None
    names: str = Field(description="The team's or function's name")


class HookCreate(BaseModel):
    """An inbound hook for a tool that holds dependencies elsewhere."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Inbound hook")

    name: str = Field(min_length=1, max_length=100, title="Name", description="The sending tool, e.g. Jira Align")


class HookRead(BaseModel):
    """An inbound hook (never its token)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class HookCreated(HookRead):
    """A new hook with its token, shown in this answer only."""

    token: str


class InboundDependency(BaseModel):
    """A dependency as another tool sends it; the same ``external_id`` again updates it in place.

    Teams are named by slug or name, a function by name. ``state`` and its date may come along (a tool that
    negotiates elsewhere); without it a new dependency is requested and an existing one keeps its state.
    """

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid", title="Inbound dependency")

    external_id: str = Field(min_length=1, max_length=200)
    requester_team: str = Field(min_length=1, max_length=100, description="Slug or name of the team that needs it")
    provider_team: str | None = Field(default=None, max_length=100, description="Slug or name of the providing team")
    provider_function: str | None = Field(default=None, max_length=100, description="Or the providing function's name")
    title: str = Field(min_length=1, max_length=200)
    why: str = Field(default="", max_length=5000)
    needed_by: date
    state: DependencyState | None = None
    committed_on: date | None = None
    countered_on: date | None = None
    delivered_on: date | None = None
    decline_reason: str = Field(default="", max_length=5000)
    requester_keys: list[str] = Field(default_factory=list)
    provider_keys: list[str] = Field(default_factory=list)

    @field_validator("requester_keys", "provider_keys", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return split_keys(value) if isinstance(value, str | list) else value

    @field_validator("requester_keys", "provider_keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        for key in value:
            if not KEY.match(key):
                raise ValueError(f"{key!r} is not a work item key (letters, digits and - _ . # /, e.g. PAY-123).")
        if len(" ".join(value)) > 1000:
            raise ValueError("At most 1,000 characters of keys.")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> InboundDependency:
        if (self.provider_team is None) == (self.provider_function is None):
            raise FieldError("provider_team", "Name the provider: either provider_team or provider_function.")
        needs = {
            DependencyState.ACCEPTED: "committed_on",
            DependencyState.COUNTERED: "countered_on",
            DependencyState.DELIVERED: "delivered_on",
            DependencyState.DECLINED: "decline_reason",
        }
        if self.state in needs and not getattr(self, needs[self.state]):
            raise FieldError(needs[self.state], f"A dependency {self.state.value} needs {needs[self.state]}.")
        return self


class InboundResult(BaseModel):
    """What an inbound call did."""

    external_id: str
    dependency_id: int
    status: Literal["created", "updated", "unchanged"]


class ExportFilter(DependencyFilter):
    """The list's filters, and the file format."""

    format: ExportFormat = Field(default="csv", title="Format")
