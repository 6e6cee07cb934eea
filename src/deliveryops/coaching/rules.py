"""The coaching rules: each a small pure function from a team's evidence to zero or more findings.

Thresholds are module constants, documented with their reasoning in docs/coaching.md. Rules never
touch the database; :mod:`deliveryops.coaching.evidence` gathers what they read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from statistics import fmean

from deliveryops.analytics.calibration import CalibrationOutcome, judge_level
from deliveryops.analytics.xmr import Side, SignalRule, XmRChart, xmr_chart
from deliveryops.coaching.findings import EvidenceLink, Finding, Severity, TeamEvidence

__all__ = [
    "KINDS",
    "RULES",
    "Rule",
    "action_without_effect",
    "aging_past_sle",
    "blocked_by_other_team",
    "blocked_reason_concentrated",
    "cycle_time_shift",
    "evaluate",
    "forecast_calibration",
    "forecasts_overconfident",
    "health_red_with_metric",
    "impediments_overdue",
    "retros_without_actions",
    "throughput_falling",
    "wip_above_littles_law",
]

WIP_RATIO = 1.3  # WIP at least this many times what Little's Law needs ...
WIP_EXCESS_ITEMS = 3  # ... and at least this many items more
WIP_CRITICAL_RATIO = 2.0
AGING_MIN_ITEMS = 2  # items older than the SLE before it is worth a conversation
AGING_CRITICAL_ITEMS = 5
AGING_CRITICAL_SHARE = 0.5
SHIFT_RECENT_WEEKS = 8  # weeks evaluated against the limits of the weeks before
SHIFT_MIN_BASELINE = 8
SHIFT_MAX_BASELINE = 18
BLOCKED_MIN_DAYS = 5.0
BLOCKED_MIN_ITEMS = 2  # one long-blocked item is an anecdote, not a pattern
BLOCKED_REASON_SHARE = 0.4
BLOCKED_TEAM_SHARE = 0.3
BLOCKED_CRITICAL_SHARE = 0.6
BLOCKED_CRITICAL_DAYS = 20.0
HEALTH_MIN_RED_ROUNDS = 2
LOW_FLOW_EFFICIENCY = 0.3
ACTION_MIN_WEEKS = 8  # weeks after an action before "no effect" is worth saying
FORECAST_LEVEL = 85
FORECAST_MIN_SCORED = 5
FORECAST_MIN_HIT_RATE = 0.7  # 85% forecasts that held less than 70% of the time
FORECAST_CRITICAL_HIT_RATE = 0.5
# The calibration rule speaks only on the verdict of analytics.calibration (its whole 95% Wilson interval
# outside the calibrated band), whose error rate is measured and published beside its definition.
RETRO_MIN_FINISHED = 2


def _flow(evidence: TeamEvidence, anchor: str = "") -> str:
    return f"/teams/{evidence.team_slug}/flow" + (f"#{anchor}" if anchor else "")


def _period(evidence: TeamEvidence) -> str:
    return f"{evidence.period_start.isoformat()} to {evidence.period_end.isoformat()}"


def _days(value: float) -> str:
    return f"{value:.1f} day" if round(value, 1) == 1 else f"{value:.1f} days"


def wip_above_littles_law(evidence: TeamEvidence) -> list[Finding]:
    """WIP far above what Little's Law needs for the period's throughput and average cycle time.

    Needed WIP = throughput per day × (average cycle time − 1), the form of Little's Law that matches
    end-of-day WIP and cycle time counted in calendar days including both ends (see flow_littles).
    """
    if evidence.average_cycle_time_days is None or evidence.throughput_per_day <= 0:
        return []
    needed = evidence.throughput_per_day * max(evidence.average_cycle_time_days - 1, 1.0)
    wip = evidence.wip_now
    if wip < WIP_RATIO * needed or wip - needed < WIP_EXCESS_ITEMS:
        return []
    ratio = wip / needed
    severity: Severity = "critical" if ratio >= WIP_CRITICAL_RATIO else "warning"
    return [
        Finding(
            kind="wip_above_littles_law",
            subject="team",
            severity=severity,
            title=f"WIP is {ratio:.1f}× what the team's throughput needs",
            observed=(
                f"{wip} items are in progress today, while Little's Law needs about {needed:.1f} for the "
                f"throughput of {evidence.throughput_per_day:.2f} items/day and the average cycle time of "
                f"{evidence.average_cycle_time_days:.1f} days over {_period(evidence)}."
            ),
            evidence=(
                EvidenceLink("WIP today", str(wip), _flow(evidence, "wip")),
                EvidenceLink("Throughput", f"{evidence.throughput_per_day:.2f} items/day", _flow(evidence, "throughput")),
                EvidenceLink("Average cycle time", _days(evidence.average_cycle_time_days), _flow(evidence, "cycle-time")),
                EvidenceLink("Definition", "Little's Law check", "/definitions#wip"),
            ),
            why=(
                "More work in progress than the throughput can carry does not finish more: every item waits longer, "
                "so cycle time and the SLE will grow and forecasts will slip."
            ),
            practice="wip_limits",
            magnitude=round(ratio, 2),
            target_metric="wip",
            action_title=f"Limit WIP to {max(round(needed), 1)} items and finish before starting",
        )
    ]


def aging_past_sle(evidence: TeamEvidence) -> list[Finding]:
    """Items in progress older than the team's SLE (85th percentile cycle time)."""
    if evidence.sle_days is None or len(evidence.aging_over_sle) < AGING_MIN_ITEMS:
        return []
    count = len(evidence.aging_over_sle)
    share = count / evidence.wip_items if evidence.wip_items else 1.0
    critical = count >= AGING_CRITICAL_ITEMS and share >= AGING_CRITICAL_SHARE
    oldest = sorted(evidence.aging_over_sle, key=lambda item: (-item.age_days, item.key))
    listed = ", ".join(f"{item.key} ({item.age_days} days)" for item in oldest[:5])
    return [
        Finding(
            kind="aging_past_sle",
            subject="team",
            severity="critical" if critical else "warning",
            title=f"{count} items have aged past the {evidence.sle_days}-day SLE",
            observed=(
                f"On {evidence.today.isoformat()}, {count} of {evidence.wip_items} items in progress are older "
                f"than the SLE of {evidence.sle_days} days (85th percentile cycle time of the last 90 days); "
                f"oldest: {listed}."
            ),
            evidence=(
                EvidenceLink("Items older than the SLE", f"{count} of {evidence.wip_items}", _flow(evidence, "aging")),
                EvidenceLink("SLE", f"{evidence.sle_days} days", "/definitions#sle"),
                *(EvidenceLink(item.key, f"{item.age_days} days: {item.title}", _flow(evidence, "aging")) for item in oldest[:3]),
            ),
            why=(
                "An item past the SLE has already broken the team's promise, and old items keep getting older: "
                "the longer they wait, the less likely they finish soon."
            ),
            practice="swarming_aging",
            magnitude=float(count),
            target_metric="cycle_time_p85",
            action_title="Swarm on the oldest items in the daily meeting",
        )
    ]


