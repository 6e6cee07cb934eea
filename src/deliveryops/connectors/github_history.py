"""GitHub issues and their events → canonical work items with a status history.

GitHub issues have only two states (open and closed), so where an issue *is* in a team's
workflow comes from one of three places, chosen per connection (``workflow_by``):

- ``"state"``: "Open" from creation, "Closed" when closed (or "Not planned" when closed as not
  planned), "Open" again when reopened.
- ``"labels"``: the issue is in the status named by the status label it received most recently
  and still carries (falling back to "Open" when it carries none); closing overrides any label.
- ``"project_columns"``: the column of its card on a classic project board (``added_to_project``,
  ``moved_columns_in_project``, ``removed_from_project`` events); closing overrides the column.

Events sharing one timestamp are applied together before the status is read, because GitHub
records a label swap (remove one, add another) in the same second and in either order.

A "blocked" label gives blocked intervals (labeled → start, unlabeled → end).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any, Literal

from deliveryops.schemas import web_url_or_none
from deliveryops.work.records import BlockedIntervalRecord, TransitionRecord, WorkItemRecord

__all__ = [
    "CLOSED",
    "NOT_PLANNED",
    "OPEN",
    "HistoryOptions",
    "parse_time",
    "work_item",
]

OPEN = "Open"
CLOSED = "Closed"
NOT_PLANNED = "Not planned"

WorkflowBy = Literal["labels", "project_columns", "state"]


@dataclass(frozen=True)
class HistoryOptions:
    """How a connection reads statuses from GitHub.

    Attributes:
        workflow_by: where statuses come from (see the module docstring).
        status_labels: labels that act as statuses (``"labels"`` mode).
        project_columns: columns to follow (``"project_columns"`` mode); empty means every column.
        issue_types_by_label: label → item type; the first entry whose label the issue carries wins.
        blocked_label: the label that flags an issue as blocked.
    """

    workflow_by: WorkflowBy = "state"
    status_labels: Sequence[str] = ()
    project_columns: Sequence[str] = ()
    issue_types_by_label: Mapping[str, str] = field(default_factory=dict)
    blocked_label: str = "blocked"


def parse_time(value: str) -> datetime:
    """Parse GitHub's ISO 8601 timestamps (``2019-08-20T09:05:02Z``) as aware UTC datetimes.

    Args:
        value: the timestamp as GitHub writes it.

    Returns:
        A timezone-aware datetime.
    """
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def work_item(
    repository: str, issue: Mapping[str, Any], events: Iterable[Mapping[str, Any]], options: HistoryOptions
) -> WorkItemRecord:
    """Build the canonical record of one issue from the issue and all its events.

    Args:
        repository: "owner/name", as configured on the connection.
        issue: the issue as listed by ``GET /repos/{owner}/{repo}/issues``.
        events: every event of ``GET /repos/{owner}/{repo}/issues/{number}/events``, any order.
        options: the connection's workflow settings.

    Returns:
        The work item with its transitions and blocked intervals, oldest first.
    """
    created_at = parse_time(issue["created_at"])
    labels = tuple(str(label["name"]) for label in issue.get("labels") or [] if isinstance(label, Mapping))
    ordered = sorted(events, key=lambda event: (str(event["created_at"]), int(event.get("id") or 0)))
    history = _History(options)
    transitions = [TransitionRecord(to_status=OPEN, at=created_at)]
    for stamp, group in groupby(ordered, key=lambda event: str(event["created_at"])):
        for event in group:
            history.apply(event)
        _append(transitions, history.status(), max(parse_time(stamp), created_at))
    closed = issue.get("state") == "closed"
    estimated = closed != (history.closed_as is not None)
    if estimated:
        # The events disagree with the issue (an event list GitHub cut short, or an issue
        # imported with its state): trust the issue's state and flag the history as estimated.
        history.closed_as = _closed_status(issue.get("state_reason")) if closed else None
        _append(transitions, history.status(), parse_time(issue.get("closed_at") or issue["updated_at"]))
    history.finish()
    return WorkItemRecord(
        source="github",
        external_key=f"{repository}#{issue['number']}",
        item_type=_item_type(issue, labels, options),
        title=str(issue.get("title") or ""),
        created_at=created_at,
        transitions=tuple(transitions),
        blocked_intervals=tuple(history.blocked),
        labels=labels,
        resolution=(str(issue.get("state_reason") or "completed") if closed else None),
        url=web_url_or_none(issue.get("html_url")),
        history_is_estimated=estimated,
    )


def _append(transitions: list[TransitionRecord], status: str, at: datetime) -> None:
    last = transitions[-1]
    if status == last.to_status:
        return
    if at == last.at and len(transitions) == 1:
        # Labels or a column given when the issue was created: it starts in that status.
        transitions[0] = TransitionRecord(to_status=status, at=at)
        return
    transitions.append(TransitionRecord(to_status=status, at=at, from_status=last.to_status))


def _closed_status(state_reason: object) -> str:
    return NOT_PLANNED if state_reason == "not_planned" else CLOSED


def _item_type(issue: Mapping[str, Any], labels: tuple[str, ...], options: HistoryOptions) -> str:
    carried = {label.casefold() for label in labels}
    for label, item_type in options.issue_types_by_label.items():
        if label.casefold() in carried:
            return item_type
    issue_type = issue.get("type")  # GitHub's issue types (organisations), when set
    if isinstance(issue_type, Mapping) and issue_type.get("name"):
        return str(issue_type["name"])
    return "Issue"


class _History:
    """The state of an issue while its events are replayed in order."""

    def __init__(self, options: HistoryOptions) -> None:
        self.options = options
        self.closed_as: str | None = None
        self.status_labels: list[str] = []  # carried status labels, most recently added last
        self.column: str | None = None
        self.blocked: list[BlockedIntervalRecord] = []
        self._blocked_since: datetime | None = None
        self._labels = {label.casefold(): label for label in options.status_labels}
        self._columns = {column.casefold(): column for column in options.project_columns}

    def status(self) -> str:
        if self.closed_as is not None:
            return self.closed_as
        if self.options.workflow_by == "labels" and self.status_labels:
            return self.status_labels[-1]
        if self.options.workflow_by == "project_columns" and self.column is not None:
            return self.column
        return OPEN

    def apply(self, event: Mapping[str, Any]) -> None:
        kind = event.get("event")
        at = parse_time(event["created_at"])
        if kind == "closed":
            self.closed_as = _closed_status(event.get("state_reason"))
        elif kind == "reopened":
            self.closed_as = None
        elif kind in ("labeled", "unlabeled"):
            label = event.get("label") or {}
            self._label(str(label.get("name") or ""), added=kind == "labeled", at=at)
        elif kind in ("added_to_project", "moved_columns_in_project"):
            card = event.get("project_card") or {}
            self._move(card.get("column_name"))
        elif kind == "removed_from_project":
            self.column = None

    def _label(self, name: str, *, added: bool, at: datetime) -> None:
        if name.casefold() == self.options.blocked_label.casefold():
            if added and self._blocked_since is None:
                self._blocked_since = at
            elif not added and self._blocked_since is not None:
                self.blocked.append(
                    BlockedIntervalRecord(start=self._blocked_since, end=at, reason=f"label: {name}", origin="flag")
                )
                self._blocked_since = None
        status = self._labels.get(name.casefold())
        if status is None:
            return
        if status in self.status_labels:
            self.status_labels.remove(status)
        if added:
            self.status_labels.append(status)

    def _move(self, column: object) -> None:
        if not isinstance(column, str):
            return
        if not self._columns:
            self.column = column
        elif column.casefold() in self._columns:
            self.column = self._columns[column.casefold()]
        else:
            self.column = None  # a column the team does not follow: back to plain "Open"

    def finish(self) -> None:
        """Close the bookkeeping: an issue still labelled blocked has an open interval."""
        if self._blocked_since is not None:
            self.blocked.append(
                BlockedIntervalRecord(
                    start=self._blocked_since, end=None, reason=f"label: {self.options.blocked_label}", origin="flag"
                )
            )
            self._blocked_since = None
