"""Use cases of the experiment registry: create and edit, the status machine with its pre-launch
checks, review, decision, the library search and the portfolio.

Who may do what: the team's people (members and its delivery manager), Product Ops, leaders and admins
read a team's experiments; the team's people, Product Ops and admins create and edit them; Product Ops
or the named reviewer approves (never the experiment's creator). Statistics import and analysis live
in :mod:`deliveryops.experiments.analysis`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.experiments.models import (
    Correction,
    Decision,
    Experiment,
    ExperimentMetric,
    ExperimentStatus,
    ExperimentTag,
    ExperimentWorkItem,
    Method,
    MetricKind,
    MetricRole,
    MetricSnapshot,
    StatusChange,
    Variation,
)
from deliveryops.experiments.portfolio import ExperimentPortfolio, PortfolioFigures, TeamPortfolio, portfolio
from deliveryops.teams.models import Membership, Team
from deliveryops.teams.service import get_team_or_raise, slugify, team_ids_of
from deliveryops.work.models import WorkItem

__all__ = [
    "ALLOWED_TRANSITIONS",
    "Check",
    "ExperimentFields",
    "ExperimentPortfolio",
    "MetricFields",
    "PortfolioFigures",
    "TeamPortfolio",
    "VariationFields",
    "can_approve",
    "can_edit",
    "create",
    "decide",
    "delete",
    "fields_of",
    "get_or_raise",
    "library",
    "portfolio",
    "prelaunch_checks",
    "review",
    "transition",
    "update",
]

ALLOWED_TRANSITIONS: dict[ExperimentStatus, tuple[ExperimentStatus, ...]] = {
    ExperimentStatus.DRAFT: (ExperimentStatus.IN_REVIEW,),
    ExperimentStatus.IN_REVIEW: (ExperimentStatus.DRAFT, ExperimentStatus.RUNNING),
    ExperimentStatus.RUNNING: (ExperimentStatus.ANALYSING,),
    ExperimentStatus.ANALYSING: (ExperimentStatus.DECIDED,),
    ExperimentStatus.DECIDED: (ExperimentStatus.ARCHIVED,),
    ExperimentStatus.ARCHIVED: (),
}
DESIGN_STATUSES = (ExperimentStatus.DRAFT, ExperimentStatus.IN_REVIEW)
MAX_VARIATIONS = 10
MAX_METRICS = 20
MAX_TAGS = 20
MAX_UNITS = 2_000_000_000  # planned sample size and daily traffic are stored as 32-bit integers
HYPOTHESIS_PARTS = {
    "observation": "because we saw",
    "belief": "we believe",
    "outcome": "will result in",
    "measure": "measured by",
}
# Changing these after launch would rewrite the pre-registration, so they lock once it runs.
LOCKED_AFTER_LAUNCH = (
    "observation",
    "belief",
    "outcome",
    "measure",
    "variations",
    "metrics",
    "planned_sample_size",
    "mde",
    "reviewer_required",
    "reviewer_id",
)


@dataclass
class VariationFields:
    """One arm as entered."""

    name: str
    weight: float = 1.0
    is_control: bool = False


@dataclass
class MetricFields:
    """One metric as entered."""

    name: str
    kind: str = MetricKind.PROPORTION.value
    role: str = MetricRole.PRIMARY.value
    higher_is_better: bool = True


@dataclass
class ExperimentFields:
    """Everything a person enters about an experiment (the form and the API share it)."""

    title: str = ""
    observation: str = ""
    belief: str = ""
    outcome: str = ""
    measure: str = ""
    variations: list[VariationFields] = field(
        default_factory=lambda: [VariationFields("control", 1.0, True), VariationFields("treatment", 1.0)]
    )
    metrics: list[MetricFields] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    work_items: list[str] = field(default_factory=list)
    reviewer_required: bool = False
    reviewer_id: int | None = None
    planned_sample_size: int | None = None
    mde: float | None = None
    expected_daily_traffic: int | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    method: str = Method.FREQUENTIST.value
    correction: str = Correction.NONE.value
    alpha: float = 0.05
    cuped: bool = False
    learnings: str = ""


@dataclass(frozen=True)
class Check:
    """One pre-launch check: its field name, what it asks, and whether it passes."""

    name: str
    label: str
    passed: bool
    message: str


# --- access -------------------------------------------------------------------------------------------


def _is_team_person(session: Session, user: User, team_id: int) -> bool:
    return session.scalar(select(Membership.id).where(Membership.team_id == team_id, Membership.user_id == user.id)) is not None


def can_edit(session: Session, user: User, experiment_or_team_id: Experiment | int) -> bool:
    """Whether ``user`` may create or change the team's experiments (its people, Product Ops, admins)."""
    team_id = experiment_or_team_id if isinstance(experiment_or_team_id, int) else experiment_or_team_id.team_id
    return user.role in (Role.PRODUCT_OPS, Role.ADMIN) or _is_team_person(session, user, team_id)


