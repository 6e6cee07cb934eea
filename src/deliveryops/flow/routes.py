"""JSON API: flow metrics and forecasts of a team."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.analytics.allocation import RULE_TEXT, Allocation
from deliveryops.analytics.forecast import CalibrationReport, LevelCalibration
from deliveryops.flow import service
from deliveryops.flow.charts import csv_rows
from deliveryops.flow.items import flow_items
from deliveryops.flow.models import Forecast
from deliveryops.flow.report import summary_dict
from deliveryops.flow.schemas import (
    CalibrationRead,
    EpicsCreate,
    EpicsRead,
    FlowItemRead,
    FlowRead,
    ForecastCommit,
    ForecastRead,
    ForecastResult,
    HowManyCreate,
    ItemChance,
    ItemsCreate,
    ItemsRead,
    LevelRead,
    MetricTable,
    WhenCreate,
)
from deliveryops.schemas import Page
from deliveryops.teams.service import get_team_or_raise
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

router = APIRouter(tags=["flow and forecasts"], responses=error_responses(401, 403, 404, 422))

TeamId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# The names of charts.FLOW_CHARTS, spelled out for the OpenAPI schema (a test keeps them equal).
Metric = Literal[
    "aging-wip",
    "cycle-times",
    "cycle-time-histogram",
    "throughput",
    "wip",
    "cumulative-flow",
    "net-flow",
    "flow-efficiency",
    "blockers",
]
Types = Annotated[list[str] | None, Query(max_length=50, description="Item types; default all but epics")]
Freq = Annotated[Literal["day", "week"], Query(description="Buckets of throughput and net flow: day or week")]
AsOf = Annotated[
    date | None,
    Query(description="Evaluate as if today were this day (team time zone): only what was known by its end counts"),
]


@router.get("/teams/{team_id}/flow", response_model=FlowRead)
def read_flow(
    session: SessionDep,
    actor: ApiUser,
    team_id: TeamId,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    types: Types = None,
    freq: Freq = "week",
    as_of: AsOf = None,
) -> FlowRead:
    """Every flow metric of the team for a period (default the last 90 days)."""
    team, query, summary, _data = service.team_flow(
        session=session, actor=actor, team_id=team_id, start=start, end=end, types=types, freq=freq, as_of=as_of
    )
    return FlowRead(**summary_dict(summary, query, team=team.name, time_zone=team.time_zone))


@router.get("/teams/{team_id}/flow/items", response_model=Page[FlowItemRead])
def read_flow_items(
    session: SessionDep,
    actor: ApiUser,
    team_id: TeamId,
    page: Pagination,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    types: Types = None,
    as_of: AsOf = None,
) -> Page[FlowItemRead]:
    """The items in progress at some time in the period, most blocked first: blocked days and blocked intervals."""
    return flow_items(session=session, actor=actor, team_id=team_id, page=page, start=start, end=end, types=types, as_of=as_of)


@router.get("/teams/{team_id}/flow/{metric}", response_model=MetricTable)
def read_metric(
    session: SessionDep,
    actor: ApiUser,
    team_id: TeamId,
    metric: Metric,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    types: Types = None,
    freq: Freq = "week",
    as_of: AsOf = None,
) -> MetricTable:
    """The data behind one chart of the flow page, as a table."""
    _team, _query, summary, _data = service.team_flow(
        session=session, actor=actor, team_id=team_id, start=start, end=end, types=types, freq=freq, as_of=as_of
    )
    header, rows = csv_rows(summary, str(metric))
    return MetricTable(
        metric=str(metric),
        columns=header,
        rows=[[value.isoformat() if hasattr(value, "isoformat") else value for value in row] for row in rows],
    )


def _read(row: Forecast) -> ForecastRead:
    return ForecastRead.model_validate(row)


@router.get("/teams/{team_id}/forecasts", response_model=Page[ForecastRead])
def list_forecasts(
    session: SessionDep,
    actor: ApiUser,
    team_id: TeamId,
    page: Pagination,
    committed: Annotated[bool | None, Query(description="true: only commitments (scored); false: only what-ifs")] = None,
) -> Page[ForecastRead]:
    """The team's stored forecasts, newest first."""
    rows, total = service.forecasts_page(session=session, actor=actor, team_id=team_id, page=page, committed=committed)
    return Page[ForecastRead](items=[_read(row) for row in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/teams/{team_id}/forecasts/when", response_model=ForecastResult, status_code=201)
def forecast_when(body: WhenCreate, session: SessionDep, actor: ApiUser, team_id: TeamId, as_of: AsOf = None) -> ForecastResult:
    """When will N items, an epic's unfinished children, or a list of items be done?

    Stored as a what-if (never scored) unless ``commitment`` is given. The same question on the same day
    has one record: asking again replaces a what-if and returns an existing commitment unchanged.
    """
    row, result = service.create_when(
        session=session,
        actor=actor,
        team_id=team_id,
        remaining_items=body.items,
        epic_key=body.epic,
        item_keys=body.item_keys,
        window_days=body.window_days,
        trials=body.trials,
        seed=body.seed,
        target_date=body.target_date,
        types=body.types,
        commitment=body.commitment,
        as_of=as_of,
    )
    return ForecastResult.of_when(row, result)


@router.post("/teams/{team_id}/forecasts/epics", response_model=EpicsRead, status_code=201)
def forecast_epics(body: EpicsCreate, session: SessionDep, actor: ApiUser, team_id: TeamId) -> EpicsRead:
    """When is each of several epics done, when they share the team's throughput? A what-if unless committed."""
    rows, allocation = service.forecast_epics(
        session=session,
        actor=actor,
        team_id=team_id,
        epic_keys=body.epics,
        allocation=Allocation(body.allocation),
        window_days=body.window_days,
        trials=body.trials,
        seed=body.seed,
        types=body.types,
        commitment=body.commitment,
    )
    return EpicsRead(allocation=allocation.value, rule=RULE_TEXT[allocation], forecasts=[_read(row) for row, _ in rows])


@router.post("/teams/{team_id}/forecasts/how-many", response_model=ForecastResult, status_code=201)
def forecast_how_many(
    body: HowManyCreate, session: SessionDep, actor: ApiUser, team_id: TeamId, as_of: AsOf = None
) -> ForecastResult:
    """How many items will be finished by a date? A what-if unless ``commitment`` is given (see forecast when)."""
    row, result = service.create_how_many(
        session=session,
        actor=actor,
        team_id=team_id,
        by_date=body.by,
        window_days=body.window_days,
        trials=body.trials,
        seed=body.seed,
        types=body.types,
        commitment=body.commitment,
        as_of=as_of,
    )
    return ForecastResult.of_how_many(row, result)


@router.post("/teams/{team_id}/forecasts/items", response_model=ItemsRead)
def forecast_items(body: ItemsCreate, session: SessionDep, actor: ApiUser, team_id: TeamId) -> ItemsRead:
    """For an ordered list of items, the chance that each is done by a date (not stored)."""
    result = service.forecast_items(
        session=session,
        actor=actor,
        team_id=team_id,
        item_keys=body.item_keys,
        by_date=body.by,
        window_days=body.window_days,
        seed=body.seed,
    )
    return ItemsRead(
        by=result.by_date,
        message=result.message,
        items=[ItemChance(key=i.key, position=i.position, probability=i.probability) for i in result.items],
    )


@router.get("/forecasts/{forecast_id}", response_model=ForecastRead)
def read_forecast(session: SessionDep, actor: ApiUser, forecast_id: TeamId) -> ForecastRead:
    """One stored forecast."""
    return _read(service.get_forecast(session=session, actor=actor, forecast_id=forecast_id))


@router.post("/forecasts/{forecast_id}/commit", response_model=ForecastRead)
def commit_forecast(body: ForecastCommit, session: SessionDep, actor: ApiUser, forecast_id: TeamId) -> ForecastRead:
    """Mark a what-if as a commitment (scored from now on). Committing twice changes nothing."""
    return _read(service.commit_forecast(session=session, actor=actor, forecast_id=forecast_id, commitment=body.commitment))


def _levels(levels: dict[int, LevelCalibration]) -> list[LevelRead]:
    return [
        LevelRead(
            level=c.level,
            scored=c.scored,
            held=c.held,
            hit_rate=c.hit_rate,
            low=c.low,
            high=c.high,
            verdict=c.outcome.value,
            sentence=c.sentence,
        )
        for c in levels.values()
    ]


def calibration_read(report: CalibrationReport) -> CalibrationRead:
    """The API shape of a calibration report."""
    return CalibrationRead(
        levels=_levels(report.levels),
        by_kind={kind: _levels(levels) for kind, levels in report.by_kind.items()},
        pending=report.pending,
    )


@router.get("/teams/{team_id}/forecasts-calibration", response_model=CalibrationRead)
def read_calibration(session: SessionDep, actor: ApiUser, team_id: TeamId) -> CalibrationRead:
    """How often the team's forecasts held at each percentile level (scores due forecasts first)."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    service.score_forecasts(session, team)
    return calibration_read(service.calibration(session, team))
