"""Demo data for health."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

__all__ = ["build_health"]


def build_health(session: Session, *, now: datetime, seed: int) -> int:
    """Add health data to the demo organisation; returns how many records it made."""
    return 0
