"""The six demo teams, each with a distinct way of working, and variants for large organisations."""

from __future__ import annotations

import dataclasses

import numpy as np

from deliveryops.simulate.profiles import (
    DEFAULT_STATUS_NAMES,
    BlockerKind,
    ItemType,
    ServiceTime,
    StepChange,
    TeamProfile,
    make_workflow,
)

ENVIRONMENT_DOWN = BlockerKind("Test environment down", 1.0, 0.5, 0.6)
NO_LOG_ACCESS = BlockerKind("No access to production logs", 0.6, 1.5)
SECURITY_APPROVAL = BlockerKind("Waiting for security approval", 0.7, 3.0, 0.6)
UNCLEAR_CRITERIA = BlockerKind("Unclear acceptance criteria", 1.0, 1.0, 0.6)
DATA_ACCESS = BlockerKind("Data access request pending", 0.6, 4.0, 0.6)
CI_BROKEN = BlockerKind("CI pipeline broken", 0.5, 0.4, 0.5)
VENDOR_TICKET = BlockerKind("Waiting on vendor support ticket", 0.3, 5.0, 0.6)
DESIGN_SIGN_OFF = BlockerKind("Waiting for design sign-off", 0.6, 1.5)
STAGING_REFRESH = BlockerKind("Staging database refresh in progress", 0.4, 0.8, 0.5)
DEPENDS_ON_ITEM = BlockerKind("Waiting on {other}", 0.8, 2.0, 0.7, links_item=True)
# The known step changes behind the demo's improvement actions (days before the history's last day).
PAYMENTS_SPLIT_DAYS = 182
DATA_ACCESS_DAYS = 120
# The step changes behind the demo's retrospectives rollout: each team starts holding regular retros on that day
# and agrees there to stop starting and start finishing (its WIP limit falls to this share), so the rollout's
# effect on work in progress is measured from real change.
RETRO_ADOPTION_DAYS = {"Data Platform": 300, "Growth": 275, "Payments": 250}
RETRO_WIP_LIMIT_FACTOR = 0.6


def _external(team: str, thing: str = "API", weight: float = 1.0, median_days: float = 3.0) -> BlockerKind:
    return BlockerKind(f"External dependency: waiting on {team} team {thing}", weight, median_days)


def _types(story: float, bug: float, task: float, spike: float, scale: float = 1.0) -> tuple[ItemType, ...]:
    """The four item types with their mix; ``scale`` shrinks or grows every development time."""
    return (
        ItemType("Story", story, ServiceTime(14.0 * scale, 0.8), 0.75),
        ItemType("Bug", bug, ServiceTime(6.0 * scale, 0.9), 0.25),
        ItemType("Task", task, ServiceTime(8.0 * scale, 0.8), 0.4),
        ItemType("Spike", spike, ServiceTime(10.0 * scale, 0.5), 0.3),
    )


