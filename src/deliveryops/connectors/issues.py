"""Creating an issue in a tracker and reading its status back: what Jira and GitHub connectors offer.

Jira (Cloud REST API v3, Server / Data Center v2): ``POST {api}/issue`` with ``fields`` (project key,
summary, issue type, description: an Atlassian Document Format document on Cloud, plain text on Server)
answers ``201 {"id", "key", "self"}``; ``GET {api}/issue/{key}?fields=status`` gives the status and its
category (``new``, ``indeterminate``, ``done``). GitHub: ``POST /repos/{owner}/{repo}/issues`` with
``title`` and ``body`` answers ``201`` with the issue (``number``, ``html_url``, ``state``,
``state_reason``); ``GET /repos/{owner}/{repo}/issues/{number}`` reads it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["IssueTracker", "RemoteIssue", "github_issue", "jira_state"]


@dataclass(frozen=True)
class RemoteIssue:
    """An issue in a tracker, in the terms of an improvement action.

    Attributes:
        key: the tracker's reference ("PAY-12", "acme/app#7").
        url: where people open it.
        status: the tracker's own status name ("In Progress", "closed").
        state: the action status it means: open, doing, done or dropped.
    """

    key: str
    url: str
    status: str
    state: str


@runtime_checkable
class IssueTracker(Protocol):
    """A connector that can create an issue and read its status."""

    def create_issue(self, *, title: str, description: str, project: str | None = None) -> RemoteIssue:
        """Create an issue in ``project`` (a Jira project key, a GitHub "owner/name"; None: the connection's first)."""

    def read_issue(self, key: str) -> RemoteIssue:
        """The issue's current status."""

    def close(self) -> None:
        """Release network resources."""


def jira_state(status: Mapping[str, Any]) -> str:
    """The action status a Jira status means, by its category: To Do → open, In Progress → doing, Done → done."""
    category = status.get("statusCategory")
    key = str(category.get("key") or "") if isinstance(category, Mapping) else ""
    return {"new": "open", "indeterminate": "doing", "done": "done"}.get(key, "open")


def github_issue(repository: str, body: Any) -> RemoteIssue | None:
    """The issue a GitHub answer describes (None when it is not an issue): closed as not planned is dropped."""
    if not isinstance(body, Mapping) or not isinstance(body.get("number"), int):
        return None
    state = str(body.get("state") or "open")
    reason = str(body.get("state_reason") or "")
    meaning = "open" if state == "open" else ("dropped" if reason == "not_planned" else "done")
    status = state if not reason or state == "open" else f"{state} ({reason.replace('_', ' ')})"
    return RemoteIssue(f"{repository}#{body['number']}", str(body.get("html_url") or ""), status, meaning)
