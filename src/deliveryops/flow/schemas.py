"""API shapes for flow metrics and forecasts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from deliveryops.analytics.forecast import HowManyForecast, WhenForecast
    from deliveryops.flow.models import Forecast

MAX_TRIALS = 200_000
CommitmentName = Literal["plan", "shared", "exported", "pack"]
COMMITMENT_HELP = (
    "Store the forecast as a commitment, which is scored: 'plan' (the team's plan; team members and admins), "
    "'shared', 'exported' or 'pack'. Omit for a what-if, which is kept but never scored."
)


class FlowRead(BaseModel):
    """A team's flow over a period; every number follows the definitions at /definitions."""

    team: str
    time_zone: str
    period: dict[str, str]
    item_types: list[str]
    definitions: str
    finished: int = Field(description="Items finished in the period")
    cycle_time_percentiles_days: dict[str, int | None] = Field(description="Nearest-rank 50/70/85/95th percentiles")
    sle_days: int | None
    throughput: dict[str, Any]
    wip: list[dict[str, Any]]
    net_flow: list[dict[str, Any]]
    aging_wip: list[dict[str, Any]]
    aging_stage_percentiles: list[dict[str, Any]]
    cumulative_flow: list[dict[str, Any]]
    flow_efficiency: dict[str, float | None]
    blocker_clusters: list[dict[str, Any]]
    discarded_after_start: int
    littles_law: dict[str, Any]
    unknown_statuses: list[dict[str, Any]]
    cycle_times: list[dict[str, Any]]


class BlockedIntervalRead(BaseModel):
    """One blocked interval that counts in an item's blocked time: clipped to the item's started period."""

    start: datetime
    end: datetime | None = Field(description="None while the item is still blocked")
    reason: str = Field(description="As recorded; empty when none was given")
    days: float = Field(description="Elapsed time of the clipped interval in days of 24 hours (up to now while open)")


class FlowItemRead(BaseModel):
    """A started item of the period with its blocked time (see /definitions#item-blocked-time)."""

    key: str
    title: str | None
    item_type: str | None
    current_status: str | None
    started_date: date
    finished_date: date | None
    cycle_time_days: int | None
    blocked_days: float = Field(description="Blocked time inside the started period, overlaps counted once, in days of 24 h")
    blocked_intervals: list[BlockedIntervalRead]


class MetricTable(BaseModel):
    """The data behind one chart, as a table."""

    metric: str
    columns: list[str]
    rows: list[list[Any]]


class WhenCreate(BaseModel):
    """Forecast when work will be done: give ``items``, or ``epic``, or ``item_keys``."""

    items: int | None = Field(default=None, ge=1, le=100_000, description="How many items remain (1 or more)")
    epic: str | None = Field(default=None, max_length=100, description="An epic: its unfinished children")
    item_keys: list[str] | None = Field(default=None, max_length=1000, description="Items that must all finish")
    window_days: int = Field(default=90, ge=7, le=730, description="Throughput window, ending yesterday")
    trials: int = Field(default=10_000, ge=10_000, le=MAX_TRIALS)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    target_date: date | None = None
    types: list[str] | None = Field(default=None, max_length=50)
    commitment: CommitmentName | None = Field(default=None, description=COMMITMENT_HELP)


class HowManyCreate(BaseModel):
    """Forecast how many items will be finished by a date."""

    by: date
    window_days: int = Field(default=90, ge=7, le=730)
    trials: int = Field(default=10_000, ge=10_000, le=MAX_TRIALS)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    types: list[str] | None = Field(default=None, max_length=50)
    commitment: CommitmentName | None = Field(default=None, description=COMMITMENT_HELP)


ALLOCATION_HELP = (
    "How the epics share the team's throughput: 'priority' (one after another in the order listed; the "
    "default) or 'even' (equal shares of each day's throughput, an epic that is done passes its share on)."
)


class EpicsCreate(BaseModel):
    """Forecast several epics of one team that share its throughput."""

    epics: list[str] | None = Field(
        default=None,
        max_length=50,
        description="Epic keys in priority order; omit for every epic with unfinished items, oldest first",
    )
    allocation: Literal["priority", "even"] = Field(default="priority", description=ALLOCATION_HELP)
    window_days: int = Field(default=90, ge=7, le=730)
    trials: int = Field(default=10_000, ge=10_000, le=MAX_TRIALS)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    types: list[str] | None = Field(default=None, max_length=50)
    commitment: CommitmentName | None = Field(default=None, description=COMMITMENT_HELP)


