"""JSON API of experiments: CRUD, transitions, review, decision, statistics upload, results, power,
library search and portfolio."""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.accounts.models import Role, User
from deliveryops.analytics.experiments import Correction, Method
from deliveryops.db import utcnow
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.experiments import analysis, power, service, statistics
from deliveryops.experiments.models import Decision, Experiment, ExperimentStatus
from deliveryops.experiments.portfolio import ExperimentPortfolio
from deliveryops.experiments.service import ExperimentFields, MetricFields, VariationFields
from deliveryops.web.errors import error_responses
from deliveryops.web.security import SessionDep

__all__ = ["api", "portfolio_allowed"]

api = APIRouter(tags=["experiments"], responses=error_responses(401, 403, 404, 422))
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


class VariationIn(BaseModel):
    """One arm and its traffic weight."""

    name: str = Field(max_length=100)
    weight: float = Field(default=1.0, gt=0, le=1000)
    is_control: bool = False


class MetricIn(BaseModel):
    """One metric and its role."""

    name: str = Field(max_length=100)
    kind: Literal["mean", "proportion", "ratio"] = "proportion"
    role: Literal["primary", "secondary", "guardrail"] = "primary"
    higher_is_better: bool = True


class ExperimentBody(BaseModel):
    """The fields of an experiment; on PATCH, only those given change."""

    title: str | None = Field(default=None, max_length=200)
    observation: str | None = Field(default=None, max_length=5000, description="Because we saw …")
    belief: str | None = Field(default=None, max_length=5000, description="we believe …")
    outcome: str | None = Field(default=None, max_length=5000, description="will result in …")
    measure: str | None = Field(default=None, max_length=5000, description="measured by …")
    variations: list[VariationIn] | None = Field(default=None, max_length=10)
    metrics: list[MetricIn] | None = Field(default=None, max_length=20)
    tags: list[str] | None = Field(default=None, max_length=20)
    work_items: list[str] | None = Field(default=None, max_length=100, description="work item keys")
    reviewer_required: bool | None = None
    reviewer_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    planned_sample_size: int | None = Field(default=None, ge=1, le=2_000_000_000, description="units per variation")
    mde: float | None = Field(default=None, gt=0, le=100, description="relative, 0.02 = 2%")
    expected_daily_traffic: int | None = Field(default=None, ge=1, le=2_000_000_000)
    planned_start: date | None = None
    planned_end: date | None = None
    method: Method | None = None
    correction: Correction | None = None
    alpha: float | None = Field(default=None, gt=0, lt=0.5)
    cuped: bool | None = None
    learnings: str | None = Field(default=None, max_length=20000)


class ExperimentCreate(ExperimentBody):
    """A new experiment of a team."""

    team_id: int = Field(ge=1, le=2**31 - 1)
    title: str = Field(max_length=200)


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


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def read_model(experiment: Experiment) -> ExperimentRead:
    """The API view of an experiment."""
    return ExperimentRead(
        id=experiment.id,
        key=experiment.key,
        team_id=experiment.team_id,
        title=experiment.title,
        hypothesis={
            "observation": experiment.observation,
            "belief": experiment.belief,
            "outcome": experiment.outcome,
            "measure": experiment.measure,
        },
        status=experiment.status,
        next_statuses=list(service.ALLOWED_TRANSITIONS[experiment.status]),
        variations=[VariationIn(name=v.name, weight=v.weight, is_control=v.is_control) for v in experiment.variations],
        metrics=[
            MetricIn(name=m.name, kind=m.kind.value, role=m.role.value, higher_is_better=m.higher_is_better)
            for m in experiment.metrics
        ],
        tags=experiment.tag_names,
        work_items=[w.key for w in experiment.work_items],
        reviewer_required=experiment.reviewer_required,
        reviewer_id=experiment.reviewer_id,
        approved=experiment.approved,
        approved_by_id=experiment.approved_by_id,
        reviewed_at=_iso(experiment.reviewed_at),
        review_note=experiment.review_note,
        planned_sample_size=experiment.planned_sample_size,
        mde=experiment.mde,
        expected_daily_traffic=experiment.expected_daily_traffic,
        planned_start=experiment.planned_start,
        planned_end=experiment.planned_end,
        started_at=_iso(experiment.started_at),
        ended_at=_iso(experiment.ended_at),
        decision=experiment.decision,
        rationale=experiment.rationale,
        learnings=experiment.learnings,
        method=experiment.method.value,
        correction=experiment.correction.value,
        alpha=experiment.alpha,
        cuped=experiment.cuped,
        created_by_id=experiment.created_by_id,
        created_at=experiment.created_at.isoformat(),
        checks=[CheckRead(**dataclasses.asdict(c)) for c in service.prelaunch_checks(experiment)],
        last_warnings=list(experiment.last_warnings or []),
    )


