"""The contracts of stand-ups, refinements and plannings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainSerializer

from deliveryops.analytics.right_size import Verdict
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


# --- what every participant sees (the API, the live page, its event stream and the CLI) ------------------------

IsoDateTime = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str)]
"""An instant written as Python's ISO 8601 (``+00:00``), as the live page has always read it."""


class ItemImpedimentRead(BaseModel):
    """The impediment raised for an item (or the team's open one blocking it)."""

    id: int
    title: str
    level: str


class RightSizeRead(BaseModel):
    """Whether an item fits the team's history of finished items of its type (and estimate)."""

    verdict: Verdict
    peers: int = Field(description="finished items it was judged against")
    exceeded: int = Field(description="of those, the ones that took longer than the SLE")
    basis: str = Field(description='"type and estimate" or "type"')


class AgendaItemRead(BaseModel):
    """An item of the agenda and what the session noted about it."""

    position: int
    key: str
    title: str
    item_type: str | None
    status: str | None
    still_on_board: bool
    helpers: list[str] = Field(description="the names of who swarms on it")
    helper_ids: list[int]
    impediment: ItemImpedimentRead | None
    escalated: bool


class StandupItemRead(AgendaItemRead):
    """A stand-up's item: its age and whether it is blocked."""

    age_days: float | None
    band: str | None = Field(description="green, amber or red against the SLE")
    blocked: bool
    blocked_reason: str | None


class RefinementItemRead(AgendaItemRead):
    """A refinement's or planning's item: its estimate, acceptance criteria, decision and right-size."""

    estimate: float | None
    acceptance_criteria: str
    decision: str = Field(description='"", "ready", "split" or "planned"')
    right_size: RightSizeRead


class SessionActionRead(BaseModel):
    """An improvement action decided in the session."""

    id: int
    title: str
    status: str
    owner: str | None


class SinceYesterdayRead(BaseModel):
    """What changed since the start of the team's previous working day."""

    since: date
    weekday: str
    moved: list[str]
    finished: list[str]
    newly_blocked: list[str]


class PlanningGuideRead(BaseModel):
    """Planning's capacity guide: the forecast of how many items by the date."""

    forecast_id: int
    by_date: date | None
    counts: dict[str, Any] = Field(description="items by confidence level (percent)")
    committed: bool
    message: str | None


class PlanDependencyRead(BaseModel):
    """An open dependency the team waits for, and whether the plan needs it."""

    id: int
    title: str
    state: str
    needed_by: date
    provider: str
    for_planned: list[str] = Field(description="the planned items that need it")
    before_plan_ends: bool


class PlanningRead(BaseModel):
    """Planning's guide, the items planned and the dependencies the plan needs."""

    by_date: date | None
    guide: PlanningGuideRead | None
    planned: list[str]
    over_capacity: bool
    dependencies: list[PlanDependencyRead]


class SessionStateBase(BaseModel):
    """What every participant of a session sees now."""

    id: int
    kind_label: str
    title: str
    version: int
    finished: bool
    outcome: str
    focus: int
    timer_ends_at: IsoDateTime | None
    sle_days: int | None
    today: date
    actions: list[SessionActionRead]


class StandupStateRead(SessionStateBase):
    """A stand-up: the board walked right to left, and what changed since the previous working day."""

    kind: Literal[Kind.STANDUP]
    items: list[StandupItemRead]
    since_yesterday: SinceYesterdayRead


class RefinementStateRead(SessionStateBase):
    """A refinement: the items not started yet, oldest first."""

    kind: Literal[Kind.REFINEMENT]
    items: list[RefinementItemRead]


class PlanningStateRead(SessionStateBase):
    """A planning: the items not started yet, and the capacity guide."""

    kind: Literal[Kind.PLANNING]
    items: list[RefinementItemRead]
    planning: PlanningRead


SessionStateRead = Annotated[StandupStateRead | RefinementStateRead | PlanningStateRead, Field(discriminator="kind")]
"""A session as every participant sees it: its fields depend on its kind."""
