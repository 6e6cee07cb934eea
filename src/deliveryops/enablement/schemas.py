"""The contracts of enablement: organisation-level actions, playbooks, onboarding checklists, communities."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from deliveryops.actions.models import ActionStatus, TargetMetric
from deliveryops.enablement.models import OnboardingKind

_ID = Field(ge=1, le=2**31 - 1)


def _ids(value: object) -> object:
    """A form may send the team ids as one comma-separated text, or a single id."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


class OrgActionCreate(BaseModel):
    """A new organisation-level improvement action."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    team_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        min_length=1, max_length=200, description="the teams it touches"
    )
    entry_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="the catalogue entry it spreads, if any")
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="default: who creates it")
    started_on: date | None = Field(default=None, description="when it takes effect in the teams (default today)")
    due_date: date | None = None
    target_metric: TargetMetric | None = None
    expected_direction: Literal["increase", "decrease"] | None = None

    _split = field_validator("team_ids", mode="before")(_ids)


class OrgActionUpdate(BaseModel):
    """A status change."""

    status: ActionStatus
    done_on: date | None = None


class TeamVerdictRead(BaseModel):
    """One touched team's verdict, by the team actions' rule."""

    team_id: int
    team: str
    verdict: str | None = Field(description="improved, worsened, no_change, not_enough_evidence or measuring")
    explanation: str | None = None
    effect: str | None = None


class PooledRead(BaseModel):
    """What the touched teams show together, and the published error rates of that statement."""

    outcome: str = Field(description="improved, worsened, mixed, no_change, measuring or not_enough_evidence")
    teams: int
    counts: dict[str, int]
    text: str
    reliability: str | None = Field(default=None, description="the pooled verdict's measured error rates")
    left_out: int = Field(
        default=0, description="hidden teams left out of the pooled verdict: fewer than the privacy minimum group size"
    )
    privacy: str | None = Field(default=None, description="why teams are left out, when some are")


class OrgActionRead(BaseModel):
    """An organisation-level action with its teams and, with a target metric, their verdicts and the pooled one."""

    id: int
    title: str
    description: str
    owner_id: int | None
    owner: str | None
    entry_id: int | None
    entry: str | None
    status: ActionStatus
    started_on: date
    due_date: date | None
    done_on: date | None
    target_metric: TargetMetric | None
    expected_direction: str | None
    team_ids: list[int]
    teams: list[TeamVerdictRead] = Field(description="the touched teams you may read, with their verdicts")
    hidden_teams: int = Field(default=0, description="touched teams you may not read (counted in the pooled verdict)")
    pooled: PooledRead | None = None
    computed_at: datetime | None = Field(default=None, description="when the stored team verdicts were computed")
    recomputing: bool = Field(default=False, description="the data changed since: newer verdicts are being computed")


class PlaybookCreate(BaseModel):
    """A new playbook with its first version."""

    title: str = Field(min_length=1, max_length=200)
    entry_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="the catalogue entry it guides")
    practice_key: str | None = Field(default=None, max_length=60, description="the coaching practice it guides")
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="default: who creates it")
    body: str = Field(min_length=1, max_length=100_000, description="Markdown")
    note: str = Field(default="", max_length=200)


class VersionCreate(BaseModel):
    """A new version of a playbook's text."""

    body: str = Field(min_length=1, max_length=100_000, description="Markdown")
    note: str = Field(default="", max_length=200, description="what changed")


class VersionRead(BaseModel):
    """One version of a playbook."""

    number: int
    body: str
    note: str
    author: str | None
    created_at: datetime


class PlaybookRead(BaseModel):
    """A playbook, its current version and how many it has."""

    id: int
    title: str
    entry_id: int | None
    entry: str | None
    practice_key: str | None
    owner_id: int | None
    owner: str | None
    version: int
    versions: int
    body: str
    updated_at: datetime


class PlaybookFilter(BaseModel):
    """Which playbooks to list."""

    entry_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    practice_key: str | None = Field(default=None, max_length=60)


class OnboardingTemplateWrite(BaseModel):
    """A checklist template: its title and its steps in order."""

    title: str = Field(min_length=1, max_length=200)
    items: list[str] = Field(min_length=1, max_length=100, description="the steps; a form may send one per line")

    @field_validator("items", mode="before")
    @classmethod
    def _lines(cls, value: object) -> object:
        if isinstance(value, str):
            return [line.strip() for line in value.splitlines() if line.strip()]
        return value

    @field_validator("items")
    @classmethod
    def _short(cls, value: list[str]) -> list[str]:
        cleaned = [text.strip() for text in value if text.strip()]
        if not cleaned:
            raise ValueError("List at least one step.")
        if any(len(text) > 300 for text in cleaned):
            raise ValueError("A step has at most 300 characters.")
        return cleaned


class ItemRead(BaseModel):
    """One step of a template."""

    id: int
    text: str


class OnboardingTemplateRead(BaseModel):
    """A checklist template."""

    kind: OnboardingKind
    title: str
    items: list[ItemRead]


class ChecklistCreate(BaseModel):
    """A checklist for a team or a person in a team (a new team or a new member gets one automatically)."""

    kind: OnboardingKind
    team_id: int = _ID
    user_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="the person (not for a team's checklist)")


class TickWrite(BaseModel):
    """Tick or untick a step."""

    done: bool = True


class StepRead(BaseModel):
    """A step of a checklist and whether it is done."""

    item_id: int
    text: str
    done: bool
    done_at: datetime | None


class ChecklistRead(BaseModel):
    """A checklist and its progress."""

    id: int
    kind: OnboardingKind
    team_id: int
    team: str
    user_id: int | None
    person: str | None
    done: int
    total: int
    progress: float = Field(description="share of the steps done, 0..1")
    steps: list[StepRead]


class ChecklistFilter(BaseModel):
    """Which checklists to list."""

    team_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    kind: OnboardingKind | None = None
    open_only: bool = Field(default=False, description="only checklists with steps left")


class CommunityCreate(BaseModel):
    """A new community of practice."""

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=5000)
    entry_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="the catalogue entry it gathers around")


class CommunityRead(BaseModel):
    """A community of practice."""

    id: int
    name: str
    description: str
    entry_id: int | None
    entry: str | None
    owner: str | None
    members: list[str]


class EventCreate(BaseModel):
    """A meeting of a community."""

    title: str = Field(min_length=1, max_length=200)
    held_on: date
    notes: str = Field(default="", max_length=20_000)


class EventRead(BaseModel):
    """A meeting of a community."""

    id: int
    title: str
    held_on: date
    notes: str


class LearningRead(BaseModel):
    """One learning of a community's feed: from a retro theme, an experiment, a resolved cluster or a rollout."""

    kind: Literal["retro_theme", "experiment", "impediment_cluster", "rollout"]
    on: date
    title: str
    text: str
    team: str | None = Field(description="the team (none for cross-team learnings)")
    link: str | None = Field(description="where to read more (none for retro themes: a retro stays the team's)")
