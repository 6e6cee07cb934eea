"""The contracts of outcomes: what the API takes and returns, what forms parse into and what the CLI prints."""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deliveryops.errors import FieldError
from deliveryops.outcomes.models import LinkKind, SourceKind

__all__ = [
    "BriefRead",
    "BriefUpdate",
    "EvidenceCreate",
    "EvidenceRead",
    "FollowUpRead",
    "KeyResultCreate",
    "KeyResultDetail",
    "KeyResultRead",
    "KeyResultUpdate",
    "LinkCreate",
    "LinkRead",
    "ObjectiveCreate",
    "ObjectiveRead",
    "ObjectiveUpdate",
    "PointRead",
    "QuestionDecision",
    "SeriesCreate",
    "SeriesCreated",
    "SeriesRead",
    "ValueIn",
    "ValuesIn",
    "ValuesWritten",
    "target_problem",
]

DirectionText = Literal["increase", "decrease"]
TeamMetric = Literal[
    "throughput",
    "cycle_time_p85",
    "wip",
    "flow_efficiency",
    "blocked_days",
    "deployment_frequency",
    "lead_time",
    "change_failure_rate",
    "time_to_restore",
    "health_card",
]
Id = Field(ge=1, le=2**31 - 1)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SeriesCreate(_Strict):
    """A new KPI series for a group, a team or the whole organisation (neither)."""

    name: str = Field(min_length=1, max_length=120)
    unit: str = Field(default="", max_length=40)
    description: str = Field(default="", max_length=2000)
    group_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    team_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _one_scope(self) -> SeriesCreate:
        if self.group_id is not None and self.team_id is not None:
            raise FieldError("team_id", "Give a group or a team, not both.")
        return self


class SeriesRead(BaseModel):
    """A KPI series."""

    id: int
    name: str
    unit: str
    description: str
    group_id: int | None
    team_id: int | None
    values: int
    first_on: date | None
    last_on: date | None
    has_webhook_token: bool


class SeriesCreated(SeriesRead):
    """A new series with its webhook token, shown this once."""

    token: str


class ValueIn(_Strict):
    """One dated value."""

    on: date
    value: float

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("Value is a finite number.")
        return value


class ValuesIn(_Strict):
    """Values for a series; a value for a day that already has one replaces it."""

    values: list[ValueIn] = Field(min_length=1, max_length=10_000)


class ValuesWritten(BaseModel):
    """How many values were written."""

    series_id: int
    written: int


class ObjectiveCreate(_Strict):
    """A new objective of a group or a team (exactly one) for a period (default: the current quarter)."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    group_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    team_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    period: str = Field(
        default="", max_length=30, description='"2026-Q4" (default: the current quarter) or "2026-10-01..2027-01-31"'
    )
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _one_scope(self) -> ObjectiveCreate:
        if (self.group_id is None) == (self.team_id is None):
            raise FieldError("group_id", "Choose a group or a team (exactly one).")
        return self


def target_problem(baseline: float, target: float, direction: str) -> tuple[str, str] | None:
    """(field, message) when the target equals the baseline or lies against the direction; None when consistent."""
    if target == baseline:
        return ("target", "The target differs from the baseline.")
    if (target > baseline) != (direction == "increase"):
        above = target > baseline
        needed = "increase" if above else "decrease"
        return ("direction", f"A target {'above' if above else 'below'} the baseline needs the direction {needed}.")
    return None


class ObjectiveUpdate(_Strict):
    """An objective's changes: omitted fields stay as they are (its group or team does not change)."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    period: str | None = Field(default=None, min_length=1, max_length=30, description='"2026-Q4" or "2026-10-01..2027-01-31"')
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class KeyResultCreate(_Strict):
    """A key result: where its values come from, the baseline, the target and the direction."""

    title: str = Field(min_length=1, max_length=200)
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    source: SourceKind
    series_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    metric: TeamMetric | None = None
    metric_team_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    metric_card: str | None = Field(default=None, min_length=1, max_length=60, description="The card's key (health_card)")
    experiment_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    baseline: float
    target: float
    direction: DirectionText

    @model_validator(mode="after")
    def _consistent(self) -> KeyResultCreate:
        for name in ("baseline", "target"):
            if not math.isfinite(getattr(self, name)):
                raise FieldError(name, f"{name.capitalize()} is a finite number.")
        if self.source is SourceKind.KPI and self.series_id is None:
            raise FieldError("series_id", "Choose the KPI series this key result is measured by.")
        if self.source is SourceKind.METRIC and (self.metric is None or self.metric_team_id is None):
            raise FieldError("metric" if self.metric is None else "metric_team_id", "Choose the metric and its team.")
        if self.source is SourceKind.METRIC and self.metric == "health_card" and not self.metric_card:
            raise FieldError("metric_card", "Choose the health-check card.")
        if self.source is SourceKind.EXPERIMENT and self.experiment_id is None:
            raise FieldError("experiment_id", "Choose the experiment whose result this key result is.")
        problem = target_problem(self.baseline, self.target, self.direction)
        if problem is not None:
            raise FieldError(*problem)
        return self