@dataclass(frozen=True)
class _Shift:
    chart: XmRChart
    weeks: list[date]
    baseline_mean: float
    recent_mean: float
    signal_weeks: list[date]


def _shift(series: tuple[tuple[date, float], ...], side: Side) -> _Shift | None:
    points = list(series)[-(SHIFT_MAX_BASELINE + SHIFT_RECENT_WEEKS) :]
    if len(points) < SHIFT_MIN_BASELINE + SHIFT_RECENT_WEEKS:
        return None
    values = [value for _week, value in points]
    divider = len(points) - SHIFT_RECENT_WEEKS
    chart = xmr_chart(values, divider_index=divider)
    signals = [signal for signal in chart.signals if signal.side is side]
    outside = [signal for signal in signals if signal.rule is SignalRule.OUTSIDE_LIMITS]
    sustained = len(outside) >= 2 or any(signal.rule is not SignalRule.OUTSIDE_LIMITS for signal in signals)
    if not chart.enough_data or not sustained or chart.centre is None:
        return None
    indices = sorted({index for signal in signals for index in signal.indices})
    weeks = [week for week, _value in points]
    return _Shift(chart, weeks, chart.centre, fmean(values[divider:]), [weeks[i] for i in indices])


def _strong(chart: XmRChart, side: Side) -> bool:
    """A run of 8 on one side, or two or more points outside the limits: critical rather than a warning."""
    mine = [signal for signal in chart.signals if signal.side is side]
    return (
        any(signal.rule is SignalRule.EIGHT_ON_ONE_SIDE for signal in mine)
        or sum(signal.rule is SignalRule.OUTSIDE_LIMITS for signal in mine) >= 2
    )


