"""The live stream every facilitated session uses (retros, stand-ups, refinements, plannings).

A session's board carries a version that each change bumps; the stream polls the version in the database
and sends the participant's whole view whenever it moved, at once on (re)connect. So it works with several
web workers, and a late joiner or a dropped connection simply receives the current state.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.db import unit_of_work

__all__ = ["HEARTBEAT_SECONDS", "POLL_SECONDS", "Snapshot", "state_stream", "versioned_snapshot"]

POLL_SECONDS = 0.4
HEARTBEAT_SECONDS = 15.0

Snapshot = Callable[[int], tuple[int, str | None]]
"""Given the version the client has, the current version and the view as JSON (None when unchanged)."""


def versioned_snapshot(
    factory: sessionmaker[Session], load: Callable[[Session], tuple[int, Callable[[], dict[str, Any]]]]
) -> Snapshot:
    """A snapshot that opens its own unit of work and calls ``load``: the board's version (``load`` checks
    the viewer may see it) and how to build the viewer's state, built only when the version moved."""

    def snapshot(known: int) -> tuple[int, str | None]:
        with unit_of_work(factory) as session:
            version, view = load(session)
            return (known, None) if version == known else (version, json.dumps(view()))

    return snapshot


async def state_stream(request: Request, snapshot: Snapshot) -> StreamingResponse:
    """Server-sent ``state`` events from ``snapshot``: the first at once, then one per new version.

    ``snapshot`` runs in the thread pool with its own unit of work; it also checks the viewer may still
    see the session (the first call raises before any byte is sent, so a refusal is an ordinary error).
    """
    version, first = await run_in_threadpool(snapshot, -1)

    async def stream() -> AsyncIterator[str]:
        nonlocal version
        yield f"event: state\nid: {version}\ndata: {first}\n\n"
        quiet = 0.0
        while not await request.is_disconnected():
            await asyncio.sleep(POLL_SECONDS)
            version, data = await run_in_threadpool(snapshot, version)
            if data is not None:
                quiet = 0.0
                yield f"event: state\nid: {version}\ndata: {data}\n\n"
            else:
                quiet += POLL_SECONDS
                if quiet >= HEARTBEAT_SECONDS:
                    quiet = 0.0
                    yield ": keep-alive\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