def _merge(fields: ExperimentFields, body: ExperimentBody) -> ExperimentFields:
    given = body.model_dump(exclude_unset=True, exclude={"team_id"})
    if "variations" in given:
        given["variations"] = [VariationFields(**v) for v in given["variations"] or []]
    if "metrics" in given:
        given["metrics"] = [MetricFields(**m) for m in given["metrics"] or []]
    for name in ("tags", "work_items"):
        if name in given and given[name] is None:
            given[name] = []
    for name in ("method", "correction"):
        if name in given:
            given[name] = str(given[name] or getattr(ExperimentFields(), name))
    for name in ("title", "observation", "belief", "outcome", "measure", "learnings"):
        if name in given and given[name] is None:
            given[name] = ""
    for name in ("reviewer_required", "cuped"):
        if name in given and given[name] is None:
            given[name] = False
    if "alpha" in given and given["alpha"] is None:
        given["alpha"] = 0.05
    return dataclasses.replace(fields, **given)


@api.get("/experiments", response_model=list[ExperimentRead])
def search(
    session: SessionDep,
    actor: ApiUser,
    q: Annotated[str, Query(max_length=200, description="words in the title, hypothesis, learnings, metrics, tags")] = "",
    team_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: ExperimentStatus | None = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    metric: Annotated[str | None, Query(max_length=100)] = None,
    decision: Decision | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ExperimentRead]:
    """The library: experiments of the teams the caller may see, newest first."""
    return [
        read_model(e)
        for e in service.library(
            session=session,
            actor=actor,
            query=q,
            team_id=team_id,
            status=status,
            tag=tag,
            metric=metric,
            decision=decision,
            limit=limit,
        )
    ]


@api.post("/experiments", response_model=ExperimentRead, status_code=201)
def create(body: ExperimentCreate, session: SessionDep, actor: ApiUser) -> ExperimentRead:
    """Register an experiment as a draft (the team's people, Product Ops, admins)."""
    fields = _merge(ExperimentFields(), body)
    return read_model(service.create(session=session, actor=actor, team_id=body.team_id, fields=fields))


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


@api.get("/experiments/power", response_model=PowerRead)
def power_calculator(
    actor: ApiUser,
    kind: Literal["proportion", "mean"] = "proportion",
    baseline: Annotated[float, Query(description="rate (0–1) for proportions, mean for means")] = 0.1,
    standard_deviation: Annotated[float | None, Query(gt=0)] = None,
    mde: Annotated[float | None, Query(gt=0, le=100, description="relative MDE; give it or sample_per_variation")] = None,
    sample_per_variation: Annotated[int | None, Query(ge=1, le=10**12)] = None,
    variations: Annotated[int, Query(ge=2, le=10)] = 2,
    alpha: Annotated[float, Query(gt=0, lt=0.5)] = 0.05,
    power_level: Annotated[float, Query(alias="power", gt=0, lt=1)] = 0.8,
    daily_traffic: Annotated[float | None, Query(gt=0)] = None,
) -> PowerRead:
    """Sample size from the MDE, or the MDE from a sample size, and the duration from daily traffic."""
    result = power.calculate(
        kind=kind,
        baseline=baseline,
        standard_deviation=standard_deviation,
        mde=mde,
        sample_per_variation=sample_per_variation,
        variations=variations,
        alpha=alpha,
        power=power_level,
        daily_traffic=daily_traffic,
    )
    return PowerRead(**dataclasses.asdict(result))