def cycle_time_shift(evidence: TeamEvidence) -> list[Finding]:
    """A process-behaviour signal upwards in the weekly 85th percentile cycle time."""
    shift = _shift(evidence.weekly_cycle_time_p85, Side.ABOVE)
    if shift is None:
        return []
    chart = shift.chart
    assert chart.upper_limit is not None
    recent = shift.weeks[-SHIFT_RECENT_WEEKS:]
    return [
        Finding(
            kind="cycle_time_shift",
            subject="team",
            severity="critical" if _strong(chart, Side.ABOVE) else "warning",
            title="The 85th percentile cycle time has shifted up",
            observed=(
                f"Weekly 85th percentile cycle time averaged {shift.recent_mean:.1f} days in the "
                f"{SHIFT_RECENT_WEEKS} weeks from {recent[0].isoformat()} against {shift.baseline_mean:.1f} days in "
                f"the {chart.baseline_count} weeks before (upper limit {chart.upper_limit:.1f} days); signal in "
                f"{len(shift.signal_weeks)} week(s), first {shift.signal_weeks[0].isoformat()}."
            ),
            evidence=(
                EvidenceLink("Recent weeks' mean", _days(shift.recent_mean), _flow(evidence, "cycle-time")),
                EvidenceLink("Baseline mean", _days(shift.baseline_mean), _flow(evidence, "cycle-time")),
                EvidenceLink("Upper natural process limit", _days(chart.upper_limit), "/definitions#xmr-limits"),
            ),
            why=(
                "A signal on a process behaviour chart means something changed in how work flows, not routine "
                "variation: the SLE and forecasts built on the old behaviour are now too optimistic."
            ),
            practice="sle_daily_review",
            magnitude=round(shift.recent_mean / max(shift.baseline_mean, 0.1), 2),
            target_metric="cycle_time_p85",
            action_title="Review aging items against the SLE every day",
        )
    ]


def throughput_falling(evidence: TeamEvidence) -> list[Finding]:
    """A process-behaviour signal downwards in weekly throughput."""
    shift = _shift(evidence.weekly_throughput, Side.BELOW)
    if shift is None:
        return []
    chart = shift.chart
    recent = shift.weeks[-SHIFT_RECENT_WEEKS:]
    lower = f"{chart.lower_limit:.1f}" if chart.lower_limit is not None else "none (dropped below zero)"
    return [
        Finding(
            kind="throughput_falling",
            subject="team",
            severity="critical" if _strong(chart, Side.BELOW) else "warning",
            title="Throughput is falling",
            observed=(
                f"The team finished {shift.recent_mean:.1f} items per week in the {SHIFT_RECENT_WEEKS} weeks from "
                f"{recent[0].isoformat()} against {shift.baseline_mean:.1f} per week in the {chart.baseline_count} "
                f"weeks before (lower limit {lower}); signal in {len(shift.signal_weeks)} week(s), first "
                f"{shift.signal_weeks[0].isoformat()}."
            ),
            evidence=(
                EvidenceLink("Recent weekly throughput", f"{shift.recent_mean:.1f} items/week", _flow(evidence, "throughput")),
                EvidenceLink(
                    "Baseline weekly throughput", f"{shift.baseline_mean:.1f} items/week", _flow(evidence, "throughput")
                ),
                EvidenceLink("Definition", "signals", "/definitions#xmr-signals"),
            ),
            why=(
                "Fewer items finishing, beyond routine variation, pushes every forecast out and usually hides a "
                "cause: more WIP, larger items, or time lost to blockers."
            ),
            practice="small_batches",
            magnitude=round(shift.baseline_mean / max(shift.recent_mean, 0.1), 2),
            target_metric="throughput",
            action_title="Split work into smaller items and release them as they finish",
        )
    ]


