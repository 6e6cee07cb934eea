"""Past retrospectives for the demo: finished ones with cards, themes, votes and actions, and one to come."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.actions.models import ImprovementAction
from deliveryops.retros import service
from deliveryops.retros.models import Phase
from deliveryops.simulate.demo import PAYMENTS_SPLIT_DAYS
from deliveryops.teams.models import Membership, Team, TeamRole

# team: (title, days ago, {column: [cards]}, theme title, action it decided (None: no action))
RETROS: dict[str, list[tuple[str, int, dict[str, list[str]], str, str | None]]] = {
    "Checkout": [
        (
            "Sprint 31 retro",
            196,
            {
                "Stop": ["Starting new stories while reviews wait", "Too many items in review", "Half-done stories pile up"],
                "Start": ["Swarm on the oldest item first"],
                "Continue": ["Pairing on bugs"],
            },
            "Too much work in progress",
            "Limit WIP to 5 and swarm on reviews",
        ),
    ],
    "Search": [
        (
            "Sprint 18 retro",
            190,
            {
                "Stop": ["Reviews wait for one person", "Only Sam knows the ranking code", "Pull requests sit for days"],
                "Start": ["Pair on code reviews"],
                "Continue": ["Demo every Friday"],
            },
            "Review bottleneck",
            "Pair on code reviews",
        ),
    ],
    "Payments": [
        (
            "Q2 retro",
            PAYMENTS_SPLIT_DAYS + 4,
            {
                "Mad": ["Stories took three weeks"],
                "Sad": ["We found the risky part of the refund story on its last day"],
                "Glad": ["Great support from Platform"],
            },
            "Big stories",
            "Split stories below three days",
        ),
        (
            # Already raised as an impediment (the security sign-off), so no team action came out of it.
            "Q3 retro",
            60,
            {
                "Mad": ["Still waiting for the security sign-off"],
                "Sad": ["Tokenisation go-live slipped again"],
                "Glad": ["Release notes now write themselves"],
            },
            "Security sign-off",
            None,
        ),
    ],
}


def _dm(session: Session, team: Team) -> User:
    return session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team.id, Membership.team_role == TeamRole.DELIVERY_MANAGER)
    ).one()


def build_retros(session: Session, *, now: datetime) -> int:
    """Create the demo's retros; returns how many."""
    teams = {t.name: t for t in session.scalars(select(Team))}
    made = 0
    for team_name, retros in RETROS.items():
        team = teams[team_name]
        dm = _dm(session, team)
        for title, days_ago, cards, theme_title, action_title in retros:
            retro = service.schedule(
                session=session,
                actor=dm,
                team_id=team.id,
                title=title,
                retro_format="mad-sad-glad" if "Mad" in cards else "start-stop-continue",
                scheduled_for=now - timedelta(days=days_ago),
            )
            service.advance(session=session, actor=dm, retro_id=retro.id)  # reflect
            # Each card from another participant's device, as in a real retro (the team's cards are anonymous).
            devices = [secrets.token_urlsafe(8) for _ in range(4)]
            device = devices[0]
            written = [(column, text) for column, texts in cards.items() for text in texts]
            for index, (column, text) in enumerate(written):
                service.add_card(
                    session=session, actor=dm, retro_id=retro.id, token=devices[index % len(devices)], column=column, text=text
                )
            service.advance(session=session, actor=dm, retro_id=retro.id)  # group
            first_column = next(iter(cards))
            grouped = [c.id for c in retro.cards if c.column == first_column]
            service.create_theme(session=session, actor=dm, retro_id=retro.id, title=theme_title, card_ids=grouped)
            service.advance(session=session, actor=dm, retro_id=retro.id)  # vote
            theme = next(t for t in retro.themes if t.title == theme_title)
            for voter in range(3):
                service.vote(session=session, actor=dm, retro_id=retro.id, token=f"{device}-{voter}", theme_id=theme.id)
            service.advance(session=session, actor=dm, retro_id=retro.id)  # discuss
            service.set_notes(
                session=session,
                actor=dm,
                retro_id=retro.id,
                theme_id=theme.id,
                notes="Agreed to try it for a quarter and check the data.",
            )
            service.advance(session=session, actor=dm, retro_id=retro.id)  # actions
            service.advance(session=session, actor=dm, retro_id=retro.id)  # finished
            retro.finished_at = retro.scheduled_for + timedelta(hours=1)
            # The action this retro decided (created with the demo's improvement actions) links back to it.
            if action_title is not None:
                decided = session.scalars(
                    select(ImprovementAction).where(ImprovementAction.team_id == team.id, ImprovementAction.title == action_title)
                ).one()
                decided.retro_id = retro.id
            made += 1
    # An upcoming retro, ready to run.
    dm = _dm(session, teams["Checkout"])
    upcoming = service.schedule(
        session=session, actor=dm, team_id=teams["Checkout"].id, title="Sprint 44 retro", scheduled_for=now + timedelta(days=2)
    )
    assert upcoming.phase is Phase.REVIEW
    session.flush()
    return made + 1
