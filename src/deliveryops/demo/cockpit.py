"""Demo data for cockpit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

__all__ = ["build_cockpit"]


def build_cockpit(session: Session, *, now: datetime, seed: int) -> int:
    """Add cockpit data to the demo organisation; returns how many records it made."""
    return 0
