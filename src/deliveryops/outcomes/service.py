"""Use cases for objectives and key results: create, list, measure from the data, link the work that serves them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from deliveryops.accounts.models import User
from deliveryops.actions.measure import dora_weekly, health_weekly, unit_of, weekly_series
from deliveryops.actions.models import ImprovementAction, TargetMetric
from deliveryops.actions.service import card_results, health_card_keys
from deliveryops.analytics.key_results import KeyResultStatus, key_result_progress
from deliveryops.cockpit.leadership.service import current_quarter, parse_period
from deliveryops.dependencies.models import Dependency
from deliveryops.dora import service as dora
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.experiments.analysis import results_of
from deliveryops.experiments.models import Experiment
from deliveryops.flow.data import load_team_data
from deliveryops.flow.models import Forecast
from deliveryops.flow.service import default_types, today_in
from deliveryops.outcomes import series as kpi
from deliveryops.outcomes.models import KeyResult, KeyResultLink, KpiSeries, LinkKind, Objective, SourceKind
from deliveryops.outcomes.schemas import (
    KeyResultCreate,
    KeyResultDetail,
    KeyResultRead,
    KeyResultUpdate,
    LinkCreate,
    LinkRead,
    ObjectiveCreate,
    ObjectiveRead,
    ObjectiveUpdate,
    PointRead,
    target_problem,
)
from deliveryops.teams.models import Group, Team
from deliveryops.work.models import WorkItem

__all__ = [
    "BEFORE_WEEKS",
    "Measured",
    "add_key_result",
    "add_link",
    "check_team_metric",
    "create_objective",
    "delete_key_result",
    "delete_objective",
    "get_key_result_or_raise",
    "get_objective_or_raise",
    "key_result_detail",
    "key_result_read",
    "list_objectives",
    "list_objectives_all",
    "measure",
    "objective_read",
    "team_metric_label",
    "team_metric_points",
    "update_key_result",
    "update_objective",
]

BEFORE_WEEKS = 26  # values before the period that the natural variation is estimated from
RATES_SENTENCE = (
    "On seeded series the verdict said on track for a key result that did not move in at most 2.9% of runs and off "
    "track for one moving along the line in at most 3.7% (held-out seeds, weekly values, see the definition)."
)


@dataclass(frozen=True)
class Measured:
    """A key result measured: its values, the period, and the verdict."""

    points: list[tuple[date, float]]
    unit: str
    source_label: str
    status: KeyResultStatus
    current: float | None
    progress: float | None
    expected_progress: float
    detail: str


def _user_name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.name if user else None


def _scope_name(session: Session, objective: Objective) -> str:
    if objective.team_id is not None:
        team = session.get(Team, objective.team_id)
        return team.name if team else "?"
    group = session.get(Group, objective.group_id) if objective.group_id is not None else None
    return group.name if group else "?"


def create_objective(*, session: Session, actor: User | None, body: ObjectiveCreate, today: date) -> Objective:
    """Create an objective (leaders, Product Ops, admins for a group; the team's delivery managers, admins for a team)."""
    kpi.check_scope(session, group_id=body.group_id, team_id=body.team_id)
    if actor is not None and not kpi.can_edit_scope(session, actor, group_id=body.group_id, team_id=body.team_id):
        raise PermissionDeniedError(
            "Leaders and Product Ops set group objectives; a team's delivery managers set the team's objectives."
        )
    _check_owner(session, body.owner_id)
    period = parse_period(body.period or current_quarter(today))
    objective = Objective(
        group_id=body.group_id,
        team_id=body.team_id,
        period=period.label,
        starts_on=period.start,
        ends_on=period.end,
        title=body.title,
        description=body.description,
        owner_id=body.owner_id if body.owner_id is not None else (actor.id if actor else None),
    )
    session.add(objective)
    session.flush()
    return objective


def get_objective_or_raise(*, session: Session, actor: User, objective_id: int, edit: bool = False) -> Objective:
    """An objective the actor may read (or, with ``edit``, change)."""
    objective = session.get(Objective, objective_id)
    if objective is None or not kpi.can_read_scope(session, actor, group_id=objective.group_id, team_id=objective.team_id):
        raise NotFoundError(f"No objective {objective_id}.")
    if edit and not kpi.can_edit_scope(session, actor, group_id=objective.group_id, team_id=objective.team_id):
        raise PermissionDeniedError("You may read this objective but not change it.")
    return objective


def _require_editor(session: Session, actor: User | None, objective: Objective, what: str) -> None:
    """Only the objective's editors change it or its key results (no actor: the CLI, run by whoever runs the server)."""
    if actor is not None and not kpi.can_edit_scope(session, actor, group_id=objective.group_id, team_id=objective.team_id):
        raise PermissionDeniedError(f"You may read this {what} but not change it.")


def _check_owner(session: Session, owner_id: int | None) -> None:
    if owner_id is not None and session.get(User, owner_id) is None:
        raise ValidationFailedError(f"No person {owner_id}.", fields={"owner_id": "Choose an existing person."})


def update_objective(*, session: Session, actor: User | None, objective: Objective, body: ObjectiveUpdate) -> Objective:
    """Change an objective's title, description, period or owner (its editors: the same people who may set it)."""
    _require_editor(session, actor, objective, "objective")
    _check_owner(session, body.owner_id)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("period"):
        period = parse_period(changes.pop("period"))
        objective.period, objective.starts_on, objective.ends_on = period.label, period.start, period.end
    for name in ("title", "description", "owner_id"):
        if name in changes and (changes[name] is not None or name == "owner_id"):
            setattr(objective, name, changes[name])
    session.flush()
    return objective


def delete_objective(*, session: Session, actor: User | None, objective: Objective) -> None:
    """Delete an objective with its key results and their links (its editors). Decision briefs that expected an
    effect on one of its key results keep their text; their follow-up then has no series to read."""
    _require_editor(session, actor, objective, "objective")
    session.delete(objective)
    session.flush()


def list_objectives(
    *, session: Session, actor: User, group_id: int | None = None, team_id: int | None = None, period: str | None = None
) -> list[Objective]:
    """The objectives the actor may read, optionally for one group or team and one period label."""
    statement = select(Objective).options(selectinload(Objective.key_results)).order_by(Objective.starts_on.desc(), Objective.id)
    if group_id is not None:
        statement = statement.where(Objective.group_id == group_id)
    if team_id is not None:
        statement = statement.where(Objective.team_id == team_id)
    if period:
        statement = statement.where(Objective.period == parse_period(period).label)
    rows = session.scalars(statement)
    return [o for o in rows if kpi.can_read_scope(session, actor, group_id=o.group_id, team_id=o.team_id)]


def list_objectives_all(*, session: Session, period: str | None = None) -> list[Objective]:
    """Every objective (the CLI, run by whoever runs the server), optionally of one period."""
    statement = select(Objective).options(selectinload(Objective.key_results)).order_by(Objective.starts_on.desc(), Objective.id)
    if period:
        statement = statement.where(Objective.period == parse_period(period).label)
    return list(session.scalars(statement))


def add_key_result(*, session: Session, actor: User | None, objective: Objective, body: KeyResultCreate) -> KeyResult:
    """Add a key result to an objective (its editors); the source must exist and be readable."""
    _require_editor(session, actor, objective, "objective")
    if body.source is SourceKind.KPI and body.series_id is not None:
        found = session.get(KpiSeries, body.series_id)
        if found is None or (
            actor is not None and not kpi.can_read_scope(session, actor, group_id=found.group_id, team_id=found.team_id)
        ):
            raise ValidationFailedError(
                f"No KPI series {body.series_id}.", fields={"series_id": "Choose an existing KPI series."}
            )
    if body.source is SourceKind.METRIC:
        check_team_metric(session, team_id=body.metric_team_id, metric=body.metric, card=body.metric_card, prefix="metric_")
    if body.source is SourceKind.EXPERIMENT and session.get(Experiment, body.experiment_id) is None:
        raise ValidationFailedError(
            f"No experiment {body.experiment_id}.", fields={"experiment_id": "Choose an existing experiment."}
        )
    _check_owner(session, body.owner_id)
    row = KeyResult(
        objective_id=objective.id,
        title=body.title,
        owner_id=body.owner_id,
        source=body.source,
        series_id=body.series_id if body.source is SourceKind.KPI else None,
        metric=body.metric if body.source is SourceKind.METRIC else None,
        metric_team_id=body.metric_team_id if body.source is SourceKind.METRIC else None,
        metric_card=body.metric_card if body.source is SourceKind.METRIC and body.metric == "health_card" else None,
        experiment_id=body.experiment_id if body.source is SourceKind.EXPERIMENT else None,
        baseline=body.baseline,
        target=body.target,
        direction=body.direction,
    )
    session.add(row)
    session.flush()
    return row


def update_key_result(*, session: Session, actor: User | None, row: KeyResult, body: KeyResultUpdate) -> KeyResult:
    """Change a key result's title, owner, baseline, target or direction (its objective's editors); the result
    must still be consistent (a target differing from the baseline, in the stated direction)."""
    objective = row.objective
    _require_editor(session, actor, objective, "key result")
    _check_owner(session, body.owner_id)
    changes = body.model_dump(exclude_unset=True)
    baseline = changes["baseline"] if changes.get("baseline") is not None else row.baseline
    target = changes["target"] if changes.get("target") is not None else row.target
    direction = changes["direction"] if changes.get("direction") is not None else row.direction
    problem = target_problem(baseline, target, direction)
    if problem is not None:
        raise ValidationFailedError(problem[1], fields={problem[0]: problem[1]})
    row.baseline, row.target, row.direction = baseline, target, direction
    if changes.get("title") is not None:
        row.title = changes["title"]
    if "owner_id" in changes:
        row.owner_id = changes["owner_id"]
    session.flush()
    return row


def delete_key_result(*, session: Session, actor: User | None, row: KeyResult) -> None:
    """Delete a key result and its links (its objective's editors)."""
    objective = row.objective
    _require_editor(session, actor, objective, "key result")
    session.delete(row)
    session.flush()
    session.expire(objective, ["key_results"])


def get_key_result_or_raise(*, session: Session, actor: User, key_result_id: int, edit: bool = False) -> KeyResult:
    """A key result the actor may read (or change), through its objective."""
    row = session.get(KeyResult, key_result_id)
    if row is None:
        raise NotFoundError(f"No key result {key_result_id}.")
    try:
        get_objective_or_raise(session=session, actor=actor, objective_id=row.objective_id, edit=edit)
    except NotFoundError:
        raise NotFoundError(f"No key result {key_result_id}.") from None
    return row


def check_team_metric(session: Session, *, team_id: int | None, metric: str | None, card: str | None, prefix: str) -> None:
    """A team metric names an existing team and, for a health card, a card that team can have (fields: ``prefix``
    + ``team_id`` / ``card``)."""
    team = session.get(Team, team_id) if team_id is not None else None
    if team is None:
        raise ValidationFailedError("Choose an existing team.", fields={f"{prefix}team_id": "Choose an existing team."})
    if metric == "health_card" and card not in health_card_keys(session, team.id):
        raise ValidationFailedError(
            f"No health-check card {card!r} for {team.name}.", fields={f"{prefix}card": "Choose one of the team's cards."}
        )


def team_metric_points(
    session: Session, team: Team, metric: TargetMetric, card: str | None, *, start: date, end: date
) -> list[tuple[date, float]]:
    """A team metric's weekly values from ``start`` to the last complete week up to ``end``: flow and DORA keys per
    ISO week, a health-check card's score (0..100) in the weeks a round closed."""
    last_complete = end - timedelta(days=end.weekday() + 1)  # the Sunday of the last complete week
    if last_complete < start:
        return []
    if metric is TargetMetric.HEALTH_CARD:
        return health_weekly(card_results(session, team, card), start=start, end=last_complete)
    if metric.source == "dora":
        tables = dora.load_tables(
            session, team_ids=[team.id], zone=team.zone, environments=dora.production_environments(session, team.id)
        )
        return dora_weekly(tables, metric, start=start, end=last_complete)
    data = load_team_data(session, team)
    if data.items.is_empty():
        return []
    return weekly_series(data.only_types(default_types(data)), metric, start=start, end=last_complete)


def _metric_points(session: Session, row: KeyResult, start: date, end: date) -> list[tuple[date, float]]:
    team = session.get(Team, row.metric_team_id) if row.metric_team_id is not None else None
    if team is None or row.metric is None:
        return []
    return team_metric_points(session, team, TargetMetric(row.metric), row.metric_card, start=start, end=end)


def team_metric_label(session: Session, team_id: int | None, metric: str, card: str | None) -> tuple[str, str]:
    """(label, unit) of a team metric: "Checkout: Throughput (items per week)", or the health card's title."""
    team = session.get(Team, team_id) if team_id is not None else None
    chosen = TargetMetric(metric)
    if chosen is TargetMetric.HEALTH_CARD:
        title = health_card_keys(session, team.id).get(card or "", card or "?") if team else card or "?"
        return (f"{team.name if team else '?'}: health-check card {title}", unit_of(chosen))
    label = chosen.label
    unit = label[label.find("(") + 1 : label.rfind(")")] if "(" in label else ""
    return (f"{team.name if team else '?'}: {label}", unit)


def _source(session: Session, row: KeyResult) -> tuple[str, str]:
    """(label, unit) of a key result's source."""
    if row.source is SourceKind.KPI:
        found = session.get(KpiSeries, row.series_id) if row.series_id is not None else None
        return (f"KPI series: {found.name}" if found else "KPI series (deleted)", found.unit if found else "")
    if row.source is SourceKind.METRIC and row.metric is not None:
        return team_metric_label(session, row.metric_team_id, row.metric, row.metric_card)
    experiment = session.get(Experiment, row.experiment_id) if row.experiment_id is not None else None
    return (f"Experiment: {experiment.title}" if experiment else "Experiment (deleted)", "lift")


def _experiment(session: Session, row: KeyResult, share: float) -> Measured:
    label, unit = _source(session, row)
    experiment = session.get(Experiment, row.experiment_id) if row.experiment_id is not None else None
    results = results_of(session, experiment, over_time=False) if experiment is not None else None
    primary = next((r for r in results.results if r.role == "primary"), None) if results else None
    if primary is None or primary.lift is None:
        return Measured([], unit, label, KeyResultStatus.NOT_ENOUGH, None, None, share, "no result of the primary metric yet")
    lift = primary.lift
    progress = (lift - row.baseline) / (row.target - row.baseline)
    towards = (lift - row.baseline) * (1 if row.direction == "increase" else -1) > 0
    if not primary.significant:
        status = KeyResultStatus.NORMAL
    else:
        status = KeyResultStatus.ON_TRACK if towards else KeyResultStatus.OFF_TRACK
    low, high = primary.ci_low, primary.ci_high
    interval = f"; interval {low:+.3g} to {high:+.3g}" if low is not None and high is not None else ""
    significance = "significant" if primary.significant else "not significant"
    detail = f"lift {lift:+.3g} on {primary.metric} ({primary.variation}){interval}; {significance}"
    return Measured([], unit, label, status, lift, progress, share, detail)


def measure(session: Session, row: KeyResult, *, today: date) -> Measured:
    """Measure a key result from its data and judge it against the series' natural variation.

    Args:
        session: the unit of work.
        row: the key result.
        today: the day to measure on.

    Returns:
        The values, progress and verdict.
    """
    objective = row.objective
    days = (objective.ends_on - objective.starts_on).days + 1
    share = min(max(((today - objective.starts_on).days + 1) / days, 0.0), 1.0)
    if row.source is SourceKind.EXPERIMENT:
        return _experiment(session, row, share)
    label, unit = _source(session, row)
    end = min(today, objective.ends_on)
    # Health-check rounds are weeks apart: look further back for their values (at most BEFORE_WEEKS values count).
    sparse = row.source is SourceKind.METRIC and row.metric == TargetMetric.HEALTH_CARD.value
    first = objective.starts_on - timedelta(weeks=BEFORE_WEEKS * (4 if sparse else 1))
    if row.source is SourceKind.KPI and row.series_id is not None:
        points = [(on, v) for on, v in kpi.values_of(session, row.series_id, up_to=end) if on >= first]
    else:
        points = _metric_points(session, row, first, end)
    before = [v for on, v in points if on < objective.starts_on]
    before = before[-BEFORE_WEEKS:] if sparse else before
    during_points = [(on, v) for on, v in points if on >= objective.starts_on]
    result = key_result_progress(
        before,
        [v for _, v in during_points],
        baseline=row.baseline,
        target=row.target,
        direction="increase" if row.direction == "increase" else "decrease",
        elapsed=share,
        during_shares=[((on - objective.starts_on).days + 1) / days for on, _ in during_points],
    )
    return Measured(points, unit, label, result.status, result.current, result.progress, share, result.detail)


def key_result_read(session: Session, row: KeyResult, *, today: date, measured: Measured | None = None) -> KeyResultRead:
    """The API shape of a key result, measured."""
    m = measured or measure(session, row, today=today)
    return KeyResultRead(
        id=row.id,
        objective_id=row.objective_id,
        title=row.title,
        owner=_user_name(session, row.owner_id),
        source=row.source,
        source_label=m.source_label,
        unit=m.unit,
        baseline=row.baseline,
        target=row.target,
        direction="increase" if row.direction == "increase" else "decrease",
        current=m.current,
        progress=m.progress,
        expected_progress=m.expected_progress,
        status=m.status.value,
        status_label=m.status.label,
        detail=m.detail,
    )


def objective_read(session: Session, objective: Objective, *, today: date) -> ObjectiveRead:
    """The API shape of an objective with its key results measured."""
    return ObjectiveRead(
        id=objective.id,
        title=objective.title,
        description=objective.description,
        group_id=objective.group_id,
        team_id=objective.team_id,
        scope=_scope_name(session, objective),
        period=objective.period,
        starts_on=objective.starts_on,
        ends_on=objective.ends_on,
        owner=_user_name(session, objective.owner_id),
        key_results=[key_result_read(session, kr, today=today) for kr in objective.key_results],
    )


def add_link(*, session: Session, actor: User | None, key_result: KeyResult, body: LinkCreate) -> KeyResultLink:
    """Link work or an experiment to a key result (its editors); the linked thing must exist."""
    objective = key_result.objective
    _require_editor(session, actor, objective, "key result")
    if body.kind is LinkKind.EPIC:
        item = session.get(WorkItem, body.target_id)
        if item is None or item.item_type.lower() != "epic":
            raise ValidationFailedError(
                f"No epic with id {body.target_id}.", fields={"target_id": "Choose a work item of type epic."}
            )
    else:
        model = {LinkKind.EXPERIMENT: Experiment, LinkKind.ACTION: ImprovementAction, LinkKind.DEPENDENCY: Dependency}[body.kind]
        if session.get(model, body.target_id) is None:
            raise ValidationFailedError(
                f"No {body.kind.value} with id {body.target_id}.", fields={"target_id": f"Choose an existing {body.kind.value}."}
            )
    existing = session.scalar(
        select(KeyResultLink).where(
            KeyResultLink.key_result_id == key_result.id,
            KeyResultLink.kind == body.kind,
            KeyResultLink.target_id == body.target_id,
        )
    )
    if existing is not None:
        return existing
    link = KeyResultLink(key_result_id=key_result.id, kind=body.kind, target_id=body.target_id)
    session.add(link)
    session.flush()
    return link


def _epic_state(session: Session, item: WorkItem) -> str:
    """The latest stored forecast of the epic (50% and 85% dates), or how to get one."""
    forecast = session.scalar(
        select(Forecast)
        .where(Forecast.team_id == item.team_id, Forecast.label.startswith(f"Epic {item.external_key} ("))
        .order_by(Forecast.created_at.desc(), Forecast.id.desc())
        .limit(1)
    )
    if forecast is None:
        return "no forecast yet (forecast it on the team's forecast page)"
    p50, p85 = forecast.predicted.get("50"), forecast.predicted.get("85")
    if p85 is None:
        return forecast.message or "no date within the forecast horizon"
    return f"forecast {p50} (50%) to {p85} (85%), made {forecast.start_date.isoformat()}"


def _link_read(session: Session, link: KeyResultLink) -> LinkRead:
    title, url, state = f"{link.kind.value} {link.target_id} (deleted)", "", ""
    if link.kind is LinkKind.EPIC:
        item = session.get(WorkItem, link.target_id)
        if item is not None:
            team = session.get(Team, item.team_id)
            title, state = f"{item.external_key} {item.title}", _epic_state(session, item)
            url = f"/teams/{team.slug}/forecasts" if team else ""
    elif link.kind is LinkKind.EXPERIMENT:
        experiment = session.get(Experiment, link.target_id)
        if experiment is not None:
            title, url = experiment.title, f"/experiments/{experiment.id}"
            results = results_of(session, experiment, over_time=False)
            primary = next((r for r in results.results if r.role == "primary"), None)
            if primary is not None and primary.lift is not None:
                state = (
                    f"{primary.metric}: lift {primary.lift:+.3g}, {'significant' if primary.significant else 'not significant'}"
                )
            else:
                state = f"{experiment.status.value}; no result yet"
    elif link.kind is LinkKind.ACTION:
        action = session.get(ImprovementAction, link.target_id)
        if action is not None:
            title, url, state = action.title, f"/actions/{action.id}", action.status.value
    else:
        dependency = session.get(Dependency, link.target_id)
        if dependency is not None:
            title, url = dependency.title, f"/dependencies/{dependency.id}"
            state = f"{dependency.state.label}; needed by {dependency.needed_by.isoformat()}"
    return LinkRead(id=link.id, kind=link.kind, target_id=link.target_id, title=title, url=url, state=state)


def key_result_detail(session: Session, row: KeyResult, *, today: date) -> KeyResultDetail:
    """A key result with its values, its linked work (forecast dates, results) and its confidence."""
    measured = measure(session, row, today=today)
    base = key_result_read(session, row, today=today, measured=measured)
    if measured.status is KeyResultStatus.NOT_ENOUGH:
        confidence = f"No verdict yet: {measured.detail}."
    elif row.source is SourceKind.EXPERIMENT:
        confidence = f"{measured.status.label}: from the experiment's own analysis ({measured.detail})."
    else:
        confidence = f"{measured.status.label}. {RATES_SENTENCE}"
    return KeyResultDetail(
        **base.model_dump(),
        points=[PointRead(on=on, value=value) for on, value in measured.points],
        period_start=row.objective.starts_on,
        period_end=row.objective.ends_on,
        links=[_link_read(session, link) for link in sorted(row.links, key=lambda item: item.id)],
        confidence=confidence,
    )


def today_for(session: Session, objective: Objective, now_date: date) -> date:
    """The day to measure an objective on: its team's today, or the given (UTC) day for a group."""
    team = session.get(Team, objective.team_id) if objective.team_id is not None else None
    return today_in(team) if team is not None else now_date
