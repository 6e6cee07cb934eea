"""What other domains show on a team's page, without the teams package importing them.

Work and dependencies sit above teams (they import it), so the team page cannot call them. Each
registers a provider when its pages module is imported (as pages register their navigation), and the
team page merges what the providers return into its template's context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.teams.models import Team

__all__ = ["TeamPageContext", "register_team_context", "team_context"]

TeamPageContext = Callable[[Session, User, Team], Mapping[str, Any]]
"""A provider: ``(session, viewer, team)`` → the template variables it adds to the team's page."""

_providers: dict[str, TeamPageContext] = {}


def register_team_context(name: str, provider: TeamPageContext) -> None:
    """Add (or replace, by ``name``) a provider of the team page's context."""
    _providers[name] = provider


def team_context(session: Session, viewer: User, team: Team) -> dict[str, Any]:
    """The variables every registered provider adds for ``viewer`` looking at ``team``."""
    context: dict[str, Any] = {}
    for provider in _providers.values():
        context.update(provider(session, viewer, team))
    return context
