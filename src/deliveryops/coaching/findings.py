"""The inputs of the coaching rules (TeamEvidence) and what they return (Finding): plain data, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

__all__ = [
    "ActionEffect",
    "BlockedGroup",
    "DoraSignals",
    "EvidenceLink",
    "Finding",
    "ForecastLevel",
    "HealthStreak",
    "ItemAge",
    "OverdueImpediment",
    "Severity",
    "TeamEvidence",
]

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class EvidenceLink:
    """One number behind a finding, and where to see it."""

    label: str
    value: str
    link: str | None = None


@dataclass(frozen=True)
class Finding:
    """What a rule found.

    Attributes:
        kind: the rule's kind (stable; counts by kind roll up across teams).
        subject: what it is about within the kind: "team", "action:12", "reason:<text>", "card:<key>".
        severity: info, warning or critical.
        title: one line.
        observed: what was observed, with numbers and the period.
        evidence: the numbers behind it, each with a link.
        why: why it matters.
        practice: the key of the suggested practice (see practices.py).
        magnitude: how bad, in the rule's own unit (used to tell "materially worse" after a dismissal).
        target_metric: the improvement-action metric that would show an effect (TargetMetric value), if any.
        action_title: a suggested title when the finding is turned into an improvement action.
    """

    kind: str
    subject: str
    severity: Severity
    title: str
    observed: str
    evidence: tuple[EvidenceLink, ...]
    why: str
    practice: str
    magnitude: float
    target_metric: str | None = None
    action_title: str = ""

    def payload(self) -> dict[str, Any]:
        """JSON-ready form for storage."""
        return {
            "title": self.title,
            "observed": self.observed,
            "why": self.why,
            "practice": self.practice,
            "evidence": [{"label": e.label, "value": e.value, "link": e.link} for e in self.evidence],
            "target_metric": self.target_metric,
            "action_title": self.action_title,
        }


@dataclass(frozen=True)
class ItemAge:
    """An item in progress and its age."""

    key: str
    title: str
    age_days: int


@dataclass(frozen=True)
class BlockedGroup:
    """Blocked time of one cause (a reason or another team) over the period."""

    label: str
    blocked_days: float
    items: int


@dataclass(frozen=True)
class OverdueImpediment:
    """An open impediment past the service level of its level."""

    id: int
    title: str
    severity: str
    level: str
    working_days: int
    allowed_days: int


@dataclass(frozen=True)
class ActionEffect:
    """An improvement action with a target metric and its measured verdict."""

    id: int
    title: str
    metric_label: str
    started_on: date
    weeks_after: int
    outcome: str  # improved, worsened, no_change, not_enough_evidence, measuring (deliveryops.analytics.verdicts)
    explanation: str
    final: bool = False  # the verdict is frozen (made at its look), not provisional


@dataclass(frozen=True)
class ForecastLevel:
    """How often the team's forecasts at one percentile level held."""

    level: int
    scored: int
    held: int


@dataclass(frozen=True)
class HealthStreak:
    """A health-check card red in consecutive rounds up to the latest."""

    card_key: str
    card_title: str
    red_rounds: int


@dataclass(frozen=True)
class DoraSignals:
    """The team's DORA keys over the period (bands are "elite", "high", "medium", "low" or None)."""

    deployment_days_per_week: float | None
    deployment_frequency_band: str | None
    lead_time_hours: float | None
    lead_time_band: str | None
    change_failure_rate: float | None
    change_failure_rate_band: str | None
    deployments: int = 0


@dataclass(frozen=True)
class TeamEvidence:
    """Analytics results about one team that the rules read.

    The period is the 90 days ending yesterday-or-today (``period_start`` .. ``period_end``);
    weekly series are complete ISO weeks, oldest first, labelled by their Monday.
    """

    team_slug: str
    today: date
    period_start: date
    period_end: date
    wip_now: int = 0
    throughput_per_day: float = 0.0
    average_cycle_time_days: float | None = None
    sle_days: int | None = None
    wip_items: int = 0
    aging_over_sle: tuple[ItemAge, ...] = ()
    weekly_throughput: tuple[tuple[date, float], ...] = ()
    weekly_cycle_time_p85: tuple[tuple[date, float], ...] = ()
    flow_efficiency: float | None = None
    blocked_total_days: float = 0.0
    blocked_by_reason: tuple[BlockedGroup, ...] = ()
    blocked_by_team: tuple[BlockedGroup, ...] = ()
    overdue_impediments: tuple[OverdueImpediment, ...] = ()
    actions: tuple[ActionEffect, ...] = ()
    forecast_levels: tuple[ForecastLevel, ...] = ()
    retros_finished: int = 0
    retro_actions: int = 0
    health_streaks: tuple[HealthStreak, ...] = ()
    dora: DoraSignals | None = None
    notes: tuple[str, ...] = field(default=())  # what could not be gathered (e.g. "DORA not available")
