"""The chance that the provider delivers an accepted dependency in time, stored per dependency and kept fresh.

For a dependency accepted by (or missed by) a provider *team*, the work it waits for is the provider's unfinished
linked items (its ``provider_keys``; one item when none is linked or a key is not in the team's data yet) plus the
items ahead of them in the team's order: the team's other items already in progress, which the team finishes
first. The chance is the provider's own Monte Carlo "when" forecast for that many items
(:func:`deliveryops.analytics.dependency_chance.chance_of_delivery`, the team's daily throughput over the last
90 complete days, 10,000 trials), read at the needed-by date and at the committed date. Below the requester's
threshold (default 70%) the dependency is *at risk*.

A stored chance carries the version of its inputs (the provider's data version, the dependency's dates, state and
keys, and the day); a reader whose version differs computes it again, and the job
``dependencies.refresh_risk`` does so for every open dependency when data changes, so pages read stored numbers.
Functions outside engineering have no flow data, so their dependencies get no chance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.analytics import forecast as mc
from deliveryops.analytics.dependency_chance import DEFAULT_THRESHOLD, WINDOW_DAYS, chance_of_delivery
from deliveryops.analytics.flow import throughput
from deliveryops.db import utcnow
from deliveryops.dependencies import service
from deliveryops.dependencies.models import Dependency, DependencyRisk, DependencyState
from deliveryops.dependencies.schemas import ChanceRead, ThresholdUpdate, split_keys
from deliveryops.errors import PermissionDeniedError
from deliveryops.flow.timeline import counted_timeline, team_timeline
from deliveryops.impediments import service as impediments
from deliveryops.impediments.models import Category, Level, Severity
from deliveryops.teams.models import Team
from deliveryops.work.models import WorkItem

__all__ = [
    "FORECAST_STATES",
    "ChanceRead",  # kept in dependencies.schemas; named here too for the pages that read it as risk.ChanceRead
    "at_risk",
    "chance_reads",
    "compute",
    "ensure",
    "escalate_at_risk",
    "refresh_all",
    "set_threshold",
    "visible_open",
]

FORECAST_STATES = (DependencyState.ACCEPTED, DependencyState.MISSED)


@dataclass(frozen=True)
class _Work:
    linked: int
    ahead: int
    window: list[int]
    today: date
    basis: str


def _version(dependency: Dependency, team: Team | None, today: date) -> str:
    parts = (
        dependency.state.value,
        dependency.needed_by,
        dependency.committed_on,
        dependency.provider_keys,
        team.id if team else None,
        team.data_version if team else None,
        today,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def _work(session: Session, dependency: Dependency, team: Team, today: date) -> _Work:
    timeline = counted_timeline(session, team)
    end = today - timedelta(days=1)
    daily = throughput(timeline, start=end - timedelta(days=WINDOW_DAYS - 1), end=end, freq="day")
    window = [int(v) for v in daily["finished"].to_list()]
    everything = team_timeline(session, team)
    closed = pl.col("finished_at").is_not_null() | pl.col("discarded_at").is_not_null()
    done = set(everything.filter(closed)["key"].to_list())
    keys = split_keys(dependency.provider_keys)
    linked = len([key for key in keys if key not in done]) if keys else 1
    in_progress = set(timeline.filter(pl.col("started_at").is_not_null() & ~closed)["key"].to_list())
    ahead = len(in_progress - set(keys))
    if not keys:
        what = "the dependency counted as one item (no provider item linked)"
    elif linked == 0:
        what = f"all {len(keys)} linked item{'s' if len(keys) != 1 else ''} finished"
    else:
        what = f"{linked} unfinished linked item{'s' if linked != 1 else ''} of {len(keys)}"
    basis = (
        f"{team.name}'s Monte Carlo forecast: {what}, after {ahead} item{'s' if ahead != 1 else ''} in progress ahead; "
        f"throughput of the last {WINDOW_DAYS} days ({sum(window)} items finished), 10,000 trials."
    )
    return _Work(linked=linked, ahead=ahead, window=window, today=today, basis=basis)


def _row(session: Session, dependency: Dependency) -> DependencyRisk:
    row = session.scalar(select(DependencyRisk).where(DependencyRisk.dependency_id == dependency.id))
    if row is None:
        row = DependencyRisk(dependency_id=dependency.id, threshold=DEFAULT_THRESHOLD, ahead_items=0, basis="")
        row.inputs_version = ""
        session.add(row)
    return row


def compute(session: Session, dependency: Dependency, *, today: date | None = None, seed: int | None = None) -> DependencyRisk:
    """Compute (again) and store the dependency's chance of delivery; returns its row."""
    team = session.get(Team, dependency.provider_team_id) if dependency.provider_team_id else None
    today = today or utcnow().date()
    row = _row(session, dependency)
    row.inputs_version = _version(dependency, team, today)
    row.computed_at = utcnow()
    row.chance_needed = row.chance_committed = row.remaining_items = row.seed = None
    row.ahead_items = 0
    if dependency.state not in FORECAST_STATES:
        row.basis = "Only accepted dependencies get a chance of delivery."
        return row
    if team is None:
        row.basis = "A function outside engineering has no flow data to forecast from."
        return row
    work = _work(session, dependency, team, today)
    row.seed = seed if seed is not None else mc.new_seed()
    dates = [dependency.needed_by, *([dependency.committed_on] if dependency.committed_on else [])]
    remaining = work.linked + work.ahead if work.linked else 0
    chance = chance_of_delivery(work.window, remaining_items=remaining, start_date=today, dates=dates, seed=row.seed)
    row.remaining_items = chance.remaining_items
    row.ahead_items = work.ahead if work.linked else 0
    row.basis = (
        work.basis if chance.status != "no_throughput" else f"{team.name} finished no items in the last {WINDOW_DAYS} days."
    )
    row.chance_needed = chance.by_date[dependency.needed_by]
    row.chance_committed = chance.by_date[dependency.committed_on] if dependency.committed_on else None
    return row


