"""ORM models of health."""

from __future__ import annotations
