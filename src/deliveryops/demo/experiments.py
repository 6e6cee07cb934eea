"""Demo experiments: about twenty across the demo teams, in every status, with realistic statistics.

There are winners shipped, a loser stopped, one with a sample ratio mismatch, one whose guardrail broke,
one running that was peeked at without sequential testing, drafts and reviews, decisions with their
rationale and learnings, and both pre-registered and late-sized experiments. Everything goes through
the services; only the timestamps are moved into the past afterwards.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.analytics.experiments import LiftResult
from deliveryops.experiments import analysis, service, statistics
from deliveryops.experiments.models import Decision, Experiment, ExperimentStatus
from deliveryops.experiments.schemas import ExperimentDesign, MetricIn, VariationIn
from deliveryops.experiments.statistics import StatRow
from deliveryops.teams.models import Membership, Team, TeamRole

__all__ = ["build_experiments"]

S = ExperimentStatus


@dataclass(frozen=True)
class Metric:
    """A metric and how its arms truly behave: base rate or mean (sd for means), lift per treatment."""

    name: str
    kind: str
    role: str
    base: float
    lift: float = 0.0
    sd: float = 0.0
    higher_is_better: bool = True


@dataclass(frozen=True)
class Spec:
    """One demo experiment."""

    team: str
    title: str
    hypothesis: tuple[str, str, str, str]
    metrics: tuple[Metric, ...]
    tags: tuple[str, ...]
    status: ExperimentStatus
    start_days_ago: int = 0
    days: int = 14
    traffic: int = 2000
    treatments: tuple[str, ...] = ("treatment",)
    decision: Decision | None = None
    rationale: str = ""
    learnings: str = ""
    method: str = "frequentist"
    srm: bool = False
    peeked: bool = False
    sized_late: bool = False
    reviewer: bool = False
    extra: dict[str, object] = field(default_factory=dict)


CONV = "conversion"
SHIP, ITERATE, STOP = Decision.SHIP, Decision.ITERATE, Decision.STOP

SPECS: tuple[Spec, ...] = (
    Spec(
        "Checkout",
        "One-page checkout",
        (
            "40% of mobile shoppers leave at the address step",
            "a single-page checkout",
            "more completed orders",
            "checkout conversion",
        ),
        (
            Metric(CONV, "proportion", "primary", 0.31, 0.06),
            Metric("order value", "mean", "secondary", 54, 0.0, 31),
            Metric("payment errors", "proportion", "guardrail", 0.012, 0.0, higher_is_better=False),
        ),
        ("checkout", "mobile", "forms"),
        S.DECIDED,
        120,
        21,
        6000,
        decision=SHIP,
        rationale=(
            "Conversion {lift:conversion} ({interval:conversion}); order value "
            "{change:order value}, payment errors {change:payment errors}."
        ),
        learnings="Every form step we remove on mobile pays off; the address step was the biggest leak.",
    ),
    Spec(
        "Checkout",
        "Express pay buttons above the fold",
        (
            "wallet users scroll past the buttons",
            "showing Apple Pay and Google Pay first",
            "faster checkouts",
            "checkout conversion",
        ),
        (
            Metric(CONV, "proportion", "primary", 0.31, 0.035),
            Metric("payment errors", "proportion", "guardrail", 0.012, 0.0, higher_is_better=False),
        ),
        ("checkout", "payments", "wallets"),
        S.ARCHIVED,
        200,
        14,
        6000,
        decision=SHIP,
        rationale="{lift:conversion} conversion ({interval:conversion}); wallets now 41% of payments.",
        learnings="Wallet buttons work best where the thumb is: above the fold on mobile.",
    ),
    Spec(
        "Checkout",
        "Guest checkout by default",
        (
            "account creation is the top complaint in exit surveys",
            "offering guest checkout first",
            "more first orders",
            "first-order conversion",
        ),
        (Metric(CONV, "proportion", "primary", 0.22, -0.07), Metric("accounts created", "proportion", "secondary", 0.6, -0.4)),
        ("checkout", "accounts"),
        S.DECIDED,
        90,
        14,
        4000,
        decision=STOP,
        rationale=(
            "Conversion {lift:conversion} ({interval:conversion}) and account creation {lift:accounts created}; not worth it."
        ),
        learnings="Shoppers read 'guest' as 'no order tracking'. Explain tracking before removing accounts.",
    ),
    Spec(
        "Checkout",
        "Saved baskets for returning visitors",
        (
            "a third of baskets are abandoned and never recovered",
            "restoring the last basket on return",
            "more returning orders",
            "7-day return conversion",
        ),
        (Metric(CONV, "proportion", "primary", 0.18, 0.03),),
        ("checkout", "retention"),
        S.RUNNING,
        6,
        21,
        3000,
        peeked=True,
        learnings="",
    ),
    Spec(
        "Checkout",
        "Delivery date promise on the basket",
        (
            "support tickets ask 'when will it arrive?'",
            "a delivery date on the basket",
            "fewer abandoned baskets",
            "basket-to-order rate",
        ),
        (Metric(CONV, "proportion", "primary", 0.4, 0.0),),
        ("checkout", "delivery"),
        S.DRAFT,
    ),
    Spec(
        "Growth",
        "Referral reward doubled",
        (
            "referred users retain twice as well",
            "doubling the referral reward",
            "more referred sign-ups",
            "referral sign-ups per inviter",
        ),
        (
            Metric("signup", "proportion", "primary", 0.08, 0.12),
            Metric("reward cost per user", "mean", "guardrail", 2.0, 0.9, 1.5, higher_is_better=False),
        ),
        ("growth", "referrals", "pricing"),
        S.DECIDED,
        80,
        21,
        5000,
        decision=ITERATE,
        rationale=(
            "Sign-ups {lift:signup} but reward cost {lift:reward cost per user}: the guardrail breached. Try a tiered reward."
        ),
        learnings="Rewards move sign-ups, but cost scales faster than value; cap the reward.",
    ),
    Spec(
        "Growth",
        "Onboarding checklist",
        (
            "new users who finish setup in a day stay three times longer",
            "a three-step onboarding checklist",
            "more activated users",
            "day-7 activation",
        ),
        (
            Metric("activation", "proportion", "primary", 0.27, 0.09),
            Metric("minutes active", "mean", "secondary", 9.5, 0.05, 6.0),
        ),
        ("growth", "onboarding", "activation"),
        S.DECIDED,
        150,
        28,
        2500,
        decision=SHIP,
        rationale="Activation {lift:activation} ({interval:activation}); minutes active {change:minutes active}.",
        learnings="A visible finish line beats a tour: users complete what they can see.",
    ),
    Spec(
        "Growth",
        "Social proof on the landing page",
        ("visitors bounce within 10 seconds", "showing customer logos and counts", "more sign-ups", "landing sign-up rate"),
        (Metric("signup", "proportion", "primary", 0.05, 0.0),),
        ("growth", "landing-page"),
        S.DECIDED,
        60,
        14,
        8000,
        decision=STOP,
        rationale="No detectable effect at the planned power ({interval:signup}).",
        learnings="Logos do not move anonymous visitors; message clarity may matter more.",
    ),
    Spec(
        "Growth",
        "Welcome email with a personal video",
        (
            "welcome emails have a 12% open rate",
            "a short personal video from the team",
            "more activated users",
            "day-7 activation",
        ),
        (Metric("activation", "proportion", "primary", 0.27, 0.04),),
        ("growth", "email", "onboarding"),
        S.ANALYSING,
        30,
        21,
        2000,
        treatments=("video", "text-only"),
        srm=True,
    ),
    Spec(
        "Growth",
        "Pricing page with annual toggle",
        (
            "most buyers compare monthly prices only",
            "an annual/monthly toggle defaulting to annual",
            "more annual plans",
            "share of annual plans",
        ),
        (Metric("annual share", "proportion", "primary", 0.3, 0.0),),
        ("growth", "pricing"),
        S.IN_REVIEW,
        reviewer=True,
    ),
    Spec(
        "Search",
        "Typo-tolerant search",
        (
            "8% of searches return nothing, mostly misspellings",
            "fuzzy matching of query terms",
            "more searches with a click",
            "search click-through rate",
        ),
        (
            Metric("search ctr", "proportion", "primary", 0.42, 0.05),
            Metric("latency ms", "mean", "guardrail", 180, 0.0, 40, higher_is_better=False),
        ),
        ("search", "relevance"),
        S.DECIDED,
        110,
        14,
        9000,
        decision=SHIP,
        rationale="Click-through {lift:search ctr} ({interval:search ctr}); latency {change:latency ms}.",
        learnings="Zero-result searches are the cheapest relevance win.",
    ),
    Spec(
        "Search",
        "Personalised ranking",
        (
            "returning users click lower results of brands they bought",
            "ranking by purchase history",
            "more add-to-baskets from search",
            "search-to-basket rate",
        ),
        (
            Metric("search to basket", "proportion", "primary", 0.11, 0.03),
            Metric("latency ms", "mean", "guardrail", 180, 0.15, 40, higher_is_better=False),
        ),
        ("search", "personalisation", "relevance"),
        S.DECIDED,
        70,
        21,
        9000,
        decision=ITERATE,
        rationale=(
            "Basket rate {lift:search to basket} but latency {lift:latency ms} "
            "breached the guardrail; cache the features and rerun."
        ),
        learnings="Personal signals help, but only if ranking stays under 200 ms.",
    ),
    Spec(
        "Search",
        "Filters as chips",
        (
            "filters in the sidebar are used by 4% of mobile users",
            "filter chips above the results",
            "more filtered searches",
            "filter usage",
        ),
        (Metric("filter usage", "proportion", "primary", 0.04, 0.25),),
        ("search", "mobile", "filters"),
        S.RUNNING,
        9,
        21,
        5000,
        method="sequential",
    ),
    Spec(
        "Mobile",
        "Biometric login",
        (
            "a quarter of app sessions start with a failed password",
            "Face ID / fingerprint login",
            "more daily active users",
            "day-30 retention",
        ),
        (
            Metric("retention d30", "proportion", "primary", 0.35, 0.04),
            Metric("crash rate", "proportion", "guardrail", 0.004, 0.0, higher_is_better=False),
        ),
        ("mobile", "login", "retention"),
        S.DECIDED,
        160,
        28,
        3000,
        decision=SHIP,
        sized_late=True,
        rationale="Retention {lift:retention d30} ({interval:retention d30}), crash rate {change:crash rate}.",
        learnings="Sized only after launch: next time plan the sample before starting.",
    ),
    Spec(
        "Mobile",
        "Dark mode default",
        (
            "evening sessions are twice as long",
            "dark mode as the default after 7 pm",
            "longer evening sessions",
            "minutes per session",
        ),
        (Metric("minutes per session", "mean", "primary", 6.2, 0.0, 4.0),),
        ("mobile", "design"),
        S.DECIDED,
        100,
        14,
        4000,
        decision=STOP,
        sized_late=True,
        rationale="No effect on session length ({interval:minutes per session}).",
        learnings="Preference settings are not growth levers.",
    ),
    Spec(
        "Mobile",
        "Push reminder for abandoned baskets",
        (
            "app baskets are abandoned twice as often as web ones",
            "a push reminder after 2 hours",
            "more recovered baskets",
            "basket recovery rate",
        ),
        (
            Metric("recovery", "proportion", "primary", 0.09, 0.0),
            Metric("push opt-out", "proportion", "guardrail", 0.01, 0.0, higher_is_better=False),
        ),
        ("mobile", "push", "retention"),
        S.IN_REVIEW,
    ),
    Spec(
        "Payments",
        "Retry failed card payments",
        (
            "2% of card payments fail on soft declines",
            "an automatic retry after 10 seconds",
            "fewer failed payments",
            "payment success rate",
        ),
        (
            Metric("payment success", "proportion", "primary", 0.975, 0.004),
            Metric("chargebacks", "proportion", "guardrail", 0.002, 0.0, higher_is_better=False),
        ),
        ("payments", "reliability"),
        S.DECIDED,
        130,
        14,
        7000,
        decision=SHIP,
        rationale="Success rate {lift:payment success} ({interval:payment success}), chargebacks {change:chargebacks}.",
        learnings="Soft declines are mostly transient; one retry recovers a third of them.",
    ),
    Spec(
        "Payments",
        "Invoice payment for new customers",
        (
            "B2B buyers ask for invoices",
            "offering invoice payment to new customers",
            "more first orders",
            "first-order conversion",
        ),
        (
            Metric(CONV, "proportion", "primary", 0.2, 0.0),
            Metric("defaults", "proportion", "guardrail", 0.01, 0.0, higher_is_better=False),
        ),
        ("payments", "b2b"),
        S.DRAFT,
    ),
    Spec(
        "Data Platform",
        "Faster dashboard loading",
        ("analysts wait 9 s for the main dashboard", "pre-aggregated tables", "more dashboard use", "weekly active analysts"),
        (Metric("load seconds", "mean", "primary", 9.0, -0.3, 3.0, higher_is_better=False),),
        ("data", "performance"),
        S.ANALYSING,
        20,
        14,
        300,
    ),
)


def _members(session: Session, team: Team) -> tuple[User, User]:
    """A member (creator) and the delivery manager of the team."""
    people = list(
        session.execute(
            select(User, Membership.team_role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == team.id)
            .order_by(User.id)
        )
    )
    member = next(user for user, role in people if role is TeamRole.MEMBER)
    dm = next((user for user, role in people if role is TeamRole.DELIVERY_MANAGER), member)
    return member, dm


def _noise(rng: random.Random, spread: float) -> float:
    return rng.gauss(0.0, spread) if spread > 0 else 0.0


def _statistics(rng: random.Random, spec: Spec, variations: list[str], first_day: date, days: int) -> list[StatRow]:
    """Cumulative sufficient statistics per day, drawn from each arm's true behaviour."""
    totals: dict[tuple[str, str], list[float]] = {}
    rows: list[StatRow] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        units: dict[str, int] = {}
        for index, variation in enumerate(variations):
            share = 1 / len(variations)
            if spec.srm and index == 1:
                share *= 0.9  # a broken assignment: the video arm gets fewer users than planned
            units[variation] = max(1, round(spec.traffic * share * (1 + _noise(rng, 0.03))))
        for metric in spec.metrics:
            for index, variation in enumerate(variations):
                n = units[variation]
                lift = 0.0 if index == 0 else metric.lift * (1.0 if index == 1 else 0.5)
                if metric.kind == "proportion":
                    p = min(max(metric.base * (1 + lift), 0.0005), 0.9995)
                    converted = min(n, max(0, round(n * p + _noise(rng, math.sqrt(n * p * (1 - p))))))
                    add: list[float] = [float(n), float(converted), float(converted)]
                else:
                    mu, sd = metric.base * (1 + lift), metric.sd
                    total = n * mu + _noise(rng, sd * math.sqrt(n))
                    squares = (n - 1) * sd * sd * (1 + _noise(rng, 0.02)) + total * total / n
                    add = [float(n), total, squares]
                key = (metric.name, variation)
                current = totals.get(key, [0.0, 0.0, 0.0])
                totals[key] = [a + b for a, b in zip(current, add, strict=True)]
                n_total, sum_total, squares_total = totals[key]
                rows.append(
                    StatRow(
                        day=day,
                        metric=metric.name,
                        variation=variation,
                        n=int(n_total),
                        sum=round(sum_total, 4),
                        sum_squares=round(squares_total, 4),
                    )
                )
    return rows


