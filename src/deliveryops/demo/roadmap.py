"""The demo's roadmap: a public-holiday calendar per team, planned absence, and each team's plan for its epics."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.flow.data import load_team_data
from deliveryops.flow.service import open_epics, today_in
from deliveryops.roadmap import service as roadmap
from deliveryops.roadmap.engine import Rule
from deliveryops.teams.models import Team

# team name → (country, subdivision, rule)
CALENDARS = {
    "Payments": ("DE", "BE", Rule.PRIORITY),
    "Checkout": ("DE", "BE", Rule.SHARES),
    "Growth": ("GB", "ENG", Rule.PRIORITY),
    "Search": ("NL", None, Rule.EVEN),
    "Mobile": ("US", "NY", Rule.PRIORITY),
    "Data Platform": ("DE", "BE", Rule.PRIORITY),
}


def build_roadmap(session: Session, *, now: datetime, seed: int) -> int:
    """Set every team's calendar, plan year-end absence and a training week, store each team's plan.

    Returns:
        How many teams have a roadmap plan.
    """
    planned = 0
    for team in session.scalars(select(Team).order_by(Team.name)):
        if team.name not in CALENDARS:
            continue
        country, subdivision, rule = CALENDARS[team.name]
        roadmap.set_calendar(session=session, actor=None, team_id=team.id, country=country, subdivision=subdivision)
        today = today_in(team, now)
        year_end = date(today.year, 12, 21) if today <= date(today.year, 12, 21) else date(today.year + 1, 12, 21)
        roadmap.add_absence(
            session=session,
            actor=None,
            team_id=team.id,
            start=year_end,
            end=year_end + timedelta(days=11),
            percent=50,
            note="Year-end holidays (half the team away)",
        )
        if (team.id + seed) % 3 == 0:
            start = today + timedelta(days=21 - today.weekday())
            roadmap.add_absence(
                session=session,
                actor=None,
                team_id=team.id,
                start=start,
                end=start + timedelta(days=4),
                percent=30,
                note="Training week",
            )
        keys = [key for key, *_rest in open_epics(load_team_data(session, team))]
        if not keys:
            continue
        # Newest epic first for some teams, so the plan visibly differs from the default (oldest first).
        order = list(reversed(keys)) if team.id % 2 == 0 else keys
        shares = {key: max(10, 60 - 15 * index) for index, key in enumerate(order)} if rule is Rule.SHARES else None
        roadmap.set_plan(session=session, actor=None, team_id=team.id, rule=rule, order=order, shares=shares)
        planned += 1
    session.flush()
    return planned
