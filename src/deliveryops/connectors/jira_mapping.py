"""Jira issue JSON → canonical records; shared by Jira Cloud and Jira Server / Data Center.

Pure functions, no HTTP: the connectors fetch the issue and its *complete* history, then call
:func:`work_item`.

- Transitions come from changelog items on the ``status`` field, oldest first. The first transition
  is the status at creation: the ``from`` side of the earliest status change, at ``created``
  (or the current status when the status never changed).
- Status names are taken from the status *id* through the instance's current status list when
  known, so a status renamed after the fact (or translated) keeps one name across all items;
  otherwise the name written in the history is used.
- Blocked intervals come from the Flagged field (set → start, cleared → end, still set → open;
  origin ``"flag"``) and from time spent in the connection's blocked statuses (origin ``"status"``).
- Links come from ``issuelinks``. Of type "Blocks": an ``outwardIssue`` is blocked by this one
  (kind ``"blocks"``), an ``inwardIssue`` blocks this one (kind ``"is_blocked_by"``). Of any other type
  (kind ``"outward"`` / ``"inward"``), with the phrase read from this issue as ``label`` ("depends on",
  "is depended on by" ...), so an admin can map link types to dependencies.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from deliveryops.work.records import (
    BlockedIntervalRecord,
    LinkRecord,
    StageCategory,
    TransitionRecord,
    WorkflowStatus,
    WorkItemRecord,
)

__all__ = [
    "BLOCKS_LINK_TYPE",
    "MappingOptions",
    "parse_time",
    "propose_workflow",
    "sorted_histories",
    "work_item",
]

BLOCKS_LINK_TYPE = "blocks"
"""Name (compared case-insensitively) of Jira's link type whose outward side "blocks"."""

_CATEGORIES = {"new": StageCategory.BACKLOG, "indeterminate": StageCategory.ACTIVE, "done": StageCategory.DONE}
_CATEGORY_ORDER = ("new", "indeterminate", "done")

_Entry = tuple[datetime, str | None, str, str | None]


@dataclass(frozen=True)
class MappingOptions:
    """How one connection reads its issues.

    Attributes:
        source: the ``source`` of the records ("jira-cloud" or "jira-server").
        base_url: the site, for each issue's browse URL.
        status_names: status id → current name (from the status list); ids not in it keep their history name.
        flagged_field_id: the Flagged custom field id (``customfield_10021``), if the site has one.
        flagged_field_name: its name, which Jira Server's changelog items carry instead of an id.
        story_points_field_id: the story points custom field id, if known.
        blocked_statuses: statuses (ids or names) whose time counts as blocked.
    """

    source: str
    base_url: str
    status_names: Mapping[str, str] = field(default_factory=dict)
    flagged_field_id: str | None = None
    flagged_field_name: str | None = None
    story_points_field_id: str | None = None
    blocked_statuses: Collection[str] = ()


def parse_time(value: str) -> datetime:
    """Parse a Jira timestamp (``2021-03-28T16:06:08.713+0800``) into an aware UTC datetime.

    Args:
        value: the timestamp as Jira writes it (with a numeric offset, or ``Z``).

    Returns:
        The same instant in UTC.
    """
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:  # Jira always writes an offset; a bare time would be the server's zone
        raise ValueError(f"Jira timestamp without a time zone: {value!r}")
    return parsed.astimezone(UTC)


