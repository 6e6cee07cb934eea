"""Past retrospectives for the demo: finished ones with cards, themes, votes and actions, and one to come."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.actions.models import ImprovementAction
from deliveryops.retros import multi, service
from deliveryops.retros.models import Phase, Retro
from deliveryops.retros.multi_models import MultiRetro
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
    found = build_multi_retro(session, now=now)
    return made + 1 + len(found.breakouts)


# The demo's multi-team retro: each team's breakout (cards, theme, votes), then the synthesis.
# team: (cards in "Stop", the theme grouping the first two, votes on it)
MULTI_BREAKOUTS: dict[str, tuple[list[str], str, int]] = {
    "Checkout": (
        ["Pull requests wait two days for a review", "Reviews pile up before the release", "Flaky pipeline"],
        "Code reviews wait",
        3,
    ),
    "Search": (["Only Sam reviews ranking changes", "Reviews block us each sprint", "Too many meetings"], "Slow code reviews", 2),
    "Payments": (
        ["Refund pull requests wait for one reviewer", "Only one person can review payments code", "Waiting on Platform"],
        "Code reviews take too long",
        2,
    ),
}
MULTI_DAYS_AGO = 21


def build_multi_retro(session: Session, *, now: datetime) -> MultiRetro:
    """One finished multi-team retro across Checkout, Search and Payments, facilitated by Product Ops: the
    three teams' themes about code reviews merged on the synthesis, voted, and an action owned by Search.
    (The three themes also make a recurring theme of the retro of retros.)"""
    teams = {t.name: t for t in session.scalars(select(Team))}
    ops = session.scalars(select(User).where(User.role == Role.PRODUCT_OPS).order_by(User.name)).first()
    assert ops is not None
    when = now - timedelta(days=MULTI_DAYS_AGO)
    found = multi.create(
        session=session,
        actor=ops,
        title="Q4 cross-team retro",
        team_ids=[teams[name].id for name in MULTI_BREAKOUTS],
        scheduled_for=when,
    )
    multi.advance_breakouts(session=session, actor=ops, multi_id=found.id)  # reflect
    people = {name: _dm(session, teams[name]) for name in MULTI_BREAKOUTS}
    breakouts = {b.team_id: b.retro_id for b in found.breakouts}
    for name, (cards, _theme, _votes) in MULTI_BREAKOUTS.items():
        retro_id = breakouts[teams[name].id]
        for index, text in enumerate(cards):
            token = f"{name}-{index}"
            service.add_card(session=session, actor=people[name], retro_id=retro_id, token=token, column="Stop", text=text)
    multi.advance_breakouts(session=session, actor=ops, multi_id=found.id)  # group
    for name, (_cards, theme, _votes) in MULTI_BREAKOUTS.items():
        retro_id = breakouts[teams[name].id]
        retro = session.get(Retro, retro_id)
        assert retro is not None
        service.create_theme(
            session=session, actor=people[name], retro_id=retro_id, title=theme, card_ids=[c.id for c in retro.cards[:2]]
        )
    multi.advance_breakouts(session=session, actor=ops, multi_id=found.id)  # vote
    for name, (_cards, theme, votes) in MULTI_BREAKOUTS.items():
        retro = session.get(Retro, breakouts[teams[name].id])
        assert retro is not None
        grouped = next(t for t in retro.themes if t.title == theme)
        for voter in range(votes):
            token = f"{name}-voter-{voter}"
            service.vote(session=session, actor=people[name], retro_id=retro.id, token=token, theme_id=grouped.id)
    multi.advance_breakouts(session=session, actor=ops, multi_id=found.id)  # discuss
    multi.advance(session=session, actor=ops, multi_id=found.id)  # synthesis
    by_title = {t.title: t for t in found.themes}
    reviews = by_title["Code reviews wait"]
    for similar in ("Slow code reviews", "Code reviews take too long"):
        multi.merge_themes(session=session, actor=ops, multi_id=found.id, theme_id=by_title[similar].id, into_id=reviews.id)
    multi.rename_theme(session=session, actor=ops, multi_id=found.id, theme_id=reviews.id, title="Code reviews wait across teams")
    multi.advance(session=session, actor=ops, multi_id=found.id)  # vote
    for name in MULTI_BREAKOUTS:
        multi.vote(session=session, actor=people[name], multi_id=found.id, token=f"{name}-synthesis", theme_id=reviews.id)
    multi.advance(session=session, actor=ops, multi_id=found.id)  # actions
    action = multi.add_action(
        session=session,
        actor=people["Search"],
        multi_id=found.id,
        title="Two reviewers for ranking changes",
        team_id=teams["Search"].id,
        owner_id=people["Search"].id,
        due_date=(when + timedelta(days=14)).date(),
        theme_id=reviews.id,
    )
    action.started_on = when.date()
    multi.advance(session=session, actor=ops, multi_id=found.id)  # finished, with the breakouts
    found.finished_at = when + timedelta(hours=2)
    for retro_id in breakouts.values():
        retro = session.get(Retro, retro_id)
        assert retro is not None
        retro.finished_at = when + timedelta(hours=1)
    session.flush()
    return found
