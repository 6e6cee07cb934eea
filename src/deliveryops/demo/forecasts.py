"""Past forecasts for the demo, made as the teams would have made them, so calibration has a record."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.flow import service as flow
from deliveryops.teams.models import Team

FORECAST_EVERY_DAYS = 14
FORECAST_HISTORY_DAYS = 364


def make_past_forecasts(session: Session, team: Team, *, author: User, now: datetime, seed: int) -> int:
    """Every two weeks over the past year: "when will the next 15 items be done" and "how many in 4 weeks".

    Each is committed as the team's plan, as a team would at its planning meeting; one what-if a
    fortnight ("what if 25 items?") is kept beside them and is not scored. Each is computed with only
    the throughput known on its day (the window ends the day before), then scored against what the
    simulated team really did.

    Returns:
        How many forecasts were stored.
    """
    made = 0
    for index, days_ago in enumerate(range(FORECAST_HISTORY_DAYS, 13, -FORECAST_EVERY_DAYS)):
        then = datetime.combine((now - timedelta(days=days_ago)).date(), time(12), tzinfo=UTC)
        flow.create_when(
            session=session,
            actor=author,
            team_id=team.id,
            remaining_items=15,
            now=then,
            seed=seed * 1000 + index * 3,
            commitment="plan",
        )
        flow.create_how_many(
            session=session,
            actor=author,
            team_id=team.id,
            by_date=flow.today_in(team, then) + timedelta(days=28),
            now=then,
            seed=seed * 1000 + index * 3 + 1,
            commitment="plan",
        )
        flow.create_when(
            session=session, actor=author, team_id=team.id, remaining_items=25, now=then, seed=seed * 1000 + index * 3 + 2
        )
        made += 3
    flow.score_forecasts(session, team, now=now)
    return made