_PLACEHOLDER = re.compile(r"\{(lift|interval|change):([^}]+)\}")


def quote_results(template: str, results: Sequence[LiftResult]) -> str:
    """Fill a rationale's placeholders from the experiment's own results, so a decision quotes what its table shows.

    ``{lift:metric}`` is the first treatment's relative lift ("+6.6%"), ``{interval:metric}`` its 95% interval
    and ``{change:metric}`` "flat" when the change is not significant, else "up 15.0%" or "down 11.7%".
    """
    by_metric: dict[str, LiftResult] = {}
    for result in results:
        by_metric.setdefault(result.metric, result)

    def percent(value: float | None) -> str:
        if value is None:
            raise ValueError(f"a demo rationale quotes a result that could not be computed: {template!r}")
        return f"{value * 100:+.1f}%"

    def fill(match: re.Match[str]) -> str:
        kind, metric = match.group(1), match.group(2)
        result = by_metric[metric]
        if kind == "lift":
            return percent(result.lift)
        if kind == "interval":
            return f"95% interval {percent(result.ci_low)} to {percent(result.ci_high)}"
        if not result.significant:
            return "flat"
        lift = percent(result.lift)
        return f"{'up' if lift.startswith('+') else 'down'} {lift[1:]}"

    return _PLACEHOLDER.sub(fill, template)


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _build_one(session: Session, spec: Spec, team: Team, ops: User, today: date, rng: random.Random) -> int:
    member, dm = _members(session, team)
    variations = ["control", *spec.treatments]
    start = today - timedelta(days=spec.start_days_ago) if spec.start_days_ago else today + timedelta(days=7)
    sample = math.ceil(spec.traffic * spec.days / len(variations) * 0.9) if spec.metrics else None
    design = ExperimentDesign.model_validate(
        {
            "title": spec.title,
            "observation": spec.hypothesis[0],
            "belief": spec.hypothesis[1],
            "outcome": spec.hypothesis[2],
            "measure": spec.hypothesis[3],
            "variations": [VariationIn(name=v, is_control=v == "control") for v in variations],
            "metrics": [
                MetricIn(name=m.name, kind=m.kind, role=m.role, higher_is_better=m.higher_is_better) for m in spec.metrics
            ],
            "tags": list(spec.tags),
            "reviewer_required": spec.reviewer,
            "reviewer_id": ops.id if spec.reviewer else None,
            "planned_sample_size": sample,
            "mde": 0.05,
            "expected_daily_traffic": spec.traffic,
            "planned_start": start,
            "planned_end": start + timedelta(days=spec.days),
            "method": spec.method,
            "correction": "holm" if len(variations) > 2 else "none",
        }
    )
    experiment = service.create(session=session, actor=member, team_id=team.id, design=design)
    created = start - timedelta(days=10)
    moments: list[datetime] = [_at(created)]
    records = 1
    if spec.status is S.DRAFT:
        _backdate(experiment, moments, created=created)
        return records
    service.transition(session=session, actor=member, experiment_id=experiment.id, to=S.IN_REVIEW)
    moments.append(_at(created + timedelta(days=2)))
    if spec.status is S.IN_REVIEW:
        _backdate(experiment, moments, created=created)
        return records
    if spec.reviewer:
        service.review(session=session, actor=ops, experiment_id=experiment.id, approve=True, note="Sound plan.")
        moments.append(_at(created + timedelta(days=3)))
    service.transition(session=session, actor=member, experiment_id=experiment.id, to=S.RUNNING)
    moments.append(_at(start))
    ran = min(spec.days, spec.start_days_ago) if spec.status is S.RUNNING else spec.days
    rows = _statistics(rng, spec, variations, start, max(1, ran))
    statistics.import_statistics(session=session, actor=member, experiment_id=experiment.id, rows=rows, cumulative=True)
    records += len(rows)
    if spec.status is not S.RUNNING:
        service.transition(session=session, actor=member, experiment_id=experiment.id, to=S.ANALYSING)
        moments.append(_at(start + timedelta(days=spec.days)))
    if spec.decision is not None:
        service.decide(
            session=session,
            actor=dm,
            experiment_id=experiment.id,
            decision=spec.decision,
            rationale=quote_results(spec.rationale, analysis.results_of(session, experiment, over_time=False).results),
            learnings=spec.learnings,
        )
        moments.append(_at(start + timedelta(days=spec.days + 3)))
    if spec.status is S.ARCHIVED:
        service.transition(session=session, actor=dm, experiment_id=experiment.id, to=S.ARCHIVED)
        moments.append(_at(start + timedelta(days=spec.days + 30)))
    experiment.peeked = spec.peeked
    _backdate(
        experiment,
        moments,
        created=created,
        started=start,
        ended=start + timedelta(days=spec.days) if spec.status not in (S.RUNNING,) else None,
        sized=start + timedelta(days=4) if spec.sized_late else created,
    )
    experiment.last_warnings = [w.code for w in analysis.results_of(session, experiment, over_time=False).warnings]
    return records