def _concentration(evidence: TeamEvidence, *, by_team: bool) -> list[Finding]:
    groups = evidence.blocked_by_team if by_team else evidence.blocked_by_reason
    total = evidence.blocked_total_days
    if not groups or total <= 0:
        return []
    top = max(groups, key=lambda group: (group.blocked_days, group.label))
    share = top.blocked_days / total
    threshold = BLOCKED_TEAM_SHARE if by_team else BLOCKED_REASON_SHARE
    if top.blocked_days < BLOCKED_MIN_DAYS or top.items < BLOCKED_MIN_ITEMS or share < threshold:
        return []
    if not by_team and any(team.label.lower() in top.label.lower() for team in evidence.blocked_by_team):
        return []  # the cause is another team: blocked_by_other_team says it, with the dependency practice
    critical = share >= BLOCKED_CRITICAL_SHARE and top.blocked_days >= BLOCKED_CRITICAL_DAYS
    what = f"waiting on the {top.label} team" if by_team else f'"{top.label}"'
    return [
        Finding(
            kind="blocked_by_other_team" if by_team else "blocked_reason_concentrated",
            subject=f"{'team' if by_team else 'reason'}:{top.label}"[:200],
            severity="critical" if critical else "warning",
            title=(
                f"{share:.0%} of blocked time is waiting on the {top.label} team"
                if by_team
                else f"{share:.0%} of blocked time has one cause: {top.label}"
            ),
            observed=(
                f"{_days(top.blocked_days)} of {_days(total)} blocked ({share:.0%}) over {_period(evidence)} were "
                f"{what}, across {top.items} item(s)."
            ),
            evidence=(
                EvidenceLink(top.label, _days(top.blocked_days), _flow(evidence, "blockers")),
                EvidenceLink("All blocked time", _days(total), _flow(evidence, "blockers")),
                EvidenceLink("Definition", "blocked time", "/definitions#blocked-time"),
            ),
            why=(
                "When blocked time clusters on one cause, removing that one cause returns more flow than handling "
                "each blocker as it comes."
            ),
            practice="dependency_escalation" if by_team else "blocker_clustering",
            magnitude=round(top.blocked_days, 1),
            target_metric="blocked_days",
            action_title=(f"Agree how work crosses to the {top.label} team" if by_team else f'Remove the cause of "{top.label}"')[
                :200
            ],
        )
    ]


def blocked_reason_concentrated(evidence: TeamEvidence) -> list[Finding]:
    """Blocked time over the period concentrated in one reason."""
    return _concentration(evidence, by_team=False)


def blocked_by_other_team(evidence: TeamEvidence) -> list[Finding]:
    """Blocked time over the period concentrated on one other team."""
    return _concentration(evidence, by_team=True)


def impediments_overdue(evidence: TeamEvidence) -> list[Finding]:
    """Open impediments past the service level of their level."""
    overdue = evidence.overdue_impediments
    if not overdue:
        return []
    severe = any(item.severity in ("high", "critical") for item in overdue)
    worst = max(overdue, key=lambda item: (item.working_days - item.allowed_days, -item.id))
    return [
        Finding(
            kind="impediments_overdue",
            subject="team",
            severity="critical" if severe else "warning",
            title=f"{len(overdue)} impediment(s) past their service level",
            observed=(
                f"On {evidence.today.isoformat()}, {len(overdue)} open impediment(s) have stayed at their level "
                f'longer than allowed; the longest: "{worst.title}" {worst.working_days} working days at '
                f"{worst.level.replace('_', ' ')} level (allowed {worst.allowed_days})."
            ),
            evidence=tuple(
                EvidenceLink(
                    item.title,
                    f"{item.severity}, {item.working_days} of {item.allowed_days} working days at {item.level.replace('_', ' ')}",
                    f"/impediments/{item.id}",
                )
                for item in overdue[:5]
            ),
            why=(
                "An impediment that overstays its level is not being worked by someone who can remove it; "
                "escalating it is the cheapest way to get the team's time back."
            ),
            practice="impediment_escalation",
            magnitude=float(len(overdue)),
            target_metric="blocked_days",
            action_title="Review overdue impediments weekly and escalate them",
        )
    ]


