"""Analysing an experiment: its latest cumulative statistics through the statistics engine, the
lift over time, and the warnings a careful analyst would raise.

Warnings (codes are stable; the page and the API show the message):

- ``srm``: sample ratio mismatch, Pearson χ² of units per variation against the planned weights, p < 0.001;
- ``underpowered``: a variation has fewer units than the planned sample size per variation;
- ``not_planned``: no planned sample size, so "underpowered" cannot be judged;
- ``peeking``: results looked at while running before the planned end, analysed without sequential testing;
- ``guardrail``: a guardrail metric got significantly worse in a variation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.analytics.experiments import (
    AnalysisOptions,
    ArmStats,
    Correction,
    ExperimentAnalysis,
    LiftResult,
    Method,
    MetricInput,
    MetricKind,
    OverTimePoint,
    analyse,
    analyse_over_time,
)
from deliveryops.experiments import service
from deliveryops.experiments.models import (
    Experiment,
    ExperimentStatus,
    MetricRole,
    MetricSnapshot,
)
from deliveryops.experiments.schemas import (
    ExperimentResultsRead,
    FileResultsRead,
    LiftRead,
    OverTimeRead,
    ResultWarningRead,
    SrmRead,
)
from deliveryops.experiments.stats_csv import StatisticsFile

__all__ = [
    "ExperimentResults",
    "OverTimeSeries",
    "ResultWarning",
    "analyse_experiment",
    "engine_warning",
    "file_results_read",
    "results_of",
    "results_read",
    "series_of",
]


@dataclass(frozen=True)
class ResultWarning:
    """One warning about the results."""

    code: str
    message: str


@dataclass(frozen=True)
class OverTimeSeries:
    """The lift of one metric and variation, day by day, on the cumulative statistics."""

    metric: str
    variation: str
    days: list[date]
    lift: list[float | None]
    ci_low: list[float | None]
    ci_high: list[float | None]


@dataclass(frozen=True)
class ExperimentResults:
    """What the results page and the API show."""

    method: Method
    correction: Correction
    analysis: ExperimentAnalysis | None
    warnings: list[ResultWarning]
    units: dict[str, int]
    last_day: date | None
    over_time: list[OverTimeSeries] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def results(self) -> list[LiftResult]:
        """The lift results (empty without statistics)."""
        return self.analysis.results if self.analysis else []


def _arms(experiment: Experiment, cells: dict[tuple[int, int], MetricSnapshot], metric_id: int) -> tuple[ArmStats, ...]:
    ordered = sorted(experiment.variations, key=lambda v: (not v.is_control, v.position))
    arms = []
    for variation in ordered:
        snapshot = cells.get((metric_id, variation.id))
        if snapshot is None:
            arms.append(ArmStats(variation=variation.name, n=0, sum=0.0, sum_squares=0.0))
            continue
        arms.append(
            ArmStats(
                variation=variation.name,
                n=int(snapshot.n),
                sum=snapshot.sum,
                sum_squares=snapshot.sum_squares,
                denominator_sum=snapshot.denominator_sum,
                denominator_sum_squares=snapshot.denominator_sum_squares,
                cross_sum=snapshot.cross_sum,
                pre_sum=snapshot.pre_sum,
                pre_sum_squares=snapshot.pre_sum_squares,
                pre_cross_sum=snapshot.pre_cross_sum,
            )
        )
    return tuple(arms)


def _inputs(experiment: Experiment, cells: dict[tuple[int, int], MetricSnapshot]) -> list[MetricInput]:
    present = {metric_id for metric_id, _variation in cells}
    return [
        MetricInput(
            name=m.name,
            kind=MetricKind(m.kind.value),
            arms=_arms(experiment, cells, m.id),
            role=m.role.value,
            higher_is_better=m.higher_is_better,
        )
        for m in experiment.metrics
        if m.id in present
    ]


def _weights(experiment: Experiment) -> tuple[float, ...]:
    ordered = sorted(experiment.variations, key=lambda v: (not v.is_control, v.position))
    return tuple(v.weight for v in ordered)


def _options(experiment: Experiment, method: Method, correction: Correction) -> AnalysisOptions:
    return AnalysisOptions(
        method=method,
        alpha=experiment.alpha,
        relative=True,
        cuped=experiment.cuped,
        correction=correction,
        planned_weights=_weights(experiment),
    )


def peeking_now(experiment: Experiment, today: date) -> bool:
    """Whether looking now is peeking: running, before the planned end (or without one)."""
    return experiment.status is ExperimentStatus.RUNNING and (experiment.planned_end is None or today < experiment.planned_end)


def _warnings(experiment: Experiment, analysis: ExperimentAnalysis, method: Method, units: dict[str, int]) -> list[ResultWarning]:
    warnings: list[ResultWarning] = []
    if analysis.srm is not None and analysis.srm.warn:
        split = ", ".join(f"{name} {count:,}" for name, count in units.items())
        warnings.append(
            ResultWarning(
                "srm",
                f"Sample ratio mismatch: the units per variation ({split}) do not match the "
                f"planned split (χ² p = {analysis.srm.p_value:.2g} < 0.001). The assignment "
                "or the tracking may be broken: find the cause before trusting any result.",
            )
        )
    if experiment.planned_sample_size is None:
        warnings.append(
            ResultWarning(
                "not_planned",
                "No planned sample size: this experiment was not sized before it "
                "ran, so a null result cannot be told from too little data.",
            )
        )
    elif units and min(units.values()) < experiment.planned_sample_size:
        smallest = min(units, key=lambda name: units[name])
        share = units[smallest] / experiment.planned_sample_size
        warnings.append(
            ResultWarning(
                "underpowered",
                f"Underpowered: {smallest} has {units[smallest]:,} of the planned "
                f"{experiment.planned_sample_size:,} units per variation "
                f"({share:.0%}). Intervals are wider than planned and a "
                "non-significant result is not evidence of no effect.",
            )
        )
    if experiment.peeked and method is not Method.SEQUENTIAL:
        warnings.append(
            ResultWarning(
                "peeking",
                "Peeking: results were looked at while the experiment ran, before its "
                "planned end, without sequential testing. Fixed-horizon p-values and "
                "intervals are then too optimistic; use the sequential method or wait "
                "for the planned end.",
            )
        )
    for result in analysis.results:
        if result.role != "guardrail" or not result.significant or result.lift is None:
            continue
        worse = result.lift < 0 if result.higher_is_better else result.lift > 0
        if worse:
            warnings.append(
                ResultWarning(
                    "guardrail", f"Guardrail breached: {result.metric} got worse in {result.variation} ({result.lift:+.2%})."
                )
            )
    return warnings


def _latest(snapshots: list[MetricSnapshot], up_to: date | None = None) -> dict[tuple[int, int], MetricSnapshot]:
    cells: dict[tuple[int, int], MetricSnapshot] = {}
    for snapshot in snapshots:
        if up_to is not None and snapshot.day > up_to:
            continue
        key = (snapshot.metric_id, snapshot.variation_id)
        if key not in cells or cells[key].day < snapshot.day:
            cells[key] = snapshot
    return cells


def _over_time(
    experiment: Experiment, snapshots: list[MetricSnapshot], options: AnalysisOptions, metric_names: set[str]
) -> list[OverTimeSeries]:
    days = []
    for day in sorted({s.day for s in snapshots}):
        inputs = [m for m in _inputs(experiment, _latest(snapshots, day)) if m.name in metric_names]
        if inputs and len(inputs) == len({m.name for m in _inputs(experiment, _latest(snapshots)) if m.name in metric_names}):
            days.append((day, inputs))
    return series_of(analyse_over_time(days, options=options))


def series_of(points: Iterable[OverTimePoint]) -> list[OverTimeSeries]:
    """The lift per day, one series per metric and variation (in the order they first appear)."""
    series: dict[tuple[str, str], OverTimeSeries] = {}
    for point in points:
        entry = series.setdefault(
            (point.metric, point.variation),
            OverTimeSeries(metric=point.metric, variation=point.variation, days=[], lift=[], ci_low=[], ci_high=[]),
        )
        entry.days.append(point.day)
        entry.lift.append(point.lift)
        entry.ci_low.append(point.ci_low)
        entry.ci_high.append(point.ci_high)
    return list(series.values())


# The engine's own warnings that ours replace (we word them with the planned split and the variation).
_REPLACED = ("Sample ratio mismatch", "Guardrail breached")


def results_of(
    session: Session,
    experiment: Experiment,
    *,
    method: Method | None = None,
    correction: Correction | None = None,
    over_time: bool = True,
) -> ExperimentResults:
    """Analyse the experiment's latest statistics (no access check: callers check it).

    Args:
        session: the unit of work.
        experiment: the experiment.
        method: the method (default: the experiment's).
        correction: the multiple-testing correction (default: the experiment's).
        over_time: also compute the lift over time of the primary and guardrail metrics.

    Returns:
        The results and warnings; without statistics, no analysis and a note saying so.
    """
    method = method or Method(experiment.method.value)
    correction = correction or Correction(experiment.correction.value)
    snapshots = list(session.scalars(select(MetricSnapshot).where(MetricSnapshot.experiment_id == experiment.id)))
    if not snapshots:
        return ExperimentResults(
            method=method,
            correction=correction,
            analysis=None,
            warnings=[],
            units={},
            last_day=None,
            notes=["No statistics yet: upload them as CSV or through the API."],
        )
    options = _options(experiment, method, correction)
    cells = _latest(snapshots)
    inputs = _inputs(experiment, cells)
    try:
        analysis = analyse(inputs, options=options)
    except ValueError as exc:  # stored statistics that the engine cannot use (e.g. a metric added later)
        return ExperimentResults(
            method=method,
            correction=correction,
            analysis=None,
            warnings=[],
            units={},
            last_day=max(s.day for s in snapshots),
            notes=[f"Cannot analyse: {exc}."],
        )
    primary = next((m for m in inputs if m.role == "primary"), inputs[0] if inputs else None)
    units = {arm.variation: arm.n for arm in primary.arms} if primary else {}
    series: list[OverTimeSeries] = []
    if over_time:
        wanted = {m.name for m in experiment.metrics if m.role in (MetricRole.PRIMARY, MetricRole.GUARDRAIL)}
        series = _over_time(experiment, snapshots, options, wanted)
    return ExperimentResults(
        method=method,
        correction=correction,
        analysis=analysis,
        warnings=_warnings(experiment, analysis, method, units),
        units=units,
        last_day=max(s.day for s in snapshots),
        over_time=series,
        notes=[w for w in analysis.warnings if not w.startswith(_REPLACED)],
    )


def results_read(result: ExperimentResults) -> ExperimentResultsRead:
    """The results as the API's and the CLI's contract (values that are not finite are null)."""
    srm = result.analysis.srm if result.analysis else None
    return ExperimentResultsRead(
        method=result.method,
        correction=result.correction,
        last_day=result.last_day,
        units=result.units,
        results=[LiftRead.model_validate(dataclasses.asdict(r)) for r in result.results],
        srm=SrmRead.model_validate(dataclasses.asdict(srm)) if srm else None,
        warnings=[ResultWarningRead(code=w.code, message=w.message) for w in result.warnings],
        notes=result.notes,
        over_time=[
            OverTimeRead(metric=s.metric, variation=s.variation, days=s.days, lift=s.lift, ci_low=s.ci_low, ci_high=s.ci_high)
            for s in result.over_time
        ],
    )


# The engine's warnings by how they start, and the code the API gives the same kind of warning.
_ENGINE_CODES = (
    ("Sample ratio mismatch", "srm"),
    ("Guardrail breached", "guardrail"),
    ("Underpowered", "underpowered"),
    ("Results were looked at", "peeking"),
    ("No units", "no_units"),
    ("Zero variance", "zero_variance"),
)


def engine_warning(message: str) -> ResultWarning:
    """One of the engine's warnings with the code of its kind ("warning" when unknown)."""
    code = next((code for start, code in _ENGINE_CODES if message.startswith(start)), "warning")
    return ResultWarning(code, message)


def file_results_read(
    statistics: StatisticsFile, analysis: ExperimentAnalysis, over_time: list[OverTimePoint]
) -> FileResultsRead:
    """A statistics file's analysis as the results endpoint's contract, with the file and the options.

    Args:
        statistics: the file read.
        analysis: its analysis.
        over_time: lift per day (empty without dates).

    Returns:
        The results: the engine's warnings as warnings (a file has no experiment to word them against).
    """
    options = analysis.options
    primary = next((m for m in statistics.metrics if m.role == "primary"), statistics.metrics[0] if statistics.metrics else None)
    results = ExperimentResults(
        method=options.method,
        correction=options.correction,
        analysis=analysis,
        warnings=[engine_warning(w) for w in analysis.warnings],
        units={arm.variation: arm.n for arm in primary.arms} if primary else {},
        last_day=statistics.days[-1].day if statistics.days else None,
        over_time=series_of(over_time),
    )
    return FileResultsRead(
        **results_read(results).model_dump(),
        file=statistics.name,
        variations=list(statistics.variations),
        daily=statistics.daily,
        options=dataclasses.asdict(options),
    )


def analyse_experiment(
    *,
    session: Session,
    actor: User,
    experiment_id: int,
    method: Method | None = None,
    correction: Correction | None = None,
    today: date,
) -> ExperimentResults:
    """The results of an experiment the actor may see; looking while it runs before its planned end is
    recorded as peeking (which matters unless the analysis is sequential).

    Args:
        session: the unit of work.
        actor: who looks.
        experiment_id: the experiment.
        method: the method (default: the experiment's).
        correction: the correction (default: the experiment's).
        today: the viewer's date (for the peeking rule).

    Returns:
        The results.
    """
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    chosen = method or Method(experiment.method.value)
    if (
        chosen is not Method.SEQUENTIAL
        and peeking_now(experiment, today)
        and service.has_statistics(session, experiment)
        and not experiment.peeked
    ):
        experiment.peeked = True
        session.flush()
    results = results_of(session, experiment, method=method, correction=correction)
    codes = [w.code for w in results.warnings]
    if experiment.last_warnings != codes:
        experiment.last_warnings = codes
        session.flush()
    return results
