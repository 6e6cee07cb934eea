"""Linear issues, their history, cycles and projects → canonical records. Pure functions, no HTTP.

- Transitions come from the issue's history entries that change the state (``fromState`` → ``toState``),
  oldest first. The first transition is the state the issue was created in: the ``fromState`` of the earliest
  state change (an entry without ``fromState`` is the creation itself), at ``createdAt``; an issue whose state
  never changed is in its current state since ``createdAt``. History that does not end in the issue's current
  state (an import) gets the current state appended at ``updatedAt``, flagged as estimated.
- Blocked intervals come from the ``blocked_label`` being added and removed (``addedLabels``/``removedLabels``).
- The issue's cycle becomes a label ("Cycle 12", or the cycle's own name); its project is its epic
  (``parent_key`` ``project:<slugId>``), else its parent issue.
- A **project** becomes a work item of type "Epic" whose history is read from its ``createdAt``,
  ``startedAt``, ``completedAt`` and ``canceledAt``, in the team's first backlog, started, completed and
  canceled state names (flagged as estimated: a paused project's pauses are not in these dates).

Workflow: Linear's state types give the categories: ``triage``, ``backlog`` and ``unstarted`` → backlog,
``started`` → active, ``completed`` → done, ``canceled`` (and ``duplicate``) → discarded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from deliveryops.connectors.base import IncidentRecord
from deliveryops.schemas import web_url_or_none
from deliveryops.work.records import BlockedIntervalRecord, StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord

__all__ = [
    "STATE_TYPES",
    "IssueOptions",
    "incident",
    "parse_time",
    "project_item",
    "propose_workflow",
    "work_item",
]

STATE_TYPES = {
    "triage": StageCategory.BACKLOG,
    "backlog": StageCategory.BACKLOG,
    "unstarted": StageCategory.BACKLOG,
    "started": StageCategory.ACTIVE,
    "completed": StageCategory.DONE,
    "canceled": StageCategory.DISCARDED,
    "duplicate": StageCategory.DISCARDED,
}
_TYPE_ORDER = tuple(STATE_TYPES)


def parse_time(value: str) -> datetime:
    """Linear's ISO 8601 times (``2024-03-01T09:00:00.000Z``) as aware UTC datetimes."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _time(value: object) -> datetime | None:
    return parse_time(value) if isinstance(value, str) and value else None


@dataclass(frozen=True)
class IssueOptions:
    """How a connection reads its issues.

    Attributes:
        blocked_label: the label that flags an issue as blocked.
        state_names: per state type, the team's state names in position order (for projects' histories).
    """

    blocked_label: str = "Blocked"
    state_names: Mapping[str, Sequence[str]] = field(default_factory=dict)


def propose_workflow(states: Iterable[Mapping[str, Any]]) -> list[WorkflowStatus]:
    """The workflow of the teams' states (``workflowStates``): grouped by type, in position order, each name once."""
    known = [state for state in states if str(state.get("type") or "") in STATE_TYPES]
    known.sort(key=lambda state: (_TYPE_ORDER.index(str(state["type"])), float(state.get("position") or 0)))
    statuses: list[WorkflowStatus] = []
    for state in known:
        name = str(state.get("name") or "")
        if name and name not in {status.name for status in statuses}:
            statuses.append(WorkflowStatus(name=name, category=STATE_TYPES[str(state["type"])], position=len(statuses)))
    return statuses


def _name(value: object) -> str | None:
    return str(value["name"]) if isinstance(value, Mapping) and value.get("name") else None


