"""What every connector implements, and what it yields to the sync engine."""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel

from deliveryops.work.records import ChangeRecord, WorkflowStatus, WorkItemRecord

__all__ = [
    "ChangeRecord",
    "Connector",
    "ConnectorError",
    "ConnectorSettings",
    "DeploymentRecord",
    "FetchPage",
    "IncidentRecord",
    "SyncRequest",
    "source_url",
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
class DeploymentRecord:
    """One deployment of a repository (or service) to an environment, as a source reports it.

    Attributes:
        source: where it came from ("github", "webhook", "csv", ...).
        external_id: the sender's id, unique per source and repository; re-sending it updates in place.
        repository: the repository or service deployed.
        environment: e.g. "production", "staging"; DORA counts production only.
        result: "success", "failure", "error", "cancelled" or "in_progress".
        started_at: when the deployment started.
        finished_at: when it finished (None while it runs).
        commit_sha: the commit deployed.
        commit_shas: the commits this deployment shipped (since the previous successful deployment of the
            same repository to the same environment), newest first, from the source's compare API;
            empty when unknown (then pull requests are matched by merge time, see docs/dora.md).
        ref: the branch or tag deployed.
        url: a link to the deployment at its source.
    """

    source: str
    external_id: str
    repository: str
    environment: str
    result: str
    started_at: datetime
    finished_at: datetime | None
    commit_sha: str | None
    commit_shas: tuple[str, ...] = ()
    ref: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """An incident in production, as a source reports it.

    Attributes:
        source: where it came from ("webhook", "csv", "jira", "github", ...).
        external_id: the sender's id, unique per source; re-sending it updates in place.
        title: a short description.
        created_at: when it was opened.
        resolved_at: when service was restored (None while open).
        severity: the source's severity label, if any.
        repository: the repository or service affected, if known.
        deployment_external_id: the deployment that caused it, when the source says so explicitly.
        url: a link to the incident at its source.
    """

    source: str
    external_id: str
    title: str
    created_at: datetime
    resolved_at: datetime | None
    severity: str | None = None
    repository: str | None = None
    deployment_external_id: str | None = None
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
        deployments: deployments (GitHub deployments or workflow runs marked as deployments).
        incidents: incidents (tracker items of a chosen type or label).
        deleted_keys: external keys the source says no longer exist.
        existing_keys: on a full sync's last page, every key that still exists (others are deleted).
        cursor: resume point after this page (JSON-serialisable).
        requests: HTTP requests made for this page (304s included).
        watermark: the latest "updated" time seen so far, for the next incremental sync.
    """

    items: list[WorkItemRecord] = field(default_factory=list)
    changes: list[ChangeRecord] = field(default_factory=list)
    deployments: list[DeploymentRecord] = field(default_factory=list)
    incidents: list[IncidentRecord] = field(default_factory=list)
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


def source_url(value: str, *, example: str) -> str:
    """A connection's base URL, trimmed, when it is an ``http(s)://`` address with a host; else ``ValueError``.

    Whether plain ``http://`` or a private address may be used is the sync domain's decision (its host
    policy, from the settings); this only refuses what is not a web address at all (``file://``, ``ftp://``).
    """
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be a web address with a host name, starting with https:// (e.g. {example}); got {value!r}")
    return value
