"""An improvement action as the API, the pages and the CLI answer it: the row with its measured verdict."""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from deliveryops.actions import service
from deliveryops.actions.measure import unit_of
from deliveryops.actions.models import ImprovementAction
from deliveryops.actions.schemas import ActionRead, EffectRead, NeededRead, ReliabilityRead

__all__ = ["action_read"]


def action_read(session: Session, action: ImprovementAction) -> ActionRead:
    """The action as the API answers it: with its verdict, effect, reliability and weekly values when it has a target metric."""
    read = ActionRead.model_validate(action)
    measured = service.measurement(session, action)
    if measured is not None:
        judged = measured.verdict
        result = judged.result
        read.verdict = judged.outcome.value
        read.verdict_final = result.final
        read.decided_at_week = result.decided_at
        read.weeks_after = result.weeks_after
        read.explanation = judged.explanation
        if result.effect is not None and judged.effect_text is not None:
            effect = result.effect
            read.effect = EffectRead(
                statistic="85th percentile" if effect.kind == "items" else "weekly mean",
                unit=unit_of(measured.metric),
                before=round(effect.before, 4),
                after=round(effect.after, 4),
                change=round(effect.change, 4),
                interval_low=round(effect.low, 4),
                interval_high=round(effect.high, 4),
                level=effect.level,
                relative_change=None if effect.relative is None else round(effect.relative, 4),
                n_before=effect.n_before,
                n_after=effect.n_after,
                text=judged.effect_text,
            )
        if judged.reliability is not None and judged.reliability_text is not None:
            rates = judged.reliability
            read.reliability = ReliabilityRead(
                items_per_week=rates.items_per_week,
                false_verdict_rate=rates.false_rate,
                detected_30_by_week_8=rates.detected_by_8,
                detected_30_by_week_26=rates.detected_by_26,
                sentence=judged.reliability_text,
            )
        if judged.needed_text is not None:
            finite = result.needed_weeks is not None and math.isfinite(result.needed_weeks)
            read.needed_more = NeededRead(
                weeks_after_action=result.needed_weeks if finite else None,
                more_weeks=max(int(result.needed_weeks or 0) - result.weeks_after, 0) if finite else None,
                items=result.needed_items if result.needed_items is not None and math.isfinite(result.needed_items) else None,
                text=judged.needed_text,
            )
        read.weekly_values = [{"week": w.isoformat(), "value": v} for w, v in zip(measured.weeks, measured.values, strict=True)]
    return read
