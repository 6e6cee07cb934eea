"""ORM models of cockpit."""

from __future__ import annotations