def work_item(issue: Mapping[str, Any], history: Iterable[Mapping[str, Any]], options: IssueOptions) -> WorkItemRecord:
    """Build the canonical record of one issue from the issue and all its history entries.

    Args:
        issue: an issue node of the ``issues`` query (see :mod:`.linear`).
        history: every node of the issue's ``history`` connection, any order.
        options: the connection's options.

    Returns:
        The work item with its transitions and blocked intervals, oldest first.
    """
    created = parse_time(str(issue["createdAt"]))
    current = _name(issue.get("state")) or ""
    entries = sorted(history, key=lambda entry: (str(entry.get("createdAt") or ""), str(entry.get("id") or "")))
    changes = [entry for entry in entries if _name(entry.get("toState"))]
    transitions: list[TransitionRecord] = [
        TransitionRecord(
            to_status=(_name(changes[0].get("fromState")) or _name(changes[0].get("toState")) or current) if changes else current,
            at=created,
        )
    ]
    for entry in changes:
        to_state = str(_name(entry.get("toState")))
        if to_state != transitions[-1].to_status:
            at = max(parse_time(str(entry["createdAt"])), created)
            transitions.append(TransitionRecord(to_status=to_state, at=at, from_status=transitions[-1].to_status))
    estimated = bool(current) and transitions[-1].to_status != current
    if estimated:
        at = max(_time(issue.get("updatedAt")) or created, transitions[-1].at)
        transitions.append(TransitionRecord(to_status=current, at=at, from_status=transitions[-1].to_status))
    labels = [str(node["name"]) for node in ((issue.get("labels") or {}).get("nodes") or []) if node.get("name")]
    cycle = issue.get("cycle")
    if isinstance(cycle, Mapping):
        number = cycle.get("number")
        labels.append(str(cycle.get("name") or (f"Cycle {int(number)}" if isinstance(number, int | float) else "Cycle")))
    project = issue.get("project")
    parent = issue.get("parent")
    parent_key = (
        f"project:{project['slugId']}"
        if isinstance(project, Mapping) and project.get("slugId")
        else str(parent["identifier"])
        if isinstance(parent, Mapping) and parent.get("identifier")
        else None
    )
    estimate = issue.get("estimate")
    state_type = str((issue.get("state") or {}).get("type") or "")
    return WorkItemRecord(
        source="linear",
        external_key=str(issue["identifier"]),
        item_type="Issue",
        title=str(issue.get("title") or ""),
        created_at=created,
        transitions=tuple(transitions),
        blocked_intervals=tuple(_blocked(entries, options)),
        parent_key=parent_key,
        labels=tuple(labels),
        estimate=float(estimate) if isinstance(estimate, int | float) and not isinstance(estimate, bool) else None,
        resolution=state_type if state_type in ("completed", "canceled", "duplicate") else None,
        url=web_url_or_none(issue.get("url")),
        history_is_estimated=estimated,
    )


def _blocked(entries: Sequence[Mapping[str, Any]], options: IssueOptions) -> list[BlockedIntervalRecord]:
    wanted = options.blocked_label.casefold()
    intervals: list[BlockedIntervalRecord] = []
    since: datetime | None = None
    for entry in entries:
        added = {str(_name(label)).casefold() for label in entry.get("addedLabels") or []}
        removed = {str(_name(label)).casefold() for label in entry.get("removedLabels") or []}
        at = parse_time(str(entry["createdAt"]))
        if wanted in added and since is None:
            since = at
        elif wanted in removed and since is not None:
            intervals.append(BlockedIntervalRecord(start=since, end=at, reason=f"label: {options.blocked_label}", origin="flag"))
            since = None
    if since is not None:
        intervals.append(BlockedIntervalRecord(start=since, end=None, reason=f"label: {options.blocked_label}", origin="flag"))
    return intervals


def project_item(project: Mapping[str, Any], options: IssueOptions) -> WorkItemRecord:
    """A project as an "Epic" work item (see the module docstring)."""
    created = parse_time(str(project["createdAt"]))

    def first(*types: str) -> str | None:
        return next((names[0] for kind in types if (names := options.state_names.get(kind))), None)

    steps = [
        (created, first("backlog", "unstarted", "triage")),
        (_time(project.get("startedAt")), first("started")),
        (_time(project.get("completedAt")), first("completed")),
        (_time(project.get("canceledAt")), first("canceled")),
    ]
    dated = sorted(((at, name) for at, name in steps if at is not None and name), key=lambda step: step[0])
    transitions: list[TransitionRecord] = []
    for at, name in dated:
        if transitions and name == transitions[-1].to_status:
            continue
        transitions.append(
            TransitionRecord(to_status=name, at=max(at, created), from_status=transitions[-1].to_status if transitions else None)
        )
    status: Mapping[str, Any] = project["status"] if isinstance(project.get("status"), Mapping) else {}
    return WorkItemRecord(
        source="linear",
        external_key=f"project:{project['slugId']}",
        item_type="Epic",
        title=str(project.get("name") or ""),
        created_at=created,
        transitions=tuple(transitions),
        resolution=str(status.get("type")) if status.get("type") in ("completed", "canceled") else None,
        url=web_url_or_none(project.get("url")),
        history_is_estimated=True,
    )


def incident(issue: Mapping[str, Any], record: WorkItemRecord) -> IncidentRecord:
    """An incident from an issue carrying an incident label: created → resolved when completed (or canceled).

    The severity is the issue's priority ("Urgent", "High", "Medium", "Low"; "No priority" is none).
    """
    resolved = _time(issue.get("completedAt")) or _time(issue.get("canceledAt"))
    severity = str(issue.get("priorityLabel") or "") or None
    return IncidentRecord(
        source="linear",
        external_id=record.external_key,
        title=record.title,
        created_at=record.created_at,
        resolved_at=None if resolved is None else max(resolved, record.created_at),
        severity=None if severity == "No priority" else severity,
        url=record.url,
    )
