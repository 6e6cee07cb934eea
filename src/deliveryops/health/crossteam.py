"""The cross-team view: teams × cards per period, from each team's latest closed round in the period.

Teams whose round had fewer respondents than the minimum are hidden (never their values); comments
never appear here. Product Ops, leaders and admins see every team; a delivery manager their teams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.health.catalog import DEFAULT_CARDS
from deliveryops.health.scoring import CardResult
from deliveryops.health.service import RoundSummary, minimum_respondents, team_history
from deliveryops.teams.models import Membership, Team, TeamRole

__all__ = ["GRANULARITIES", "HeatCell", "HeatMap", "heatmap", "period_of", "visible_teams"]

GRANULARITIES = ("quarter", "month")


def period_of(moment: datetime, granularity: str) -> str:
    """The period label of a time: "2026 Q3" or "2026-07" (UTC)."""
    if granularity == "month":
        return f"{moment.year}-{moment.month:02d}"
    return f"{moment.year} Q{(moment.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class HeatCell:
    """A team in a period: its latest closed round there, hidden or with its card results."""

    round_id: int
    round_title: str
    shown: bool
    overall: float | None
    cards: dict[str, CardResult]


@dataclass
class HeatMap:
    """Everything the heat-map page and API show."""

    granularity: str
    minimum: int
    periods: list[str]  # oldest first
    period: str | None
    teams: list[Team]
    cards: list[tuple[str, str]]  # (key, title) asked in the selected period
    cells: dict[tuple[int, str], HeatCell] = field(default_factory=dict)

    def cell(self, team_id: int, period: str) -> HeatCell | None:
        """The team's cell in a period (None: no closed round then)."""
        return self.cells.get((team_id, period))


def visible_teams(session: Session, actor: User) -> list[Team]:
    """The teams in the actor's cross-team view.

    Raises:
        PermissionDeniedError: for people who are neither cross-team roles nor delivery managers.
    """
    if actor.role.sees_all_teams:
        return list(session.scalars(select(Team).order_by(Team.name)))
    memberships = select(Membership.team_id).where(Membership.user_id == actor.id)
    if actor.role is not Role.DELIVERY_MANAGER:
        memberships = memberships.where(Membership.team_role == TeamRole.DELIVERY_MANAGER)
    team_ids = set(session.scalars(memberships))
    if actor.role is not Role.DELIVERY_MANAGER and not team_ids:
        raise PermissionDeniedError("The cross-team health view is for Product Ops, leaders and delivery managers.")
    return list(session.scalars(select(Team).where(Team.id.in_(team_ids)).order_by(Team.name)))


def heatmap(
    *,
    session: Session,
    actor: User,
    granularity: str = "quarter",
    period: str | None = None,
    min_group_size: int | None = None,
    now: datetime | None = None,
) -> HeatMap:
    """Teams × cards for a period, and each team's overall score over all periods.

    Args:
        session: the unit of work.
        actor: who looks (scope: see :func:`visible_teams`).
        granularity: "quarter" or "month".
        period: the period to show cards for ("2026 Q3" / "2026-07"); the latest with a round when None.
        min_group_size: the minimum respondents (the setting when None).
        now: the current time.

    Returns:
        The heat map.
    """
    teams = visible_teams(session, actor)
    if granularity not in GRANULARITIES:
        raise ValidationFailedError(
            f"Choose a granularity of {' or '.join(GRANULARITIES)}.",
            fields={"granularity": f"{granularity!r} is not one of {', '.join(GRANULARITIES)}."},
        )
    minimum = minimum_respondents(min_group_size)
    cells: dict[tuple[int, str], HeatCell] = {}
    latest: dict[tuple[int, str], RoundSummary] = {}
    for team in teams:
        for summary in team_history(session, team_id=team.id, min_group_size=minimum, now=now):
            latest[(team.id, period_of(summary.closed_at, granularity))] = summary  # oldest first: the last wins
    for key, summary in latest.items():
        cells[key] = HeatCell(summary.round_id, summary.title, summary.shown, summary.overall, {c.key: c for c in summary.cards})
    periods = sorted({p for _team, p in latest}, key=_period_sort_key)
    if period is not None and period not in periods:
        raise ValidationFailedError(
            f"No health check closed in {period!r}.", fields={"period": f"Choose one of: {', '.join(periods) or 'none yet'}."}
        )
    selected = period or (periods[-1] if periods else None)
    order = {card.key: i for i, card in enumerate(DEFAULT_CARDS)}
    titles: dict[str, str] = {}
    for team in teams:
        cell = cells.get((team.id, selected or ""))
        if cell is not None:
            for card in cell.cards.values():
                titles.setdefault(card.key, card.title)
    cards = sorted(titles.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[1]))
    return HeatMap(
        granularity=granularity, minimum=minimum, periods=periods, period=selected, teams=teams, cards=cards, cells=cells
    )


def _period_sort_key(label: str) -> tuple[int, int]:
    year, _, rest = label.partition(" Q") if " Q" in label else label.partition("-")
    return int(year), int(rest)
