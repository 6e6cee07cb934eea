"""What a person may see of a round, a team's history and the heat map, as plain data for pages and the API.

One place decides what is shown: results only for closed rounds with enough respondents, comments
only for the team's people, never anyone's individual answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.health import service
from deliveryops.health.crossteam import HeatMap
from deliveryops.health.models import HealthRound
from deliveryops.health.schemas import HeatmapRead, RoundRead, TeamHistoryRead
from deliveryops.health.scoring import CardResult
from deliveryops.health.service import RoundSummary
from deliveryops.teams.models import Team, TeamRole
from deliveryops.teams.service import can_manage_team

__all__ = [
    "card_data",
    "heatmap_data",
    "heatmap_read",
    "history_data",
    "round_data",
    "round_read",
    "round_state",
    "team_history_data",
    "team_history_read",
]


def round_state(health_round: HealthRound, now: datetime | None = None) -> str:
    """ "open" or "closed"."""
    return "closed" if service.closed_at_of(health_round, now) is not None else "open"


def card_data(card: CardResult, *, comments: list[str] | None = None) -> dict[str, Any]:
    """A card's result as JSON-ready data (comments only when given: the team's people)."""
    data: dict[str, Any] = {
        "key": card.key,
        "title": card.title,
        "colours": card.colours,
        "trends": card.trends,
        "answers": card.answers,
        "score": card.score,
        "result": card.colour.value,
        "trend_balance": card.trend_balance,
        "change": card.change,
    }
    if comments is not None:
        data["comments"] = comments
    return data


def round_data(
    session: Session, actor: User, health_round: HealthRound, *, minimum: int, now: datetime | None = None
) -> dict[str, Any]:
    """A round as the actor may see it: cards, own status, progress and (when shown) results."""
    team = session.get(Team, health_round.team_id)
    assert team is not None
    role = service.team_role(session, actor, team.id)
    state = round_state(health_round, now)
    answered = service.has_answered(session, health_round.id, actor) if role is TeamRole.MEMBER else None
    respondents = service.respondent_count(session, health_round.id)
    summary: RoundSummary | None = None
    if state == "closed":
        history = service.team_history(session, team_id=team.id, min_group_size=minimum, now=now)
        summary = next((s for s in history if s.round_id == health_round.id), None)
    shown = summary is not None and summary.shown
    comments = service.comments_of(session, health_round) if shown and role is not None else None
    results: dict[str, Any] = {
        "shown": shown,
        "minimum": minimum,
        "hidden_reason": None if shown else ("open" if state == "open" else "too_few"),
        "overall": summary.overall if summary and shown else None,
        "previous_round_id": summary.previous_round_id if summary and shown else None,
        "cards": [
            card_data(c, comments=None if comments is None else comments.get(c.key, []))
            for c in (summary.cards if summary and shown else [])
        ],
    }
    return {
        "id": health_round.id,
        "team_id": team.id,
        "team_slug": team.slug,
        "team_name": team.name,
        "title": health_round.title,
        "state": state,
        "template_name": health_round.template_name,
        "template_version": health_round.template_version,
        "opened_at": health_round.opened_at,
        "closes_at": health_round.closes_at,
        "closed_at": service.closed_at_of(health_round, now),
        "cards": [{"key": c.key, "title": c.title, "awesome": c.awesome, "crappy": c.crappy} for c in health_round.cards],
        # Progress while open; once closed, the count only when results are shown.
        "respondents": respondents if state == "open" or shown else None,
        "can_answer": role is TeamRole.MEMBER and state == "open" and not answered,
        "answered": answered,
        "can_manage": can_manage_team(session, actor, team),
        "comments_visible": comments is not None,
        "results": results,
    }


def history_data(history: list[RoundSummary], *, minimum: int) -> list[dict[str, Any]]:
    """The team's closed rounds, oldest first; hidden ones without any count or value."""
    return [
        {
            "round_id": s.round_id,
            "title": s.title,
            "closed_at": s.closed_at,
            "shown": s.shown,
            "respondents": s.respondents if s.shown else None,
            "overall": s.overall,
            "hidden_reason": None if s.shown else f"hidden: fewer than {minimum} respondents",
            "cards": [card_data(c) for c in s.cards],
        }
        for s in history
    ]


def team_history_data(session: Session, team_id: int, *, minimum: int) -> dict[str, Any]:
    """The team's closed rounds (hidden below ``minimum``) and the cards red several rounds running."""
    rounds = service.team_history(session, team_id=team_id, min_group_size=minimum)
    return {
        "minimum": minimum,
        "rounds": history_data(rounds, minimum=minimum),
        "red_streaks": [
            {
                "card_key": s.card_key,
                "card_title": s.card_title,
                "red_rounds": s.red_rounds,
                "last_round_id": s.last_round_id,
                "last_round_closed_at": s.last_round_closed_at,
            }
            for s in service.red_streaks(rounds)
        ],
    }


def heatmap_data(heat: HeatMap) -> dict[str, Any]:
    """The heat map as JSON-ready data: no comments, hidden teams without values."""

    def cell(team_id: int, period: str) -> dict[str, Any] | None:
        found = heat.cell(team_id, period)
        if found is None:
            return None
        if not found.shown:
            return {"round_id": found.round_id, "shown": False, "hidden_reason": f"hidden: fewer than {heat.minimum} respondents"}
        return {
            "round_id": found.round_id,
            "shown": True,
            "overall": found.overall,
            "cards": {key: {"score": c.score, "result": c.colour.value} for key, c in found.cards.items()},
        }

    return {
        "granularity": heat.granularity,
        "minimum": heat.minimum,
        "periods": heat.periods,
        "period": heat.period,
        "cards": [{"key": key, "title": title} for key, title in heat.cards],
        "teams": [
            {"id": t.id, "name": t.name, "slug": t.slug, "periods": {p: cell(t.id, p) for p in heat.periods}} for t in heat.teams
        ],
    }


def round_read(
    session: Session, actor: User, health_round: HealthRound, *, minimum: int, now: datetime | None = None
) -> RoundRead:
    """:func:`round_data` as the API's and the CLI's contract."""
    return RoundRead.model_validate(round_data(session, actor, health_round, minimum=minimum, now=now))


def team_history_read(session: Session, team_id: int, *, minimum: int) -> TeamHistoryRead:
    """:func:`team_history_data` as the API's and the CLI's contract."""
    return TeamHistoryRead.model_validate(team_history_data(session, team_id, minimum=minimum))


def heatmap_read(heat: HeatMap) -> HeatmapRead:
    """:func:`heatmap_data` as the API's contract."""
    return HeatmapRead.model_validate(heatmap_data(heat))
