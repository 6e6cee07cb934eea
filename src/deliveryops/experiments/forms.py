"""Reading the experiment form: repeated variation and metric rows, numbers, dates and percentages.

Every unreadable value becomes a message for its field; the page re-renders with what was typed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from starlette.datastructures import FormData

from deliveryops.experiments.models import Experiment
from deliveryops.experiments.service import ExperimentFields, MetricFields, VariationFields, fields_of
from deliveryops.web.forms import parse_date_field

__all__ = ["ParsedForm", "form_values", "parse_experiment_form", "values_of"]

EMPTY_VARIATION_ROWS = 1
EMPTY_METRIC_ROWS = 2


@dataclass
class ParsedForm:
    """What the form held: the fields (when readable), messages per field and the raw values to re-show."""

    fields: ExperimentFields
    errors: dict[str, str]
    values: dict[str, object] = field(default_factory=dict)


def _text(form: FormData, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _texts(form: FormData, name: str) -> list[str]:
    return [v[:200] if isinstance(v, str) else "" for v in form.getlist(name)][:20]


def _int(text: str, name: str, errors: dict[str, str], label: str) -> int | None:
    cleaned = text.replace(",", "").replace("_", "").strip()
    if not cleaned:
        return None
    if not re.fullmatch(r"\d{1,13}", cleaned):
        errors[name] = f"{label} is a whole number, e.g. 12000; got {text!r}."
        return None
    return int(cleaned)


def _float(text: str, name: str, errors: dict[str, str], label: str) -> float | None:
    cleaned = text.replace(",", ".").replace("%", "").strip()
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        errors[name] = f"{label} is a number, e.g. 2.5; got {text!r}."
        return None
    if not math.isfinite(value):
        errors[name] = f"{label} is a finite number; got {text!r}."
        return None
    return value


def parse_experiment_form(form: FormData) -> ParsedForm:
    """Read the experiment form.

    Args:
        form: the submitted form.

    Returns:
        The fields, the messages for unreadable values and the values to show again.
    """
    errors: dict[str, str] = {}
    names, weights = _texts(form, "variation_name"), _texts(form, "variation_weight")
    control = _text(form, "control", 10)
    variations = []
    for index, name in enumerate(names):
        weight_text = weights[index] if index < len(weights) else ""
        weight = _float(weight_text or "1", "variations", errors, f"Variation {index + 1}'s weight")
        if name.strip() or str(index) == control:
            variations.append(
                VariationFields(name=name, weight=weight if weight is not None else 1.0, is_control=str(index) == control)
            )
    metric_names, kinds = _texts(form, "metric_name"), _texts(form, "metric_kind")
    roles, directions = _texts(form, "metric_role"), _texts(form, "metric_direction")
    metrics = [
        MetricFields(
            name=name,
            kind=kinds[i] if i < len(kinds) else "proportion",
            role=roles[i] if i < len(roles) else "secondary",
            higher_is_better=(directions[i] if i < len(directions) else "higher") != "lower",
        )
        for i, name in enumerate(metric_names)
        if name.strip()
    ]
    mde_percent = _float(_text(form, "mde", 30), "mde", errors, "The minimum detectable effect")
    alpha = _float(_text(form, "alpha", 30) or "0.05", "alpha", errors, "The significance level")
    reviewer = _text(form, "reviewer_id", 12)
    fields = ExperimentFields(
        title=_text(form, "title", 300),
        observation=_text(form, "observation"),
        belief=_text(form, "belief"),
        outcome=_text(form, "outcome"),
        measure=_text(form, "measure"),
        variations=variations,
        metrics=metrics,
        tags=[t for t in re.split(r",", _text(form, "tags", 1200)) if t.strip()],
        work_items=[k for k in re.split(r"[,\s]+", _text(form, "work_items", 2000)) if k],
        reviewer_required=_text(form, "reviewer_required", 5) == "on",
        reviewer_id=int(reviewer) if reviewer.isdigit() else None,
        planned_sample_size=_int(
            _text(form, "planned_sample_size", 30), "planned_sample_size", errors, "The planned sample size"
        ),
        mde=mde_percent / 100 if mde_percent is not None else None,
        expected_daily_traffic=_int(
            _text(form, "expected_daily_traffic", 30), "expected_daily_traffic", errors, "Expected daily traffic"
        ),
        planned_start=parse_date_field(_text(form, "planned_start", 10), "planned_start", errors),
        planned_end=parse_date_field(_text(form, "planned_end", 10), "planned_end", errors),
        method=_text(form, "method", 20) or "frequentist",
        correction=_text(form, "correction", 10) or "none",
        alpha=alpha if alpha is not None else 0.05,
        cuped=_text(form, "cuped", 5) == "on",
        learnings=_text(form, "learnings", 20000),
    )
    values: dict[str, object] = {
        name: _text(form, name)
        for name in (
            "title",
            "observation",
            "belief",
            "outcome",
            "measure",
            "tags",
            "work_items",
            "reviewer_id",
            "planned_sample_size",
            "mde",
            "expected_daily_traffic",
            "planned_start",
            "planned_end",
            "method",
            "correction",
            "alpha",
            "learnings",
        )
    }
    values["reviewer_required"] = fields.reviewer_required
    values["cuped"] = fields.cuped
    values["variations"] = [
        {"name": n, "weight": weights[i] if i < len(weights) else "1", "control": str(i) == control} for i, n in enumerate(names)
    ]
    values["metrics"] = [
        {
            "name": n,
            "kind": kinds[i] if i < len(kinds) else "proportion",
            "role": roles[i] if i < len(roles) else "secondary",
            "direction": directions[i] if i < len(directions) else "higher",
        }
        for i, n in enumerate(metric_names)
    ]
    return ParsedForm(fields=fields, errors=errors, values=pad(values))


def pad(values: dict[str, object]) -> dict[str, object]:
    """Add empty rows so that people without JavaScript can add a variation or metrics."""
    variations = [v for v in values.get("variations", []) if isinstance(v, dict) and v.get("name")]  # type: ignore[attr-defined]
    metrics = [m for m in values.get("metrics", []) if isinstance(m, dict) and m.get("name")]  # type: ignore[attr-defined]
    if not any(v.get("control") for v in variations) and variations:
        variations[0]["control"] = True
    variations += [{"name": "", "weight": "1", "control": False} for _ in range(EMPTY_VARIATION_ROWS)]
    for _ in range(EMPTY_METRIC_ROWS):
        metrics.append({"name": "", "kind": "proportion", "role": "secondary" if metrics else "primary", "direction": "higher"})
    return {**values, "variations": variations, "metrics": metrics}


def values_of(fields: ExperimentFields) -> dict[str, object]:
    """The form values for an experiment's fields (new or edit form)."""

    def text(value: object) -> str:
        return "" if value is None else str(value)

    values: dict[str, object] = {
        "title": fields.title,
        "observation": fields.observation,
        "belief": fields.belief,
        "outcome": fields.outcome,
        "measure": fields.measure,
        "tags": ", ".join(fields.tags),
        "work_items": ", ".join(fields.work_items),
        "reviewer_id": text(fields.reviewer_id),
        "reviewer_required": fields.reviewer_required,
        "planned_sample_size": text(fields.planned_sample_size),
        "mde": f"{fields.mde * 100:g}" if fields.mde is not None else "",
        "expected_daily_traffic": text(fields.expected_daily_traffic),
        "planned_start": fields.planned_start.isoformat() if fields.planned_start else "",
        "planned_end": fields.planned_end.isoformat() if fields.planned_end else "",
        "method": fields.method,
        "correction": fields.correction,
        "alpha": f"{fields.alpha:g}",
        "cuped": fields.cuped,
        "learnings": fields.learnings,
        "variations": [{"name": v.name, "weight": f"{v.weight:g}", "control": v.is_control} for v in fields.variations],
        "metrics": [
            {"name": m.name, "kind": m.kind, "role": m.role, "direction": "higher" if m.higher_is_better else "lower"}
            for m in fields.metrics
        ],
    }
    return pad(values)


def form_values(experiment: Experiment | None) -> dict[str, object]:
    """The edit form's values (or the new form's defaults)."""
    return values_of(fields_of(experiment) if experiment else ExperimentFields())
