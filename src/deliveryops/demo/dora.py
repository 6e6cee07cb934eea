"""Demo data for dora."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

__all__ = ["build_dora"]


def build_dora(session: Session, *, now: datetime, seed: int) -> int:
    """Add dora data to the demo organisation; returns how many records it made."""
    return 0
