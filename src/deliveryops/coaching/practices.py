"""The practice guide catalogue: each insight suggests one practice, with a short guide to start it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PRACTICES", "Practice", "practice"]


@dataclass(frozen=True)
class Practice:
    """A practice a delivery manager can introduce, with steps to start and a way to see it work."""

    key: str
    title: str
    summary: str
    steps: tuple[str, ...]
    measure: str


PRACTICES: dict[str, Practice] = {
    p.key: p
    for p in (
        Practice(
            "wip_limits",
            "Explicit WIP limits",
            "Agree a maximum number of items in progress, so the team finishes work before starting more.",
            (
                "Start from today's WIP and Little's Law: WIP ≈ throughput × cycle time; set the limit near what that needs.",
                "Write the limit on the board (per column or for the whole board) and make a breach visible.",
                "When the limit is reached, help finish or unblock an item instead of pulling a new one.",
                "Review the limit in the next retro with the WIP and cycle time charts.",
            ),
            "Average WIP falls and the 85th percentile cycle time follows within a few weeks.",
        ),
        Practice(
            "swarming_aging",
            "Swarm on aging items",
            "Treat an item that has outgrown the SLE as the team's first problem, not its owner's.",
            (
                "Sort the board by age in the daily meeting and start from the oldest item.",
                'Ask "what would it take to finish this today?" and pair or mob on it.',
                "Split what cannot be finished, and finish the part that can.",
            ),
            "Fewer items above the SLE on the aging chart.",
        ),
        Practice(
            "sle_daily_review",
            "SLE and a daily aging review",
            "Make the service level expectation (85% of items in N days) the team's promise and check ages against it daily.",
            (
                "Show the SLE on the aging chart and name it in refinement: items that look bigger get split.",
                "Flag items at half the SLE (amber) so that help arrives before they breach it.",
                "Look back at breaches in the retro: what made them grow?",
            ),
            "The 85th percentile cycle time returns inside its natural process limits.",
        ),
        Practice(
            "small_batches",
            "Small batches",
            "Split work so that each item can finish in a few days; smaller items flow and release more often.",
            (
                "In refinement, split any item the team expects to take more than half the SLE.",
                "Prefer vertical slices that can be released on their own.",
                "Release as soon as an item is done rather than in batches.",
            ),
            "Throughput per week rises and steadies; cycle time falls.",
        ),
        Practice(
            "trunk_based",
            "Trunk-based development and continuous delivery",
            "Merge small changes to the main branch daily and deploy automatically, so releasing is routine.",
            (
                "Keep branches under a day; hide unfinished work behind feature flags.",
                "Automate the path to production and deploy every merged change.",
                "Watch deployment frequency and lead time on the DORA page.",
            ),
            "Deployment frequency moves up a band; lead time for changes falls.",
        ),
        Practice(
            "blocker_clustering",
            "Blocker clustering",
            "Group blocked time by cause and remove the biggest cause, rather than each blocker as it comes.",
            (
                "Record a reason every time an item is flagged blocked.",
                "Once a month, total blocked days by reason (the blocker clusters on the flow page).",
                "Raise the top cause as an impediment and give it an owner and a date.",
            ),
            "Blocked days per week for that cause fall.",
        ),
        Practice(
            "dependency_escalation",
            "Dependency agreement and escalation",
            "When one other team blocks often, agree how work crosses between the teams and escalate what stays stuck.",
            (
                "Meet the other team's delivery manager with the blocked days and examples.",
                "Agree a service level for requests, a shared queue or an embedded contact.",
                "Escalate to Product Ops if it hits several teams.",
            ),
            "Blocked days caused by that team fall.",
        ),
        Practice(
            "impediment_escalation",
            "Impediment service levels",
            "Escalate an impediment when it overstays its level, so it reaches someone who can remove it.",
            (
                "Review overdue impediments weekly with the team.",
                "Escalate with what was tried and what is needed.",
                "Close with a note on what removed it.",
            ),
            "No impediment stays past its service level.",
        ),
        Practice(
            "health_to_action",
            "Turn health-check reds into experiments",
            "A card red two rounds running, confirmed by data, deserves one small experiment, not a discussion.",
            (
                "Show the card's trend next to the metric that matches it.",
                "Ask the team for one change they believe would turn it amber, and a date to look again.",
                "Record it as an improvement action with that metric as its target.",
            ),
            "The card and its metric move together at the next round.",
        ),
        Practice(
            "action_follow_through",
            "Retro action follow-through",
            "Every action aims at a metric and is looked at again: kept if it worked, changed or dropped if not.",
            (
                "Give each action a target metric and an expected direction.",
                "Open each retro with last time's actions and their process behaviour charts.",
                "Drop actions that show no effect after two months and try a different change.",
            ),
            "More actions end with a measured improvement.",
        ),
        Practice(
            "forecast_window_review",
            "Forecast window review",
            "When forecasts hold less (or far more) often than promised, the throughput window no longer represents the future.",
            (
                "Compare the window's throughput with the latest weeks: has the team or its work changed?",
                "Choose a window that starts after the change, or a longer one through a seasonal dip.",
                "Re-forecast regularly instead of holding a date from an old forecast.",
            ),
            "The 85% level holds about 85% of the time.",
        ),
    )
}


def practice(key: str) -> Practice:
    """The practice with ``key`` (KeyError for an unknown key)."""
    return PRACTICES[key]
