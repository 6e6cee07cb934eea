"""Monte Carlo forecasts from daily throughput, as pinned in DESIGN.md ("Forecasts (Monte Carlo)").

Each trial samples daily throughput uniformly, with replacement, from a window of past days (zero
days included). Percentiles are nearest-rank (``deliveryops.analytics.percentiles``).

* **When** (N items): the day on which a trial's running total reaches N; day 1 is the first
  simulated day, the day after ``start_date``.
* **How many** (by a date): a trial's total over the days ``start_date + 1`` .. ``by_date``;
  "P% confidence" is the largest count reached or exceeded in at least P% of trials.

Ordinary special cases (nothing remaining, a window without completions, trials that never finish
within ``max_days``) come back as a result with a ``status`` and a ``message`` to show. Arguments
that make no sense (fewer than 10,000 trials, negative throughput, ``by_date`` not after
``start_date``) raise :class:`ForecastInputError`, a ``ValueError`` whose message names the field.

Every function takes a ``seed`` and builds ``numpy.random.default_rng(seed)`` itself, so the seed
stored with a forecast reproduces it exactly; :func:`new_seed` makes a fresh one.

The simulation is vectorised: trials are processed in chunks of at most ``_MAX_CELLS`` sampled
days, each chunk as one (days x trials) matrix of draws, so memory stays bounded.
"""

from __future__ import annotations

import enum
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from deliveryops.analytics.calibration import CalibrationOutcome, judge_level
from deliveryops.analytics.percentiles import nearest_rank_many

__all__ = [
    "DEFAULT_PERCENTILES",
    "MIN_TRIALS",
    "NO_THROUGHPUT_MESSAGE",
    "CalibrationReport",
    "ForecastInputError",
    "ForecastInputs",
    "ForecastOutcome",
    "ForecastStatus",
    "HowManyForecast",
    "ItemProbability",
    "ItemsForecast",
    "LevelCalibration",
    "WhenForecast",
    "calibration",
    "counts_at_confidence",
    "forecast_how_many",
    "forecast_items",
    "forecast_when",
    "held_at",
    "new_seed",
    "simulate_completion_days",
    "simulate_totals",
]

MIN_TRIALS = 10_000
DEFAULT_PERCENTILES: tuple[int, ...] = (50, 70, 85, 95)
NO_THROUGHPUT_MESSAGE = "The throughput window has no completed items, so no forecast is possible; choose a longer window."
ALREADY_DONE_MESSAGE = "There are no remaining items, so the work is already done."

# At most this many sampled days are held in memory at once (about 4 bytes each per array).
_MAX_CELLS = 1 << 20
_MIN_CHUNK_TRIALS = 256

ThroughputInput = Sequence[int] | npt.NDArray[np.integer[Any]]
IntArray = npt.NDArray[np.int64]


class ForecastInputError(ValueError):
    """An argument of a forecast is invalid; the message names the field."""


class ForecastStatus(enum.StrEnum):
    """How a forecast came out; anything but ``OK`` carries a message to show."""

    OK = "ok"
    ALREADY_DONE = "already_done"
    NO_THROUGHPUT = "no_throughput"
    NOT_WITHIN_MAX_DAYS = "not_within_max_days"


@dataclass(frozen=True, slots=True)
class ForecastInputs:
    """What a forecast was computed from; storing it makes the forecast reproducible."""

    window: tuple[int, ...]
    window_days: int
    window_total_items: int
    trials: int
    seed: int


@dataclass(frozen=True, slots=True)
class WhenForecast:
    """Answer to "when will N items be done?".

    ``days[P]`` is the nearest-rank P-th percentile of the completion day over all trials (None when
    it lies beyond ``max_days``); ``dates[P] = start_date + days[P]``. ``histogram`` maps a
    completion day to its number of trials; trials not finished within ``max_days`` are counted in
    ``not_finished_trials`` instead.
    """

    status: ForecastStatus
    message: str | None
    inputs: ForecastInputs
    remaining_items: int
    start_date: date
    max_days: int
    days: dict[int, int | None]
    dates: dict[int, date | None]
    target_date: date | None
    finished_by_target_trials: int | None
    probability_by_target: float | None
    histogram: dict[int, int]
    not_finished_trials: int


