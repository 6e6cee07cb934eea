"""The weekly digest's JSON shape (``/api/v1/digest``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from deliveryops.cockpit.digest.service import Digest, DigestSection

__all__ = ["DigestLineRead", "DigestRead", "DigestSectionRead", "digest_read"]


class DigestLineRead(BaseModel):
    """A line and the path it links to."""

    text: str
    href: str


class DigestSectionRead(BaseModel):
    """A titled list of lines."""

    key: str
    title: str
    lines: list[DigestLineRead]


class DigestRead(BaseModel):
    """The caller's weekly digest."""

    role: str
    week: str
    start: datetime
    end: datetime
    teams: list[str]
    changed: list[DigestSectionRead]
    attention: list[DigestSectionRead]


def _sections(items: Sequence[DigestSection]) -> list[DigestSectionRead]:
    return [
        DigestSectionRead(key=s.key, title=s.title, lines=[DigestLineRead(text=line.text, href=line.href) for line in s.lines])
        for s in items
    ]


def digest_read(digest: Digest) -> DigestRead:
    """The API shape of a digest."""
    return DigestRead(
        role=digest.role,
        week=digest.week,
        start=digest.start,
        end=digest.end,
        teams=[t.name for t in digest.teams],
        changed=_sections(digest.changed),
        attention=_sections(digest.attention),
    )
