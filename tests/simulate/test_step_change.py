"""A step change lowers the soft WIP limit from its day on, leaving the days before as they were."""

from __future__ import annotations

import numpy as np
import pytest

from deliveryops.simulate.plan import Dynamics, apply_change
from deliveryops.simulate.profiles import StepChange


def test_wip_limit_factor_lowers_the_limit_from_the_change_day_and_never_below_one() -> None:
    n = 6
    dynamics = Dynamics(
        speed=np.ones(n),
        wip_limit=np.array([10, 10, 10, 10, 1, 1], dtype=np.int64),
        deploy_today=np.ones(n, dtype=bool),
        deploy_fraction=np.ones(n),
    )
    changed = apply_change(dynamics, from_day=2, development_factor=1.0, blocked_factor=1.0, wip_limit_factor=0.6)
    assert changed.wip_limit.tolist() == [10, 10, 6, 6, 1, 1]
    assert changed.speed.tolist() == dynamics.speed.tolist()


def test_a_wip_limit_factor_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="wip_limit_factor"):
        StepChange(10, wip_limit_factor=0.0)