@dataclass(frozen=True, slots=True)
class HowManyForecast:
    """Answer to "how many items by ``by_date``?".

    ``counts[P]`` is the largest count reached or exceeded in at least P% of trials; ``histogram``
    maps a trial total to its number of trials.
    """

    status: ForecastStatus
    message: str | None
    inputs: ForecastInputs
    start_date: date
    by_date: date
    horizon_days: int
    counts: dict[int, int | None]
    histogram: dict[int, int]


@dataclass(frozen=True, slots=True)
class ItemProbability:
    """Chance that the item at ``position`` (0-based) of an ordered list is done by the date."""

    key: str
    position: int
    done_trials: int
    probability: float | None


@dataclass(frozen=True, slots=True)
class ItemsForecast:
    """Per-item chance of being done by ``by_date``, for an ordered list of items."""

    status: ForecastStatus
    message: str | None
    inputs: ForecastInputs
    start_date: date
    by_date: date
    horizon_days: int
    items: tuple[ItemProbability, ...]


def new_seed() -> int:
    """Return a fresh random seed to store with a forecast.

    Returns:
        A non-negative integer below 2**63 (fits a signed 64-bit database column).
    """
    return secrets.randbits(63)


def simulate_completion_days(
    daily_throughput: ThroughputInput,
    *,
    remaining_items: int,
    trials: int,
    rng: np.random.Generator,
    max_days: int,
) -> IntArray:
    """Simulate, per trial, the day on which the running total first reaches ``remaining_items``.

    Args:
        daily_throughput: items finished per day over the sampling window; at least one must be > 0.
        remaining_items: N, at least 1.
        trials: number of trials.
        rng: the random generator to draw from.
        max_days: the longest simulated horizon.

    Returns:
        An int64 array of length ``trials``: the completion day (1 = first simulated day), or
        ``max_days + 1`` for a trial that had not finished after ``max_days`` days.
    """
    values = _validated_window(daily_throughput)
    if values.sum() == 0:
        raise ForecastInputError(NO_THROUGHPUT_MESSAGE)
    if remaining_items < 1:
        raise ForecastInputError(f"remaining_items must be at least 1, got {remaining_items}")
    mean_per_day = float(values.mean())
    first_block = min(max_days, _block_days(remaining_items, mean_per_day))
    chunk_trials = max(_MIN_CHUNK_TRIALS, _MAX_CELLS // first_block)
    running_dtype = _running_dtype(values, max_days, remaining_items)
    # One dtype for draws, running totals and targets avoids converting the whole matrix.
    draw_values = values.astype(running_dtype)
    days = np.empty(trials, dtype=np.int64)
    for start in range(0, trials, chunk_trials):
        stop = min(start + chunk_trials, trials)
        days[start:stop] = _completion_days_chunk(
            draw_values,
            remaining_items=remaining_items,
            trials=stop - start,
            rng=rng,
            max_days=max_days,
            first_block=first_block,
            mean_per_day=mean_per_day,
            running_dtype=running_dtype,
        )
    return days


def simulate_totals(daily_throughput: ThroughputInput, *, days: int, trials: int, rng: np.random.Generator) -> IntArray:
    """Simulate, per trial, the total items finished over ``days`` sampled days.

    Args:
        daily_throughput: items finished per day over the sampling window (non-empty).
        days: number of simulated days, at least 1.
        trials: number of trials.
        rng: the random generator to draw from.

    Returns:
        An int64 array of length ``trials`` with each trial's total.
    """
    values = _validated_window(daily_throughput)
    if values.size == 0:
        raise ForecastInputError(NO_THROUGHPUT_MESSAGE)
    if days < 1:
        raise ForecastInputError(f"days must be at least 1, got {days}")
    index_dtype = _index_dtype(values.size)
    chunk_trials = max(_MIN_CHUNK_TRIALS, _MAX_CELLS // days)
    totals = np.empty(trials, dtype=np.int64)
    for start in range(0, trials, chunk_trials):
        stop = min(start + chunk_trials, trials)
        # (days x trials) layout: summing along axis 0 adds contiguous rows, the fast direction.
        draws = rng.integers(0, values.size, size=(days, stop - start), dtype=index_dtype)
        totals[start:stop] = values[draws].sum(axis=0, dtype=np.int64)
    return totals


def forecast_when(
    daily_throughput: ThroughputInput,
    *,
    remaining_items: int,
    start_date: date,
    trials: int = MIN_TRIALS,
    seed: int,
    percentiles: Iterable[int] = DEFAULT_PERCENTILES,
    target_date: date | None = None,
    max_days: int = 3650,
) -> WhenForecast:
    """Forecast when ``remaining_items`` items will be done.

    Args:
        daily_throughput: items finished per calendar day over the sampling window, zero days included.
        remaining_items: N, the items still to finish (0 means already done).
        start_date: "today": the day before simulated day 1.
        trials: number of trials, at least 10,000.
        seed: the seed of ``numpy.random.default_rng``; store it to reproduce the forecast.
        percentiles: the levels P to report, each an integer in 1..100.
        target_date: optional date for the probability of finishing on or before it.
        max_days: the longest simulated horizon; trials still unfinished then are reported apart.

    Returns:
        A :class:`WhenForecast`. When P% of trials (or more) did not finish within ``max_days``,
        ``days[P]`` and ``dates[P]`` are None and the status is ``NOT_WITHIN_MAX_DAYS``. Trials
        unfinished after ``max_days`` count as not finished by ``target_date``.

    Raises:
        ForecastInputError: on an invalid argument (the message names it).
    """
    values = _validated_window(daily_throughput)
    levels = _validated_levels(percentiles)
    _check_common(trials=trials, seed=seed)
    if remaining_items < 0:
        raise ForecastInputError(f"remaining_items must not be negative, got {remaining_items}")
    if max_days < 1:
        raise ForecastInputError(f"max_days must be at least 1, got {max_days}")
    inputs = _inputs(values, trials, seed)
    target_offset = None if target_date is None else (target_date - start_date).days

    def result(
        *,
        status: ForecastStatus,
        message: str | None,
        days: dict[int, int | None],
        finished_by_target: int | None,
        histogram: dict[int, int],
        not_finished: int,
    ) -> WhenForecast:
        return WhenForecast(
            status=status,
            message=message,
            inputs=inputs,
            remaining_items=remaining_items,
            start_date=start_date,
            max_days=max_days,
            days=days,
            dates={p: None if d is None else start_date + timedelta(days=d) for p, d in days.items()},
            target_date=target_date,
            finished_by_target_trials=finished_by_target,
            probability_by_target=None if finished_by_target is None else finished_by_target / trials,
            histogram=histogram,
            not_finished_trials=not_finished,
        )

    if remaining_items == 0:
        done_by_target = None if target_offset is None else (trials if target_offset >= 0 else 0)
        return result(
            status=ForecastStatus.ALREADY_DONE,
            message=ALREADY_DONE_MESSAGE,
            days=dict.fromkeys(levels, 0),
            finished_by_target=done_by_target,
            histogram={0: trials},
            not_finished=0,
        )
    if values.sum() == 0:
        return result(
            status=ForecastStatus.NO_THROUGHPUT,
            message=NO_THROUGHPUT_MESSAGE,
            days=dict.fromkeys(levels),
            finished_by_target=None,
            histogram={},
            not_finished=0,
        )

    completion = simulate_completion_days(
        values,
        remaining_items=remaining_items,
        trials=trials,
        rng=np.random.default_rng(seed),
        max_days=max_days,
    )
    ranked = nearest_rank_many(completion.astype(np.float64), levels)
    days: dict[int, int | None] = {}
    for level in levels:
        value = ranked[level]
        days[level] = None if value is None or value > max_days else int(value)
    counts = np.bincount(completion, minlength=max_days + 2)
    not_finished = int(counts[max_days + 1])
    histogram = {int(day): int(counts[day]) for day in np.flatnonzero(counts[: max_days + 1])}
    finished_by_target = None
    if target_offset is not None:
        finished_by_target = int(counts[1 : max(0, min(target_offset, max_days)) + 1].sum())

    status, message = ForecastStatus.OK, None
    if not_finished:
        status = ForecastStatus.NOT_WITHIN_MAX_DAYS if None in days.values() else ForecastStatus.OK
        message = (
            f"{not_finished:,} of {trials:,} trials did not finish {remaining_items:,} items "
            f"within {max_days:,} days; a percentile beyond that is shown as "
            f"'not within {max_days:,} days'."
        )
    return result(
        status=status,
        message=message,
        days=days,
        finished_by_target=finished_by_target,
        histogram=histogram,
        not_finished=not_finished,
    )


def forecast_how_many(
    daily_throughput: ThroughputInput,
    *,
    by_date: date,
    start_date: date,
    trials: int = MIN_TRIALS,
    seed: int,
    percentiles: Iterable[int] = DEFAULT_PERCENTILES,
) -> HowManyForecast:
    """Forecast how many items will be finished from the day after ``start_date`` through ``by_date``.

    Args:
        daily_throughput: items finished per calendar day over the sampling window, zero days included.
        by_date: the last day counted; must be after ``start_date``.
        start_date: "today": the day before simulated day 1.
        trials: number of trials, at least 10,000.
        seed: the seed of ``numpy.random.default_rng``; store it to reproduce the forecast.
        percentiles: the confidence levels P to report, each an integer in 1..100.

    Returns:
        A :class:`HowManyForecast` whose ``counts[P]`` is the largest count C such that at least P%
        of trials finished C items or more (nearest rank counted from the top), so
        "with P% confidence, at least C items" is literally true of the trials.

    Raises:
        ForecastInputError: on an invalid argument (the message names it).
    """
    values, levels, horizon, inputs = _prepare_by_date(
        daily_throughput,
        by_date=by_date,
        start_date=start_date,
        trials=trials,
        seed=seed,
        percentiles=percentiles,
    )
    if values.sum() == 0:
        return HowManyForecast(
            status=ForecastStatus.NO_THROUGHPUT,
            message=NO_THROUGHPUT_MESSAGE,
            inputs=inputs,
            start_date=start_date,
            by_date=by_date,
            horizon_days=horizon,
            counts=dict.fromkeys(levels),
            histogram={},
        )
    totals = simulate_totals(values, days=horizon, trials=trials, rng=np.random.default_rng(seed))
    counts: dict[int, int | None] = dict(counts_at_confidence(totals, levels))
    return HowManyForecast(
        status=ForecastStatus.OK,
        message=None,
        inputs=inputs,
        start_date=start_date,
        by_date=by_date,
        horizon_days=horizon,
        counts=counts,
        histogram=_histogram(totals),
    )


def counts_at_confidence(totals: IntArray | Sequence[int], percentiles: Iterable[int]) -> dict[int, int]:
    """Return, per level P, the largest count reached or exceeded in at least P% of trials.

    This is the nearest-rank P-th percentile counted from the top: with n trials and
    m = ceil(P × n / 100), the m-th largest total. It can differ from the (100 − P)th percentile
    from below when that rank falls between two different totals; this one keeps
    "at least P% of trials finished C items or more" literally true.

    Args:
        totals: each trial's total (non-empty).
        percentiles: the confidence levels P, each an integer in 1..100.

    Returns:
        ``{P: count}`` for each P.
    """
    levels = _validated_levels(percentiles)
    # The nearest-rank P-th percentile of the negated totals, negated:
    # "at least P% of -t <= V" is "at least P% of t >= -V".
    ranked = nearest_rank_many(-np.asarray(totals, dtype=np.float64), levels)
    counts = {}
    for level in levels:
        value = ranked[level]
        if value is None:
            raise ForecastInputError("totals must not be empty")
        counts[level] = int(-value)
    return counts


def forecast_items(
    daily_throughput: ThroughputInput,
    *,
    ordered_items: Sequence[str],
    by_date: date,
    start_date: date,
    trials: int = MIN_TRIALS,
    seed: int,
) -> ItemsForecast:
    """Forecast, for each item of an ordered list, the probability it is done by ``by_date``.

    Item ``i`` (0-based, in list order) is done in a trial when the trial's total reaches ``i + 1``.
    The trials are the same as :func:`forecast_how_many` draws with the same seed and horizon.

    Args:
        daily_throughput: items finished per calendar day over the sampling window, zero days included.
        ordered_items: the keys of the items, in the order they will be worked on.
        by_date: the last day counted; must be after ``start_date``.
        start_date: "today": the day before simulated day 1.
        trials: number of trials, at least 10,000.
        seed: the seed of ``numpy.random.default_rng``; store it to reproduce the forecast.

    Returns:
        An :class:`ItemsForecast` with one :class:`ItemProbability` per item, in list order.

    Raises:
        ForecastInputError: on an invalid argument (the message names it).
    """
    values, _, horizon, inputs = _prepare_by_date(
        daily_throughput,
        by_date=by_date,
        start_date=start_date,
        trials=trials,
        seed=seed,
        percentiles=DEFAULT_PERCENTILES,
    )
    status, message = ForecastStatus.OK, None
    if values.sum() == 0:
        status, message = ForecastStatus.NO_THROUGHPUT, NO_THROUGHPUT_MESSAGE
        items = tuple(ItemProbability(key, i, 0, None) for i, key in enumerate(ordered_items))
    else:
        items = _item_probabilities(values, ordered_items, horizon=horizon, trials=trials, seed=seed)
    return ItemsForecast(
        status=status,
        message=message,
        inputs=inputs,
        start_date=start_date,
        by_date=by_date,
        horizon_days=horizon,
        items=items,
    )


def _item_probabilities(
    values: IntArray, ordered_items: Sequence[str], *, horizon: int, trials: int, seed: int
) -> tuple[ItemProbability, ...]:
    totals = simulate_totals(values, days=horizon, trials=trials, rng=np.random.default_rng(seed))
    # at_least[k] = number of trials whose total is >= k.
    at_least = np.cumsum(np.bincount(totals)[::-1])[::-1]
    probabilities = []
    for position, key in enumerate(ordered_items):
        done = int(at_least[position + 1]) if position + 1 < at_least.size else 0
        probabilities.append(ItemProbability(key, position, done, done / trials))
    return tuple(probabilities)


@dataclass(frozen=True, slots=True)
class ForecastOutcome:
    """A past forecast and, once known, what actually happened.

    Attributes:
        kind: "when" (predicted dates per level) or "how_many" (predicted counts per level).
        predicted: level P -> predicted date ("when") or count ("how_many"); None when the forecast
            had no value at that level (e.g. "not within max_days"), which is not scored.
        actual: "when": the completion date, None while unfinished; "how_many": the count finished
            through ``horizon``, None while unknown.
        horizon: "how_many": the forecast's ``by_date``; unused for "when".
    """

    kind: Literal["when", "how_many"]
    predicted: Mapping[int, date | int | None]
    actual: date | int | None
    horizon: date | None = None


@dataclass(frozen=True, slots=True)
class LevelCalibration:
    """How often the forecasts at one level held, the 95% Wilson interval of that rate, and the verdict
    (see :mod:`deliveryops.analytics.calibration`)."""

    level: int
    scored: int
    held: int
    hit_rate: float | None
    low: float | None = None
    high: float | None = None
    outcome: CalibrationOutcome = CalibrationOutcome.NOT_ENOUGH
    sentence: str = ""


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    """Hit rate per percentile level, overall and per kind of forecast."""

    levels: dict[int, LevelCalibration]
    by_kind: dict[str, dict[int, LevelCalibration]]
    pending: int = field(default=0)


def calibration(forecasts: Iterable[ForecastOutcome], *, as_of: date) -> CalibrationReport:
    """Score past forecasts: how often each percentile level held, with its Wilson interval and verdict.

    A "when" forecast at level P held if the work was finished on or before its predicted date.
    It is scored once finished, or once ``as_of`` is on or after the predicted date while still
    unfinished (then it did not hold); before that, that level is pending. A "how many" forecast at
    level P held if the actual count is >= the predicted count; it is scored only once
    ``as_of >= horizon`` and the actual count is known. A forecast none of whose levels could be
    scored counts as pending.

    Args:
        forecasts: past forecasts with their outcomes.
        as_of: the last day whose outcomes are known ("today").

    Returns:
        A :class:`CalibrationReport`; ``hit_rate`` is None for a level with nothing scored.
    """
    tallies: dict[tuple[str, int], list[int]] = {}
    pending = 0
    for forecast in forecasts:
        scored_any = False
        for level, predicted in forecast.predicted.items():
            outcome = _held(forecast, predicted, as_of)
            if outcome is None:
                continue
            scored_any = True
            tally = tallies.setdefault((forecast.kind, level), [0, 0])
            tally[0] += 1
            tally[1] += int(outcome)
        pending += not scored_any

    def summarise(rows: Mapping[int, list[int]]) -> dict[int, LevelCalibration]:
        out = {}
        for level, (scored, held) in sorted(rows.items()):
            verdict = judge_level(level, scored, held) if 1 <= level <= 99 else None
            out[level] = LevelCalibration(
                level,
                scored,
                held,
                held / scored if scored else None,
                verdict.low if verdict else None,
                verdict.high if verdict else None,
                verdict.outcome if verdict else CalibrationOutcome.NOT_ENOUGH,
                verdict.sentence if verdict else "",
            )
        return out

    overall: dict[int, list[int]] = {}
    per_kind: dict[str, dict[int, list[int]]] = {}
    for (kind, level), (scored, held) in tallies.items():
        total = overall.setdefault(level, [0, 0])
        total[0] += scored
        total[1] += held
        per_kind.setdefault(kind, {})[level] = [scored, held]
    return CalibrationReport(
        levels=summarise(overall),
        by_kind={kind: summarise(rows) for kind, rows in sorted(per_kind.items())},
        pending=pending,
    )


def held_at(forecast: ForecastOutcome, level: int, as_of: date) -> bool | None:
    """Whether the forecast's ``level`` percentile held, as calibration scores it (None: not known yet)."""
    return _held(forecast, forecast.predicted.get(level), as_of)


def _held(forecast: ForecastOutcome, predicted: date | int | None, as_of: date) -> bool | None:
    if predicted is None:
        return None
    if forecast.kind == "when":
        if not isinstance(predicted, date):
            raise ForecastInputError(f"a 'when' forecast predicts dates, got {predicted!r}")
        if forecast.actual is None:
            return False if as_of >= predicted else None
        if not isinstance(forecast.actual, date):
            raise ForecastInputError(f"a 'when' outcome is a date, got {forecast.actual!r}")
        return forecast.actual <= predicted
    if forecast.kind == "how_many":
        if isinstance(predicted, date):
            raise ForecastInputError(f"a 'how_many' forecast predicts counts, got {predicted!r}")
        if forecast.horizon is None:
            raise ForecastInputError("a 'how_many' forecast needs its horizon (by_date)")
        if forecast.actual is None or as_of < forecast.horizon:
            return None
        if isinstance(forecast.actual, date):
            raise ForecastInputError(f"a 'how_many' outcome is a count, got {forecast.actual!r}")
        return forecast.actual >= predicted
    raise ForecastInputError(f"kind must be 'when' or 'how_many', got {forecast.kind!r}")


def _completion_days_chunk(
    values: npt.NDArray[np.signedinteger[Any]],
    *,
    remaining_items: int,
    trials: int,
    rng: np.random.Generator,
    max_days: int,
    first_block: int,
    mean_per_day: float,
    running_dtype: type[np.signedinteger[Any]],
) -> IntArray:
    days = np.full(trials, max_days + 1, dtype=np.int64)
    pending = np.arange(trials)
    needed = np.full(trials, remaining_items, dtype=running_dtype)
    index_dtype = _index_dtype(values.size)
    elapsed = 0
    block = first_block
    while pending.size and elapsed < max_days:
        block = min(block, max_days - elapsed)
        # (days x trials): cumulative sums along axis 0 add contiguous rows, the fast direction.
        draws = rng.integers(0, values.size, size=(block, pending.size), dtype=index_dtype)
        running = values[draws]
        np.cumsum(running, axis=0, out=running)
        # Running totals never decrease, so the days still short of the target come first and
        # their count is the index of the crossing day.
        short_days = np.count_nonzero(running < needed, axis=0)
        reached = short_days < block
        days[pending[reached]] = elapsed + short_days[reached] + 1
        unfinished = ~reached
        needed = needed[unfinished] - running[-1, unfinished]
        pending = pending[unfinished]
        elapsed += block
        if pending.size:
            block = _block_days(int(needed.max()), mean_per_day)
    return days


def _block_days(items: int, mean_per_day: float) -> int:
    # Enough days for most trials to finish in one block, plus slack; stragglers get another block.
    return math.ceil(items / mean_per_day * 1.1) + 8


def _running_dtype(values: IntArray, max_days: int, items: int) -> type[np.signedinteger[Any]]:
    largest = max(int(values.max()) * max_days, items)
    return np.int32 if largest < np.iinfo(np.int32).max else np.int64


def _index_dtype(window_days: int) -> type[np.signedinteger[Any]]:
    # Small indices draw and gather faster; int16 covers windows of up to 32,768 days.
    return np.int16 if window_days <= np.iinfo(np.int16).max + 1 else np.int64


def _histogram(values: IntArray) -> dict[int, int]:
    counts = np.bincount(values)
    return {int(value): int(counts[value]) for value in np.flatnonzero(counts)}


def _validated_window(daily_throughput: ThroughputInput) -> IntArray:
    array = np.asarray(daily_throughput)
    if array.ndim != 1:
        raise ForecastInputError(f"daily_throughput must be a 1-D sequence of daily counts, got {array.ndim} dimensions")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iu" or array.dtype == np.bool_:
        raise ForecastInputError(f"daily_throughput must hold whole numbers of items, got values of type {array.dtype}")
    negative = np.flatnonzero(array < 0)
    if negative.size:
        first = int(negative[0])
        raise ForecastInputError(f"daily_throughput must not be negative: day {first} has {int(array[first])}")
    return array.astype(np.int64)


def _validated_levels(percentiles: Iterable[int]) -> tuple[int, ...]:
    levels = tuple(percentiles)
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int | np.integer) or not 1 <= level <= 100:
            raise ForecastInputError(f"percentiles must be whole numbers from 1 to 100, got {level!r}")
    return tuple(int(level) for level in levels)


def _check_common(*, trials: int, seed: int) -> None:
    if trials < MIN_TRIALS:
        raise ForecastInputError(f"trials must be at least {MIN_TRIALS:,}, got {trials:,}")
    if seed < 0:
        raise ForecastInputError(f"seed must not be negative, got {seed}")


def _inputs(values: IntArray, trials: int, seed: int) -> ForecastInputs:
    return ForecastInputs(
        window=tuple(int(v) for v in values),
        window_days=int(values.size),
        window_total_items=int(values.sum()),
        trials=trials,
        seed=seed,
    )


def _prepare_by_date(
    daily_throughput: ThroughputInput,
    *,
    by_date: date,
    start_date: date,
    trials: int,
    seed: int,
    percentiles: Iterable[int],
) -> tuple[IntArray, tuple[int, ...], int, ForecastInputs]:
    values = _validated_window(daily_throughput)
    levels = _validated_levels(percentiles)
    _check_common(trials=trials, seed=seed)
    horizon = (by_date - start_date).days
    if horizon < 1:
        raise ForecastInputError(
            f"by_date ({by_date.isoformat()}) must be after start_date ({start_date.isoformat()}): "
            "the forecast counts items finished from the day after start_date through by_date."
        )
    return values, levels, horizon, _inputs(values, trials, seed)
