"""Build a believable organisation: groups, teams, people and their roles.

Everything goes through the domain services, so the demo exercises the real code paths.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role, User
from deliveryops.accounts.passwords import hash_password
from deliveryops.cockpit.portfolio.jobs import refresh_changed
from deliveryops.db import utcnow
from deliveryops.demo.actions import build_actions
from deliveryops.demo.coaching import build_coaching
from deliveryops.demo.cockpit import build_cockpit
from deliveryops.demo.dependencies import build_dependencies, build_dependency_proposals, build_dependency_risks
from deliveryops.demo.dora import build_dora
from deliveryops.demo.enablement import build_enablement
from deliveryops.demo.experiments import build_experiments
from deliveryops.demo.forecasts import make_past_forecasts
from deliveryops.demo.health import build_health
from deliveryops.demo.impediment_learning import build_impediment_learning
from deliveryops.demo.impediments import build_impediments
from deliveryops.demo.leadership import build_leadership
from deliveryops.demo.notify import build_notifications
from deliveryops.demo.outcomes import build_outcomes
from deliveryops.demo.retros import build_retros
from deliveryops.demo.roadmap import build_roadmap
from deliveryops.demo.sessions import build_sessions
from deliveryops.demo.simulated import import_simulated
from deliveryops.simulate import simulate_organisation
from deliveryops.teams import service as teams
from deliveryops.teams.models import Team, TeamRole

Progress = Callable[[str, int, int], None]

GROUPS = {
    "Commerce": "Everything between a shopper's basket and the money arriving.",
    "Discovery & Platform": "Finding products, the mobile apps, and the data platform underneath.",
}

# name, group, time zone, description
TEAMS = [
    ("Payments", "Commerce", "Europe/Berlin", "Card, wallet and invoice payments; settlement with PSPs."),
    ("Checkout", "Commerce", "Europe/Berlin", "Basket to order confirmation."),
    ("Growth", "Commerce", "Europe/London", "Acquisition and activation experiments."),
    ("Search", "Discovery & Platform", "Europe/Amsterdam", "Search, ranking and filters."),
    ("Mobile", "Discovery & Platform", "America/New_York", "The iOS and Android apps."),
    ("Data Platform", "Discovery & Platform", "Europe/Berlin", "Pipelines, warehouse and data access."),
]

MEMBER_NAMES = [
    "Amara Okafor",
    "Lukas Brandt",
    "Sofia Marino",
    "Jonas Lindqvist",
    "Priya Raman",
    "Mateo García",
    "Hannah Schulz",
    "Kenji Watanabe",
    "Chloé Dubois",
    "Omar Haddad",
    "Ingrid Nilsen",
    "Tomás Silva",
    "Aisha Bello",
    "Felix Wagner",
    "Mei Lin",
    "Daniel Novak",
    "Zeynep Aydın",
    "Rafael Costa",
    "Nora Hughes",
    "Ivan Petrov",
    "Laura Rossi",
    "Samuel Mensah",
    "Elena Popescu",
    "Yusuf Demir",
    "Grace Kim",
    "Henrik Madsen",
    "Lucía Fernández",
    "Arjun Mehta",
    "Katarzyna Nowak",
    "Ben Carter",
]
TITLES = [
    "Software Engineer",
    "Senior Engineer",
    "Product Designer",
    "QA Engineer",
    "Product Manager",
    "Data Engineer",
    "Staff Engineer",
]
DELIVERY_MANAGERS = [
    ("Marta Kowalska", ("Payments", "Checkout")),
    ("David Osei", ("Search", "Mobile")),
    ("Julia Becker", ("Growth", "Data Platform")),
]
PRODUCT_OPS = ["Fatima Zahra", "Oliver Grant"]
LEADERS = [("Catherine Moreau", "VP Product"), ("Raj Patel", "Head of Engineering")]
ADMIN = ("Alex Admin", "admin@example.com")
HISTORY_MONTHS = 18


@dataclass(frozen=True)
class DemoLogin:
    """A sign-in printed for the person trying the demo."""

    role: str
    name: str
    email: str


@dataclass
class DemoResult:
    """What the demo built."""

    password: str
    logins: list[DemoLogin] = field(default_factory=list)
    teams: int = 0
    people: int = 0
    items: int = 0
    transitions: int = 0
    forecasts: int = 0
    impediments: int = 0
    actions: int = 0
    retros: int = 0
    # Later capabilities' counts by name (deployments, health rounds, experiments, ...).
    extras: dict[str, int] = field(default_factory=dict)


def _email(name: str) -> str:
    plain = teams.slugify(name).replace("-", ".")
    return f"{plain}@example.com"


def build_demo(
    session: Session,
    *,
    seed: int = 7,
    progress: Progress | None = None,
    now: datetime | None = None,
    min_group_size: int = 3,
    app_key: str | None = None,
) -> DemoResult:
    """Create the demo organisation in an empty, migrated database.

    Args:
        session: the unit of work (the caller commits).
        seed: makes the organisation reproducible.
        progress: called with (step, done, total) as the build advances.
        now: the demo's "today" (its history ends then); the current time when omitted.
        min_group_size: the setting the portfolio rows are computed for (they are stored, as the job stores them).
        app_key: the app's secret key, which encrypts the example webhook's URL as connection tokens are.

    Returns:
        The shared demo password and sample sign-ins per role.
    """
    rng = random.Random(seed)
    password = secrets.token_urlsafe(9)
    # One hash for everyone: the demo shares a password, and argon2 is slow on purpose.
    shared_hash = hash_password(password)
    report = progress or (lambda _step, _done, _total: None)
    result = DemoResult(password=password)
    extra_steps = (
        ("blocked items linked to impediments", build_impediment_learning),
        ("deployments", build_dora),
        ("health-check rounds", build_health),
        ("experiments", build_experiments),
        ("catalogue and adoption records", build_cockpit),
        ("leadership questions", build_leadership),
        ("cross-team dependencies", build_dependencies),
        ("chances of delivery and risks", build_dependency_risks),
        ("dependencies found in the data", build_dependency_proposals),
        ("objectives and key results", build_outcomes),
        ("roadmap calendars and plans", build_roadmap),
        ("playbooks, onboarding and communities", build_enablement),
        ("coaching records", build_coaching),
        ("stand-up, refinement and planning sessions", build_sessions),
    )
    total_steps = 5 + len(extra_steps)
    report("groups and teams", 0, total_steps)

    group_ids = {
        name: teams.create_group(session=session, actor=None, name=name, description=text).id for name, text in GROUPS.items()
    }
    team_by_name: dict[str, Team] = {}
    for name, group, zone, text in TEAMS:
        team_by_name[name] = teams.create_team(
            session=session, actor=None, name=name, time_zone=zone, group_id=group_ids[group], description=text
        )
    report("people", 1, total_steps)

    def person(name: str, role: Role, title: str) -> User:
        user = accounts.create(session=session, actor=None, email=_email(name), name=name, role=role, title=title)
        user.password_hash = shared_hash
        return user

    admin = accounts.create(
        session=session, actor=None, email=ADMIN[1], name=ADMIN[0], role=Role.ADMIN, title="Tools administrator"
    )
    admin.password_hash = shared_hash
    result.logins.append(DemoLogin("admin", admin.name, admin.email))

    names = MEMBER_NAMES[:]
    rng.shuffle(names)
    per_team = len(names) // len(TEAMS)
    for index, (team_name, *_rest) in enumerate(TEAMS):
        for name in names[index * per_team : (index + 1) * per_team]:
            user = person(name, Role.MEMBER, rng.choice(TITLES))
            teams.add_member(session=session, actor=None, team_id=team_by_name[team_name].id, user_id=user.id)
            if index == 0 and len(result.logins) == 1:
                result.logins.append(DemoLogin(f"member of {team_name}", user.name, user.email))
    report("roles", 2, total_steps)

    for name, team_names in DELIVERY_MANAGERS:
        dm = person(name, Role.DELIVERY_MANAGER, "Delivery Manager")
        for team_name in team_names:
            teams.add_member(
                session=session,
                actor=None,
                team_id=team_by_name[team_name].id,
                user_id=dm.id,
                team_role=TeamRole.DELIVERY_MANAGER,
            )
        if len(result.logins) == 2:
            result.logins.append(DemoLogin(f"delivery manager of {' and '.join(team_names)}", dm.name, dm.email))
    for index, name in enumerate(PRODUCT_OPS):
        ops = person(name, Role.PRODUCT_OPS, "Product Operations")
        if index == 0:
            result.logins.append(DemoLogin("product ops", ops.name, ops.email))
    for index, (name, title) in enumerate(LEADERS):
        leader = person(name, Role.LEADER, title)
        if index == 0:
            result.logins.append(DemoLogin("product leader", leader.name, leader.email))
    session.flush()
    report("work-item history", 3, total_steps)
    end = (now or utcnow()).date()
    dm_of: dict[str, User] = {}
    for name, team_names in DELIVERY_MANAGERS:
        for team_name in team_names:
            dm_of[team_name] = session.scalars(select(User).where(User.name == name)).one()
    for index, simulated in enumerate(simulate_organisation(teams=len(TEAMS), months=HISTORY_MONTHS, seed=seed, end=end)):
        summary = import_simulated(session, simulated)
        result.items += summary.items
        result.transitions += summary.transitions
        team = team_by_name[simulated.name]
        result.forecasts += make_past_forecasts(
            session, team, author=dm_of[team.name], now=now or utcnow(), seed=seed * 10 + index
        )
    result.impediments = build_impediments(session, now=now or utcnow(), seed=seed)
    result.actions = build_actions(session, now=now or utcnow())
    result.retros = build_retros(session, now=now or utcnow())
    # Each later capability adds its part; coaching insights come last, as they read all the rest.
    for step, (name, build) in enumerate(extra_steps, start=4):
        report(name, step, total_steps)
        result.extras[name] = build(session, now=now or utcnow(), seed=seed)
    result.extras["example notification channels"] = build_notifications(session, now=now or utcnow(), app_key=app_key)
    # Stored as the job stores them, so the first portfolio view reads every team's row instead of computing it.
    report("portfolio rows", total_steps - 1, total_steps)
    session.flush()
    result.extras["portfolio rows"] = refresh_changed(session, now=now or utcnow(), min_group_size=min_group_size)
    report("done", total_steps, total_steps)
    result.teams = len(TEAMS)
    result.people = 1 + len(MEMBER_NAMES) + len(DELIVERY_MANAGERS) + len(PRODUCT_OPS) + len(LEADERS)
    return result
