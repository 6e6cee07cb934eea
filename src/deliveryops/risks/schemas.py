"""The contracts of the ROAM register: create or edit a risk, read it, list with filters."""

from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, ValidatorFunctionWrapHandler, field_validator

from deliveryops.risks.models import Impact, LinkKind, RoamStatus

__all__ = ["RiskFilter", "RiskLinkRead", "RiskRead", "RiskWrite"]

EPIC_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.#/-]{0,99}$")


def _parts(value: object) -> object:
    """Ids or keys typed in one text (``12, 14``), as a list; a list's texts are split alike (a page's one input)."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [part for item in value for part in (re.split(r"[\s,]+", item) if isinstance(item, str) else [item]) if part != ""]
    return value


class RiskWrite(BaseModel):
    """A risk as raised or edited: what could go wrong, its ROAM status, owner, impact, review date and links."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Risk")

    title: str = Field(min_length=1, max_length=200, title="Risk")
    description: str = Field(default="", max_length=5000, title="What could happen, and to whom")
    status: RoamStatus = Field(default=RoamStatus.OPEN, title="ROAM status")
    impact: Impact = Field(default=Impact.MEDIUM, title="Impact")
    team_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, title="Team", description="The team it belongs to; none for the organisation"
    )
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1, title="Owner")
    review_on: date | None = Field(default=None, title="Next review")
    response: str = Field(default="", max_length=5000, title="Response (how it is owned, accepted or mitigated)")
    dependency_ids: list[int] = Field(default_factory=list, max_length=50, title="Linked dependencies (ids)")
    impediment_ids: list[int] = Field(default_factory=list, max_length=50, title="Linked impediments (ids)")
    epic_keys: list[str] = Field(default_factory=list, max_length=50, title="Linked epics (keys)")

    @field_validator("team_id", "owner_id", "review_on", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("dependency_ids", "impediment_ids", "epic_keys", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _parts(value)

    @field_validator("dependency_ids", "impediment_ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        for number in value:
            if not 1 <= number <= 2**31 - 1:
                raise ValueError(f"{number} is not an id.")
        return list(dict.fromkeys(value))

    @field_validator("dependency_ids", "impediment_ids", mode="wrap")
    @classmethod
    def _named_on_the_field(cls, value: object, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> list[int]:
        """A part that is not a whole number is named on the field (one text input on the page), not on its place."""
        try:
            ids: list[int] = handler(value)
        except ValidationError as exc:
            bad = next((error for error in exc.errors() if error["loc"]), None)
            if bad is None:
                raise
            label = cls.model_fields[str(info.field_name)].title
            raise ValueError(f"{label}: {bad['input']!r} is not an id; write whole numbers, e.g. 12, 14.") from None
        return ids

    @field_validator("epic_keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        for key in value:
            if not EPIC_KEY.match(key):
                raise ValueError(f"{key!r} is not an epic key (letters, digits and - _ . # /, e.g. PAY-12).")
        return list(dict.fromkeys(value))


class RiskFilter(BaseModel):
    """Which risks a list shows."""

    status: RoamStatus | None = Field(default=None, title="ROAM status")
    team_id: int | None = Field(default=None, ge=1, le=2**31 - 1, title="Team")
    review_overdue: bool | None = Field(default=None, title="Review overdue")

    @field_validator("status", "team_id", "review_overdue", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if value == "" else value


class RiskLinkRead(BaseModel):
    """A link to a dependency, an impediment or an epic, with where to see it."""

    kind: LinkKind
    ref: str
    label: str
    href: str | None


class RiskRead(BaseModel):
    """A risk as the API shows it."""

    id: int
    title: str
    description: str
    status: RoamStatus
    impact: Impact
    team_id: int | None
    team: str | None
    owner_id: int | None
    owner: str | None
    review_on: date | None
    review_overdue: bool = Field(description="Not resolved, and the review date has passed")
    response: str
    links: list[RiskLinkRead]
    created_at: datetime
    updated_at: datetime