def _stale(session: Session, dependency: Dependency, row: DependencyRisk | None, today: date) -> bool:
    team = session.get(Team, dependency.provider_team_id) if dependency.provider_team_id else None
    return row is None or row.inputs_version != _version(dependency, team, today)


def ensure(session: Session, dependencies: list[Dependency], *, today: date | None = None) -> dict[int, DependencyRisk]:
    """The stored chances of ``dependencies``, computed again where the inputs changed (the job usually did)."""
    today = today or utcnow().date()
    ids = [d.id for d in dependencies]
    rows = {r.dependency_id: r for r in session.scalars(select(DependencyRisk).where(DependencyRisk.dependency_id.in_(ids)))}
    for dependency in dependencies:
        if dependency.state in FORECAST_STATES and _stale(session, dependency, rows.get(dependency.id), today):
            rows[dependency.id] = compute(session, dependency, today=today)
    session.flush()
    return rows


def refresh_all(session: Session, *, today: date | None = None) -> int:
    """Compute again every accepted or missed dependency whose inputs changed; returns how many were computed."""
    today = today or utcnow().date()
    open_ones = list(session.scalars(select(Dependency).where(Dependency.state.in_(FORECAST_STATES))))
    rows = {r.dependency_id: r for r in session.scalars(select(DependencyRisk))}
    computed = 0
    for dependency in open_ones:
        if _stale(session, dependency, rows.get(dependency.id), today):
            compute(session, dependency, today=today)
            computed += 1
    session.flush()
    return computed


def _is_at_risk(dependency: Dependency, row: DependencyRisk | None) -> bool:
    return (
        dependency.state in FORECAST_STATES
        and row is not None
        and row.chance_needed is not None
        and row.chance_needed * 100 < row.threshold
    )


def chance_reads(session: Session, dependencies: list[Dependency], *, today: date | None = None) -> list[ChanceRead]:
    """The dependencies with their (fresh) chances, in the order given."""
    today = today or utcnow().date()
    rows = ensure(session, dependencies, today=today)
    reads = service.reads(session, dependencies, today=today)
    out = []
    for dependency, read in zip(dependencies, reads, strict=True):
        row = rows.get(dependency.id)
        out.append(
            ChanceRead(
                dependency=read,
                threshold=row.threshold if row else DEFAULT_THRESHOLD,
                chance_needed=row.chance_needed if row and dependency.state in FORECAST_STATES else None,
                chance_committed=row.chance_committed if row and dependency.state in FORECAST_STATES else None,
                at_risk=_is_at_risk(dependency, row),
                remaining_items=row.remaining_items if row else None,
                ahead_items=row.ahead_items if row else 0,
                basis=row.basis if row else "Only accepted dependencies get a chance of delivery.",
                computed_at=row.computed_at if row else None,
            )
        )
    return out


