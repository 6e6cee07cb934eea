"""The weekly digest's highlights posted to each team's Slack or Microsoft Teams channels that ask for them.

Once per ISO week, from the digests' weekday and hour (UTC) on; a team whose highlights of that week were posted
already is skipped, so later runs and restarts never post twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from deliveryops.cockpit.digest.service import iso_week, team_highlights
from deliveryops.db import utcnow
from deliveryops.notify import service as notify
from deliveryops.teams.models import Team

__all__ = ["post_highlights"]


def post_highlights(session: Session, *, now: datetime | None = None) -> int:
    """Queue this week's highlights to every team with a channel for them; returns how many teams were posted to."""
    moment = now or utcnow()
    week = iso_week(moment.date())
    posted = 0
    for team_id in notify.teams_posting(session, "digest"):
        team = session.get(Team, team_id)
        assert team is not None
        title = f"Weekly highlights of {team.name}, {week}"
        if notify.already_posted(session, team_id=team.id, event="digest", title=title):
            continue
        lines = [line.text for line in team_highlights(session=session, team=team, now=moment)] or [
            "A quiet week: nothing to report."
        ]
        notify.announce(session, team_id=team.id, event="digest", title=title, lines=lines, link=f"/teams/{team.slug}")
        posted += 1
    return posted
