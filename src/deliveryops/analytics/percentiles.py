"""Nearest-rank percentiles, as pinned in DESIGN.md.

The P-th percentile is the smallest observed value V such that at least P% of the values
are <= V, so "85% of items finish in V days or less" is literally true.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

__all__ = ["nearest_rank", "nearest_rank_many"]


def nearest_rank(values: Sequence[float] | npt.NDArray[np.float64], percent: float) -> float | None:
    """Return the nearest-rank percentile of ``values``.

    Args:
        values: observed values, in any order.
        percent: P in (0, 100].

    Returns:
        The value, or None when there are no values.
    """
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], got {percent}")
    array = np.sort(np.asarray(values, dtype=np.float64))
    if array.size == 0:
        return None
    rank = _rank(percent, array.size)
    return float(array[max(rank, 1) - 1])


def nearest_rank_many(values: Sequence[float] | npt.NDArray[np.float64], percents: Iterable[float]) -> dict[float, float | None]:
    """Return ``{P: nearest-rank percentile}`` for each P, sorting the values once.

    Args:
        values: observed values, in any order.
        percents: the percentiles wanted, each in (0, 100].

    Returns:
        A mapping from each P to its value (None for every P when there are no values).
    """
    array = np.sort(np.asarray(values, dtype=np.float64))
    out: dict[float, float | None] = {}
    for percent in percents:
        if not 0 < percent <= 100:
            raise ValueError(f"percent must be in (0, 100], got {percent}")
        if array.size == 0:
            out[percent] = None
            continue
        rank = _rank(percent, array.size)
        out[percent] = float(array[max(rank, 1) - 1])
    return out


def _rank(percent: float, count: int) -> int:
    # Exact rational arithmetic: 0.7 * 10 is 7.000000000000001 in floating point, whose
    # ceiling would pick the 8th value instead of the 7th.
    return max(math.ceil(Fraction(str(percent)) * count / 100), 1)