def visible_open(session: Session, actor: User | None, *, team_ids: set[int] | None = None) -> list[Dependency]:
    """Accepted and missed dependencies the actor may see (requested by or from ``team_ids``), soonest first."""
    statement = select(Dependency).where(Dependency.state.in_(FORECAST_STATES)).order_by(Dependency.needed_by, Dependency.id)
    candidates = [d for d in session.scalars(statement) if actor is None or service.can_see(session, actor, d)]
    if team_ids is not None:
        candidates = [d for d in candidates if {d.requester_team_id, d.provider_team_id} & team_ids]
    return candidates


def at_risk(
    session: Session, *, actor: User | None, team_ids: set[int] | None = None, today: date | None = None
) -> list[ChanceRead]:
    """The accepted dependencies the actor may see whose chance is below their threshold, lowest chance first.

    ``team_ids`` keeps those requested by or from these teams.
    """
    candidates = visible_open(session, actor, team_ids=team_ids)
    reads = [r for r in chance_reads(session, candidates, today=today) if r.at_risk]
    return sorted(reads, key=lambda r: (r.chance_needed or 0.0, r.dependency.needed_by))


def set_threshold(*, session: Session, actor: User | None, dependency_id: int, body: ThresholdUpdate) -> DependencyRisk:
    """The requester's side (delivery managers of the requesting team, Product Ops, admins) sets the threshold."""
    dependency = service.get_or_raise(session=session, actor=actor, dependency_id=dependency_id)
    if not service.acts_for_requester(session, actor, dependency):
        raise PermissionDeniedError("Only the requesting team's delivery managers, Product Ops and admins set the threshold.")
    row = _row(session, dependency)
    row.threshold = body.threshold
    session.flush()
    return row


CATEGORY = "Dependency on another team"


def _needed_text(dependency: Dependency, provider: str, row: DependencyRisk | None) -> str:
    chance = (
        f" (chance of delivery by then {round(row.chance_needed * 100)}%, threshold {row.threshold}%)"
        if row is not None and row.chance_needed is not None
        else ""
    )
    return f"{provider} delivers {dependency.title!r} by {dependency.needed_by.isoformat()}{chance}."


def escalate_at_risk(session: Session, *, today: date | None = None, now: datetime | None = None) -> int:
    """Raise an impediment for each open dependency that became overdue or at risk, at Product Ops' level.

    The impediment is the requesting team's (it is the one held up); dependencies cross teams or leave
    engineering, so it climbs the ladder straight to Product Ops, saying what is needed from the provider.
    Each dependency raises one impediment, ever (remembered on its risk row). Returns how many were raised.
    """
    today = today or utcnow().date()
    rows = {r.dependency_id: r for r in session.scalars(select(DependencyRisk))}
    category = session.scalar(select(Category.id).where(Category.name == CATEGORY))
    raised = 0
    for dependency in session.scalars(select(Dependency).order_by(Dependency.id)):
        row = rows.get(dependency.id)
        if not dependency.state.is_open or (row is not None and row.impediment_id is not None):
            continue
        overdue = service.is_overdue(dependency, today)
        if not overdue and not _is_at_risk(dependency, row):
            continue
        read = service.reads(session, [dependency], today=today)[0]
        keys = split_keys(dependency.requester_keys)
        known = set(
            session.scalars(
                select(WorkItem.external_key).where(
                    WorkItem.team_id == dependency.requester_team_id, WorkItem.external_key.in_(keys)
                )
            )
        )
        why = "overdue" if overdue else "at risk"
        impediment = impediments.raise_(
            session=session,
            actor=None,
            team_id=dependency.requester_team_id,
            title=f"Waiting on {read.provider}: {dependency.title}"[:200],
            description=f"Dependency {dependency.id} is {why}. {dependency.why}".strip(),
            category_id=category,
            severity=Severity.HIGH if overdue else Severity.MEDIUM,
            needed_by=dependency.needed_by,
            work_item_keys=[key for key in keys if key in known],
            now=now,
        )
        tried = f"Requested from {read.provider}; the dependency is {dependency.state.value} and {why}."
        while impediment.level is not Level.PRODUCT_OPS:
            impediments.escalate(
                session=session,
                actor=None,
                impediment_id=impediment.id,
                tried=tried,
                needed=_needed_text(dependency, read.provider, row),
                now=now,
            )
        if row is None:
            row = _row(session, dependency)
        row.impediment_id = impediment.id
        raised += 1
    session.flush()
    return raised