def _metric_signal(evidence: TeamEvidence, card_key: str) -> tuple[str, str, str] | None:
    """The metric that confirms a red card: (label, value, link), or None when the data does not."""
    dora = evidence.dora
    slug = evidence.team_slug
    if card_key == "easy_to_release" and dora is not None:
        if dora.deployment_frequency_band in ("low", "medium"):
            per_week = dora.deployment_days_per_week or 0.0
            return (
                "Deployment frequency",
                f"{per_week:.1f} deployment days/week ({dora.deployment_frequency_band})",
                f"/teams/{slug}/dora",
            )
        if dora.lead_time_band in ("low", "medium"):
            return (
                "Lead time for changes",
                f"{(dora.lead_time_hours or 0) / 24:.1f} days ({dora.lead_time_band})",
                f"/teams/{slug}/dora",
            )
    if card_key == "tech_quality" and dora is not None and dora.change_failure_rate_band in ("low", "medium"):
        return (
            "Change failure rate",
            f"{(dora.change_failure_rate or 0):.0%} ({dora.change_failure_rate_band})",
            f"/teams/{slug}/dora",
        )
    if card_key == "speed":
        throughput = _shift(evidence.weekly_throughput, Side.BELOW)
        if throughput is not None:
            return (
                "Weekly throughput",
                f"{throughput.recent_mean:.1f} items/week, down from {throughput.baseline_mean:.1f}",
                _flow(evidence, "throughput"),
            )
        cycle = _shift(evidence.weekly_cycle_time_p85, Side.ABOVE)
        if cycle is not None:
            return (
                "85th percentile cycle time",
                f"{cycle.recent_mean:.1f} days, up from {cycle.baseline_mean:.1f}",
                _flow(evidence, "cycle-time"),
            )
    if card_key == "suitable_process":
        if evidence.flow_efficiency is not None and evidence.flow_efficiency < LOW_FLOW_EFFICIENCY:
            return ("Flow efficiency", f"{evidence.flow_efficiency:.0%}", _flow(evidence, "flow-efficiency"))
        if wip_above_littles_law(evidence):
            return ("WIP today", f"{evidence.wip_now} items", _flow(evidence, "wip"))
    return None


_DORA_TARGETS = {
    "Deployment frequency": "deployment_frequency",
    "Lead time for changes": "lead_time",
    "Change failure rate": "change_failure_rate",
}

_HEALTH_PRACTICE = {
    "easy_to_release": ("trunk_based", None),
    "tech_quality": ("trunk_based", None),
    "speed": ("small_batches", "throughput"),
    "suitable_process": ("wip_limits", "wip"),
}


def health_red_with_metric(evidence: TeamEvidence) -> list[Finding]:
    """A health-check card red in at least two rounds running, confirmed by a matching metric."""
    out: list[Finding] = []
    for streak in evidence.health_streaks:
        if streak.red_rounds < HEALTH_MIN_RED_ROUNDS:
            continue
        signal = _metric_signal(evidence, streak.card_key)
        if signal is None:
            continue
        label, value, link = signal
        practice, metric = _HEALTH_PRACTICE.get(streak.card_key, ("health_to_action", None))
        # A DORA key that confirms the card is the metric an action can be judged by.
        metric = _DORA_TARGETS.get(label, metric)
        out.append(
            Finding(
                kind="health_red_with_metric",
                subject=f"card:{streak.card_key}",
                severity="critical" if streak.red_rounds >= 3 else "warning",
                title=f'"{streak.card_title}" red {streak.red_rounds} rounds running, and the data agrees',
                observed=(
                    f'The team voted "{streak.card_title}" red in the last {streak.red_rounds} health-check rounds, '
                    f"and {label.lower()} confirms it: {value}."
                ),
                evidence=(
                    EvidenceLink(
                        f'Health card "{streak.card_title}"',
                        f"red {streak.red_rounds} rounds running",
                        f"/teams/{evidence.team_slug}/health",
                    ),
                    EvidenceLink(label, value, link),
                ),
                why=(
                    "When how the team feels and what the data shows agree, the problem is real and the team already "
                    "wants it fixed: a small experiment now has the best odds."
                ),
                practice=practice,
                magnitude=float(streak.red_rounds),
                target_metric=metric,
                action_title=f'One experiment to turn "{streak.card_title}" amber',
            )
        )
    return out


