"""The power calculator: sample size from the MDE, the MDE from a sample size, the duration from traffic.

A thin layer over ``deliveryops.analytics.experiments`` that turns its ValueErrors into messages naming
the form field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from deliveryops.analytics.experiments import (
    duration_days,
    mde_means,
    mde_proportions,
    sample_size_means,
    sample_size_proportions,
)
from deliveryops.errors import ValidationFailedError

__all__ = ["MAX_SAMPLE_PER_VARIATION", "MAX_TRAFFIC_DAYS", "PowerResult", "calculate"]

MAX_SAMPLE_PER_VARIATION = 10**12  # more units than any experiment has: a plan needing more is refused
MAX_TRAFFIC_DAYS = 100 * 365  # a duration beyond a century is refused rather than printed


@dataclass(frozen=True)
class PowerResult:
    """A power calculation."""

    metric_kind: str
    variations: int
    alpha: float
    power: float
    sample_per_variation: int
    mde_relative: float
    total_sample: int
    duration_days: int | None


def _field_of(message: str) -> str:
    for name, field in (
        ("baseline", "baseline"),
        ("standard_deviation", "standard_deviation"),
        ("mde", "mde"),
        ("lift", "mde"),
        ("sample_per_variation", "sample_per_variation"),
        ("power", "power"),
        ("alpha", "alpha"),
        ("variations", "variations"),
        ("daily_traffic", "daily_traffic"),
    ):
        if name in message:
            return field
    return "mde"


def _refuse_extreme(field: str, baseline: float) -> None:
    if field == "mde":
        message = (
            f"This minimum detectable effect is too small to plan for with a baseline of {baseline:g}: it would need "
            f"more than {MAX_SAMPLE_PER_VARIATION:,} units per variation. Give a larger relative effect, e.g. 0.05 for 5%."
        )
    else:
        message = "No effect can be computed from this sample size and baseline; check both."
    raise ValidationFailedError(message, fields={field: message})


def calculate(
    *,
    kind: str,
    baseline: float,
    standard_deviation: float | None,
    mde: float | None,
    sample_per_variation: int | None,
    variations: int = 2,
    alpha: float = 0.05,
    power: float = 0.8,
    daily_traffic: float | None = None,
) -> PowerResult:
    """Plan an experiment.

    Args:
        kind: "proportion" or "mean".
        baseline: the control's expected rate (0–1) or mean.
        standard_deviation: per-unit standard deviation (means only).
        mde: the relative minimum detectable effect; give it, or ``sample_per_variation``.
        sample_per_variation: units per variation (used when ``mde`` is None).
        variations: arms including the control (2–10); the level is split α/(k − 1) per comparison.
        alpha: the family-wise false-positive rate.
        power: the chance to detect an effect of exactly the MDE.
        daily_traffic: eligible units per day, all arms together (gives the duration).

    Returns:
        The sample size per variation, the MDE, the total and the duration in days.

    Raises:
        ValidationFailedError: naming the field at fault.
    """
    errors: dict[str, str] = {}
    if kind not in ("proportion", "mean"):
        errors["kind"] = "Choose proportion or mean."
    if kind == "mean" and standard_deviation is None:
        errors["standard_deviation"] = "A mean needs the per-unit standard deviation."
    if mde is None and sample_per_variation is None:
        errors["mde"] = "Give the minimum detectable effect, or a sample size per variation to get the MDE."
    if not 2 <= variations <= 10:
        errors["variations"] = "Use 2 to 10 variations, the control included."
    for name, value in (
        ("baseline", baseline),
        ("standard_deviation", standard_deviation),
        ("mde", mde),
        ("alpha", alpha),
        ("power", power),
        ("daily_traffic", daily_traffic),
    ):
        if value is not None and not math.isfinite(value):
            errors[name] = f"Give a finite number, got {value}."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    solved_from = "mde" if mde is not None else "sample_per_variation"
    try:
        if mde is not None:
            if kind == "proportion":
                size = sample_size_proportions(
                    baseline_rate=baseline, mde_relative=mde, variations=variations, alpha=alpha, power=power
                )
            else:
                size = sample_size_means(
                    baseline_mean=baseline,
                    standard_deviation=standard_deviation or 0.0,
                    mde_relative=mde,
                    variations=variations,
                    alpha=alpha,
                    power=power,
                )
            effect = mde
        else:
            assert sample_per_variation is not None
            size = sample_per_variation
            if kind == "proportion":
                effect = mde_proportions(
                    baseline_rate=baseline, sample_per_variation=size, variations=variations, alpha=alpha, power=power
                )
            else:
                effect = mde_means(
                    baseline_mean=baseline,
                    standard_deviation=standard_deviation or 0.0,
                    sample_per_variation=size,
                    variations=variations,
                    alpha=alpha,
                    power=power,
                )
    except ValueError as exc:
        message = str(exc)
        field = _field_of(message)
        raise ValidationFailedError(f"{message[:1].upper()}{message[1:]}.", fields={field: message}) from None
    except ArithmeticError:  # e.g. an effect so small that it rounds to zero (mde=5e-324)
        _refuse_extreme(solved_from, baseline)
    if not math.isfinite(effect) or size > MAX_SAMPLE_PER_VARIATION:
        _refuse_extreme(solved_from, baseline)
    days = None
    if daily_traffic is not None:
        try:
            days = duration_days(size, variations, daily_traffic)
        except ValueError as exc:
            raise ValidationFailedError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.", fields={"daily_traffic": str(exc)}) from None
        except ArithmeticError:
            days = MAX_TRAFFIC_DAYS + 1
        if days > MAX_TRAFFIC_DAYS:
            message = (
                f"At {daily_traffic:g} units a day the experiment would run for more than {MAX_TRAFFIC_DAYS // 365} years; "
                "give the eligible traffic per day (all variations together)."
            )
            raise ValidationFailedError(message, fields={"daily_traffic": message})
    return PowerResult(
        metric_kind=kind,
        variations=variations,
        alpha=alpha,
        power=power,
        sample_per_variation=size,
        mde_relative=effect,
        total_sample=size * variations,
        duration_days=days,
    )
