"""A team's per-item timeline as the portfolio, digests and pack read it: the counted item types (epics left out).

The timeline is built once per team data version and kept by :mod:`deliveryops.flow.timeline`, the one cache
every caller shares.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy.orm import Session

from deliveryops.flow.timeline import counted_timeline
from deliveryops.teams.models import Team

__all__ = ["team_timeline"]


def team_timeline(session: Session, team: Team) -> pl.DataFrame:
    """The team's per-item timeline (epics left out), from the shared per-data-version cache."""
    return counted_timeline(session, team)
