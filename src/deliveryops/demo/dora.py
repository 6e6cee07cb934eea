"""Demo data for DORA: ~18 months of pull requests, deployments and incidents per demo team.

Each team has its own profile, so the DORA pages show clearly different pictures: Payments is elite,
Mobile ships rarely (low), Checkout improves from low to high over the period, the others sit between.
Deterministic for a seed; rows are added in bulk, and links are computed here by the same rule the ingest
uses (a change ships with the first successful production deployment that started after its merge).
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.dora.models import Deployment, DeploymentChange, Incident
from deliveryops.teams.models import Team
from deliveryops.work.models import Change

__all__ = ["build_dora"]

HISTORY_DAYS = 548  # about 18 months
SOURCE = "demo"
AUTHORS = ["amara", "lukas", "sofia", "jonas", "priya", "mateo", "hannah", "kenji"]
TITLES = [
    "Fix rounding in totals",
    "Add retry to client",
    "Refactor settings",
    "Speed up query",
    "New endpoint",
    "Update dependency",
    "Improve logging",
    "Handle empty state",
    "Feature flag for rollout",
    "Copy changes",
]
INCIDENT_TITLES = ["Error rate above SLO", "Latency spike", "Failed payments", "Page not loading", "Data delayed"]


@dataclass(frozen=True)
class Profile:
    """How a team delivers: rates per working day and median hours of each step."""

    deployments_per_day: float
    changes_per_day: float
    coding_hours: float
    pickup_hours: float
    review_hours: float
    failure_rate: float
    recovery_hours: float


ELITE = Profile(4.0, 5.0, 2.0, 0.8, 1.5, 0.04, 0.5)
HIGH = Profile(0.7, 4.0, 8.0, 4.0, 6.0, 0.09, 5.0)
MEDIUM = Profile(0.22, 3.0, 20.0, 16.0, 20.0, 0.14, 40.0)
LOW = Profile(0.03, 2.0, 120.0, 96.0, 72.0, 0.30, 200.0)
PROFILES = {
    "Payments": (ELITE, ELITE),
    "Checkout": (LOW, HIGH),
    "Growth": (HIGH, HIGH),
    "Search": (MEDIUM, MEDIUM),
    "Mobile": (LOW, LOW),
    "Data Platform": (HIGH, MEDIUM),
}


def _blend(first: Profile, last: Profile, share: float) -> Profile:
    """The profile a share of the way from ``first`` to ``last`` (durations blend geometrically)."""

    def mix(a: float, b: float, geometric: bool) -> float:
        return a ** (1 - share) * b**share if geometric else a + (b - a) * share

    return Profile(
        mix(first.deployments_per_day, last.deployments_per_day, True),
        mix(first.changes_per_day, last.changes_per_day, False),
        mix(first.coding_hours, last.coding_hours, True),
        mix(first.pickup_hours, last.pickup_hours, True),
        mix(first.review_hours, last.review_hours, True),
        mix(first.failure_rate, last.failure_rate, False),
        mix(first.recovery_hours, last.recovery_hours, True),
    )


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth; the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _hours(rng: random.Random, median: float) -> timedelta:
    return timedelta(hours=rng.lognormvariate(math.log(median), 0.7))


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _build_team(session: Session, team: Team, first: Profile, last: Profile, *, now: datetime, rng: random.Random) -> int:
    repository = f"acme/{team.slug}"
    start = (now - timedelta(days=HISTORY_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    deployments: list[Deployment] = []
    changes: list[Change] = []
    number = 0
    for day_index in range(HISTORY_DAYS):
        day = start + timedelta(days=day_index)
        if day.weekday() >= 5:
            continue
        profile = _blend(first, last, day_index / HISTORY_DAYS)
        for _ in range(_poisson(rng, profile.changes_per_day)):
            number += 1
            opened = day + timedelta(hours=rng.uniform(8, 17))
            first_commit = opened - _hours(rng, profile.coding_hours)
            reviewed = rng.random() > 0.05
            first_review = opened + _hours(rng, profile.pickup_hours) if reviewed else None
            merged = (first_review or opened) + _hours(rng, profile.review_hours)
            if merged > now:
                continue
            changes.append(
                Change(
                    team_id=team.id,
                    source=SOURCE,
                    repository=repository,
                    number=number,
                    title=rng.choice(TITLES),
                    author=rng.choice(AUTHORS),
                    opened_at=opened,
                    first_commit_at=first_commit,
                    first_review_at=first_review,
                    merged_at=merged,
                    closed_at=merged,
                    merge_commit_sha=_sha(rng),
                    base_branch="main",
                    url=None,
                )
            )
        for _ in range(_poisson(rng, profile.deployments_per_day)):
            started = day + timedelta(hours=rng.uniform(9, 17))
            finished = started + timedelta(minutes=rng.uniform(4, 25))
            if finished > now:
                continue
            result = "failure" if rng.random() < 0.05 else "success"
            for environment, offset in (("staging", timedelta(hours=rng.uniform(0.5, 3))), ("production", timedelta())):
                deployments.append(
                    Deployment(
                        team_id=team.id,
                        source=SOURCE,
                        external_id=f"{team.slug}-{len(deployments) + 1}",
                        repository=repository,
                        environment=environment,
                        result="success" if environment == "staging" else result,
                        started_at=started - offset,
                        finished_at=finished - offset,
                        commit_sha=_sha(rng),
                        commit_shas=[],
                        ref="main",
                        url=None,
                        status_at=finished - offset,
                    )
                )
    session.add_all(changes)
    session.add_all(deployments)
    session.flush()

    production = sorted(
        (d for d in deployments if d.environment == "production" and d.result == "success"), key=lambda d: d.started_at
    )
    starts = [d.started_at for d in production]
    links: list[DeploymentChange] = []
    for change in changes:
        assert change.merged_at is not None
        index = bisect.bisect_left(starts, change.merged_at)
        if index < len(production):
            links.append(DeploymentChange(deployment_id=production[index].id, change_id=change.id, matched_by="merge_time"))
    incidents: list[Incident] = []
    for deployment in production:
        profile = _blend(first, last, (deployment.started_at - start).days / HISTORY_DAYS)
        if rng.random() >= profile.failure_rate or deployment.finished_at is None:
            continue
        created = deployment.finished_at + timedelta(hours=profile.recovery_hours * rng.uniform(0.05, 0.4))
        resolved = created + _hours(rng, profile.recovery_hours)
        explicit = rng.random() < 0.5
        incidents.append(
            Incident(
                team_id=team.id,
                source=SOURCE,
                external_id=f"{team.slug.upper()}-INC-{len(incidents) + 1}",
                title=rng.choice(INCIDENT_TITLES),
                severity=rng.choice(["sev1", "sev2", "sev3"]),
                repository=repository,
                created_at=created,
                resolved_at=resolved if resolved < now else None,
                deployment_external_id=deployment.external_id if explicit else None,
                deployment_id=deployment.id if explicit else None,
                url=None,
                status_at=resolved if resolved < now else created,
            )
        )
    session.add_all(links)
    session.add_all(incidents)
    team.data_version = (team.data_version or 0) + 1
    session.flush()
    return len(changes) + len(deployments) + len(incidents)


def build_dora(session: Session, *, now: datetime, seed: int) -> int:
    """Add DORA data to the demo organisation's teams; returns how many records it made."""
    made = 0
    teams = session.scalars(select(Team).where(Team.name.in_(sorted(PROFILES))).order_by(Team.name)).all()
    for index, team in enumerate(teams):
        first, last = PROFILES[team.name]
        made += _build_team(session, team, first, last, now=now, rng=random.Random(seed * 1009 + index))
    return made
