"""Use cases of the experiment registry: create and edit, the status machine with its pre-launch
checks, review, decision, the library search and the portfolio.

Who may do what: the team's people (members and its delivery manager), Product Ops, leaders and admins
read a team's experiments; the team's people, Product Ops and admins create and edit them; Product Ops
or the named reviewer approves (never the experiment's creator). Statistics import and analysis live
in :mod:`deliveryops.experiments.analysis`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.db import fetch_page, utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError, validation_failed
from deliveryops.experiments import power as power_calculation
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
from deliveryops.experiments.schemas import (
    HYPOTHESIS_PARTS,
    CheckRead,
    ExperimentDesign,
    ExperimentFilter,
    ExperimentRead,
    ExperimentUpdate,
    MetricIn,
    PowerQuery,
    PowerRead,
    VariationIn,
)
from deliveryops.schemas import Page, PageParams
from deliveryops.teams.models import Membership, Team
from deliveryops.teams.service import get_team_or_raise, slugify, team_ids_of
from deliveryops.work.models import WorkItem

__all__ = [
    "ALLOWED_TRANSITIONS",
    "Check",
    "ExperimentPortfolio",
    "PortfolioFigures",
    "TeamPortfolio",
    "calculate_power",
    "can_approve",
    "can_edit",
    "create",
    "decide",
    "delete",
    "design_of",
    "get_or_raise",
    "library",
    "portfolio",
    "portfolio_allowed",
    "prelaunch_checks",
    "read",
    "review",
    "search",
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


def _check(session: Session, team: Team, design: ExperimentDesign) -> dict[str, str]:
    """The rules that need the database: an active reviewer, work items of the team."""
    errors: dict[str, str] = {}
    if design.reviewer_id is not None:
        reviewer = session.get(User, design.reviewer_id)
        if reviewer is None or not reviewer.is_active:
            errors["reviewer_id"] = "Choose an active person as the reviewer."
    if design.work_items:
        found = set(
            session.scalars(
                select(WorkItem.external_key).where(WorkItem.team_id == team.id, WorkItem.external_key.in_(design.work_items))
            )
        )
        missing = [k for k in design.work_items if k not in found]
        if missing:
            errors["work_items"] = f"No work item {', '.join(missing)} in {team.name}."
    return errors


def _unique_key(session: Session, title: str) -> str:
    base = slugify(title)[:100]
    key, number = base, 1
    while session.scalar(select(Experiment.id).where(Experiment.key == key)) is not None:
        number += 1
        key = f"{base}-{number}"
    return key


def _apply(session: Session, experiment: Experiment, design: ExperimentDesign) -> None:
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
        value = getattr(design, name)
        setattr(experiment, name, value.strip() if isinstance(value, str) else value)
    if design.planned_sample_size != experiment.planned_sample_size:
        experiment.planned_sample_size = design.planned_sample_size
        experiment.sample_size_set_at = utcnow() if design.planned_sample_size is not None else None
    experiment.method = Method(design.method)
    experiment.correction = Correction(design.correction)
    if [(v.name, v.weight, v.is_control) for v in experiment.variations] != [
        (v.name, v.weight, v.is_control) for v in design.variations
    ]:
        by_name = {v.name: v for v in experiment.variations}
        kept = []
        for position, row in enumerate(design.variations):
            variation = by_name.pop(row.name, None) or Variation(name=row.name)
            variation.weight, variation.is_control, variation.position = row.weight, row.is_control, position
            kept.append(variation)
        experiment.variations = kept
    if [(m.name, m.kind.value, m.role.value, m.higher_is_better) for m in experiment.metrics] != [
        (m.name, m.kind, m.role, m.higher_is_better) for m in design.metrics
    ]:
        metrics_by_name = {m.name: m for m in experiment.metrics}
        kept_metrics = []
        for position, metric_row in enumerate(design.metrics):
            metric = metrics_by_name.pop(metric_row.name, None) or ExperimentMetric(name=metric_row.name)
            metric.kind, metric.role = MetricKind(metric_row.kind), MetricRole(metric_row.role)
            metric.higher_is_better, metric.position = metric_row.higher_is_better, position
            kept_metrics.append(metric)
        experiment.metrics = kept_metrics
    if experiment.tag_names != sorted(design.tags):
        existing = {t.tag: t for t in experiment.tags}
        experiment.tags = [existing.get(tag) or ExperimentTag(tag=tag) for tag in sorted(design.tags)]
    if [w.key for w in experiment.work_items] != design.work_items:
        items = {
            w.external_key: w
            for w in session.scalars(
                select(WorkItem).where(WorkItem.team_id == experiment.team_id, WorkItem.external_key.in_(design.work_items))
            )
        }
        old = {w.key: w for w in experiment.work_items}
        experiment.work_items = [
            old.get(k) or ExperimentWorkItem(key=k, work_item_id=items[k].id, title=items[k].title[:500])
            for k in design.work_items
        ]
    experiment.updated_at = utcnow()


def design_of(experiment: Experiment) -> ExperimentDesign:
    """The experiment's current design (the edit form's values; a change is merged into it)."""
    return ExperimentDesign.model_construct(
        title=experiment.title,
        observation=experiment.observation,
        belief=experiment.belief,
        outcome=experiment.outcome,
        measure=experiment.measure,
        variations=[VariationIn(name=v.name, weight=v.weight, is_control=v.is_control) for v in experiment.variations],
        metrics=[
            MetricIn(name=m.name, kind=m.kind.value, role=m.role.value, higher_is_better=m.higher_is_better)
            for m in experiment.metrics
        ],
        tags=experiment.tag_names,
        work_items=[w.key for w in experiment.work_items],
        reviewer_required=experiment.reviewer_required,
        reviewer_id=experiment.reviewer_id,
        planned_sample_size=experiment.planned_sample_size,
        mde=experiment.mde,
        expected_daily_traffic=experiment.expected_daily_traffic,
        planned_start=experiment.planned_start,
        planned_end=experiment.planned_end,
        method=experiment.method,
        correction=experiment.correction,
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


def create(*, session: Session, actor: User, team_id: int, design: ExperimentDesign) -> Experiment:
    """Register an experiment as a draft (the team's people, Product Ops, admins).

    Args:
        session: the unit of work.
        actor: who registers it (its creator; they cannot approve it themselves).
        team_id: the owner team (``ExperimentCreate.team_id``).
        design: what was entered, already checked by its model (an ``ExperimentCreate``).

    Returns:
        The new draft.

    Raises:
        ValidationFailedError: naming each field that breaks a rule of the database (reviewer, work items).
    """
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    _require_edit(session, actor, team.id)
    errors = _check(session, team, design)
    if errors:
        raise ValidationFailedError(" ".join(errors.values()), fields=errors)
    experiment = Experiment(
        key=_unique_key(session, design.title),
        team_id=team.id,
        title=design.title,
        created_by_id=actor.id,
        status=ExperimentStatus.DRAFT,
        last_warnings=[],
        created_at=utcnow(),
    )
    session.add(experiment)
    _apply(session, experiment, design)
    _record(session, experiment, actor, ExperimentStatus.DRAFT, "registered")
    session.flush()
    return experiment


def _merged(experiment: Experiment, change: ExperimentUpdate | ExperimentDesign) -> ExperimentDesign:
    """The design after the change, checked by :class:`ExperimentDesign` (a whole design replaces it)."""
    data = change.model_dump() if isinstance(change, ExperimentDesign) else change.merged_into(design_of(experiment))
    data.pop("team_id", None)
    try:
        return ExperimentDesign.model_validate(data)
    except PydanticValidationError as exc:
        raise validation_failed(exc.errors(), ExperimentDesign) from None


def update(*, session: Session, actor: User, experiment_id: int, change: ExperimentUpdate | ExperimentDesign) -> Experiment:
    """Change an experiment. Its design (hypothesis, variations, metrics, planned sample size, MDE and
    review) is locked once it runs; editing the design while in review withdraws an approval.

    Args:
        session: the unit of work.
        actor: who edits.
        experiment_id: the experiment.
        change: the fields to change (an ``ExperimentUpdate``), or the whole design.

    Returns:
        The experiment.
    """
    experiment = get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    _require_edit(session, actor, experiment.team_id)
    team = session.get(Team, experiment.team_id)
    assert team is not None
    current = design_of(experiment)
    design = _merged(experiment, change)
    errors = _check(session, team, design)
    changed = [name for name in LOCKED_AFTER_LAUNCH if getattr(current, name) != getattr(design, name)]
    if changed and experiment.status not in DESIGN_STATUSES:
        for name in changed:
            errors[name] = (
                f"The design is locked once the experiment runs (it is {experiment.status.label.lower()}); "
                "register a new experiment to change it."
            )
    if errors:
        raise ValidationFailedError(" ".join(dict.fromkeys(errors.values())), fields=errors)
    if changed and experiment.approved:
        experiment.approved, experiment.approved_by_id = False, None
        experiment.review_note = "Approval withdrawn: the design changed after the review."
    _apply(session, experiment, design)
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


def search(
    *,
    session: Session,
    actor: User | None,
    filters: ExperimentFilter | None = None,
    page: PageParams | None = None,
) -> tuple[list[Experiment], int]:
    """Search the experiments ``actor`` may see, newest first.

    Every word of ``filters.q`` must appear (case-insensitive) in the title, a hypothesis part, the
    rationale, the learnings, a metric's name or a tag; ``filters.metric`` matches part of a metric's name.

    Args:
        session: the unit of work.
        actor: who searches (None: a trusted caller, the CLI, sees every team).
        filters: which experiments (all by default).
        page: which page of them (the first 100 by default).

    Returns:
        The page's experiments, and how many there are in all.
    """
    filters = filters or ExperimentFilter()
    page = page or PageParams()
    statement = select(Experiment).order_by(Experiment.created_at.desc(), Experiment.id.desc())
    if actor is not None and not actor.role.sees_all_teams:
        statement = statement.where(Experiment.team_id.in_(team_ids_of(session, actor)))
    if filters.team_id is not None:
        statement = statement.where(Experiment.team_id == filters.team_id)
    if filters.status is not None:
        statement = statement.where(Experiment.status == filters.status)
    if filters.decision is not None:
        statement = statement.where(Experiment.decision == filters.decision)
    if filters.tag:
        statement = statement.where(
            exists().where(ExperimentTag.experiment_id == Experiment.id, ExperimentTag.tag == filters.tag.strip().lower())
        )
    if filters.metric and filters.metric.strip():
        statement = statement.where(
            exists().where(
                ExperimentMetric.experiment_id == Experiment.id,
                func.lower(ExperimentMetric.name).like(_like(filters.metric.strip()), escape="\\"),
            )
        )
    for word in filters.q.split()[:10]:
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
    return fetch_page(session, statement, limit=page.limit, offset=page.offset)


def library(*, session: Session, actor: User | None, filters: ExperimentFilter, page: PageParams) -> Page[ExperimentRead]:
    """The library as the API and the CLI answer it: a page of experiments, newest first (see :func:`search`)."""
    rows, total = search(session=session, actor=actor, filters=filters, page=page)
    return Page[ExperimentRead](items=[read(e) for e in rows], total=total, limit=page.limit, offset=page.offset)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def read(experiment: Experiment) -> ExperimentRead:
    """The API's view of an experiment, with its pre-launch checks."""
    return ExperimentRead(
        id=experiment.id,
        key=experiment.key,
        team_id=experiment.team_id,
        title=experiment.title,
        hypothesis={part: getattr(experiment, part) for part in HYPOTHESIS_PARTS},
        status=experiment.status,
        next_statuses=list(ALLOWED_TRANSITIONS[experiment.status]),
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
        checks=[CheckRead(**dataclasses.asdict(c)) for c in prelaunch_checks(experiment)],
        last_warnings=list(experiment.last_warnings or []),
    )


def all_tags(*, session: Session, actor: User) -> list[str]:
    """The tags in use on experiments ``actor`` may see, alphabetically."""
    statement = select(ExperimentTag.tag).join(Experiment, Experiment.id == ExperimentTag.experiment_id).distinct()
    if not actor.role.sees_all_teams:
        statement = statement.where(Experiment.team_id.in_(team_ids_of(session, actor)))
    return sorted(set(session.scalars(statement)))


def has_statistics(session: Session, experiment: Experiment) -> bool:
    """Whether any statistics were imported for the experiment."""
    return session.scalar(select(MetricSnapshot.id).where(MetricSnapshot.experiment_id == experiment.id).limit(1)) is not None


def calculate_power(query: PowerQuery) -> PowerRead:
    """The calculation the page and the API share (the MDE wins when both it and a sample size are given).

    Raises:
        ValidationFailedError: naming the field at fault.
    """
    result = power_calculation.calculate(
        kind=query.kind,
        baseline=query.baseline,
        standard_deviation=query.standard_deviation,
        mde=query.mde,
        sample_per_variation=query.sample_per_variation,
        variations=query.variations,
        alpha=query.alpha,
        power=query.power,
        daily_traffic=query.daily_traffic,
    )
    return PowerRead(**dataclasses.asdict(result))


def portfolio_allowed(actor: User) -> None:
    """The cross-team portfolio is for Product Ops, leaders and admins."""
    if actor.role not in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN):
        raise PermissionDeniedError("The experiment portfolio is for Product Ops, leaders and admins.")
