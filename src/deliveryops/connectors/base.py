"""What every connector implements, and what it yields to the sync engine."""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel

from deliveryops.work.records import WorkflowStatus, WorkItemRecord

__all__ = [
    "ChangeRecord",
    "Connector",
    "ConnectorError",
    "ConnectorSettings",
    "FetchPage",
    "SyncRequest",
]


class ConnectorError(Exception):
    """A source could not be read; ``message`` is plain words naming the connection and the cause.

    ``retryable`` tells the sync engine whether trying again later may help (a 503, a network
    error) or not (an expired token, a project that does not exist).
    """

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status


class ConnectorSettings(BaseModel):
    """Base of each connector's settings (everything except the secret)."""

    base_url: str


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """A pull or merge request, with what DORA and flow need later.

    ``first_review_at`` is the first review by someone other than the author.
    """

    source: str
    repository: str
    number: int
    title: str
    author: str
    opened_at: datetime
    first_commit_at: datetime | None
    first_review_at: datetime | None
    merged_at: datetime | None
    closed_at: datetime | None
    merge_commit_sha: str | None
    base_branch: str
    url: str | None = None


@dataclass(frozen=True)
class SyncRequest:
    """What the engine asks a connector for.

    Attributes:
        since: fetch what changed at or after this instant (None: everything).
        cursor: where an interrupted sync stopped (the last page's ``cursor``), or None.
        full: a full sync (also report the keys that still exist, so deletions are found).
    """

    since: datetime | None = None
    cursor: Mapping[str, Any] | None = None
    full: bool = False


@dataclass
class FetchPage:
    """One page of results; the engine commits it with ``cursor`` in one transaction.

    Attributes:
        items: work items, each with its complete status history.
        changes: pull requests (GitHub, GitLab).
        deleted_keys: external keys the source says no longer exist.
        existing_keys: on a full sync's last page, every key that still exists (others are deleted).
        cursor: resume point after this page (JSON-serialisable).
        requests: HTTP requests made for this page (304s included).
        watermark: the latest "updated" time seen so far, for the next incremental sync.
    """

    items: list[WorkItemRecord] = field(default_factory=list)
    changes: list[ChangeRecord] = field(default_factory=list)
    deleted_keys: list[str] = field(default_factory=list)
    existing_keys: list[str] | None = None
    cursor: dict[str, Any] = field(default_factory=dict)
    requests: int = 0
    watermark: datetime | None = None


class Connector(abc.ABC):
    """A source of canonical records, registered by ``kind``."""

    kind: ClassVar[str]
    label: ClassVar[str]
    settings_model: ClassVar[type[ConnectorSettings]]

    @abc.abstractmethod
    def test(self) -> str:
        """Check the credentials and settings; return a sentence describing what was reached.

        Raises:
            ConnectorError: naming what is wrong.
        """

    @abc.abstractmethod
    def fetch(self, request: SyncRequest) -> Iterator[FetchPage]:
        """Yield pages of records changed since ``request.since``, resuming at ``request.cursor``."""

    def workflow(self) -> list[WorkflowStatus] | None:
        """A suggested workflow from the source's status categories, when it has them."""
        return None

    def close(self) -> None:  # noqa: B027 (an optional hook, not an abstract method)
        """Release network resources; the engine calls it when a sync ends."""
