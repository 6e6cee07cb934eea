"""ORM models of experiments."""

from __future__ import annotations