def _backdate(
    experiment: Experiment,
    moments: list[datetime],
    *,
    created: date,
    started: date | None = None,
    ended: date | None = None,
    sized: date | None = None,
) -> None:
    """Move the service's timestamps into the demo's past, keeping the history in order."""
    experiment.created_at = experiment.updated_at = _at(created)
    for change, moment in zip(experiment.history, moments, strict=False):
        change.at = moment
    if experiment.sample_size_set_at is not None:
        experiment.sample_size_set_at = _at(sized or created)
    if started is not None:
        experiment.started_at = _at(started)
    if ended is not None:
        experiment.ended_at = _at(ended, 17)
    if experiment.reviewed_at is not None:
        experiment.reviewed_at = _at(created + timedelta(days=3))
    if experiment.decided_at is not None and ended is not None:
        experiment.decided_at = _at(ended + timedelta(days=3))


def build_experiments(session: Session, *, now: datetime, seed: int) -> int:
    """Add experiments to the demo organisation; returns how many experiments it made."""
    rng = random.Random(seed * 7919 + 11)
    teams = {t.name: t for t in session.scalars(select(Team))}
    ops = session.scalars(select(User).where(User.role == Role.PRODUCT_OPS).order_by(User.id)).first()
    if ops is None or not teams:
        return 0
    made = 0
    for spec in SPECS:
        team = teams.get(spec.team)
        if team is not None:
            _build_one(session, spec, team, ops, now.date(), rng)
            made += 1
    session.flush()
    return made
