"""Demo data for the cockpit: the catalogue of tools and practices, a year of adoption, WIP limits,
and the demo's operational impediments naming the tool they concern."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.analytics.flow import wip
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.models import CatalogueEntry
from deliveryops.cockpit.rollouts import service as rollouts
from deliveryops.flow.data import load_team_data
from deliveryops.flow.service import default_types, today_in
from deliveryops.flow.timeline import counted_timeline
from deliveryops.impediments.models import Impediment
from deliveryops.retros import service as retros
from deliveryops.retros.models import Phase
from deliveryops.simulate.demo import DATA_ACCESS_DAYS, PAYMENTS_SPLIT_DAYS, RETRO_ADOPTION_DAYS
from deliveryops.teams.models import Membership, Team, TeamRole

__all__ = ["build_cockpit"]

# kind, name, category, data check, guide
CATALOGUE: list[tuple[str, str, str, str | None, str]] = [
    (
        "tool",
        "Jira",
        "tracker",
        "tracker_sync",
        "Our tracker for every team's work.\n\n- One board per team, statuses mapped to the team's workflow\n"
        "- Flag an item when it is blocked, with the reason\n- Ask Product Ops for a new project",
    ),
    (
        "tool",
        "GitHub",
        "source control",
        "code_review",
        "All code lives in GitHub.\n\n- Protected main branch, reviews required\n- Link pull requests to their Jira item",
    ),
    (
        "tool",
        "GitHub Actions",
        "CI/CD",
        "github_actions",
        "Build, test and deploy pipelines.\n\n- Use the shared workflow templates\n"
        "- Runners and test environments are owned by the platform team",
    ),
    (
        "tool",
        "LaunchDarkly",
        "feature flags",
        "not_observable",
        "Release behind flags, experiment with variations.\n\n- Name flags team.feature\n- Remove a flag within a "
        "month of full rollout",
    ),
    (
        "tool",
        "Amplitude",
        "analytics",
        "not_observable",
        "Product analytics and experiment metrics.\n\n- Events follow the tracking plan in Confluence\n"
        "- Ask Product Ops for a new metric definition",
    ),
    (
        "tool",
        "Grafana",
        "observability",
        "not_observable",
        "Dashboards and logs of production.\n\n- Every service has a dashboard\n- Read access to production logs via "
        "the access request form",
    ),
    (
        "tool",
        "Slack",
        "communication",
        "not_observable",
        "Day-to-day conversation.\n\n- One public channel per team\n- Incidents in #incident-<date>",
    ),
    (
        "tool",
        "Confluence",
        "documentation",
        "not_observable",
        "Decisions, guides and the tracking plan.\n\n- One space per team\n- Architecture decisions as ADRs",
    ),
    (
        "practice",
        "WIP limits",
        "flow",
        "wip_limits",
        "Limit work in progress so that work finishes sooner.\n\n- Agree a limit for the whole board\n"
        "- Set it on the team's Practices tab: DeliveryOps checks it against the team's WIP\n"
        "- Stop starting, start finishing",
    ),
    (
        "practice",
        "Definition of done",
        "quality",
        "not_observable",
        "A shared checklist for when an item is done.\n\n- Reviewed, tested, deployed, monitored\n"
        "- Revisit it at a retro every quarter",
    ),
    (
        "practice",
        "Regular retrospectives",
        "learning",
        "regular_retrospectives",
        "Inspect and adapt at least every four weeks.\n\n- Run it in DeliveryOps so the actions are tracked\n"
        "- Turn each decision into an improvement action",
    ),
    (
        "practice",
        "Experiment pre-registration",
        "experimentation",
        "experiment_preregistration",
        "Write the hypothesis, metric and sample size before an experiment starts.\n\n- Use the power calculator\n"
        "- Register it in the experiment registry before launch",
    ),
    (
        "practice",
        "Service level expectation",
        "flow",
        "forecasting",
        "Tell stakeholders how long items usually take.\n\n- The 85th percentile cycle time of the last 90 days\n"
        "- Review items that are older than the SLE",
    ),
    (
        "practice",
        "Trunk-based development",
        "quality",
        "trunk_based",
        "Small changes merged to main at least daily.\n\n- Short-lived branches\n- Feature flags for unfinished work",
    ),
    (
        "practice",
        "Blameless postmortems",
        "learning",
        "not_observable",
        "Learn from every incident without blame.\n\n- Within five working days\n- Actions tracked like any other",
    ),
    (
        "practice",
        "Daily aging review",
        "flow",
        "not_observable",
        "Walk the board from right to left every day.\n\n- Oldest items first\n- Ask what blocks them, not who",
    ),
]

# How far the organisation is with each entry: the chance that a team has adopted it.
MATURITY = {
    "Jira": 1.0,
    "GitHub": 1.0,
    "GitHub Actions": 0.8,
    "LaunchDarkly": 0.5,
    "Amplitude": 0.5,
    "Grafana": 0.7,
    "Slack": 1.0,
    "Confluence": 0.8,
    "WIP limits": 0.4,
    "Definition of done": 0.7,
    "Regular retrospectives": 0.8,
    "Experiment pre-registration": 0.3,
    "Service level expectation": 0.4,
    "Trunk-based development": 0.3,
    "Blameless postmortems": 0.5,
    "Daily aging review": 0.4,
}
# (team, entry) → the state story, overriding the random one.
FIXED: dict[tuple[str, str], str] = {
    ("Mobile", "Trunk-based development"): "not_applicable",  # app-store releases
    ("Data Platform", "LaunchDarkly"): "not_applicable",  # no user-facing features
    ("Data Platform", "Experiment pre-registration"): "not_applicable",
    ("Growth", "Experiment pre-registration"): "adopted",
    ("Payments", "WIP limits"): "adopted",
    ("Checkout", "WIP limits"): "adopted",  # its data says otherwise: the matrix flags the mismatch
    ("Search", "WIP limits"): "trying",
    ("Growth", "WIP limits"): "trying",
    ("Mobile", "WIP limits"): "not_started",
    ("Data Platform", "WIP limits"): "not_started",
    # Retros run in DeliveryOps confirm it for Payments and Growth; Checkout's last one is months old.
    ("Payments", "Regular retrospectives"): "adopted",
    ("Growth", "Regular retrospectives"): "adopted",
    ("Checkout", "Regular retrospectives"): "adopted",
    ("Search", "Regular retrospectives"): "trying",
    ("Mobile", "Regular retrospectives"): "not_started",
    ("Data Platform", "Regular retrospectives"): "trying",
    # The two rollouts (ROLLOUTS): their adopting teams' histories come from there; no other team adopts.
    ("Checkout", "Daily aging review"): "trying",
    ("Search", "Daily aging review"): "trying",
    ("Growth", "Daily aging review"): "not_started",
    ("Mobile", "Daily aging review"): "not_started",
    ("Payments", "Blameless postmortems"): "trying",
    ("Checkout", "Blameless postmortems"): "not_started",
    ("Search", "Blameless postmortems"): "not_started",
    ("Data Platform", "Blameless postmortems"): "trying",
}
# Rollouts Product Ops ran: entry, title, outcome metric, days ago it started, notes, and per team the days ago of
# its target and of its adoption (None: not adopted yet). The aging review's adopters changed how they work on the
# days the simulator's known step changes begin (Payments split its stories, Data Platform requests data access
# at refinement: deliveryops.simulate.demo), so its effect on cycle time is measured from real change, but two
# teams leave too wide an interval to tell; nothing changes in Growth's or Mobile's flow when they adopt blameless
# postmortems, so that rollout shows none. In the retrospectives rollout Data Platform, Growth and Payments adopt on
# the days their WIP limits truly fall in the simulator (RETRO_ADOPTION_DAYS), and Checkout, whose limit tightens
# gradually, adopts later; Mobile and Search have not adopted. Its effect on work in progress is measured, with an
# interval that excludes zero.
ROLLOUTS: list[tuple[str, str, str, int, str, dict[str, tuple[int, int | None]]]] = [
    (
        "Daily aging review",
        "Daily aging review in the Commerce and platform teams",
        "cycle_time_p85",
        200,
        "Walk the board from the oldest item every day; we expect old items to be split or unblocked sooner.",
        {
            "Payments": (PAYMENTS_SPLIT_DAYS - 10, PAYMENTS_SPLIT_DAYS),
            "Data Platform": (150, DATA_ACCESS_DAYS),
            "Search": (60, None),
        },
    ),
    (
        "Blameless postmortems",
        "Blameless postmortems for Growth and Mobile",
        "throughput",
        170,
        "Postmortems within five working days of an incident, without blame.",
        {"Growth": (140, 140), "Mobile": (100, 95)},
    ),
    (
        "Regular retrospectives",
        "Regular retrospectives in Checkout, Data Platform, Growth and Payments",
        "wip",
        330,
        "A retro every two weeks that ends with at most two actions; we expect work to flow faster as they land.",
        {
            "Data Platform": (305, RETRO_ADOPTION_DAYS["Data Platform"]),
            "Growth": (270, RETRO_ADOPTION_DAYS["Growth"]),
            "Payments": (260, RETRO_ADOPTION_DAYS["Payments"]),
            "Checkout": (240, 225),  # no step change: its WIP limit tightens gradually all year (simulate.demo)
        },
    ),
]
_ROLLOUT_ADOPTIONS = {
    (team, entry): days for entry, *_rest, teams in ROLLOUTS for team, (_target, days) in teams.items() if days is not None
}
# Recent retros (team, days ago, {column: [cards]}), so the regular retrospectives check has data to confirm.
RECENT_RETROS: list[tuple[str, int, dict[str, list[str]]]] = [
    (
        "Payments",
        12,
        {
            "Start": ["Review the aging chart every morning"],
            "Stop": ["Starting work above the WIP limit"],
            "Continue": ["Pairing on PSP integrations"],
        },
    ),
    (
        "Growth",
        20,
        {
            "Start": ["Pre-register every experiment"],
            "Stop": ["Peeking at results early"],
            "Continue": ["Weekly experiment review"],
        },
    ),
]
# Team → the share of the last 90 days the WIP limit should cover (the limit is the WIP at that rank; 1.0: the
# peak, so the limit was kept; below it, peak WIP went over the limit and the check says so).
WIP_COVERAGE = {"Payments": 1.0, "Checkout": 0.5, "Search": 0.85, "Growth": 0.7}
# Sessions a team held outside DeliveryOps and recorded in one line: team, kind, days ago, note.
HELD_OUTSIDE = [
    ("Checkout", "retro", 6, "Retro on the team room whiteboard"),
    ("Search", "health_check", 30, "Paper health check at the offsite"),
]
# Impediment title → the tool or practice it concerns.
IMPEDIMENT_TOOLS = {
    "Card test environment down every Monday": "GitHub Actions",
    "Staging payments sandbox unavailable": "GitHub Actions",
    "No access to production logs": "Grafana",
    "Still waiting for Splunk permissions": "Grafana",
    "Can't see prod logging for the search API": "Grafana",
    "Need read rights on live log dashboards": "Grafana",
    "Experiment flag service returns stale variants": "LaunchDarkly",
    "Unclear success metric for onboarding test": "Experiment pre-registration",
    "Acceptance criteria missing for address autocomplete": "Definition of done",
}
NOTES = {
    "trying": ["Piloting it for a month.", "Two people use it; the rest to follow.", ""],
    "adopted": ["Part of how we work now.", "Agreed at the retro.", ""],
    "not_applicable": ["Does not fit how this team ships."],
}


def _delivery_manager(session: Session, team: Team) -> User | None:
    return session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team.id, Membership.team_role == TeamRole.DELIVERY_MANAGER)
        .limit(1)
    )


def _wip_limit(session: Session, team: Team, coverage: float, now: datetime) -> int | None:
    data = load_team_data(session, team)
    data = data.only_types(default_types(data))
    if data.items.is_empty():
        return None
    today = today_in(team, now)
    timeline = counted_timeline(session, team)
    daily = sorted(int(v) for v in wip(timeline, start=today - timedelta(days=89), end=today)["wip"].to_list())
    return max(1, daily[min(len(daily) - 1, int(len(daily) * coverage))])


def _recent_retros(session: Session, now: datetime) -> int:
    made = 0
    for team_name, days_ago, cards in RECENT_RETROS:
        team = session.scalar(select(Team).where(Team.name == team_name))
        dm = _delivery_manager(session, team) if team is not None else None
        if team is None or dm is None:
            continue
        retro = retros.schedule(
            session=session,
            actor=dm,
            team_id=team.id,
            title="Fortnightly retro",
            retro_format="start-stop-continue",
            scheduled_for=now - timedelta(days=days_ago),
        )
        retros.advance(session=session, actor=dm, retro_id=retro.id)  # reflect
        device = f"demo-{team.id}"
        for column, texts in cards.items():
            for text in texts:
                retros.add_card(session=session, actor=dm, retro_id=retro.id, token=device, column=column, text=text)
        while retro.phase is not Phase.FINISHED:
            retros.advance(session=session, actor=dm, retro_id=retro.id)
        retro.finished_at = retro.scheduled_for + timedelta(hours=1)
        made += 1
    return made


def build_cockpit(session: Session, *, now: datetime, seed: int) -> int:
    """Add the catalogue, adoption histories, WIP limits and impediment links; returns how many records it made."""
    rng = random.Random(seed * 31 + 5)
    ops = list(session.scalars(select(User).where(User.role == Role.PRODUCT_OPS).order_by(User.name)))
    made = _recent_retros(session, now)
    entries = {}
    for index, (kind, name, category, check, guide) in enumerate(CATALOGUE):
        entries[name] = catalogue.create(
            session=session,
            actor=None,
            kind=kind,
            name=name,
            category=category,
            owner_id=ops[index % len(ops)].id if ops else None,
            guide=guide,
            data_check=check,
        )
        made += 1
    teams = list(session.scalars(select(Team).order_by(Team.name)))
    for team in teams:
        dm = _delivery_manager(session, team)
        for name, entry in entries.items():
            story = FIXED.get((team.name, name))
            adopted_days = _ROLLOUT_ADOPTIONS.get((team.name, name))
            fixed = story
            if adopted_days is not None:
                story = "rollout"
            elif story is None:
                draw = rng.random()
                maturity = MATURITY[name]
                story = "adopted" if draw < maturity else "trying" if draw < maturity + 0.25 else "not_started"
            first = now - timedelta(days=rng.randrange(200, 360), hours=rng.randrange(9))
            steps: list[tuple[str, datetime]] = []
            if adopted_days is not None:
                # Draw what the fixed story drew, so the other random histories stay as they were.
                if fixed == "adopted":
                    rng.randrange(30, 150)
                elif fixed == "trying":
                    rng.randrange(10, 150)
                adopted_at = now - timedelta(days=adopted_days, hours=-2)
                steps = [("trying", adopted_at - timedelta(days=30)), ("adopted", adopted_at)]
            elif story == "adopted":
                steps = [("trying", first), ("adopted", first + timedelta(days=rng.randrange(30, 150)))]
            elif story == "trying":
                steps = [("not_started", first), ("trying", now - timedelta(days=rng.randrange(10, 150)))]
            elif story == "not_applicable":
                steps = [("not_applicable", first)]
            elif rng.random() < 0.5:
                steps = [("not_started", first)]
            for state, at in steps:
                adoption.set_state(
                    session=session,
                    actor=None,
                    team_id=team.id,
                    entry_id=entry.id,
                    state=state,
                    note=rng.choice(NOTES.get(state, [""])),
                    set_at=at,
                )
                made += 1
            if dm is not None and steps:
                # The team's delivery manager declared them (the service records None for trusted callers).
                for row in adoption.history(session=session, team_id=team.id, entry_id=entry.id):
                    row.set_by_id = dm.id
        coverage = WIP_COVERAGE.get(team.name)
        limit = _wip_limit(session, team, coverage, now) if coverage is not None else None
        if limit is not None:
            adoption.set_wip_limit(session=session, actor=None, team_id=team.id, wip_limit=limit)
            made += 1
    for team_name, kind, days_ago, note in HELD_OUTSIDE:
        held_team = session.scalar(select(Team).where(Team.name == team_name))
        if held_team is not None:
            held_on = (now - timedelta(days=days_ago)).date()
            adoption.record_held(
                session=session, actor=None, team_id=held_team.id, kind=kind, held_on=held_on, note=note, today=now.date()
            )
            made += 1
    for impediment in session.scalars(select(Impediment).where(Impediment.title.in_(list(IMPEDIMENT_TOOLS)))):
        catalogue.link_impediment(
            session=session, actor=None, impediment_id=impediment.id, entry_id=entries[IMPEDIMENT_TOOLS[impediment.title]].id
        )
        made += 1
    made += _rollouts(session, now, ops[0] if ops else None, teams, entries)
    session.flush()
    return made


def _rollouts(session: Session, now: datetime, owner: User | None, teams: list[Team], entries: dict[str, CatalogueEntry]) -> int:
    by_name = {team.name: team for team in teams}
    for entry_name, title, metric, started, notes, plan in ROLLOUTS:
        rollouts.create_rollout(
            session=session,
            actor=None,
            entry_id=entries[entry_name].id,
            title=title,
            metric=metric,
            starts_on=(now - timedelta(days=started)).date(),
            teams=[(by_name[name].id, (now - timedelta(days=target)).date()) for name, (target, _) in plan.items()],
            owner_id=owner.id if owner else None,
            notes=notes,
        )
    return len(ROLLOUTS)
