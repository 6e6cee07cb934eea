"""Read the other capabilities the cockpit shows (DORA, health, experiments, adoption, coaching).

The portfolio, the leadership pack and the digests read DORA keys, health-check trends, experiments,
tool and practice adoption changes and coaching insights through these readers, which turn each
capability's own result types (:class:`~deliveryops.analytics.dora.DoraKeys`,
:class:`~deliveryops.health.service.RoundScore`, :class:`~deliveryops.experiments.portfolio.ExperimentPortfolio`,
:class:`~deliveryops.experiments.models.Experiment`, :class:`~deliveryops.cockpit.adoption.service.AdoptionChange`,
:class:`~deliveryops.coaching.service.TeamInsights`) into the small rows the cockpit renders.
Every capability is part of this package, so the readers always return data (never None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.analytics.dora import Band
from deliveryops.analytics.forecast import CalibrationReport, ForecastOutcome
from deliveryops.analytics.forecast import calibration as forecast_calibration
from deliveryops.coaching.service import list_insights
from deliveryops.cockpit.adoption.service import changes
from deliveryops.dora.service import team_keys
from deliveryops.experiments.models import Experiment
from deliveryops.experiments.service import portfolio
from deliveryops.flow.models import Forecast
from deliveryops.flow.service import outcome_of, today_in
from deliveryops.health.service import team_trend
from deliveryops.teams.models import Team

__all__ = [
    "AdoptionChangeRow",
    "ConcludedExperiment",
    "DoraCell",
    "HealthPoint",
    "InsightRow",
    "adoption_changes",
    "calibrations",
    "coaching_insights",
    "concluded_experiments",
    "dora_keys",
    "experiments_running",
    "health_trend",
]

DORA_KEYS = (
    ("deployment_frequency_band", "Deployment frequency", "deployment-frequency"),
    ("lead_time_band", "Lead time for changes", "lead-time"),
    ("change_failure_rate_band", "Change failure rate", "change-failure-rate"),
    ("recovery_band", "Recovery time", "recovery-time"),
)


def _band(band: Band | None) -> str | None:
    return None if band is None else band.value


def _float(value: float | None) -> float | None:
    # A median of whole numbers (deployment days per week) can be an int: the cells always hold floats.
    return None if value is None else float(value)


@dataclass(frozen=True)
class DoraCell:
    """A team's four DORA keys and bands over a period."""

    bands: dict[str, str | None]  # key of DORA_KEYS -> "elite" / "high" / "medium" / "low" / None
    deployment_days_per_week: float | None
    lead_time_hours: float | None
    change_failure_rate: float | None
    recovery_hours: float | None
    deployments: int


def calibrations(session: Session, teams: Sequence[Team], *, now: datetime) -> dict[int, CalibrationReport]:
    """Each team's forecast calibration, as :func:`deliveryops.flow.service.calibration` gives it, in one query."""
    outcomes: dict[int, list[ForecastOutcome]] = {team.id: [] for team in teams}
    rows = session.scalars(
        select(Forecast)
        .where(Forecast.team_id.in_(list(outcomes)), Forecast.kind.in_(["when", "how_many"]), Forecast.commitment.is_not(None))
        .order_by(Forecast.id)
    )
    for row in rows:
        outcomes[row.team_id].append(outcome_of(row))
    return {team.id: forecast_calibration(outcomes[team.id], as_of=today_in(team, now)) for team in teams}


def dora_keys(session: Session, *, team_id: int, start: date, end: date) -> DoraCell:
    """The team's DORA keys over ``[start, end]``."""
    keys = team_keys(session, team_id=team_id, start=start, end=end)
    bands = {
        "deployment_frequency_band": _band(keys.deployment_frequency_band),  # the keys of DORA_KEYS, in order
        "lead_time_band": _band(keys.lead_time_band),
        "change_failure_rate_band": _band(keys.change_failure_rate_band),
        "recovery_band": _band(keys.recovery_band),
    }
    return DoraCell(
        bands=bands,
        deployment_days_per_week=_float(keys.deployment_days_per_week),
        lead_time_hours=_float(keys.lead_time_hours),
        change_failure_rate=_float(keys.change_failure_rate),
        recovery_hours=_float(keys.recovery_hours),
        deployments=keys.deployments,
    )


