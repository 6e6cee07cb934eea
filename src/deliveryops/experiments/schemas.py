"""The contracts of the experiments domain: one design model that the API, the pages and the CLI validate
with, and the shapes they answer with.

``ExperimentDesign`` holds every rule that needs no database (a title, two to ten variations with one
control, one primary metric at most, tags, ranges, the planned dates in order); the service adds the rules
that do (the reviewer, the work items, the design locked once the experiment runs).
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from deliveryops.analytics.experiments import Correction, Method
from deliveryops.experiments.models import Decision, ExperimentStatus
from deliveryops.schemas import FormScale

__all__ = [
    "HYPOTHESIS_PARTS",
    "MAX_METRICS",
    "MAX_TAGS",
    "MAX_UNITS",
    "MAX_VARIATIONS",
    "CheckRead",
    "DecisionIn",
    "ExperimentCreate",
    "ExperimentDesign",
    "ExperimentFilter",
    "ExperimentRead",
    "ExperimentUpdate",
    "ImportRead",
    "MetricIn",
    "PowerQuery",
    "PowerRead",
    "ReviewIn",
    "StatRowIn",
    "StatisticsIn",
    "TransitionIn",
    "VariationIn",
]

MAX_VARIATIONS = 10
MAX_METRICS = 20
MAX_TAGS = 20
MAX_UNITS = 2_000_000_000  # planned sample size and daily traffic are stored as 32-bit integers
HYPOTHESIS_PARTS = {
    "observation": "because we saw",
    "belief": "we believe",
    "outcome": "will result in",
    "measure": "measured by",
}
TeamId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class VariationIn(BaseModel):
    """One arm and its traffic weight."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Variation")

    name: str = Field(max_length=100)
    weight: float = Field(default=1.0, gt=0, le=1000, title="weight")
    is_control: bool = False


