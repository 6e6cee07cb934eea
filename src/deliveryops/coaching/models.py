"""ORM models of coaching."""

from __future__ import annotations