def action_without_effect(evidence: TeamEvidence) -> list[Finding]:
    """Improvement actions whose final verdict (the rule of ``deliveryops.analytics.verdicts``, with its measured
    error rates) is "worsened", "no change" or "not enough evidence". Provisional verdicts (still measuring, or
    waiting for the second look) never fire: a single week, or a spike, is not a verdict."""
    out: list[Finding] = []
    for action in evidence.actions:
        if not action.final or action.weeks_after < ACTION_MIN_WEEKS:
            continue
        if action.outcome == "worsened":
            severity: Severity = "warning"
            verb = "moved the wrong way"
        elif action.outcome == "no_change":
            severity = "info"
            verb = "made no measurable difference"
        elif action.outcome == "not_enough_evidence":
            severity = "info"
            verb = "cannot be judged from its data"
        else:
            continue
        out.append(
            Finding(
                kind="action_without_effect",
                subject=f"action:{action.id}",
                severity=severity,
                title=f'"{action.title}" {verb}',
                observed=(
                    f"{action.weeks_after} weeks after it started on {action.started_on.isoformat()}, "
                    f"{action.metric_label.lower()}: {action.explanation}"
                ),
                evidence=(
                    EvidenceLink(action.title, action.outcome.replace("_", " "), f"/actions/{action.id}"),
                    EvidenceLink("Definition", "improvement-action verdicts", "/definitions#action-verdicts"),
                ),
                why=(
                    "An action that does not move its metric costs the team's attention without return; keeping it "
                    "by habit blocks trying something that works."
                    if action.outcome != "not_enough_evidence"
                    else "When the data cannot tell, the team should decide by other evidence (what it observes, the "
                    "retro) or measure the action by a metric with more data, instead of assuming it worked."
                ),
                practice="action_follow_through",
                magnitude=float(action.weeks_after if severity == "info" else 100),
            )
        )
    return out


def forecast_calibration(evidence: TeamEvidence) -> list[Finding]:
    """Committed forecasts that are overconfident or too cautious, in either direction, at the 85% level.

    Speaks only when the calibration verdict does (the 95% Wilson interval of the hit rate wholly below
    or above the calibrated band, with at least 10 scored forecasts).
    """
    level = next((row for row in evidence.forecast_levels if row.level == FORECAST_LEVEL), None)
    if level is None or level.scored < FORECAST_MIN_SCORED:
        return []
    verdict = judge_level(level.level, level.scored, level.held)
    rate = level.held / level.scored
    evidence_links = (
        EvidenceLink("85% level held", f"{level.held} of {level.scored}", f"/teams/{evidence.team_slug}/forecasts#calibration"),
        EvidenceLink(
            "95% interval", f"{(verdict.low or 0):.0%} to {(verdict.high or 0):.0%}", "/definitions#forecast-calibration"
        ),
    )
    if verdict.outcome is CalibrationOutcome.OVERCONFIDENT:
        return [
            Finding(
                kind="forecasts_overconfident",
                subject="team",
                severity="critical" if rate < FORECAST_CRITICAL_HIT_RATE else "warning",
                title=f"85% forecasts held only {rate:.0%} of the time",
                observed=(
                    f"Of {level.scored} scored forecasts, the 85% level held {level.held} times ({rate:.0%}), "
                    f"far below the 85% it promises (95% interval {(verdict.low or 0):.0%} to {(verdict.high or 0):.0%})."
                ),
                evidence=evidence_links,
                why=(
                    "Stakeholders plan on the 85% date; when it fails this often, trust in every forecast goes, and "
                    "the throughput window no longer represents how the team works now."
                ),
                practice="forecast_window_review",
                magnitude=round(FORECAST_LEVEL / 100 - rate, 3),
            )
        ]
    if verdict.outcome is CalibrationOutcome.TOO_CAUTIOUS:
        return [
            Finding(
                kind="forecasts_too_cautious",
                subject="team",
                severity="info",
                title=f"85% forecasts held {rate:.0%} of the time: too cautious",
                observed=(
                    f"Of {level.scored} scored forecasts, the 85% level held {level.held} times ({rate:.0%}; 95% "
                    f"interval {(verdict.low or 0):.0%} to {(verdict.high or 0):.0%}), more than the 85% it promises."
                ),
                evidence=evidence_links,
                why=(
                    "Dates later than needed cost as much trust as missed ones: plans pad around them, and "
                    "stakeholders learn to discount the team's forecasts. The window may hold a slow period that "
                    "is over."
                ),
                practice="forecast_window_review",
                magnitude=round(rate - FORECAST_LEVEL / 100, 3),
            )
        ]
    return []