def demo_profiles() -> tuple[TeamProfile, ...]:
    """The six demo teams.

    Returns:
        Payments (steady, then faster from splitting stories: a known step change), Checkout
        (improving: faster and less WIP over time), Search (degrading:
        WIP creeps up and work slows), Mobile (New York, bursty arrivals, fortnightly release
        train), Data Platform (many data-access and environment blockers, far fewer blocked days once
        access is requested at refinement: a known step change) and Growth (London, fast,
        small items, experiments). The others work in Berlin.
    """
    payments = TeamProfile(
        name="Payments",
        key="PAY",
        item_types=_types(0.55, 0.25, 0.15, 0.05),
        arrivals_per_day=0.8,
        people=4.0,
        wip_limit_start=7.0,
        wip_limit_end=7.0,
        # Stories split below three days from 182 days before the end: development time × 0.45.
        changes=(
            StepChange(PAYMENTS_SPLIT_DAYS, development_factor=0.45),
            StepChange(RETRO_ADOPTION_DAYS["Payments"], wip_limit_factor=RETRO_WIP_LIMIT_FACTOR),
        ),
        blockers=(
            SECURITY_APPROVAL,
            ENVIRONMENT_DOWN,
            UNCLEAR_CRITERIA,
            VENDOR_TICKET,
            DEPENDS_ON_ITEM,
            _external("Checkout", "release", 0.4),
        ),
        labels=("pci", "refunds", "payouts", "tech-debt", "sepa"),
        topics=(
            "payment capture",
            "refund flow",
            "SEPA mandates",
            "card tokenisation",
            "3-D Secure challenge",
            "payout reports",
            "chargeback handling",
            "invoice PDFs",
        ),
    )
    checkout = TeamProfile(
        name="Checkout",
        key="CHK",
        item_types=_types(0.6, 0.2, 0.15, 0.05, 1.1),
        arrivals_per_day=0.75,
        people=4.0,
        wip_limit_start=13.0,
        wip_limit_end=5.0,
        speed_start=0.75,
        speed_end=1.6,
        rework_probability=0.25,
        blockers=(
            _external("Payments"),
            ENVIRONMENT_DOWN,
            UNCLEAR_CRITERIA,
            DESIGN_SIGN_OFF,
            DEPENDS_ON_ITEM,
        ),
        labels=("conversion", "basket", "a11y", "tech-debt"),
        topics=(
            "basket",
            "address form",
            "delivery options",
            "promo codes",
            "order summary",
            "guest checkout",
            "express checkout",
        ),
    )
    search = TeamProfile(
        name="Search",
        key="SRCH",
        item_types=_types(0.5, 0.3, 0.15, 0.05),
        arrivals_per_day=0.85,
        people=4.0,
        wip_limit_start=6.0,
        wip_limit_end=16.0,
        speed_start=1.15,
        speed_end=0.65,
        blockers=(
            ENVIRONMENT_DOWN,
            NO_LOG_ACCESS,
            UNCLEAR_CRITERIA,
            _external("Data Platform", "pipeline"),
            DEPENDS_ON_ITEM,
        ),
        labels=("relevance", "indexing", "autocomplete", "tech-debt"),
        topics=(
            "search ranking",
            "autocomplete",
            "index rebuild",
            "synonym list",
            "facet filters",
            "zero-result page",
            "query logging",
        ),
    )
    mobile = TeamProfile(
        name="Mobile",
        key="MOB",
        time_zone="America/New_York",
        holiday_region="US",
        workflow=make_workflow((*DEFAULT_STATUS_NAMES[:5], "Ready for Release", "Done", "Discarded")),
        item_types=_types(0.5, 0.3, 0.15, 0.05),
        arrivals_per_day=0.8,
        arrival_burstiness=0.9,
        people=4.0,
        wip_limit_start=9.0,
        wip_limit_end=9.0,
        release_every_days=10,
        blockers=(
            _external("Payments", "SDK"),
            DESIGN_SIGN_OFF,
            BlockerKind("App Store review pending", 0.6, 2.0),
            ENVIRONMENT_DOWN,
            DEPENDS_ON_ITEM,
        ),
        labels=("ios", "android", "release-blocker", "a11y"),
        topics=(
            "push notifications",
            "login screen",
            "offline mode",
            "deep links",
            "app onboarding",
            "order tracking",
            "dark mode",
        ),
    )
    data_platform = TeamProfile(
        name="Data Platform",
        key="DP",
        item_types=_types(0.45, 0.2, 0.3, 0.05, 1.2),
        arrivals_per_day=0.6,
        # Data access requested at refinement from 120 days before the end: blocked time × 0.25.
        changes=(
            StepChange(DATA_ACCESS_DAYS, blocked_factor=0.25),
            StepChange(RETRO_ADOPTION_DAYS["Data Platform"], wip_limit_factor=RETRO_WIP_LIMIT_FACTOR),
        ),
        people=3.0,
        wip_limit_start=8.0,
        wip_limit_end=8.0,
        blocker_probability=0.4,
        blockers=(
            dataclasses.replace(DATA_ACCESS, weight=2.5),
            ENVIRONMENT_DOWN,
            NO_LOG_ACCESS,
            STAGING_REFRESH,
            SECURITY_APPROVAL,
            _external("Platform", "Kafka upgrade", 0.5),
        ),
        deploy_probability=0.5,
        labels=("gdpr", "pipelines", "warehouse", "data-quality", "tech-debt"),
        topics=(
            "event pipeline",
            "warehouse tables",
            "GDPR deletion job",
            "dbt models",
            "data catalogue",
            "CDC connector",
            "metrics layer",
        ),
    )
    growth = TeamProfile(
        name="Growth",
        key="GRW",
        time_zone="Europe/London",
        holiday_region="GB",
        item_types=(
            ItemType("Story", 0.35, ServiceTime(6.0, 0.6), 0.6),
            ItemType("Bug", 0.15, ServiceTime(3.0, 0.7), 0.2),
            ItemType("Task", 0.3, ServiceTime(4.0, 0.6), 0.6),
            ItemType("Spike", 0.2, ServiceTime(4.0, 0.5), 0.5),
        ),
        arrivals_per_day=1.0,
        people=3.0,
        wip_limit_start=5.0,
        wip_limit_end=5.0,
        review=ServiceTime(1.0, 0.5),
        deploy_probability=1.0,
        blocker_probability=0.06,
        changes=(StepChange(RETRO_ADOPTION_DAYS["Growth"], wip_limit_factor=RETRO_WIP_LIMIT_FACTOR),),
        blockers=(UNCLEAR_CRITERIA, _external("Data Platform", "tracking events", 1.0, 2.0), CI_BROKEN),
        discard_started_probability=0.06,
        labels=("experiment", "onboarding", "pricing-page", "referral"),
        label_probability=0.8,
        topics=(
            "onboarding A/B test",
            "pricing page experiment",
            "referral banner",
            "sign-up form",
            "welcome email",
            "trial reminder",
            "upgrade prompt",
        ),
    )
    return (payments, checkout, search, mobile, data_platform, growth)


def organisation_profiles(teams: int, rng: np.random.Generator) -> list[TeamProfile]:
    """Profiles for an organisation: the six demo teams, then numbered variants of them.

    Args:
        teams: number of teams.
        rng: generator for the variants' small differences in pace and size.

    Returns:
        ``teams`` profiles with distinct names and key prefixes.
    """
    base = demo_profiles()
    out = list(base[:teams])
    for index in range(len(base), teams):
        template = base[index % len(base)]
        number = index // len(base) + 1
        pace = float(rng.uniform(0.8, 1.25))
        out.append(
            dataclasses.replace(
                template,
                name=f"{template.name} {number}",
                key=f"{template.key}{number}",
                arrivals_per_day=template.arrivals_per_day * pace,
                people=template.people * pace,
            )
        )
    return out
