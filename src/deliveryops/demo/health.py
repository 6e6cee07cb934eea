"""Demo health checks: five closed rounds per team over the last months and one open round each.

The answers follow the simulated teams (deliveryops.simulate.demo): Checkout improves, Search
degrades (its "Easy to release" and "Speed" are red in the last two rounds), Data Platform lacks
support (blockers on data access and environments), Mobile's release train makes releasing so-so,
Growth learns fast, Payments is steady. One Data Platform round had only two respondents, so it is
hidden everywhere. Everything goes through the health service, as a person would.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.health import catalog, service
from deliveryops.health.catalog import DEFAULT_CARDS, CardIn
from deliveryops.health.models import Colour, Trend
from deliveryops.health.service import AnswerIn
from deliveryops.teams.models import Membership, Team, TeamRole

__all__ = ["build_health"]

ROUND_DAYS_AGO = (170, 135, 100, 65, 30)
OPEN_DAYS_AGO = 3
KEYS = [card.key for card in DEFAULT_CARDS]

# team -> (base level of every card per round, {card: levels per round}); levels run 0 (crappy) to 1 (awesome).
PROFILES: dict[str, tuple[tuple[float, ...], dict[str, tuple[float, ...]]]] = {
    "Payments": (
        (0.66, 0.65, 0.67, 0.66, 0.68),
        {"tech_quality": (0.5, 0.5, 0.52, 0.5, 0.55), "support": (0.5, 0.55, 0.5, 0.52, 0.5)},
    ),
    "Checkout": (
        (0.4, 0.48, 0.58, 0.68, 0.78),
        {"easy_to_release": (0.25, 0.35, 0.5, 0.7, 0.85), "speed": (0.2, 0.35, 0.5, 0.7, 0.82)},
    ),
    "Search": (
        (0.72, 0.66, 0.58, 0.5, 0.42),
        {
            "easy_to_release": (0.66, 0.6, 0.55, 0.1, 0.05),
            "speed": (0.68, 0.62, 0.55, 0.1, 0.05),
            "fun": (0.8, 0.75, 0.65, 0.5, 0.4),
        },
    ),
    "Mobile": (
        (0.64, 0.66, 0.65, 0.67, 0.66),
        {"easy_to_release": (0.45, 0.42, 0.45, 0.48, 0.45), "fun": (0.85, 0.85, 0.82, 0.85, 0.86)},
    ),
    "Data Platform": (
        (0.55, 0.56, 0.55, 0.57, 0.58),
        {"support": (0.3, 0.25, 0.22, 0.2, 0.25), "speed": (0.4, 0.38, 0.35, 0.4, 0.42)},
    ),
    "Growth": (
        (0.68, 0.7, 0.7, 0.72, 0.72),
        {
            "speed": (0.82, 0.85, 0.85, 0.86, 0.88),
            "learning": (0.85, 0.88, 0.86, 0.9, 0.9),
            "tech_quality": (0.45, 0.42, 0.4, 0.42, 0.45),
        },
    ),
}
HIDDEN_ROUND = ("Data Platform", 2)  # only two people answered this one

COMMENTS: dict[str, dict[str, list[str]]] = {
    "Search": {
        "easy_to_release": [
            "The release pipeline failed twice this month; we roll back by hand.",
            "Nobody dares to release on Fridays any more.",
        ],
        "speed": [
            "Everything waits on the one person who knows the ranking code.",
            "Too many things started at once; nothing gets finished.",
        ],
    },
    "Checkout": {
        "speed": ["The WIP limit helps: we finish before we start something new."],
        "easy_to_release": ["Feature flags made releasing boring, in a good way."],
    },
    "Data Platform": {
        "support": ["Still waiting weeks for data-access approvals.", "The staging environment was down again for days."]
    },
    "Mobile": {"easy_to_release": ["The fortnightly train means a fix waits up to two weeks."]},
    "Growth": {"learning": ["Every experiment teaches us something, even the failed ones."]},
    "Payments": {"tech_quality": ["The settlement module needs a rewrite before the next PSP."]},
}

PLATFORM_TEMPLATE = "Platform health check"
PLATFORM_EXTRA = (
    CardIn(
        "teamwork",
        "Teamwork",
        "We are a tight-knit team that works together really well.",
        "We are a bunch of individuals that neither know nor care about what the others are doing.",
    ),
    CardIn(
        "data_access",
        "Data access",
        "We get the data and access we need within a day.",
        "Every new data source means weeks of tickets and approvals.",
    ),
)


def _level(team: str, key: str, index: int) -> float:
    base, cards = PROFILES[team]
    return cards.get(key, base)[index]


def _answer(rng: random.Random, level: float, previous: float | None) -> tuple[Colour, Trend]:
    value = level + rng.gauss(0, 0.08 if level < 0.15 else 0.18)
    colour = Colour.GREEN if value >= 0.66 else Colour.RED if value < 0.33 else Colour.AMBER
    delta = 0.0 if previous is None else level - previous
    roll = rng.random()
    if delta > 0.04:
        trend = Trend.BETTER if roll < 0.7 else Trend.SAME
    elif delta < -0.04:
        trend = Trend.WORSE if roll < 0.7 else Trend.SAME
    else:
        trend = Trend.SAME if roll < 0.7 else (Trend.BETTER if roll < 0.85 else Trend.WORSE)
    return colour, trend


def _people(session: Session, team: Team) -> tuple[User, list[User]]:
    memberships = list(session.scalars(select(Membership).where(Membership.team_id == team.id).order_by(Membership.user_id)))
    dm = next(m.user for m in memberships if m.team_role is TeamRole.DELIVERY_MANAGER)
    return dm, [m.user for m in memberships if m.team_role is TeamRole.MEMBER]


def build_health(session: Session, *, now: datetime, seed: int) -> int:
    """Add health data to the demo organisation; returns how many rounds it made."""
    teams = {t.name: t for t in session.scalars(select(Team))}
    made = 0
    platform_template_id: int | None = None
    for team_index, (team_name, _profile) in enumerate(PROFILES.items()):
        team = teams.get(team_name)
        if team is None:
            continue
        rng = random.Random(seed * 1000 + team_index)
        dm, members = _people(session, team)
        if team_name == "Data Platform" and platform_template_id is None:
            platform_template_id = catalog.create_template(
                session=session,
                actor=dm,
                name=PLATFORM_TEMPLATE,
                description="The standard cards plus teamwork and data access, for platform teams.",
                cards=[*DEFAULT_CARDS, *PLATFORM_EXTRA],
            ).id
        for index, days_ago in enumerate(ROUND_DAYS_AGO):
            opened = now - timedelta(days=days_ago)
            health_round = service.open_round(
                session=session, actor=dm, team_id=team.id, now=opened, title=f"Health check {opened:%B %Y}"
            )
            answering = 2 if (team_name, index) == HIDDEN_ROUND else rng.choice((4, 5, len(members)))
            bank = COMMENTS.get(team_name, {})
            for person_index, member in enumerate(rng.sample(members, min(answering, len(members)))):
                answers = {}
                for key in KEYS:
                    previous = _level(team_name, key, index - 1) if index else None
                    colour, trend = _answer(rng, _level(team_name, key, index), previous)
                    texts = bank.get(key, [])
                    # The later rounds carry the comments, one writer per comment.
                    comment = texts[person_index] if index >= 3 and person_index < len(texts) else ""
                    answers[key] = AnswerIn(colour, trend, comment)
                service.submit_answers(
                    session=session,
                    actor=member,
                    round_id=health_round.id,
                    answers=answers,
                    now=opened + timedelta(hours=2 + person_index),
                )
            service.close_round(session=session, actor=dm, round_id=health_round.id, now=opened + timedelta(days=7))
            made += 1
        opened = now - timedelta(days=OPEN_DAYS_AGO)
        template_id = platform_template_id if team_name == "Data Platform" else None
        open_round = service.open_round(
            session=session,
            actor=dm,
            team_id=team.id,
            now=opened,
            template_id=template_id,
            title=f"Health check {opened:%B %Y}",
            closes_at=now + timedelta(days=4),
        )
        # A few have answered; the first member (the demo's sign-in) has not, so they can try it.
        for member in members[1 : 1 + rng.randint(1, 2)]:
            answers = {
                card.key: AnswerIn(*_answer(rng, _level(team_name, card.key, 4) if card.key in KEYS else 0.6, None))
                for card in open_round.cards
            }
            service.submit_answers(session=session, actor=member, round_id=open_round.id, answers=answers, now=opened)
        made += 1
    return made