def forecasts_overconfident(evidence: TeamEvidence) -> list[Finding]:
    """Forecasts whose 85% level held far less than 85% of the time (one direction of :func:`forecast_calibration`)."""
    return [f for f in forecast_calibration(evidence) if f.kind == "forecasts_overconfident"]


def retros_without_actions(evidence: TeamEvidence) -> list[Finding]:
    """Retrospectives held over the period with no improvement action coming out of them."""
    if evidence.retros_finished < RETRO_MIN_FINISHED or evidence.retro_actions > 0:
        return []
    return [
        Finding(
            kind="retros_without_actions",
            subject="team",
            severity="info",
            title=f"{evidence.retros_finished} retrospectives, no improvement action",
            observed=(
                f"The team finished {evidence.retros_finished} retrospectives over {_period(evidence)} and recorded "
                f"no improvement action from a retro in that time."
            ),
            evidence=(
                EvidenceLink("Retrospectives finished", str(evidence.retros_finished), f"/teams/{evidence.team_slug}/retros"),
                EvidenceLink("Actions from retros", "0", f"/teams/{evidence.team_slug}/actions"),
            ),
            why="Retros that end without an action the team measures turn into complaint sessions and lose attendance.",
            practice="action_follow_through",
            magnitude=float(evidence.retros_finished),
        )
    ]


Rule = Callable[[TeamEvidence], list[Finding]]
RULES: tuple[Rule, ...] = (
    wip_above_littles_law,
    aging_past_sle,
    cycle_time_shift,
    throughput_falling,
    blocked_reason_concentrated,
    blocked_by_other_team,
    impediments_overdue,
    health_red_with_metric,
    action_without_effect,
    forecast_calibration,
    retros_without_actions,
)
KINDS: dict[str, str] = {  # kind -> the practice it suggests
    "wip_above_littles_law": "wip_limits",
    "aging_past_sle": "swarming_aging",
    "cycle_time_shift": "sle_daily_review",
    "throughput_falling": "small_batches",
    "blocked_reason_concentrated": "blocker_clustering",
    "blocked_by_other_team": "dependency_escalation",
    "impediments_overdue": "impediment_escalation",
    "health_red_with_metric": "health_to_action",
    "action_without_effect": "action_follow_through",
    "forecasts_overconfident": "forecast_window_review",
    "forecasts_too_cautious": "forecast_window_review",
    "retros_without_actions": "action_follow_through",
}
KIND_LABELS: dict[str, str] = {
    "wip_above_littles_law": "WIP above Little's Law",
    "aging_past_sle": "Items aging past the SLE",
    "cycle_time_shift": "Cycle time shifted up",
    "throughput_falling": "Throughput falling",
    "blocked_reason_concentrated": "Blocked time in one reason",
    "blocked_by_other_team": "Blocked by one other team",
    "impediments_overdue": "Impediments past service level",
    "health_red_with_metric": "Health card red, data agrees",
    "action_without_effect": "Action without measured effect",
    "forecasts_overconfident": "Forecasts overconfident",
    "forecasts_too_cautious": "Forecasts too cautious",
    "retros_without_actions": "Retros without actions",
}


def evaluate(evidence: TeamEvidence) -> list[Finding]:
    """Run every rule; findings in rule order."""
    return [finding for rule in RULES for finding in rule(evidence)]
