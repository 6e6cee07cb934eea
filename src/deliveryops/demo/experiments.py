"""Demo data for experiments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

__all__ = ["build_experiments"]


def build_experiments(session: Session, *, now: datetime, seed: int) -> int:
    """Add experiments data to the demo organisation; returns how many records it made."""
    return 0