def sorted_histories(histories: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Histories oldest first (search results embed them newest first), ties broken by numeric id.

    Args:
        histories: changelog histories in any order.

    Returns:
        A new list, oldest first.
    """

    def order(history: Mapping[str, Any]) -> tuple[datetime, int]:
        raw_id = str(history.get("id", ""))
        return parse_time(history["created"]), int(raw_id) if raw_id.isdigit() else 0

    return sorted(histories, key=order)


def work_item(issue: Mapping[str, Any], histories: Sequence[Mapping[str, Any]], options: MappingOptions) -> WorkItemRecord:
    """Build the canonical record of one issue.

    Args:
        issue: the issue JSON (``id``, ``key``, ``fields``) as the search returns it.
        histories: its complete changelog, in any order (never a truncated one).
        options: the connection's mapping options.

    Returns:
        The work item with its transitions, blocked intervals and links.
    """
    fields: Mapping[str, Any] = issue.get("fields") or {}
    key = str(issue["key"])
    created_at = parse_time(fields["created"])
    ordered = sorted_histories(histories)
    status_timeline = _status_timeline(fields, ordered, created_at, options)
    transitions = tuple(
        TransitionRecord(to_status=name, at=at, from_status=from_name) for at, _status_id, name, from_name in status_timeline
    )
    blocked = _flag_intervals(fields, ordered, created_at, options) + _status_intervals(status_timeline, options)
    parent = fields.get("parent") or {}
    resolution = fields.get("resolution") or {}
    status = fields.get("status") or {}
    extra = {"jira_id": str(issue.get("id", ""))}
    if status.get("id"):
        extra["status_id"] = str(status["id"])
    return WorkItemRecord(
        source=options.source,
        external_key=key,
        item_type=str((fields.get("issuetype") or {}).get("name", "")),
        title=str(fields.get("summary") or ""),
        created_at=created_at,
        transitions=transitions,
        blocked_intervals=tuple(sorted(blocked, key=lambda interval: (interval.start, interval.origin))),
        links=_links(fields.get("issuelinks") or ()),
        parent_key=str(parent["key"]) if parent.get("key") else None,
        labels=tuple(str(label) for label in fields.get("labels") or ()),
        estimate=_estimate(fields, options.story_points_field_id),
        resolution=str(resolution["name"]) if resolution.get("name") else None,
        url=f"{options.base_url.rstrip('/')}/browse/{key}",
        extra=extra,
    )


def propose_workflow(statuses: Iterable[Mapping[str, Any]]) -> list[WorkflowStatus]:
    """Suggest a workflow from Jira's statuses, by status category (never by name: names are translated).

    Category ``new`` → backlog, ``indeterminate`` → active, ``done`` → done; statuses of another
    category (Jira's "undefined") are left out. Groups come in that order, each in status id order;
    a name repeated by several statuses (each project's own "Done") appears once.

    Args:
        statuses: the answer of ``GET /rest/api/{2,3}/status``.

    Returns:
        The proposed statuses with positions 0, 1, 2, ...
    """

    def order(status: Mapping[str, Any]) -> tuple[int, int, str]:
        category = str((status.get("statusCategory") or {}).get("key", ""))
        raw_id = str(status.get("id", ""))
        return _CATEGORY_ORDER.index(category), int(raw_id) if raw_id.isdigit() else 0, raw_id

    known = [status for status in statuses if (status.get("statusCategory") or {}).get("key") in _CATEGORIES]
    workflow: list[WorkflowStatus] = []
    seen: set[str] = set()
    for status in sorted(known, key=order):
        name = str(status["name"])
        if name in seen:
            continue
        seen.add(name)
        category = _CATEGORIES[status["statusCategory"]["key"]]
        workflow.append(WorkflowStatus(name=name, category=category, position=len(workflow)))
    return workflow


def _status_timeline(
    fields: Mapping[str, Any],
    histories: Sequence[Mapping[str, Any]],
    created_at: datetime,
    options: MappingOptions,
) -> list[_Entry]:
    """(entered at, status id, status name, previous status name) per status entered, the creation status first."""
    changes = [
        (parse_time(history["created"]), item)
        for history in histories
        for item in history.get("items") or ()
        if item.get("field") == "status" and item.get("fieldtype", "jira") == "jira"
    ]
    status = fields.get("status") or {}
    if not changes:
        return [(created_at, status.get("id"), _status_name(status.get("id"), status.get("name"), options), None)]
    first_at, first = changes[0]
    # An imported issue can carry history older than its creation date: keep the timeline ordered.
    timeline: list[_Entry] = [
        (min(created_at, first_at), first.get("from"), _status_name(first.get("from"), first.get("fromString"), options), None),
    ]
    timeline.extend(
        (
            at,
            item.get("to"),
            _status_name(item.get("to"), item.get("toString"), options),
            _status_name(item.get("from"), item.get("fromString"), options),
        )
        for at, item in changes
    )
    return timeline


def _status_name(status_id: Any, written: Any, options: MappingOptions) -> str:
    if status_id is not None and str(status_id) in options.status_names:
        return options.status_names[str(status_id)]
    return str(written or status_id or "")


def _status_intervals(
    timeline: Sequence[_Entry],
    options: MappingOptions,
) -> list[BlockedIntervalRecord]:
    blocked = set(options.blocked_statuses)
    if not blocked:
        return []
    intervals: list[BlockedIntervalRecord] = []
    start: tuple[datetime, str] | None = None
    for at, status_id, name, _previous in timeline:
        is_blocked = name in blocked or (status_id is not None and str(status_id) in blocked)
        if is_blocked and start is None:
            start = (at, name)
        elif not is_blocked and start is not None:
            intervals.append(BlockedIntervalRecord(start=start[0], end=at, reason=start[1], origin="status"))
            start = None
    if start is not None:
        intervals.append(BlockedIntervalRecord(start=start[0], end=None, reason=start[1], origin="status"))
    return intervals


def _flag_intervals(
    fields: Mapping[str, Any],
    histories: Sequence[Mapping[str, Any]],
    created_at: datetime,
    options: MappingOptions,
) -> list[BlockedIntervalRecord]:
    if options.flagged_field_id is None and options.flagged_field_name is None:
        return []
    intervals: list[BlockedIntervalRecord] = []
    start: tuple[datetime, str] | None = None
    changed = False
    for history in histories:
        for item in history.get("items") or ():
            if not _is_flag_item(item, options):
                continue
            changed = True
            at = parse_time(history["created"])
            value = str(item.get("toString") or "").strip()
            if value and start is None:
                start = (at, value)
            elif not value and start is not None:
                intervals.append(BlockedIntervalRecord(start=start[0], end=at, reason=start[1], origin="flag"))
                start = None
    if not changed and options.flagged_field_id:
        # Flagged on the create screen: no history item, only the current value.
        current = fields.get(options.flagged_field_id) or []
        values = [str(option.get("value", "")) for option in current if isinstance(option, Mapping)]
        if values:
            start = (created_at, ", ".join(values))
    if start is not None:
        intervals.append(BlockedIntervalRecord(start=start[0], end=None, reason=start[1], origin="flag"))
    return intervals


def _is_flag_item(item: Mapping[str, Any], options: MappingOptions) -> bool:
    if options.flagged_field_id is not None and item.get("fieldId") == options.flagged_field_id:
        return True
    # Jira Server's items carry the field's name only.
    return options.flagged_field_name is not None and "fieldId" not in item and item.get("field") == options.flagged_field_name


def _links(issue_links: Iterable[Mapping[str, Any]]) -> tuple[LinkRecord, ...]:
    links: list[LinkRecord] = []
    for link in issue_links:
        link_type = link.get("type") or {}
        blocks = str(link_type.get("name", "")).lower() == BLOCKS_LINK_TYPE
        outward, inward = (link.get("outwardIssue") or {}).get("key"), (link.get("inwardIssue") or {}).get("key")
        if outward:
            label = "" if blocks else str(link_type.get("outward") or link_type.get("name") or "")[:100]
            links.append(LinkRecord(kind="blocks" if blocks else "outward", other_key=str(outward), label=label))
        if inward:
            label = "" if blocks else str(link_type.get("inward") or link_type.get("name") or "")[:100]
            links.append(LinkRecord(kind="is_blocked_by" if blocks else "inward", other_key=str(inward), label=label))
    return tuple(links)


def _estimate(fields: Mapping[str, Any], story_points_field_id: str | None) -> float | None:
    if story_points_field_id is None:
        return None
    value = fields.get(story_points_field_id)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None