def portfolio_allowed(actor: User) -> None:
    """The cross-team portfolio is for Product Ops, leaders and admins."""
    if actor.role not in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN):
        raise PermissionDeniedError("The experiment portfolio is for Product Ops, leaders and admins.")


def portfolio_json(result: ExperimentPortfolio) -> dict[str, Any]:
    """The portfolio as JSON data."""
    return {
        "start": _iso(result.start),
        "end": _iso(result.end),
        "rows": [dataclasses.asdict(r) for r in result.rows],
        "totals": dataclasses.asdict(result.totals),
    }


@api.get("/experiments/portfolio", response_model=dict[str, Any])
def portfolio(
    session: SessionDep,
    actor: ApiUser,
    start: date | None = None,
    end: date | None = None,
    team_id: Annotated[list[int] | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """Experiments by team and status, pre-registered share, decided share, win rate, median duration."""
    portfolio_allowed(actor)
    if team_id and not all(1 <= t <= 2**31 - 1 for t in team_id):
        raise ValidationFailedError("A team id is a whole number from 1 to 2147483647.", fields={"team_id": "out of range"})
    return portfolio_json(service.portfolio(session, team_ids=team_id, start=start, end=end))


@api.get("/experiments/{experiment_id}", response_model=ExperimentRead)
def read(session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> ExperimentRead:
    """One experiment with its pre-launch checks."""
    return read_model(service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id))


@api.patch("/experiments/{experiment_id}", response_model=ExperimentRead)
def patch(body: ExperimentBody, session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> ExperimentRead:
    """Change the given fields (the design locks once the experiment runs)."""
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    fields = _merge(service.fields_of(experiment), body)
    return read_model(service.update(session=session, actor=actor, experiment_id=experiment_id, fields=fields))


@api.delete("/experiments/{experiment_id}", status_code=204, response_class=Response)
def remove(session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> Response:
    """Delete a draft."""
    service.delete(session=session, actor=actor, experiment_id=experiment_id)
    return Response(status_code=204)


class TransitionIn(BaseModel):
    """The status to move to."""

    to: ExperimentStatus
    note: str = Field(default="", max_length=2000)


@api.post("/experiments/{experiment_id}/transitions", response_model=ExperimentRead)
def move(body: TransitionIn, session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> ExperimentRead:
    """Move along the status machine; "running" needs every pre-launch check to pass."""
    return read_model(service.transition(session=session, actor=actor, experiment_id=experiment_id, to=body.to, note=body.note))


class ReviewIn(BaseModel):
    """A reviewer's verdict."""

    approve: bool
    note: str = Field(default="", max_length=5000)


@api.post("/experiments/{experiment_id}/review", response_model=ExperimentRead)
def review(body: ReviewIn, session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> ExperimentRead:
    """Approve, or request changes (Product Ops or the named reviewer, never the creator)."""
    return read_model(
        service.review(session=session, actor=actor, experiment_id=experiment_id, approve=body.approve, note=body.note)
    )


class DecisionIn(BaseModel):
    """The decision with its rationale."""

    decision: Decision
    rationale: str = Field(max_length=10000)
    learnings: str | None = Field(default=None, max_length=20000)


@api.post("/experiments/{experiment_id}/decision", response_model=ExperimentRead)
def decide(body: DecisionIn, session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> ExperimentRead:
    """Record ship / iterate / stop with the rationale (from analysing to decided)."""
    return read_model(
        service.decide(
            session=session,
            actor=actor,
            experiment_id=experiment_id,
            decision=body.decision,
            rationale=body.rationale,
            learnings=body.learnings,
        )
    )


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


@api.post("/experiments/{experiment_id}/statistics", response_model=ImportRead)
def upload_json(body: StatisticsIn, session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> ImportRead:
    """Import statistics as JSON rows (all or nothing; errors name the row and field)."""
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    kinds = {m.name: m.kind.value for m in experiment.metrics}
    rows = []
    for number, r in enumerate(body.rows, start=1):
        squares = r.sum_squares
        if squares is None and kinds.get(r.metric) == "proportion":
            squares = r.sum
        if squares is None:
            message = f"a {kinds.get(r.metric, 'mean')} metric needs sum_squares"
            raise ValidationFailedError(
                f"Row {number}, field sum_squares: {message}. Nothing was imported.", fields={"sum_squares": message}
            )
        rows.append(
            statistics.StatRow(
                day=r.date,
                metric=r.metric,
                variation=r.variation,
                n=r.n,
                sum=r.sum,
                sum_squares=squares,
                **{name: getattr(r, name) for name in statistics.EXTRA_FIELDS},
            )
        )
    summary = statistics.import_statistics(
        session=session, actor=actor, experiment_id=experiment_id, rows=rows, cumulative=body.period == "cumulative"
    )
    return ImportRead(**dataclasses.asdict(summary))


async def read_upload(file: UploadFile) -> bytes:
    """The uploaded file's bytes (the app refuses bodies over the upload limit, 413, while they stream in)."""
    return await file.read()


@api.post("/experiments/{experiment_id}/statistics.csv", response_model=ImportRead, responses=error_responses(413))
async def upload_csv(
    session: SessionDep,
    actor: ApiUser,
    experiment_id: IdPath,
    file: Annotated[UploadFile, File()],
    period: Annotated[Literal["", "cumulative", "daily"], Form()] = "",
) -> ImportRead:
    """Import statistics from a CSV file (docs/experiment-statistics.md); errors name the line and column."""
    data = await read_upload(file)
    summary = csv_import(session, actor, experiment_id, data, file.filename or "statistics.csv", period)
    return ImportRead(**dataclasses.asdict(summary))


def csv_import(
    session: SessionDep, actor: User, experiment_id: int, data: bytes, name: str, period: str
) -> statistics.ImportSummary:
    """Read a statistics CSV and import it (shared by the page and the API)."""
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    if not service.can_edit(session, actor, experiment):
        raise PermissionDeniedError("Only the team's people, Product Ops and admins import its statistics.")
    # The reader names the line of anything it cannot read (e.g. a cell beyond the csv module's size limit).
    rows = statistics.rows_from_csv(
        data,
        name=name,
        experiment=experiment,
        default_day=utcnow().date(),
        daily={"daily": True, "cumulative": False}.get(period),
    )
    return statistics.import_statistics(session=session, actor=actor, experiment_id=experiment_id, rows=rows, cumulative=True)


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: such values (from extreme statistics) become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def results_json(result: analysis.ExperimentResults) -> dict[str, Any]:
    """The results as JSON data."""
    data: dict[str, Any] = _finite(
        {
            "method": result.method.value,
            "correction": result.correction.value,
            "last_day": _iso(result.last_day),
            "units": result.units,
            "results": [dataclasses.asdict(r) for r in result.results],
            "srm": dataclasses.asdict(result.analysis.srm) if result.analysis and result.analysis.srm else None,
            "warnings": [dataclasses.asdict(w) for w in result.warnings],
            "notes": result.notes,
            "over_time": [
                {
                    "metric": s.metric,
                    "variation": s.variation,
                    "days": [d.isoformat() for d in s.days],
                    "lift": s.lift,
                    "ci_low": s.ci_low,
                    "ci_high": s.ci_high,
                }
                for s in result.over_time
            ],
        }
    )
    return data


@api.get("/experiments/{experiment_id}/results", response_model=dict[str, Any])
def results(
    session: SessionDep, actor: ApiUser, experiment_id: IdPath, method: Method | None = None, correction: Correction | None = None
) -> dict[str, Any]:
    """Lift with intervals per metric and variation, the lift over time and the warnings."""
    result = analysis.analyse_experiment(
        session=session, actor=actor, experiment_id=experiment_id, method=method, correction=correction, today=utcnow().date()
    )
    return results_json(result)
