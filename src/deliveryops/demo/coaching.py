"""Demo data for coaching."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

__all__ = ["build_coaching"]


def build_coaching(session: Session, *, now: datetime, seed: int) -> int:
    """Add coaching data to the demo organisation; returns how many records it made."""
    return 0
