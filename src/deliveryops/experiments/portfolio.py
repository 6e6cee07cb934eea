"""The experiment portfolio: experiments by team and status, and how well practice is followed.

Definitions (docs/experiments.md, "Portfolio"):

- an experiment is *in the period* when it was created on or before ``end`` and had not ended before
  ``start`` (it ended on or after ``start``, or has not ended);
- *started* = it reached "running" (``started_at`` is set);
- *pre-registered share* = of the started experiments, those whose planned sample size was set before
  they started running;
- *decided share* = of the started experiments, those with a decision (ship, iterate or stop);
- *win rate* = of the decided experiments, those that shipped;
- *median duration* = median of (ended date − started date) in calendar days, over experiments that ran
  and ended; the ordinary median (mean of the two middle values for an even count).

A share is None when nothing is there to divide by, so "no data" never reads as 0%.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.experiments.models import Decision, Experiment, ExperimentStatus
from deliveryops.experiments.schemas import PortfolioFiguresRead, PortfolioRead, TeamPortfolioRead
from deliveryops.teams.models import Team

__all__ = ["ExperimentPortfolio", "PortfolioFigures", "TeamPortfolio", "portfolio"]


@dataclass(frozen=True)
class PortfolioFigures:
    """Counts and shares of a set of experiments (one team's, or the organisation's)."""

    total: int
    by_status: dict[str, int]
    running: int
    started: int
    decided: int
    shipped: int
    preregistered_share: float | None
    decided_share: float | None
    win_rate: float | None
    median_duration_days: float | None


@dataclass(frozen=True)
class TeamPortfolio(PortfolioFigures):
    """One team's row."""

    team_id: int = 0
    team_name: str = ""
    team_slug: str = ""


@dataclass(frozen=True)
class ExperimentPortfolio:
    """Per-team rows (teams with at least one experiment in the period, by name) and organisation totals."""

    rows: list[TeamPortfolio]
    totals: PortfolioFigures
    start: date | None = None
    end: date | None = None
    statuses: list[str] = field(default_factory=lambda: [s.value for s in ExperimentStatus])


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _preregistered(experiment: Experiment) -> bool:
    return (
        experiment.planned_sample_size is not None
        and experiment.sample_size_set_at is not None
        and experiment.started_at is not None
        and experiment.sample_size_set_at <= experiment.started_at
    )


def figures(experiments: Sequence[Experiment]) -> PortfolioFigures:
    """The portfolio figures of some experiments.

    Args:
        experiments: the experiments.

    Returns:
        Their counts and shares.
    """
    by_status = {s.value: 0 for s in ExperimentStatus}
    for experiment in experiments:
        by_status[experiment.status.value] += 1
    started = [e for e in experiments if e.started_at is not None]
    decided = [e for e in started if e.decision is not None]
    shipped = [e for e in decided if e.decision is Decision.SHIP]
    durations = [
        float((e.ended_at.date() - e.started_at.date()).days)
        for e in started
        if e.ended_at is not None and e.started_at is not None
    ]
    return PortfolioFigures(
        total=len(experiments),
        by_status=by_status,
        running=by_status[ExperimentStatus.RUNNING.value],
        started=len(started),
        decided=len(decided),
        shipped=len(shipped),
        preregistered_share=_share(sum(1 for e in started if _preregistered(e)), len(started)),
        decided_share=_share(len(decided), len(started)),
        win_rate=_share(len(shipped), len(decided)),
        median_duration_days=float(statistics.median(durations)) if durations else None,
    )


def _in_period(experiment: Experiment, start: date | None, end: date | None) -> bool:
    if end is not None and experiment.created_at.date() > end:
        return False
    ended: datetime | None = experiment.ended_at
    return not (start is not None and ended is not None and ended.date() < start)


def portfolio(
    session: Session, *, team_ids: Sequence[int] | None = None, start: date | None = None, end: date | None = None
) -> ExperimentPortfolio:
    """Experiments by team and status with the practice figures; feeds the Product Ops cockpit.

    The caller checks who may see it (product ops, leaders, admins; or a team's own people for its team).

    Args:
        session: the unit of work.
        team_ids: only these teams (None: every team).
        start: first day of the period (None: open).
        end: last day of the period (None: open).

    Returns:
        Per-team rows and the totals over all of them.
    """
    statement = select(Experiment, Team).join(Team, Team.id == Experiment.team_id).order_by(Team.name, Experiment.id)
    if team_ids is not None:
        statement = statement.where(Experiment.team_id.in_(list(team_ids)))
    by_team: dict[int, tuple[Team, list[Experiment]]] = {}
    everything: list[Experiment] = []
    for experiment, team in session.execute(statement):
        if not _in_period(experiment, start, end):
            continue
        by_team.setdefault(team.id, (team, []))[1].append(experiment)
        everything.append(experiment)
    rows = []
    for team, experiments in by_team.values():
        base = figures(experiments)
        rows.append(TeamPortfolio(**base.__dict__, team_id=team.id, team_name=team.name, team_slug=team.slug))
    return ExperimentPortfolio(rows=rows, totals=figures(everything), start=start, end=end)


def portfolio_read(result: ExperimentPortfolio) -> PortfolioRead:
    """The portfolio as the API's contract."""
    return PortfolioRead(
        start=result.start,
        end=result.end,
        rows=[TeamPortfolioRead.model_validate(dataclasses.asdict(r)) for r in result.rows],
        totals=PortfolioFiguresRead.model_validate(dataclasses.asdict(result.totals)),
    )
