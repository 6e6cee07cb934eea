"""JSON API of experiments: CRUD, transitions, review, decision, statistics upload, results, power,
library search and portfolio."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from deliveryops import jobs
from deliveryops.accounts.dependencies import ApiUser
from deliveryops.analytics.experiments import Correction, Method
from deliveryops.db import utcnow
from deliveryops.errors import ValidationFailedError
from deliveryops.experiments import analysis, service, statistics, uploads
from deliveryops.experiments.jobs import import_job_of_experiment
from deliveryops.experiments.models import Decision, ExperimentStatus
from deliveryops.experiments.portfolio import portfolio_read
from deliveryops.experiments.schemas import (
    DecisionIn,
    ExperimentCreate,
    ExperimentFilter,
    ExperimentRead,
    ExperimentResultsRead,
    ExperimentUpdate,
    ImportRead,
    PortfolioRead,
    PowerQuery,
    PowerRead,
    ReviewIn,
    StatisticsIn,
    TransitionIn,
)
from deliveryops.jobs.schemas import JobRead
from deliveryops.schemas import Page
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

__all__ = ["api"]

api = APIRouter(tags=["experiments"], responses=error_responses(401, 403, 404, 422))
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
JobId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@api.get("/experiments", response_model=Page[ExperimentRead])
def search(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    q: Annotated[str, Query(max_length=200, description="words in the title, hypothesis, learnings, metrics, tags")] = "",
    team_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: ExperimentStatus | None = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    metric: Annotated[str | None, Query(max_length=100)] = None,
    decision: Decision | None = None,
) -> Page[ExperimentRead]:
    """The library: experiments of the teams the caller may see, newest first."""
    filters = ExperimentFilter(q=q, team_id=team_id, status=status, tag=tag, metric=metric, decision=decision)
    return service.library(session=session, actor=actor, filters=filters, page=page)


@api.post("/experiments", response_model=ExperimentRead, status_code=201)
def create(body: ExperimentCreate, session: SessionDep, actor: ApiUser) -> ExperimentRead:
    """Register an experiment as a draft (the team's people, Product Ops, admins)."""
    return service.read(service.create(session=session, actor=actor, team_id=body.team_id, design=body))


@api.get("/experiments/power", response_model=PowerRead)
def power_calculator(actor: ApiUser, query: Annotated[PowerQuery, Query()]) -> PowerRead:
    """Sample size from the MDE, or the MDE from a sample size, and the duration from daily traffic."""
    return service.calculate_power(query)


@api.get("/experiments/portfolio", response_model=PortfolioRead)
def portfolio(
    session: SessionDep,
    actor: ApiUser,
    start: date | None = None,
    end: date | None = None,
    team_id: Annotated[list[int] | None, Query(max_length=500)] = None,
) -> PortfolioRead:
    """Experiments by team and status, pre-registered share, decided share, win rate, median duration."""
    service.portfolio_allowed(actor)
    if team_id and not all(1 <= t <= 2**31 - 1 for t in team_id):
        raise ValidationFailedError("A team id is a whole number from 1 to 2147483647.", fields={"team_id": "out of range"})
    return portfolio_read(service.portfolio(session, team_ids=team_id, start=start, end=end))


@api.get("/experiments/{experiment_id}", response_model=ExperimentRead)
def read(session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> ExperimentRead:
    """One experiment with its pre-launch checks."""
    return service.read(service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id))


@api.patch("/experiments/{experiment_id}", response_model=ExperimentRead)
def patch(body: ExperimentUpdate, session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> ExperimentRead:
    """Change the given fields (the design locks once the experiment runs)."""
    return service.read(service.update(session=session, actor=actor, experiment_id=experiment_id, change=body))


@api.delete("/experiments/{experiment_id}", status_code=204, response_class=Response)
def remove(session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> Response:
    """Delete a draft."""
    service.delete(session=session, actor=actor, experiment_id=experiment_id)
    return Response(status_code=204)


@api.post("/experiments/{experiment_id}/transitions", response_model=ExperimentRead)
def move(body: TransitionIn, session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> ExperimentRead:
    """Move along the status machine; "running" needs every pre-launch check to pass."""
    return service.read(service.transition(session=session, actor=actor, experiment_id=experiment_id, to=body.to, note=body.note))


@api.post("/experiments/{experiment_id}/review", response_model=ExperimentRead)
def review(body: ReviewIn, session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> ExperimentRead:
    """Approve, or request changes (Product Ops or the named reviewer, never the creator)."""
    return service.read(
        service.review(session=session, actor=actor, experiment_id=experiment_id, approve=body.approve, note=body.note)
    )


@api.post("/experiments/{experiment_id}/decision", response_model=ExperimentRead)
def decide(body: DecisionIn, session: SessionDep, actor: ApiUser, experiment_id: IdPath) -> ExperimentRead:
    """Record ship / iterate / stop with the rationale (from analysing to decided)."""
    return service.read(
        service.decide(
            session=session,
            actor=actor,
            experiment_id=experiment_id,
            decision=body.decision,
            rationale=body.rationale,
            learnings=body.learnings,
        )
    )


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


@api.post(
    "/experiments/{experiment_id}/statistics.csv",
    response_model=ImportRead,
    responses={
        **error_responses(413),
        202: {
            "model": JobRead,
            "description": "A large file: accepted and imported by a background job; follow it at the Location given",
        },
    },
)
async def upload_csv(
    request: Request,
    session: SessionDep,
    actor: ApiUser,
    experiment_id: IdPath,
    file: Annotated[UploadFile, File()],
    period: Annotated[Literal["", "cumulative", "daily"], Form()] = "",
) -> ImportRead:
    """Import statistics from a CSV file (docs/experiment-statistics.md); errors name the line and column.

    A file larger than DELIVERYOPS_IMPORT_BACKGROUND_MB (1 MB) is imported by a background job instead:
    the answer is 202 with the job, whose progress `GET .../statistics-jobs/{job_id}` follows and
    `POST .../statistics-jobs/{job_id}/cancel` stops (a cancelled or failed import writes nothing).
    """
    data = await uploads.read_upload(file)
    if len(data) > request.app.state.settings.import_background_bytes:
        job = uploads.start_background_import(session, actor, experiment_id, data, file.filename or "statistics.csv", period)
        body = JobRead.model_validate(job).model_dump(mode="json")
        location = f"/api/v1/experiments/{experiment_id}/statistics-jobs/{job.id}"
        return JSONResponse(body, status_code=202, headers={"Location": location})  # type: ignore[return-value]
    # Off the event loop: a file of up to 200,000 rows must not hold up other requests while it imports.
    summary = await run_in_threadpool(
        uploads.csv_import, session, actor, experiment_id, data, file.filename or "statistics.csv", period
    )
    return ImportRead(**dataclasses.asdict(summary))


@api.get("/experiments/{experiment_id}/statistics-jobs/{job_id}", response_model=JobRead)
def read_statistics_job(session: SessionDep, actor: ApiUser, experiment_id: IdPath, job_id: JobId) -> JobRead:
    """A background statistics import: its state and its result or error (those who may import)."""
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    return JobRead.model_validate(import_job_of_experiment(session, actor=actor, experiment=experiment, job_id=job_id))


@api.post("/experiments/{experiment_id}/statistics-jobs/{job_id}/cancel", response_model=JobRead, responses=error_responses(409))
def cancel_statistics_job(session: SessionDep, actor: ApiUser, experiment_id: IdPath, job_id: JobId) -> JobRead:
    """Cancel a background statistics import: a queued one never starts, a running one stops and writes nothing."""
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    found = import_job_of_experiment(session, actor=actor, experiment=experiment, job_id=job_id)
    return JobRead.model_validate(jobs.cancel(session=session, job_id=found.id))


@api.get("/experiments/{experiment_id}/results", response_model=ExperimentResultsRead)
def results(
    session: SessionDep, actor: ApiUser, experiment_id: IdPath, method: Method | None = None, correction: Correction | None = None
) -> ExperimentResultsRead:
    """Lift with intervals per metric and variation, the lift over time and the warnings."""
    result = analysis.analyse_experiment(
        session=session, actor=actor, experiment_id=experiment_id, method=method, correction=correction, today=utcnow().date()
    )
    return analysis.results_read(result)