class MetricIn(BaseModel):
    """One metric and its role."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Metric")

    name: str = Field(max_length=100)
    kind: Literal["mean", "proportion", "ratio"] = "proportion"
    role: Literal["primary", "secondary", "guardrail"] = "primary"
    higher_is_better: bool = True


def _check_title(value: str) -> str:
    if not value:
        raise ValueError("Give the experiment a title.")
    return value


def _check_variations(rows: list[VariationIn]) -> list[VariationIn]:
    if len(rows) < 2:
        raise ValueError("Give at least two variations: a control and one treatment.")
    if len(rows) > MAX_VARIATIONS:
        raise ValueError(f"Use at most {MAX_VARIATIONS} variations.")
    names: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if not row.name:
            raise ValueError(f"Variation {number}: give it a name.")
        if row.name.lower() in names:
            raise ValueError(f"Variation {number}: the name {row.name!r} is used twice.")
        names.add(row.name.lower())
    controls = [r for r in rows if r.is_control]
    if len(controls) > 1:
        raise ValueError("Mark exactly one variation as the control.")
    if not controls:  # the first row is the control unless another is marked
        rows = [rows[0].model_copy(update={"is_control": True}), *rows[1:]]
    return rows


def _check_metrics(rows: list[MetricIn]) -> list[MetricIn]:
    rows = [r for r in rows if r.name]
    if len(rows) > MAX_METRICS:
        raise ValueError(f"Use at most {MAX_METRICS} metrics.")
    names: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if row.name.lower() in names:
            raise ValueError(f"Metric {number}: the name {row.name!r} is used twice.")
        names.add(row.name.lower())
    if sum(1 for r in rows if r.role == "primary") > 1:
        raise ValueError("Choose one primary metric; make the others secondary or guardrails.")
    return rows


def _split(pattern: str) -> Any:
    """A list of texts from a list or from one text (a form's "a, b"), split at ``pattern``."""

    def split(value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return value
        return [part for item in value for part in (re.split(pattern, item) if isinstance(item, str) else [item])]

    return split


def _check_tags(tags: list[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        normal = re.sub(r"\s+", "-", tag.strip().lower())
        if normal and normal not in cleaned:
            cleaned.append(normal)
    if len(cleaned) > MAX_TAGS:
        raise ValueError(f"Use at most {MAX_TAGS} tags.")
    if any(len(t) > 50 for t in cleaned):
        raise ValueError("A tag has at most 50 characters.")
    return cleaned


def _check_keys(keys: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(k.strip() for k in keys if k.strip()))
    if len(cleaned) > 100:
        raise ValueError("Link at most 100 work items.")
    if any(len(k) > 100 for k in cleaned):
        raise ValueError("A work item key has at most 100 characters.")
    return cleaned


Title = Annotated[str, Field(max_length=200, title="Title"), AfterValidator(_check_title)]
Variations = Annotated[list[VariationIn], Field(max_length=50), AfterValidator(_check_variations)]
Metrics = Annotated[list[MetricIn], Field(max_length=100), AfterValidator(_check_metrics)]
Tags = Annotated[list[str], BeforeValidator(_split(",")), Field(max_length=200), AfterValidator(_check_tags)]
WorkItems = Annotated[list[str], BeforeValidator(_split(r"[,\s]+")), Field(max_length=500), AfterValidator(_check_keys)]
Units = Annotated[int, Field(ge=1, le=MAX_UNITS)]
Alpha = Annotated[float, Field(gt=0, lt=0.5, title="The significance level")]


def _default_variations() -> list[VariationIn]:
    return [VariationIn(name="control", is_control=True), VariationIn(name="treatment")]


class ExperimentDesign(BaseModel):
    """Everything a person enters about an experiment, with the rules that need no database."""

    model_config = ConfigDict(str_strip_whitespace=True, title="Experiment")

    title: Title = Field(default="", validate_default=True)
    observation: str = Field(default="", max_length=5000, title="'Because we saw …'", description="Because we saw …")
    belief: str = Field(default="", max_length=5000, title="'We believe …'", description="we believe …")
    outcome: str = Field(default="", max_length=5000, title="'Will result in …'", description="will result in …")
    measure: str = Field(default="", max_length=5000, title="'Measured by …'", description="measured by …")
    variations: Variations = Field(default_factory=_default_variations)
    metrics: Metrics = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    work_items: WorkItems = Field(default_factory=list, description="work item keys")
    reviewer_required: bool = False
    reviewer_id: int | None = Field(default=None, ge=1, le=2**31 - 1, title="The reviewer")
    planned_sample_size: Units | None = Field(default=None, title="The planned sample size", description="units per variation")
    mde: Annotated[float | None, FormScale(100)] = Field(
        default=None, gt=0, le=100, title="The minimum detectable effect", description="relative, 0.02 = 2%"
    )
    expected_daily_traffic: Units | None = Field(default=None, title="Expected daily traffic")
    planned_start: date | None = Field(default=None, title="The planned start")
    planned_end: date | None = Field(default=None, title="The planned end")
    method: Method = Method.FREQUENTIST
    correction: Correction = Correction.NONE
    alpha: Alpha = 0.05
    cuped: bool = False
    learnings: str = Field(default="", max_length=20000)

    @field_validator("planned_end")
    @classmethod
    def _dates_in_order(cls, value: date | None, info: ValidationInfo) -> date | None:
        # A field validator (not a model validator) so that it reports with the other fields' errors.
        start = info.data.get("planned_start")
        if value is not None and start is not None and value < start:
            raise ValueError("The planned end is on or after the planned start.")
        return value


class ExperimentCreate(ExperimentDesign):
    """A new experiment of a team."""

    model_config = ConfigDict(title="Experiment")

    team_id: TeamId = Field(title="The owner team")


class ExperimentUpdate(BaseModel):
    """The fields of an experiment to change; only those given change (null clears or restores the default).

    The merged design is checked by :class:`ExperimentDesign`, so a change reads the same errors as a new
    experiment.
    """

    model_config = ConfigDict(title="Experiment")

    title: str | None = None
    observation: str | None = Field(default=None, description="Because we saw …")
    belief: str | None = Field(default=None, description="we believe …")
    outcome: str | None = Field(default=None, description="will result in …")
    measure: str | None = Field(default=None, description="measured by …")
    variations: list[VariationIn] | None = Field(default=None, max_length=50)
    metrics: list[MetricIn] | None = Field(default=None, max_length=100)
    tags: Annotated[list[str] | None, BeforeValidator(_split(","))] = Field(default=None, max_length=200)
    work_items: Annotated[list[str] | None, BeforeValidator(_split(r"[,\s]+"))] = Field(
        default=None, max_length=500, description="work item keys"
    )
    reviewer_required: bool | None = None
    reviewer_id: int | None = Field(default=None, ge=1, le=2**31 - 1, title="The reviewer")
    planned_sample_size: int | None = Field(default=None, title="The planned sample size", description="units per variation")
    mde: Annotated[float | None, FormScale(100)] = Field(
        default=None, title="The minimum detectable effect", description="relative, 0.02 = 2%"
    )
    expected_daily_traffic: int | None = Field(default=None, title="Expected daily traffic")
    planned_start: date | None = Field(default=None, title="The planned start")
    planned_end: date | None = Field(default=None, title="The planned end")
    method: Method | None = None
    correction: Correction | None = None
    alpha: float | None = Field(default=None, title="The significance level")
    cuped: bool | None = None
    learnings: str | None = None

    def merged_into(self, current: ExperimentDesign) -> dict[str, Any]:
        """The design's values with the given fields changed (null restores a field's default)."""
        given = self.model_dump(exclude_unset=True)
        merged = current.model_dump()
        defaults = ExperimentDesign.model_fields
        for name, value in given.items():
            info = defaults[name]
            if value is None and not _nullable(name):
                merged[name] = info.get_default(call_default_factory=True)
                if name == "variations":
                    merged[name] = []  # null variations: none (the design then asks for two)
            else:
                merged[name] = value
        return merged


_NULLABLE = frozenset({"reviewer_id", "planned_sample_size", "mde", "expected_daily_traffic", "planned_start", "planned_end"})


def _nullable(name: str) -> bool:
    return name in _NULLABLE


class ExperimentFilter(BaseModel):
    """Which experiments the library lists."""

    q: str = Field(default="", max_length=200, description="words in the title, hypothesis, learnings, metrics, tags")
    team_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    status: ExperimentStatus | None = None
    tag: str | None = Field(default=None, max_length=50)
    metric: str | None = Field(default=None, max_length=100)
    decision: Decision | None = None


class CheckRead(BaseModel):
    """One pre-launch check."""

    name: str
    label: str
    passed: bool
    message: str


class ExperimentRead(BaseModel):
    """An experiment with its pre-launch checks."""

    id: int
    key: str
    team_id: int
    title: str
    hypothesis: dict[str, str]
    status: ExperimentStatus
    next_statuses: list[ExperimentStatus]
    variations: list[VariationIn]
    metrics: list[MetricIn]
    tags: list[str]
    work_items: list[str]
    reviewer_required: bool
    reviewer_id: int | None
    approved: bool
    approved_by_id: int | None
    reviewed_at: str | None
    review_note: str
    planned_sample_size: int | None
    mde: float | None
    expected_daily_traffic: int | None
    planned_start: date | None
    planned_end: date | None
    started_at: str | None
    ended_at: str | None
    decision: Decision | None
    rationale: str
    learnings: str
    method: str
    correction: str
    alpha: float
    cuped: bool
    created_by_id: int | None
    created_at: str
    checks: list[CheckRead]
    last_warnings: list[str]


class TransitionIn(BaseModel):
    """The status to move to."""

    to: ExperimentStatus
    note: str = Field(default="", max_length=2000)


class ReviewIn(BaseModel):
    """A reviewer's verdict."""

    approve: bool
    note: str = Field(default="", max_length=5000)


class DecisionIn(BaseModel):
    """The decision with its rationale."""

    decision: Decision
    rationale: str = Field(max_length=10000)
    learnings: str | None = Field(default=None, max_length=20000)


class PowerQuery(BaseModel):
    """A power calculation's question: give the MDE (for the sample size) or a sample size (for the MDE).

    The page shows the MDE as a percentage; the API and the CLI take it as a share (0.05 = 5%).
    """

    kind: Literal["proportion", "mean"] = "proportion"
    baseline: float = Field(default=0.1, title="The baseline", description="rate (0–1) for proportions, mean for means")
    standard_deviation: float | None = Field(default=None, gt=0, title="The standard deviation")
    mde: Annotated[float | None, FormScale(100)] = Field(
        default=None, gt=0, le=100, title="The MDE", description="relative MDE; give it or sample_per_variation"
    )
    sample_per_variation: int | None = Field(default=None, ge=1, le=10**12, title="The sample size")
    variations: int = Field(default=2, ge=2, le=10)
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    power: float = Field(default=0.8, gt=0, lt=1)
    daily_traffic: float | None = Field(default=None, gt=0, title="Daily traffic")


class PowerRead(BaseModel):
    """A power calculation: the sample size per variation, the MDE, and the duration."""

    metric_kind: str
    variations: int
    alpha: float
    power: float
    sample_per_variation: int
    mde_relative: float
    total_sample: int
    duration_days: int | None


# --- the portfolio and the results (the API's, the CLI's) --------------------------------------------------------


def _finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity: such values (from extreme statistics) are null."""
    return value if value is None or math.isfinite(value) else None


Finite = Annotated[float | None, AfterValidator(_finite_or_none)]
"""A number, or null when it could not be computed or is not finite."""


class PortfolioFiguresRead(BaseModel):
    """Counts and shares of a set of experiments (one team's, or the organisation's)."""

    total: int
    by_status: dict[str, int]
    running: int
    started: int
    decided: int
    shipped: int
    preregistered_share: float | None = Field(description="started with a sample size set before the start")
    decided_share: float | None
    win_rate: float | None = Field(description="shipped among the decided")
    median_duration_days: float | None


class TeamPortfolioRead(PortfolioFiguresRead):
    """One team's row of the portfolio."""

    team_id: int
    team_name: str
    team_slug: str


class PortfolioRead(BaseModel):
    """Experiments by team and status over the period, and the organisation's totals."""

    start: date | None
    end: date | None
    rows: list[TeamPortfolioRead]
    totals: PortfolioFiguresRead


class LiftRead(BaseModel):
    """One metric and variation against the control: lift, interval, p-value or chance to win."""

    metric: str
    variation: str
    role: Literal["primary", "secondary", "guardrail"]
    control_mean: Finite
    variation_mean: Finite
    lift: Finite
    ci_low: Finite
    ci_high: Finite
    p_value: Finite
    adjusted_p_value: Finite
    chance_to_win: Finite
    risk: Finite
    significant: bool
    degrees_of_freedom: Finite
    note: str | None
    control_n: int
    variation_n: int
    standard_error: Finite
    risk_control: Finite
    higher_is_better: bool
    cuped_theta: Finite


class SrmRead(BaseModel):
    """The sample ratio check: χ² of the units per variation against the planned weights."""

    p_value: Finite
    chi_square: Finite
    observed: list[int]
    expected: list[Finite]
    warn: bool


class ResultWarningRead(BaseModel):
    """A warning about the results (sample ratio mismatch, peeking, a breached guardrail...)."""

    code: str
    message: str


class OverTimeRead(BaseModel):
    """The lift of one metric and variation, day by day, on the cumulative statistics."""

    metric: str
    variation: str
    days: list[date]
    lift: list[Finite]
    ci_low: list[Finite]
    ci_high: list[Finite]


class ExperimentResultsRead(BaseModel):
    """An experiment's results: lift with intervals per metric and variation, the lift over time and the warnings."""

    method: Method
    correction: Correction
    last_day: date | None
    units: dict[str, int] = Field(description="units per variation")
    results: list[LiftRead]
    srm: SrmRead | None
    warnings: list[ResultWarningRead]
    notes: list[str]
    over_time: list[OverTimeRead]


class FileResultsRead(ExperimentResultsRead):
    """`deliveryops experiments analyse --format json`: the results endpoint's contract for a statistics file,
    with the file read and the analysis options."""

    file: str
    variations: list[str] = Field(description="in the file's order, the first being the control")
    daily: bool = Field(description="whether rows were per-day statistics, summed")
    options: dict[str, Any] = Field(description="the analysis options (method, alpha, CUPED, weights...)")


class StatRowIn(BaseModel):
    """Sufficient statistics of one metric and variation on one day."""

    date: date
    metric: str = Field(max_length=100)
    variation: str = Field(max_length=100)
    n: int = Field(ge=0, le=10**13)
    sum: float
    sum_squares: float | None = Field(default=None, description="for a proportion: empty or equal to sum")
    denominator_sum: float | None = None
    denominator_sum_squares: float | None = None
    cross_sum: float | None = None
    pre_sum: float | None = None
    pre_sum_squares: float | None = None
    pre_cross_sum: float | None = None


class StatisticsIn(BaseModel):
    """All statistics so far (they replace earlier ones)."""

    period: Literal["cumulative", "daily"] = "cumulative"
    rows: list[StatRowIn] = Field(max_length=200_000)


class ImportRead(BaseModel):
    """What an import stored."""

    rows: int
    days: int
    first_day: date | None
    last_day: date | None
    snapshots: int


class LearningsIn(BaseModel):
    """What was learnt, changed at any time (the detail page's learnings form)."""

    learnings: str = Field(default="", max_length=20000)


class StatisticsUploadOptions(BaseModel):
    """How a statistics CSV's rows are read: as its period column says (empty), cumulative or daily."""

    period: Literal["", "cumulative", "daily"] = Field(default="", title="Rows hold")


class ResultsQuery(BaseModel):
    """The analysis the detail page shows (empty: the experiment's own method and correction)."""

    method: Method | None = None
    correction: Correction | None = None


class PortfolioQuery(BaseModel):
    """The portfolio page's period, as ``from`` and ``to`` in its query string (empty: all time)."""

    start: date | None = Field(default=None, alias="from", title="From")
    end: date | None = Field(default=None, alias="to", title="To")


class LibraryQuery(ExperimentFilter):
    """The library's search form: :class:`ExperimentFilter` with the team chosen by its slug."""

    team: str = Field(default="", max_length=100, description="the team's slug")
