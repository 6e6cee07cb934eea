"""JQL for the Jira connectors, the time zone of its dates, and the custom fields they read.

JQL dates have minute precision and are read in the *searching user's* time zone (their Jira
profile setting), not in UTC. :func:`jql_time` therefore writes ``since`` in that zone (read from
``/myself``), rounded *down* to the minute, and steps back further when the wall time is ambiguous
(the repeated hour when daylight saving time ends), so the search never starts after ``since``.
When the zone is unknown, it writes UTC minus 12 hours (the most negative offset in use), which
is early enough whatever the user's zone. Re-reading a few issues is harmless: upserts are idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ISSUE_FIELDS",
    "JQL_TIME_FORMAT",
    "UNKNOWN_ZONE_OVERLAP",
    "FieldIds",
    "detect_fields",
    "jql_quote",
    "jql_time",
    "search_jql",
    "user_zone",
]

JQL_TIME_FORMAT = "%Y/%m/%d %H:%M"
UNKNOWN_ZONE_OVERLAP = timedelta(hours=12)
ISSUE_FIELDS = (
    "summary",
    "issuetype",
    "status",
    "created",
    "updated",
    "resolution",
    "resolutiondate",
    "parent",
    "labels",
    "issuelinks",
)
"""The fields every search asks for; the Flagged and story points fields are added when known."""

_STORY_POINTS_SCHEMA = "com.pyxis.greenhopper.jira:jsw-story-points"
_STORY_POINTS_NAMES = ("story point estimate", "story points")
_FOLD_STEP = timedelta(minutes=15)  # every UTC offset in use is a multiple of 15 minutes


@dataclass(frozen=True)
class FieldIds:
    """The custom fields a connection reads, as found in the site's field list.

    Attributes:
        flagged_id: the Flagged field's id, e.g. ``customfield_10021``.
        flagged_name: its name (Jira Server's changelog items name fields instead of giving ids).
        story_points_id: the story points field's id.
    """

    flagged_id: str | None = None
    flagged_name: str | None = None
    story_points_id: str | None = None

    def search_fields(self) -> list[str]:
        """The ``fields`` a search asks for: :data:`ISSUE_FIELDS` plus the known custom fields.

        Returns:
            Field ids in a stable order.
        """
        extra = [field_id for field_id in (self.flagged_id, self.story_points_id) if field_id]
        return [*ISSUE_FIELDS, *extra]


def user_zone(name: object) -> ZoneInfo | None:
    """The IANA zone named in a ``/myself`` answer's ``timeZone``, or None when absent or unknown.

    Args:
        name: the ``timeZone`` value.

    Returns:
        The zone, or None.
    """
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def jql_time(since: datetime, zone: ZoneInfo | None) -> str:
    """Write ``since`` as a JQL date (``yyyy/MM/dd HH:mm``) that Jira reads as an instant at or before it.

    Args:
        since: an aware datetime.
        zone: the searching user's time zone, or None when unknown (see the module docstring).

    Returns:
        The date text, without quotes.
    """
    if zone is None:
        return (since.astimezone(UTC) - UNKNOWN_ZONE_OVERLAP).strftime(JQL_TIME_FORMAT)
    wall = since.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
    while any(wall.replace(tzinfo=zone, fold=fold) > since for fold in (0, 1)):
        wall -= _FOLD_STEP
    return wall.strftime(JQL_TIME_FORMAT)


def jql_quote(value: str) -> str:
    """Quote a JQL value (a project key, a date) so reserved words and spaces are safe.

    Args:
        value: the raw value.

    Returns:
        The value in double quotes, with quotes and backslashes escaped.
    """
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search_jql(projects: Sequence[str], *, since: str | None, extra: str = "", order_by: str = "updated ASC, key ASC") -> str:
    """The JQL of a sync: the connection's projects, changed since a date, oldest change first.

    Args:
        projects: project keys.
        since: a JQL date from :func:`jql_time`, or None for everything.
        extra: the connection's additional JQL, ANDed in parentheses.
        order_by: the ORDER BY clause.

    Returns:
        The JQL text.
    """
    clauses = [f"project in ({', '.join(jql_quote(project) for project in projects)})"]
    if since is not None:
        clauses.append(f"updated >= {jql_quote(since)}")
    if extra.strip():
        clauses.append(f"({extra.strip()})")
    return f"{' AND '.join(clauses)} ORDER BY {order_by}"


def detect_fields(
    fields: Iterable[Mapping[str, Any]],
    *,
    flagged_field: str | None,
    story_points_field: str | None,
) -> tuple[FieldIds, list[str]]:
    """Find the Flagged and story points fields in the site's field list (``GET /rest/api/{2,3}/field``).

    A configured id wins; otherwise the Flagged field is the one named "Flagged" (Jira Software's
    own field), and story points the field of Jira Software's story points type, else the one named
    "Story point estimate" or "Story Points".

    Args:
        fields: the field list.
        flagged_field: the configured Flagged field id, or None to detect it.
        story_points_field: the configured story points field id, or None to detect it.

    Returns:
        The ids found, and the configured ids the site does not have (for an error message).
    """
    by_id = {str(item.get("id")): item for item in fields}
    missing = [field_id for field_id in (flagged_field, story_points_field) if field_id and field_id not in by_id]
    flagged = flagged_field or _named(by_id.values(), "flagged")
    points = (
        story_points_field
        or next(
            (str(item["id"]) for item in by_id.values() if (item.get("schema") or {}).get("custom") == _STORY_POINTS_SCHEMA),
            None,
        )
        or _named(by_id.values(), *_STORY_POINTS_NAMES)
    )
    flagged_name = str(by_id[flagged]["name"]) if flagged in by_id else None
    return FieldIds(
        flagged_id=flagged if flagged in by_id else None,
        flagged_name=flagged_name,
        story_points_id=points if points in by_id else None,
    ), missing


def _named(items: Iterable[Mapping[str, Any]], *names: str) -> str | None:
    """The id of the first field named one of ``names`` (case-insensitive), in the order of ``names``."""
    listed = list(items)
    for name in names:
        for item in listed:
            if str(item.get("name", "")).lower() == name:
                return str(item["id"])
    return None