def can_approve(user: User, experiment: Experiment) -> bool:
    """Whether ``user`` may approve the experiment: Product Ops or its named reviewer, never its creator."""
    if experiment.created_by_id is not None and user.id == experiment.created_by_id:
        return False
    return user.role is Role.PRODUCT_OPS or (experiment.reviewer_id is not None and user.id == experiment.reviewer_id)


def _require_edit(session: Session, user: User, team_id: int) -> None:
    if not can_edit(session, user, team_id):
        raise PermissionDeniedError("Only the team's people, Product Ops and admins change its experiments.")


def get_or_raise(
    *,
    session: Session,
    actor: User,
    experiment_id: int | None = None,
    key: str | None = None,
) -> Experiment:
    """An experiment by id or key, if ``actor`` may see its team.

    Args:
        session: the unit of work.
        actor: who asks.
        experiment_id: its id.
        key: or its key.

    Returns:
        The experiment.
    """
    experiment = (
        session.get(Experiment, experiment_id)
        if experiment_id is not None
        else session.scalar(select(Experiment).where(Experiment.key == key))
    )
    if experiment is None:
        raise NotFoundError(f"No experiment {experiment_id if experiment_id is not None else key!r}.")
    get_team_or_raise(session=session, actor=actor, team_id=experiment.team_id)
    return experiment


# --- validation ---------------------------------------------------------------------------------------


def _clean_variations(rows: Sequence[VariationFields], errors: dict[str, str]) -> list[VariationFields]:
    cleaned = [VariationFields(r.name.strip(), r.weight, r.is_control) for r in rows if r.name.strip() or r.is_control]
    if len(cleaned) < 2:
        errors["variations"] = "Give at least two variations: a control and one treatment."
        return cleaned
    if len(cleaned) > MAX_VARIATIONS:
        errors["variations"] = f"Use at most {MAX_VARIATIONS} variations."
        return cleaned
    names: set[str] = set()
    for number, row in enumerate(cleaned, start=1):
        if not row.name:
            errors["variations"] = f"Variation {number}: give it a name."
        elif len(row.name) > 100:
            errors["variations"] = f"Variation {number}: use at most 100 characters."
        elif row.name.lower() in names:
            errors["variations"] = f"Variation {number}: the name {row.name!r} is used twice."
        elif not (row.weight > 0 and row.weight <= 1000):
            errors["variations"] = f"Variation {number} ({row.name}): the traffic weight must be above 0."
        names.add(row.name.lower())
        if "variations" in errors:
            return cleaned
    controls = [r for r in cleaned if r.is_control]
    if len(controls) > 1:
        errors["variations"] = "Mark exactly one variation as the control."
    elif not controls:
        cleaned[0].is_control = True  # the first row is the control unless another is marked
    return cleaned


def _clean_metrics(rows: Sequence[MetricFields], errors: dict[str, str]) -> list[MetricFields]:
    cleaned = [MetricFields(r.name.strip(), r.kind, r.role, r.higher_is_better) for r in rows if r.name.strip()]
    if len(cleaned) > MAX_METRICS:
        errors["metrics"] = f"Use at most {MAX_METRICS} metrics."
        return cleaned
    names: set[str] = set()
    kinds, roles = {k.value for k in MetricKind}, {r.value for r in MetricRole}
    for number, row in enumerate(cleaned, start=1):
        if len(row.name) > 100:
            errors["metrics"] = f"Metric {number}: use at most 100 characters."
        elif row.name.lower() in names:
            errors["metrics"] = f"Metric {number}: the name {row.name!r} is used twice."
        elif row.kind not in kinds:
            errors["metrics"] = f"Metric {number} ({row.name}): the kind must be one of {', '.join(sorted(kinds))}."
        elif row.role not in roles:
            errors["metrics"] = f"Metric {number} ({row.name}): the role must be primary, secondary or guardrail."
        names.add(row.name.lower())
        if "metrics" in errors:
            return cleaned
    if sum(1 for r in cleaned if r.role == MetricRole.PRIMARY.value) > 1:
        errors["metrics"] = "Choose one primary metric; make the others secondary or guardrails."
    return cleaned