class ForecastForm(BaseModel):
    """The forecast page's form: the question (``kind``) and its inputs, named as the page names them.

    The page reads it through the form adapter (a field that is not a number or a date is named in its
    message) and asks the service the question of :class:`WhenCreate`, :class:`HowManyCreate`,
    :class:`ItemsCreate` or :class:`EpicsCreate`.
    """

    kind: str = Field(default="when", max_length=20)
    items: int | None = Field(default=None, ge=1, le=100_000, title="Items remaining")
    epic: str = Field(default="", max_length=100)
    item_keys: str = Field(default="", max_length=20_000, title="Items")
    by: date | None = None
    target: date | None = Field(default=None, title="Target date")
    window: int = Field(default=90, title="Window")
    epics: str = Field(default="", max_length=5_000)
    allocation: str = Field(default="priority", max_length=20)

    @field_validator("window")
    @classmethod
    def _window_in_range(cls, value: int) -> int:
        if not 7 <= value <= 730:
            raise ValueError("Choose a window of 7 to 730 days.")
        return value


class FlowPageQuery(BaseModel):
    """The team flow page's query string (a GET form): the period, the item types, the bucket and an SLE."""

    start: date | None = Field(default=None, alias="from", title="From")
    end: date | None = Field(default=None, alias="to", title="To")
    types: list[str] | None = Field(default=None, max_length=50)
    freq: Literal["day", "week"] = "week"
    sle: int | None = Field(default=None, ge=1, le=9_999, title="SLE")


class ForecastCommit(BaseModel):
    """Mark a stored what-if as a commitment, so that it is scored."""

    commitment: CommitmentName = Field(default="plan", description=COMMITMENT_HELP)


class ItemsCreate(BaseModel):
    """For an ordered list of items, the chance that each is done by a date."""

    item_keys: list[str] = Field(min_length=1, max_length=1000)
    by: date
    window_days: int = Field(default=90, ge=7, le=730)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)


class ItemChance(BaseModel):
    """One item of an ordered list."""

    key: str
    position: int
    probability: float | None


class ItemsRead(BaseModel):
    """Chances per item."""

    by: date
    message: str | None
    items: list[ItemChance]


class ForecastRead(BaseModel):
    """A stored forecast with its inputs, answer and (later) outcome."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    label: str
    start_date: date
    window_start: date
    window_end: date
    window_throughput: list[int]
    item_types: list[str]
    trials: int
    seed: int
    remaining_items: int | None
    item_keys: list[str]
    by_date: date | None
    target_date: date | None
    predicted: dict[str, str | int | None]
    probability_by_target: float | None
    message: str | None
    outcome_date: date | None
    outcome_count: int | None
    created_at: datetime
    commitment: str | None = Field(description="None for a what-if (not scored); else why it is scored")
    committed_at: datetime | None
    allocation: str | None = Field(description="For an epic sharing the team with other epics: the allocation rule")


class EpicsRead(BaseModel):
    """Each epic's dates when the epics share the team's throughput; ``allocation`` is the rule used."""

    allocation: Literal["priority", "even"]
    rule: str
    forecasts: list[ForecastRead]


class ForecastResult(ForecastRead):
    """A forecast just made, with its histogram (outcome value → trials)."""

    histogram: dict[str, int]

    @classmethod
    def of_when(cls, row: Forecast, result: WhenForecast) -> ForecastResult:
        """A "when" forecast: the histogram counts trials per finishing date."""
        histogram = {(result.start_date + timedelta(days=day)).isoformat(): n for day, n in result.histogram.items()}
        return cls(**ForecastRead.model_validate(row).model_dump(), histogram=histogram)

    @classmethod
    def of_how_many(cls, row: Forecast, result: HowManyForecast) -> ForecastResult:
        """A "how many" forecast: the histogram counts trials per number of items finished."""
        histogram = {str(count): n for count, n in result.histogram.items()}
        return cls(**ForecastRead.model_validate(row).model_dump(), histogram=histogram)


class LevelRead(BaseModel):
    """How often committed forecasts at one percentile level held, and the verdict (see /definitions#forecast-calibration)."""

    level: int
    scored: int
    held: int
    hit_rate: float | None
    low: float | None = Field(description="95% Wilson interval of the hit rate: low end")
    high: float | None = Field(description="95% Wilson interval of the hit rate: high end")
    verdict: Literal["well_calibrated", "too_cautious", "overconfident", "not_enough_forecasts"]
    sentence: str


class CalibrationRead(BaseModel):
    """The team's forecast track record."""

    levels: list[LevelRead]
    by_kind: dict[str, list[LevelRead]]
    pending: int
