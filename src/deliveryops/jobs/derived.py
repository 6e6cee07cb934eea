"""Stored derived results: computed once (by a job when the data changes, or by the first reader), read by every process.

The storage API is a few calls on the table ``derived_results``, keyed by (kind, scope, data_version)::

    payload = derived.read(session, kind="dora.tables", scope=scope, data_version=version)
    if payload is None:
        payload = compute()
        derived.store(session, kind="dora.tables", scope=scope, data_version=version, parameters=..., payload=payload)

``data_version`` must change whenever the data the result depends on changes (the teams' ``data_version``
counters, hashed with :func:`version_of`); a result is then never stale, only superseded. ``parameters`` say how
to compute the scope's result again, so a job can refresh every stored scope after the data changed
(:func:`scopes`). The payload is bytes (Arrow IPC for data frames, JSON for small results).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from deliveryops.db import utcnow
from deliveryops.jobs.models import DerivedResult

__all__ = ["Latest", "latest", "read", "scope_of", "scopes", "store", "version_of"]


def version_of(*parts: object) -> str:
    """A short, stable version for the data a result depends on (e.g. each team's id, creation time and data_version)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def scope_of(parameters: dict[str, Any]) -> str:
    """The scope key of a result computed with ``parameters`` (a hash: any number of teams fits)."""
    return hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:40]


def read(session: Session, *, kind: str, scope: str, data_version: str) -> bytes | None:
    """The stored payload, or None when nothing was stored for this version."""
    return session.scalar(
        select(DerivedResult.payload).where(
            DerivedResult.kind == kind, DerivedResult.scope == scope, DerivedResult.data_version == data_version
        )
    )


def store(
    session: Session,
    *,
    kind: str,
    scope: str,
    data_version: str,
    parameters: dict[str, Any],
    payload: bytes,
    compute_seconds: float = 0.0,
) -> bool:
    """Store a payload in the caller's unit of work, replacing older versions of the kind and scope.

    Two processes computing the same result at once both go on: the second insert loses on the unique key (inside
    a savepoint, so the caller's transaction is unharmed) and is dropped; both payloads came from the same data.

    Returns:
        False when this version was stored already (or, on SQLite, another connection holds the write lock).
    """
    try:
        with session.begin_nested():
            session.execute(
                delete(DerivedResult).where(
                    DerivedResult.kind == kind, DerivedResult.scope == scope, DerivedResult.data_version != data_version
                )
            )
            session.add(
                DerivedResult(
                    kind=kind,
                    scope=scope,
                    data_version=data_version,
                    parameters=parameters,
                    payload=payload,
                    compute_seconds=compute_seconds,
                    computed_at=utcnow(),
                )
            )
    except (IntegrityError, OperationalError):  # stored meanwhile; or SQLite's write lock is taken: a later reader stores it
        return False
    return True


@dataclass(frozen=True)
class Latest:
    """The payload stored for a kind and scope, whatever its version, and when it was computed."""

    data_version: str
    computed_at: datetime
    payload: bytes


def latest(session: Session, *, kind: str, scope: str) -> Latest | None:
    """The newest payload stored for ``kind`` and ``scope`` (any version), or None when nothing is stored."""
    row = session.execute(
        select(DerivedResult.data_version, DerivedResult.computed_at, DerivedResult.payload)
        .where(DerivedResult.kind == kind, DerivedResult.scope == scope)
        .order_by(DerivedResult.id.desc())
        .limit(1)
    ).first()
    return None if row is None else Latest(row[0], row[1], row[2])


def scopes(session: Session, *, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every stored scope of a kind: (scope, data_version, parameters)."""
    return [
        (scope, version, dict(parameters))
        for scope, version, parameters in session.execute(
            select(DerivedResult.scope, DerivedResult.data_version, DerivedResult.parameters)
            .where(DerivedResult.kind == kind)
            .order_by(DerivedResult.id)
        )
    ]