def _clean_tags(tags: Sequence[str], errors: dict[str, str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        normal = re.sub(r"\s+", "-", tag.strip().lower())
        if normal and normal not in cleaned:
            cleaned.append(normal)
    if len(cleaned) > MAX_TAGS:
        errors["tags"] = f"Use at most {MAX_TAGS} tags."
    elif any(len(t) > 50 for t in cleaned):
        errors["tags"] = "A tag has at most 50 characters."
    return cleaned


def _validate(session: Session, team: Team, fields: ExperimentFields) -> tuple[ExperimentFields, dict[str, str]]:
    errors: dict[str, str] = {}
    title = fields.title.strip()
    if not title:
        errors["title"] = "Give the experiment a title."
    elif len(title) > 200:
        errors["title"] = "Use at most 200 characters."
    for part, label in HYPOTHESIS_PARTS.items():
        if len(getattr(fields, part)) > 5000:
            errors[part] = f"'{label.capitalize()} …' has at most 5,000 characters."
    variations = _clean_variations(fields.variations, errors)
    metrics = _clean_metrics(fields.metrics, errors)
    tags = _clean_tags(fields.tags, errors)
    if fields.planned_sample_size is not None and not 1 <= fields.planned_sample_size <= MAX_UNITS:
        errors["planned_sample_size"] = "The planned sample size per variation is a whole number of at least 1."
    if fields.mde is not None and not 0 < fields.mde <= 100:
        errors["mde"] = "The minimum detectable effect is a relative lift above 0, e.g. 0.02 for 2%."
    if fields.expected_daily_traffic is not None and not 1 <= fields.expected_daily_traffic <= MAX_UNITS:
        errors["expected_daily_traffic"] = "Expected daily traffic is a whole number of units per day, at least 1."
    if fields.planned_start and fields.planned_end and fields.planned_end < fields.planned_start:
        errors["planned_end"] = "The planned end is on or after the planned start."
    if fields.method not in {m.value for m in Method}:
        errors["method"] = "Choose frequentist, sequential or bayesian."
    if fields.correction not in {c.value for c in Correction}:
        errors["correction"] = "Choose none, holm or bh."
    if not 0 < fields.alpha < 0.5:
        errors["alpha"] = "The significance level is between 0 and 0.5, e.g. 0.05."
    if fields.reviewer_id is not None:
        reviewer = session.get(User, fields.reviewer_id)
        if reviewer is None or not reviewer.is_active:
            errors["reviewer_id"] = "Choose an active person as the reviewer."
    if len(fields.learnings) > 20000:
        errors["learnings"] = "Learnings have at most 20,000 characters."
    keys = list(dict.fromkeys(k.strip() for k in fields.work_items if k.strip()))
    if keys:
        found = set(
            session.scalars(select(WorkItem.external_key).where(WorkItem.team_id == team.id, WorkItem.external_key.in_(keys)))
        )
        missing = [k for k in keys if k not in found]
        if missing:
            errors["work_items"] = f"No work item {', '.join(missing)} in {team.name}."
    cleaned = ExperimentFields(
        **{**fields.__dict__, "title": title, "variations": variations, "metrics": metrics, "tags": tags, "work_items": keys}
    )
    return cleaned, errors


def _unique_key(session: Session, title: str) -> str:
    base = slugify(title)[:100]
    key, number = base, 1
    while session.scalar(select(Experiment.id).where(Experiment.key == key)) is not None:
        number += 1
        key = f"{base}-{number}"
    return key


def _apply(session: Session, experiment: Experiment, fields: ExperimentFields) -> None:
    for name in (
        "title",
        "observation",
        "belief",
        "outcome",
        "measure",
        "reviewer_required",
        "reviewer_id",
        "mde",
        "expected_daily_traffic",
        "planned_start",
        "planned_end",
        "alpha",
        "cuped",
        "learnings",
    ):
        value = getattr(fields, name)
        setattr(experiment, name, value.strip() if isinstance(value, str) else value)
    if fields.planned_sample_size != experiment.planned_sample_size:
        experiment.planned_sample_size = fields.planned_sample_size
        experiment.sample_size_set_at = utcnow() if fields.planned_sample_size is not None else None
    experiment.method = Method(fields.method)
    experiment.correction = Correction(fields.correction)
    if [(v.name, v.weight, v.is_control) for v in experiment.variations] != [
        (v.name, v.weight, v.is_control) for v in fields.variations
    ]:
        by_name = {v.name: v for v in experiment.variations}
        kept = []
        for position, row in enumerate(fields.variations):
            variation = by_name.pop(row.name, None) or Variation(name=row.name)
            variation.weight, variation.is_control, variation.position = row.weight, row.is_control, position
            kept.append(variation)
        experiment.variations = kept
    if [(m.name, m.kind.value, m.role.value, m.higher_is_better) for m in experiment.metrics] != [
        (m.name, m.kind, m.role, m.higher_is_better) for m in fields.metrics
    ]:
        metrics_by_name = {m.name: m for m in experiment.metrics}
        kept_metrics = []
        for position, metric_row in enumerate(fields.metrics):
            metric = metrics_by_name.pop(metric_row.name, None) or ExperimentMetric(name=metric_row.name)
            metric.kind, metric.role = MetricKind(metric_row.kind), MetricRole(metric_row.role)
            metric.higher_is_better, metric.position = metric_row.higher_is_better, position
            kept_metrics.append(metric)
        experiment.metrics = kept_metrics
    if experiment.tag_names != sorted(fields.tags):
        existing = {t.tag: t for t in experiment.tags}
        experiment.tags = [existing.get(tag) or ExperimentTag(tag=tag) for tag in sorted(fields.tags)]
    if [w.key for w in experiment.work_items] != fields.work_items:
        items = {
            w.external_key: w
            for w in session.scalars(
                select(WorkItem).where(WorkItem.team_id == experiment.team_id, WorkItem.external_key.in_(fields.work_items))
            )
        }
        old = {w.key: w for w in experiment.work_items}
        experiment.work_items = [
            old.get(k) or ExperimentWorkItem(key=k, work_item_id=items[k].id, title=items[k].title[:500])
            for k in fields.work_items
        ]
    experiment.updated_at = utcnow()


def fields_of(experiment: Experiment) -> ExperimentFields:
    """The experiment's current fields (the edit form's values; the API merges a PATCH into them)."""
    return ExperimentFields(
        title=experiment.title,
        observation=experiment.observation,
        belief=experiment.belief,
        outcome=experiment.outcome,
        measure=experiment.measure,
        variations=[VariationFields(v.name, v.weight, v.is_control) for v in experiment.variations],
        metrics=[MetricFields(m.name, m.kind.value, m.role.value, m.higher_is_better) for m in experiment.metrics],
        tags=experiment.tag_names,
        work_items=[w.key for w in experiment.work_items],
        reviewer_required=experiment.reviewer_required,
        reviewer_id=experiment.reviewer_id,
        planned_sample_size=experiment.planned_sample_size,
        mde=experiment.mde,
        expected_daily_traffic=experiment.expected_daily_traffic,
        planned_start=experiment.planned_start,
        planned_end=experiment.planned_end,
        method=experiment.method.value,
        correction=experiment.correction.value,
        alpha=experiment.alpha,
        cuped=experiment.cuped,
        learnings=experiment.learnings,
    )


def _record(session: Session, experiment: Experiment, actor: User | None, to: ExperimentStatus, note: str = "") -> None:
    previous = experiment.status if experiment.id is not None and experiment.history else None
    experiment.history.append(
        StatusChange(from_status=previous, to_status=to, actor_id=actor.id if actor else None, at=utcnow(), note=note[:2000])
    )
    experiment.status = to


# --- create, update, delete ---------------------------------------------------------------------------


def create(*, session: Session, actor: User, team_id: int, fields: ExperimentFields) -> Experiment:
    """Register an experiment as a draft (the team's people, Product Ops, admins).

    Args:
        session: the unit of work.
        actor: who registers it (its creator; they cannot approve it themselves).
        team_id: the owner team.
        fields: what was entered.

    Returns:
        The new draft.

    Raises:
        ValidationFailedError: naming each bad field.
    """
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    _require_edit(session, actor, team.id)
    cleaned, errors = _validate(session, team, fields)
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    experiment = Experiment(
        key=_unique_key(session, cleaned.title),
        team_id=team.id,
        title=cleaned.title,
        created_by_id=actor.id,
        status=ExperimentStatus.DRAFT,
        last_warnings=[],
        created_at=utcnow(),
    )
    session.add(experiment)
    _apply(session, experiment, cleaned)
    _record(session, experiment, actor, ExperimentStatus.DRAFT, "registered")
    session.flush()
    return experiment


def update(*, session: Session, actor: User, experiment_id: int, fields: ExperimentFields) -> Experiment:
    """Change an experiment. Its design (hypothesis, variations, metrics, planned sample size, MDE and
    review) is locked once it runs; editing the design while in review withdraws an approval.

    Args:
        session: the unit of work.
        actor: who edits.
        experiment_id: the experiment.
        fields: all its fields as they should be.

    Returns:
        The experiment.
    """
    experiment = get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    _require_edit(session, actor, experiment.team_id)
    team = session.get(Team, experiment.team_id)
    assert team is not None
    cleaned, errors = _validate(session, team, fields)
    current = fields_of(experiment)
    changed = [name for name in LOCKED_AFTER_LAUNCH if getattr(current, name) != getattr(cleaned, name)]
    if changed and experiment.status not in DESIGN_STATUSES:
        for name in changed:
            errors[name] = (
                f"The design is locked once the experiment runs (it is {experiment.status.label.lower()}); "
                "register a new experiment to change it."
            )
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    if changed and experiment.approved:
        experiment.approved, experiment.approved_by_id = False, None
        experiment.review_note = "Approval withdrawn: the design changed after the review."
    _apply(session, experiment, cleaned)
    session.flush()
    return experiment


def delete(*, session: Session, actor: User, experiment_id: int) -> None:
    """Delete a draft (anything further along is archived instead, so the library keeps it)."""
    experiment = get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    _require_edit(session, actor, experiment.team_id)
    if experiment.status is not ExperimentStatus.DRAFT:
        raise ValidationFailedError(
            "Only a draft can be deleted; archive the experiment instead.", fields={"status": experiment.status.value}
        )
    session.delete(experiment)
    session.flush()


# --- checks and transitions ---------------------------------------------------------------------------


def prelaunch_checks(experiment: Experiment) -> list[Check]:
    """The checks that must pass before the experiment may run.

    Args:
        experiment: the experiment.

    Returns:
        One check each for the hypothesis, the primary metric, the planned sample size and, when a
        reviewer is required, the approval.
    """
    missing = [label for part, label in HYPOTHESIS_PARTS.items() if not getattr(experiment, part).strip()]
    checks = [
        Check(
            "hypothesis",
            "A hypothesis in four parts",
            not missing,
            "The hypothesis is complete." if not missing else f"The hypothesis lacks: {', '.join(repr(m) for m in missing)}.",
        ),
        Check(
            "primary_metric",
            "A primary metric",
            any(m.role is MetricRole.PRIMARY for m in experiment.metrics),
            "Add one metric with the role 'primary': the one the decision rests on.",
        ),
        Check(
            "planned_sample_size",
            "A planned sample size",
            experiment.planned_sample_size is not None,
            "Set the planned sample size per variation (the power calculator gives it from the MDE).",
        ),
    ]
    if checks[1].passed:
        checks[1] = Check("primary_metric", "A primary metric", True, "The primary metric is set.")
    if checks[2].passed:
        checks[2] = Check(
            "planned_sample_size",
            "A planned sample size",
            True,
            f"{experiment.planned_sample_size:,} units per variation are planned.",
        )
    if experiment.reviewer_required:
        approved = (
            experiment.approved
            and experiment.approved_by_id is not None
            and experiment.approved_by_id != experiment.created_by_id
        )
        checks.append(
            Check(
                "review",
                "Approved by a reviewer",
                approved,
                "Approved."
                if approved
                else "A reviewer other than the creator must approve it (Product Ops or the named reviewer).",
            )
        )
    return checks


def transition(
    *,
    session: Session,
    actor: User,
    experiment_id: int,
    to: ExperimentStatus,
    note: str = "",
) -> Experiment:
    """Move an experiment along draft → in review → running → analysing → decided → archived (and from
    in review back to draft). Running needs every pre-launch check to pass; deciding goes through
    :func:`decide`, which needs a decision and its rationale.

    Args:
        session: the unit of work.
        actor: who moves it.
        experiment_id: the experiment.
        to: the next status.
        note: why, kept in the history.

    Returns:
        The experiment.

    Raises:
        ValidationFailedError: a move the machine does not allow, or failing pre-launch checks (each named).
    """
    experiment = get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    _require_edit(session, actor, experiment.team_id)
    allowed = ALLOWED_TRANSITIONS[experiment.status]
    if to not in allowed:
        nexts = " or ".join(s.label.lower() for s in allowed) or "nothing (archived is final)"
        raise ValidationFailedError(
            f"An experiment that is {experiment.status.label.lower()} can move to {nexts}, not to {to.label.lower()}.",
            fields={"status": f"not allowed: {experiment.status.value} → {to.value}"},
        )
    if to is ExperimentStatus.DECIDED:
        raise ValidationFailedError(
            "Record the decision (ship, iterate or stop) with its rationale to decide.",
            fields={"decision": "Choose ship, iterate or stop and give the rationale."},
        )
    if to is ExperimentStatus.RUNNING:
        failing = [c for c in prelaunch_checks(experiment) if not c.passed]
        if failing:
            raise ValidationFailedError(
                "It cannot run yet: " + "; ".join(f"{c.label.lower()} is missing" for c in failing) + ".",
                fields={c.name: c.message for c in failing},
            )
        experiment.started_at = utcnow()
    if to is ExperimentStatus.ANALYSING:
        experiment.ended_at = utcnow()
    if to is ExperimentStatus.DRAFT:
        experiment.approved, experiment.approved_by_id = False, None
    _record(session, experiment, actor, to, note)
    experiment.updated_at = utcnow()
    session.flush()
    return experiment


def review(*, session: Session, actor: User, experiment_id: int, approve: bool, note: str = "") -> Experiment:
    """Approve an experiment in review, or send it back to draft with a note (Product Ops or the named
    reviewer; never its creator).

    Args:
        session: the unit of work.
        actor: the reviewer.
        experiment_id: the experiment.
        approve: True approves; False requests changes (back to draft).
        note: what the reviewer says (required when requesting changes).

    Returns:
        The experiment.
    """
    experiment = get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    if not can_approve(actor, experiment):
        raise PermissionDeniedError("Product Ops or the named reviewer approves, and never the experiment's creator.")
    if experiment.status is not ExperimentStatus.IN_REVIEW:
        raise ValidationFailedError(
            f"Only an experiment in review is reviewed; this one is {experiment.status.label.lower()}.",
            fields={"status": experiment.status.value},
        )
    if not approve and not note.strip():
        raise ValidationFailedError("Say what should change.", fields={"note": "Say what should change."})
    experiment.reviewed_at = utcnow()
    experiment.review_note = note.strip()[:5000]
    if approve:
        experiment.approved, experiment.approved_by_id = True, actor.id
        experiment.history.append(
            StatusChange(
                from_status=experiment.status, to_status=experiment.status, actor_id=actor.id, at=utcnow(), note="approved"
            )
        )
    else:
        experiment.approved, experiment.approved_by_id = False, None
        _record(session, experiment, actor, ExperimentStatus.DRAFT, f"changes requested: {note.strip()}")
    session.flush()
    return experiment


def decide(
    *, session: Session, actor: User, experiment_id: int, decision: Decision, rationale: str, learnings: str | None = None
) -> Experiment:
    """Record the decision of an analysed experiment and move it to decided.

    Args:
        session: the unit of work.
        actor: who decides (the team's people, Product Ops, admins).
        experiment_id: the experiment.
        decision: ship, iterate or stop.
        rationale: why (required).
        learnings: what was learnt (optional; kept when None).

    Returns:
        The experiment.
    """
    experiment = get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    _require_edit(session, actor, experiment.team_id)
    errors: dict[str, str] = {}
    if experiment.status is not ExperimentStatus.ANALYSING:
        errors["status"] = f"Decide once the experiment is analysing; it is {experiment.status.label.lower()}."
    if not rationale.strip():
        errors["rationale"] = "Give the rationale: what in the results, and what else, led to the decision."
    elif len(rationale) > 10000:
        errors["rationale"] = "The rationale has at most 10,000 characters."
    if learnings is not None and len(learnings) > 20000:
        errors["learnings"] = "Learnings have at most 20,000 characters."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    experiment.decision, experiment.rationale = decision, rationale.strip()
    if learnings is not None:
        experiment.learnings = learnings.strip()
    experiment.decided_at = utcnow()
    _record(session, experiment, actor, ExperimentStatus.DECIDED, f"decision: {decision.value}")
    session.flush()
    return experiment


# --- library ------------------------------------------------------------------------------------------


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def library(
    *,
    session: Session,
    actor: User,
    query: str = "",
    team_id: int | None = None,
    status: ExperimentStatus | None = None,
    tag: str | None = None,
    metric: str | None = None,
    decision: Decision | None = None,
    limit: int = 200,
) -> list[Experiment]:
    """Search the experiments ``actor`` may see, newest first.

    Every word of ``query`` must appear (case-insensitive) in the title, a hypothesis part, the
    rationale, the learnings, a metric's name or a tag.

    Args:
        session: the unit of work.
        actor: who searches.
        query: words to find.
        team_id: only this team.
        status: only this status.
        tag: only with this tag.
        metric: only with a metric of this name (case-insensitive, partial).
        decision: only with this decision.
        limit: at most this many.

    Returns:
        The experiments found.
    """
    statement = select(Experiment).order_by(Experiment.created_at.desc(), Experiment.id.desc())
    if not actor.role.sees_all_teams:
        statement = statement.where(Experiment.team_id.in_(team_ids_of(session, actor)))
    if team_id is not None:
        statement = statement.where(Experiment.team_id == team_id)
    if status is not None:
        statement = statement.where(Experiment.status == status)
    if decision is not None:
        statement = statement.where(Experiment.decision == decision)
    if tag:
        statement = statement.where(
            exists().where(ExperimentTag.experiment_id == Experiment.id, ExperimentTag.tag == tag.strip().lower())
        )
    if metric and metric.strip():
        statement = statement.where(
            exists().where(
                ExperimentMetric.experiment_id == Experiment.id,
                func.lower(ExperimentMetric.name).like(_like(metric.strip()), escape="\\"),
            )
        )
    for word in query.split()[:10]:
        pattern = _like(word)
        columns = (
            Experiment.title,
            Experiment.observation,
            Experiment.belief,
            Experiment.outcome,
            Experiment.measure,
            Experiment.rationale,
            Experiment.learnings,
        )
        matches: list[ColumnElement[bool]] = [func.lower(c).like(pattern, escape="\\") for c in columns]
        matches.append(
            exists().where(
                ExperimentMetric.experiment_id == Experiment.id, func.lower(ExperimentMetric.name).like(pattern, escape="\\")
            )
        )
        matches.append(exists().where(ExperimentTag.experiment_id == Experiment.id, ExperimentTag.tag.like(pattern, escape="\\")))
        statement = statement.where(or_(*matches))
    return list(session.scalars(statement.limit(max(1, min(limit, 1000)))))


def all_tags(*, session: Session, actor: User) -> list[str]:
    """The tags in use on experiments ``actor`` may see, alphabetically."""
    statement = select(ExperimentTag.tag).join(Experiment, Experiment.id == ExperimentTag.experiment_id).distinct()
    if not actor.role.sees_all_teams:
        statement = statement.where(Experiment.team_id.in_(team_ids_of(session, actor)))
    return sorted(set(session.scalars(statement)))


def has_statistics(session: Session, experiment: Experiment) -> bool:
    """Whether any statistics were imported for the experiment."""
    return session.scalar(select(MetricSnapshot.id).where(MetricSnapshot.experiment_id == experiment.id).limit(1)) is not None