class KeyResultUpdate(_Strict):
    """A key result's changes: omitted fields stay as they are; its data source does not change (add a new key
    result for another source, so a verdict never silently switches data)."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    baseline: float | None = None
    target: float | None = None
    direction: DirectionText | None = None

    @model_validator(mode="after")
    def _finite(self) -> KeyResultUpdate:
        for name in ("baseline", "target"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise FieldError(name, f"{name.capitalize()} is a finite number.")
        return self


class PointRead(BaseModel):
    """One value of a key result's series."""

    on: date
    value: float


class KeyResultRead(BaseModel):
    """A key result with its progress computed from the data and its verdict."""

    id: int
    objective_id: int
    title: str
    owner: str | None
    source: SourceKind
    source_label: str
    unit: str
    baseline: float
    target: float
    direction: DirectionText
    current: float | None
    progress: float | None = Field(description="Share of the way from baseline to target (0 = baseline, 1 = target)")
    expected_progress: float = Field(description="Share of the period gone by: where a straight line to the target is")
    status: str = Field(description="on_track, off_track, within_normal_variation or not_enough_data")
    status_label: str
    detail: str


class LinkRead(BaseModel):
    """Work or an experiment that serves a key result, with its forecast or result."""

    id: int
    kind: LinkKind
    target_id: int
    title: str
    url: str
    state: str


class KeyResultDetail(KeyResultRead):
    """A key result with its values, links and the confidence sentence."""

    points: list[PointRead]
    period_start: date
    period_end: date
    links: list[LinkRead]
    confidence: str


class ObjectiveRead(BaseModel):
    """An objective and its key results."""

    id: int
    title: str
    description: str
    group_id: int | None
    team_id: int | None
    scope: str
    period: str
    starts_on: date
    ends_on: date
    owner: str | None
    key_results: list[KeyResultRead]


class LinkCreate(_Strict):
    """Link an epic (work item id), experiment, improvement action or dependency to a key result."""

    kind: LinkKind
    target_id: int = Field(ge=1, le=2**31 - 1)


class EvidenceCreate(_Strict):
    """Evidence from a DeliveryOps page: its address (a path like /teams/payments/flow) and what it showed."""

    label: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=500)
    snapshot: str = Field(default="", max_length=4000)

    @field_validator("url")
    @classmethod
    def _local(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith("//"):
            raise ValueError("Give the address of a DeliveryOps page, starting with / (e.g. /teams/payments/flow).")
        return value


class EvidenceRead(BaseModel):
    """A piece of evidence."""

    id: int
    label: str
    url: str
    snapshot: str
    added_by: str | None


class BriefUpdate(_Strict):
    """The brief's options, recommendation and the decision's expected effect with its follow-up date."""

    options: str = Field(default="", max_length=4000, description="One option per line")
    recommendation: str = Field(default="", max_length=4000)
    effect_series_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    effect_key_result_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    effect_team_metric: TeamMetric | None = Field(default=None, description="A team metric: flow, DORA or a health card")
    effect_team_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="The team of effect_team_metric")
    effect_card: str | None = Field(default=None, min_length=1, max_length=60, description="The card's key (health_card)")
    effect_direction: DirectionText | None = None
    effect_size: float | None = Field(default=None, gt=0)
    decided_on: date | None = None
    follow_up_on: date | None = None

    @model_validator(mode="after")
    def _effect(self) -> BriefUpdate:
        named = [self.effect_series_id, self.effect_key_result_id, self.effect_team_metric]
        if sum(value is not None for value in named) > 1:
            raise FieldError("effect_key_result_id", "Choose one of a KPI series, a key result or a team metric.")
        if self.effect_team_metric is not None and self.effect_team_id is None:
            raise FieldError("effect_team_id", "Choose the team whose metric is expected to move.")
        if self.effect_team_metric == "health_card" and not self.effect_card:
            raise FieldError("effect_card", "Choose the health-check card.")
        if any(value is not None for value in named):
            for name in ("effect_direction", "effect_size", "decided_on", "follow_up_on"):
                if getattr(self, name) is None:
                    raise FieldError(name, "An expected effect needs its direction, size, decision date and follow-up date.")
        if self.decided_on and self.follow_up_on and self.follow_up_on <= self.decided_on:
            raise FieldError("follow_up_on", "The follow-up date is after the decision date.")
        return self


class FollowUpRead(BaseModel):
    """Whether the expected effect appeared (shown from the follow-up date on)."""

    due: bool
    outcome: str | None
    outcome_label: str | None
    change: float | None
    size_reached: bool
    detail: str


class BriefRead(BaseModel):
    """A question to leadership with its brief, decision and follow-up."""

    question_id: int
    question: str
    context: str
    period: str
    group_id: int | None
    status: str
    decision: str
    options: list[str]
    recommendation: str
    evidence: list[EvidenceRead]
    effect_series_id: int | None
    effect_key_result_id: int | None
    effect_team_metric: str | None
    effect_team_id: int | None
    effect_card: str | None
    effect_metric: str | None = Field(description="What the effect is expected on, in words")
    effect_direction: DirectionText | None
    effect_size: float | None
    decided_on: date | None
    follow_up_on: date | None
    follow_up: FollowUpRead | None


class QuestionDecision(BaseModel):
    """What leadership decided on a question (the decision brief's form)."""

    decision: str = Field(default="", max_length=4000)
