"""ORM models of the digests (subscriptions and what was sent)."""

from __future__ import annotations
