"""ORM models of dora."""

from __future__ import annotations
