"""The contracts of stand-ups, refinements and plannings."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from deliveryops.facilitation.models import Kind


class SessionCreate(BaseModel):
    """A new session: its kind, a title (default "<Kind> <date>") and, for planning, the date to forecast to."""

    kind: Kind
    title: str = Field(default="", max_length=200)
    by_date: date | None = Field(default=None, description="planning: how many items by this date (default two weeks)")


class SessionSummary(BaseModel):
    """A session in a list."""

    id: int
    kind: Kind
    title: str
    items: int = Field(description="items on its agenda")
    created_at: datetime
    finished_at: datetime | None
    outcome: str


class Focus(BaseModel):
    """Move the walk: one step forward (1) or back (-1), or to a position on the agenda."""

    step: int = Field(default=1, ge=-1, le=1)
    index: int | None = Field(default=None, ge=0, le=1000)


class Timer(BaseModel):
    """A countdown; 0 stops it."""

    minutes: int = Field(ge=0, le=120)


class ItemRef(BaseModel):
    """An item of the agenda, by its tracker key."""

    key: str = Field(min_length=1, max_length=100)


class Swarm(ItemRef):
    """Someone helps finish the item (the caller when no helper is named); naming them again takes them off."""

    helper_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class RaiseImpediment(ItemRef):
    """Raise an impediment for the item (titled after the item when no title is given)."""

    title: str = Field(default="", max_length=200)


class Escalate(ItemRef):
    """Escalate the item's impediment one level up; defaults say it was discussed (and who swarmed)."""

    tried: str = Field(default="", max_length=2000)
    needed: str = Field(default="", max_length=2000)


class ItemNoteWrite(ItemRef):
    """Refinement's or planning's optional notes on an item; a field left out is left as it is."""

    acceptance_criteria: str | None = Field(default=None, max_length=5000)
    estimate: float | None = Field(default=None, ge=0, le=1000)
    clear_estimate: bool = False
    decision: str | None = Field(default=None, max_length=20, description='"", "ready", "split" or "planned"')


class PlanningForecast(BaseModel):
    """Planning's capacity guide: how many items by this date."""

    by_date: date


class SessionAction(BaseModel):
    """An improvement action decided in the session; it joins the team's ledger."""

    title: str = Field(max_length=200)
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="one of the team's people")
    due_date: date | None = Field(default=None, description="default: two weeks from today")


class Finish(BaseModel):
    """End the session and record its outcome (a summary of what was noted when left empty)."""

    outcome: str = Field(default="", max_length=5000)