@dataclass(frozen=True)
class HealthPoint:
    """One health-check round's team score (0..1)."""

    round_id: int
    closed_at: datetime | date | None
    score: float
    respondents: int


def health_trend(session: Session, *, team_id: int) -> list[HealthPoint]:
    """The team's health-check scores (closed rounds with enough respondents), oldest first."""
    points = [
        HealthPoint(round_id=p.round_id, closed_at=p.closed_at, score=float(p.score), respondents=p.respondents)
        for p in team_trend(session, team_id=team_id)
    ]
    return sorted(points, key=lambda p: (str(p.closed_at), p.round_id))


def experiments_running(session: Session, *, team_ids: list[int]) -> dict[int, int]:
    """Experiments running per team (0 for a team without experiments)."""
    running = dict.fromkeys(team_ids, 0)
    for row in portfolio(session, team_ids=team_ids).rows:
        if row.team_id in running:
            running[row.team_id] = row.running
    return running


@dataclass(frozen=True)
class ConcludedExperiment:
    """An experiment that ended in a period, with its decision and learnings."""

    title: str
    team_id: int | None
    ended_at: datetime | None
    decision: str
    rationale: str
    learnings: str


def concluded_experiments(session: Session, *, team_ids: list[int], start: datetime, end: datetime) -> list[ConcludedExperiment]:
    """Experiments of ``team_ids`` that ended in ``[start, end)``, by end."""
    statement = (
        select(Experiment)
        .where(
            Experiment.ended_at.is_not(None),
            Experiment.ended_at >= start,
            Experiment.ended_at < end,
            Experiment.team_id.in_(team_ids),
        )
        .order_by(Experiment.ended_at)
    )
    return [
        ConcludedExperiment(
            title=row.title or f"Experiment {row.id}",
            team_id=row.team_id,
            ended_at=row.ended_at,
            decision=row.decision.value if row.decision is not None else "",
            rationale=row.rationale or "",
            learnings=row.learnings or "",
        )
        for row in session.scalars(statement)
    ]


@dataclass(frozen=True)
class AdoptionChangeRow:
    """A team's tool or practice moving from one adoption state to another."""

    team_id: int
    team_name: str
    entry_name: str
    from_state: str | None
    to_state: str
    at: datetime


def adoption_changes(session: Session, *, team_ids: list[int], start: datetime, end: datetime) -> list[AdoptionChangeRow]:
    """Adoption changes of ``team_ids`` with ``start <= at < end``, oldest first."""
    return [
        AdoptionChangeRow(
            team_id=c.team_id,
            team_name=c.team_name,
            entry_name=c.entry_name,
            from_state=c.from_state.value if c.from_state is not None else None,
            to_state=c.to_state.value,
            at=c.at,
        )
        for c in changes(session, team_ids=team_ids, start=start, end=end)
    ]


@dataclass(frozen=True)
class InsightRow:
    """An open coaching insight of a team."""

    team_id: int
    title: str
    created_at: datetime | None


def coaching_insights(session: Session, *, team_ids: list[int], now: datetime | None = None) -> list[InsightRow]:
    """Open (not dismissed) coaching insights of ``team_ids``, team by team.

    ``deliveryops.coaching.service.list_insights`` recomputes a team's insights first when its data changed.
    An insight's title is its finding's ``title`` (its subject when the payload has none).
    """
    rows: list[InsightRow] = []
    for team_id in team_ids:
        for insight in list_insights(session=session, actor=None, team_id=team_id, now=now).active:
            rows.append(
                InsightRow(
                    team_id=team_id, title=str(insight.payload.get("title") or insight.subject), created_at=insight.first_seen_at
                )
            )
    return rows
