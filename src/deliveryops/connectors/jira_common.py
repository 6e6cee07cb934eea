"""What Jira Cloud and Jira Server / Data Center share: settings, connection test, the sync loop.

A sync (:meth:`JiraConnectorBase.fetch`) reads the searching user's time zone, the site's field
list (to find the Flagged and story points fields) and its statuses (to name statuses by id), then
pages through one JQL search ordered by ``updated``. Each issue whose embedded changelog is
truncated gets its full history from the changelog endpoint before it is mapped: a truncated
history is never stored as if it were whole. Each page yields a cursor from which an interrupted
sync resumes; a full sync's last page also lists every key that still exists.

Incidents (DORA): issues of the connection's search whose issue type is one of
``incident_issue_types`` or that carry one of ``incident_labels`` also become incidents (created =
``created``, resolved = ``resolutiondate``, severity = the priority's name or the configured
``incident_severity_field``); with ``incidents_as_work_items`` off they are incidents only. The
search then also asks for ``priority`` (or the severity field): no extra request.
"""

from __future__ import annotations

import abc
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Self, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from pydantic import Field, field_validator

from deliveryops.connectors.base import (
    Connector,
    ConnectorError,
    ConnectorSettings,
    FetchPage,
    IncidentRecord,
    SyncRequest,
    source_url,
)
from deliveryops.connectors.http import HttpStats, SourceClient
from deliveryops.connectors.issues import RemoteIssue, jira_state
from deliveryops.connectors.jira_mapping import MappingOptions, parse_time, propose_workflow, work_item
from deliveryops.connectors.jira_query import FieldIds, detect_fields, jql_time, search_jql, user_zone
from deliveryops.work.records import WorkflowStatus, WorkItemRecord

__all__ = ["JiraConnectorBase", "JiraSettingsBase", "Position", "SearchPage"]

_PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")
_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

Position = str | int | None
"""Where a search continues: a ``nextPageToken`` (Cloud), a ``startAt`` offset (Server), None at the start."""


@dataclass(frozen=True)
class SearchPage:
    """One page of a JQL search: its issues, and where the next page starts (None after the last)."""

    issues: list[Mapping[str, Any]]
    next_position: Position


class JiraSettingsBase(ConnectorSettings):
    """Settings both Jira flavours share (the secret is kept apart, encrypted).

    Attributes:
        base_url: the site, e.g. ``https://example.atlassian.net``.
        projects: project keys to sync.
        jql_extra: more JQL, ANDed with the project filter (e.g. ``issuetype != Epic``).
        flagged_field: the Flagged custom field id; None finds the field named "Flagged".
        story_points_field: the story points custom field id; None finds Jira Software's field.
        blocked_statuses: statuses (names or ids) whose time counts as blocked.
        incident_issue_types: issue types (names, case-insensitive) whose issues are incidents.
        incident_labels: labels (case-insensitive) whose issues are incidents.
        incident_severity_field: the field holding an incident's severity (an id such as
            ``customfield_10050``); None uses the priority.
        incidents_as_work_items: whether incident issues stay work items as well (True) or are
            incidents only (False).
        action_issue_type: the issue type improvement actions are created as (default Task); the
            connection test and every creation check it against the project's issue types.
    """

    projects: list[str]
    jql_extra: str = ""
    flagged_field: str | None = None
    story_points_field: str | None = None
    blocked_statuses: list[str] = Field(default_factory=list)
    incident_issue_types: list[str] = Field(default_factory=list)
    incident_labels: list[str] = Field(default_factory=list)
    incident_severity_field: str | None = None
    incidents_as_work_items: bool = True
    action_issue_type: str = "Task"

    @field_validator("action_issue_type")
    @classmethod
    def _action_issue_type(cls, value: str) -> str:
        value = value.strip()
        if len(value) > 60:
            raise ValueError("an issue type name has at most 60 characters")
        return value or "Task"

    @field_validator("incident_issue_types", "incident_labels")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        cleaned = list(dict.fromkeys(name.strip() for name in value if name.strip()))
        for name in cleaned:
            if '"' in name:
                raise ValueError(f"{name!r}: a name cannot contain double quotes")
        return cleaned

    @field_validator("incident_severity_field")
    @classmethod
    def _severity_field(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if value and not re.fullmatch(r"[a-z][A-Za-z0-9_]*", value):
            raise ValueError(f"{value!r} is not a Jira field id (e.g. priority or customfield_10050)")
        return value or None

    def reads_incidents(self) -> bool:
        """Whether any issue can be an incident."""
        return bool(self.incident_issue_types or self.incident_labels)

    @field_validator("base_url")
    @classmethod
    def _site_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        return source_url(value, example="https://your-site.atlassian.net")

    @field_validator("projects")
    @classmethod
    def _project_keys(cls, value: list[str]) -> list[str]:
        keys = [key.strip().upper() for key in value if key.strip()]
        if not keys:
            raise ValueError("name at least one project key")
        for key in keys:
            if not _PROJECT_KEY.match(key):
                raise ValueError(f"{key!r} is not a Jira project key (letters, digits and _, starting with a letter)")
        return keys


S = TypeVar("S", bound=JiraSettingsBase)


@dataclass(frozen=True)
class _SyncContext:
    zone: ZoneInfo | None
    fields: FieldIds
    options: MappingOptions


class _RequestCounter:
    """Requests sent since the last :meth:`take` (each page reports its own)."""

    def __init__(self, stats: HttpStats) -> None:
        self._stats = stats
        self._mark = stats.requests

    def take(self) -> int:
        count, self._mark = self._stats.requests - self._mark, self._stats.requests
        return count


class JiraConnectorBase(Connector, Generic[S]):
    """The sync loop of both flavours; subclasses say how to authenticate, search and read a changelog."""

    api: ClassVar[str]
    """The REST API prefix, ``/rest/api/3`` or ``/rest/api/2``."""
    cursor_key: ClassVar[str]
    """The cursor entry holding the search position (``next_page_token`` or ``start_at``)."""
    key_page_size: ClassVar[int]
    """Issues per page when only keys are listed."""
    page_size: ClassVar[int] = 100

    def __init__(
        self,
        settings: S,
        secret: str,
        *,
        name: str,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Prepare a connection; nothing is sent until a method is called.

        Args:
            settings: the connection's settings.
            secret: the API token (Cloud) or personal access token (Server / Data Center).
            name: the connection's name, used in every error message.
            transport: an httpx transport to use instead of the network (the sync engine or tests).
            sleep: how to wait before retries (tests pass a recorder).
        """
        self.settings = settings
        self.name = name
        self._secret = secret
        client = httpx.Client(
            base_url=settings.base_url,
            auth=self._auth(),
            transport=transport,
            timeout=_TIMEOUT,
            headers={"Accept": "application/json"},
        )
        self.http = SourceClient(name=name, client=client, sleep=sleep)
        self._counter = _RequestCounter(self.http.stats)  # from here: the engine's GET /status counts too

    @abc.abstractmethod
    def _auth(self) -> httpx.Auth:
        """The authentication of every request (the one place to change for another scheme)."""

    @abc.abstractmethod
    def _search(self, jql: str, fields: Sequence[str], position: Position, *, expand: bool, page_size: int) -> SearchPage:
        """One page of a JQL search, from ``position``."""

    @abc.abstractmethod
    def _full_histories(self, issue: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """Every history of an issue whose embedded changelog was truncated."""

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def test(self) -> str:
        """Check the credentials and each project.

        Returns:
            A sentence naming the site, the user and the projects found.

        Raises:
            ConnectorError: naming the connection and the cause (a refused token, a missing project).
        """
        me = self._get_object(f"{self.api}/myself")
        who = str(me.get("displayName") or me.get("emailAddress") or me.get("name") or "an unnamed user")
        found: list[str] = []
        for key in self.settings.projects:
            try:
                project = self._get_object(f"{self.api}/project/{key}")
            except ConnectorError as exc:
                if exc.status == 404:
                    raise ConnectorError(
                        f"{self.name}: project {key} was not found on {self.settings.base_url}, "
                        f"or {who} is not allowed to browse it.",
                        status=404,
                    ) from None
                raise
            found.append(f"{project.get('key') or key} ({project.get('name') or key})")
        notes = []
        for key in self.settings.projects:  # a sync needs no create permission: a problem here is a note, not a failure
            try:
                self.action_issue_type(key)
            except ConnectorError as exc:
                if exc.retryable:
                    raise
                notes.append(exc.message.removeprefix(f"{self.name}: "))
        sentence = f"Connected to {self.settings.base_url} as {who}; projects {', '.join(found)} found."
        if notes:
            sentence += " Improvement actions cannot be sent yet: " + " ".join(n[0].upper() + n[1:] for n in notes)
        return sentence

    def issue_types(self, project: str) -> list[str]:
        """The issue types one can create in ``project``, sub-tasks left out.

        ``GET {api}/issue/createmeta/{project}/issuetypes`` pages by ``startAt``: Cloud answers
        ``{"issueTypes", "startAt", "maxResults", "total"}``, Server / Data Center (8.4 and later)
        ``{"values", "startAt", "maxResults", "total", "isLast"}``.
        """
        path = f"{self.api}/issue/createmeta/{quote(project, safe='')}/issuetypes"
        names: list[str] = []
        start = 0
        while True:
            body = self._get_object(path, {"startAt": start, "maxResults": 50})
            values = body.get("issueTypes", body.get("values"))
            if not isinstance(values, list):
                raise self._shape_error(path, "a page of issue types")
            names += [
                str(kind["name"]) for kind in values if isinstance(kind, Mapping) and kind.get("name") and not kind.get("subtask")
            ]
            start += len(values)
            total = body.get("total")
            if not values or body.get("isLast") is True or (isinstance(total, int) and start >= total):
                return names

    def action_issue_type(self, project: str) -> str:
        """The configured issue type for actions, as ``project`` spells it.

        Raises:
            ConnectorError: the project has no such issue type (the message lists the ones it has).
        """
        wanted = self.settings.action_issue_type
        try:
            available = self.issue_types(project)
        except ConnectorError as exc:
            if exc.status != 404:
                raise
            raise ConnectorError(
                f"{self.name}: project {project} was not found on {self.settings.base_url}, "
                "or the connection's user may not create issues in it.",
                status=404,
            ) from None
        for name in available:
            if name.casefold() == wanted.casefold():
                return name
        raise ConnectorError(
            f"{self.name}: project {project} has no issue type {wanted!r} for actions; "
            f"choose one of {', '.join(available) or 'none (no permission to create issues?)'}.",
            status=400,
        )

    def create_issue(self, *, title: str, description: str, project: str | None = None) -> RemoteIssue:
        """Create an issue of the connection's action issue type (default Task) in ``project`` (default: the
        connection's first project) and read its status.

        Raises:
            ConnectorError: the site refused it (no such project or issue type, no permission to create).
        """
        key = project or self.settings.projects[0]
        fields = {
            "project": {"key": key},
            "summary": title[:255],
            "issuetype": {"name": self.action_issue_type(key)},
            "description": self._description(description),
        }
        path = f"{self.api}/issue"
        created = self.http.post_json(path, json={"fields": fields})
        if not isinstance(created, Mapping) or not created.get("key"):
            raise self._shape_error(path, "the created issue's key")
        return self.read_issue(str(created["key"]))

    def read_issue(self, key: str) -> RemoteIssue:
        """An issue's status (``GET {api}/issue/{key}?fields=status``) in an action's terms."""
        path = f"{self.api}/issue/{quote(key, safe='')}"
        status = self._get_object(path, {"fields": "status"}).get("fields", {}).get("status")
        if not isinstance(status, Mapping):
            raise self._shape_error(path, "an issue with its status")
        url = f"{self.settings.base_url}/browse/{quote(key, safe='')}"
        return RemoteIssue(key, url, str(status.get("name") or ""), jira_state(status))

    def _description(self, text: str) -> Any:
        """The description field: plain text (API v2); Cloud's API v3 wants a document (see the subclass)."""
        return text

    def workflow(self) -> list[WorkflowStatus]:
        """Propose a workflow from the site's statuses, by status category (see :func:`propose_workflow`).

        Returns:
            The statuses in order, each with its stage category.
        """
        return propose_workflow(self._get_list(f"{self.api}/status"))

    def fetch(self, request: SyncRequest) -> Iterator[FetchPage]:
        """Yield the issues changed since ``request.since``, one page at a time.

        Args:
            request: since when, the cursor to resume from, and whether this is a full sync.

        Returns:
            An iterator of pages; the last one carries ``existing_keys`` on a full sync.
        """
        counter = self._counter
        context = self._context()
        since_text, position = self._start(request)
        since = datetime.fromisoformat(since_text) if since_text else None
        jql = search_jql(
            self.settings.projects, since=jql_time(since, context.zone) if since else None, extra=self.settings.jql_extra
        )
        seen: set[str] = set()
        watermark: datetime | None = None
        fields = context.fields.search_fields()
        if self.settings.reads_incidents():
            fields.append(self.settings.incident_severity_field or "priority")
        for page in self._pages(jql, fields, position, expand=True, page_size=self.page_size):
            items = []
            incidents = []
            for issue in page.issues:
                incident = self._incident(issue)
                if incident is not None:
                    incidents.append(incident)
                if incident is not None and not self.settings.incidents_as_work_items:
                    updated = parse_time(issue["fields"]["updated"])
                else:
                    item, updated = self._item(issue, context.options)
                    items.append(item)
                    seen.add(item.external_key)
                watermark = updated if watermark is None else max(watermark, updated)
            last = page.next_position is None
            existing = sorted(self._existing_keys() | seen) if last and request.full else None
            cursor = {self.cursor_key: page.next_position, "since": since_text}
            yield FetchPage(
                items=items,
                incidents=incidents,
                existing_keys=existing,
                cursor=cursor,
                requests=counter.take(),
                watermark=watermark,
            )

    def _incident(self, issue: Mapping[str, Any]) -> IncidentRecord | None:
        """The incident an issue is (by its type or a label), or None; an odd issue is named in the error."""
        settings = self.settings
        if not settings.reads_incidents():
            return None
        fields = issue.get("fields") or {}
        issue_type = str((fields.get("issuetype") or {}).get("name") or "").casefold()
        labels = {str(label).casefold() for label in fields.get("labels") or []}
        if issue_type not in {name.casefold() for name in settings.incident_issue_types} and not (
            labels & {name.casefold() for name in settings.incident_labels}
        ):
            return None
        key = str(issue["key"])
        try:
            created = parse_time(str(fields["created"]))
            resolved = parse_time(str(fields["resolutiondate"])) if fields.get("resolutiondate") else None
            return IncidentRecord(
                source=self.kind,
                external_id=key,
                title=str(fields.get("summary") or ""),
                created_at=created,
                # An issue imported into Jira can carry a resolution date before its creation: restored at once.
                resolved_at=None if resolved is None else max(resolved, created),
                severity=_severity(fields.get(settings.incident_severity_field or "priority")),
                url=f"{settings.base_url}/browse/{key}",
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConnectorError(
                f"{self.name}: incident {key} could not be read ({exc.__class__.__name__}: {exc}); the sync stopped before it."
            ) from None

    def _pages(
        self,
        jql: str,
        fields: Sequence[str],
        position: Position,
        *,
        expand: bool,
        page_size: int,
    ) -> Iterator[SearchPage]:
        """Every page of a search from ``position``; a stale page token (they expire) restarts the query once."""
        restarted = False
        while True:
            try:
                page = self._search(jql, fields, position, expand=expand, page_size=page_size)
            except ConnectorError as exc:
                if exc.status != 400 or position is None or restarted:
                    raise
                # Run the query again from its start (``since``): upserts are idempotent.
                position, restarted = None, True
                continue
            if page.next_position is not None and page.next_position == position:
                raise ConnectorError(
                    f"{self.name}: the search answered the same page twice; stopped to avoid an endless sync.", retryable=True
                )
            yield page
            if page.next_position is None:
                return
            position = page.next_position

    def _item(self, issue: Mapping[str, Any], options: MappingOptions) -> tuple[WorkItemRecord, datetime]:
        """Map one issue with its complete history, and read when it was updated; an odd issue is named in the error."""
        histories = self._histories(issue)
        try:
            return work_item(issue, histories, options), parse_time(issue["fields"]["updated"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConnectorError(
                f"{self.name}: issue {issue['key']} could not be read "
                f"({exc.__class__.__name__}: {exc}); the sync stopped before it."
            ) from None

    def _start(self, request: SyncRequest) -> tuple[str | None, Position]:
        """The ``since`` (ISO text, UTC) and position to start from: the cursor's when resuming."""
        if request.cursor:
            since_value = request.cursor.get("since")
            return (str(since_value) if since_value else None), request.cursor.get(self.cursor_key)
        if request.since is None:
            return None, None
        since = request.since if request.since.tzinfo else request.since.replace(tzinfo=UTC)
        return since.astimezone(UTC).isoformat(), None

    def _context(self) -> _SyncContext:
        me = self._get_object(f"{self.api}/myself")
        field_list = self._get_list(f"{self.api}/field")
        known_ids = {str(item.get("id")) for item in field_list} | {"priority"}
        fields, missing = detect_fields(
            field_list, flagged_field=self.settings.flagged_field, story_points_field=self.settings.story_points_field
        )
        if missing:
            raise ConnectorError(
                f"{self.name}: field {', '.join(missing)} does not exist on {self.settings.base_url}; "
                "correct the Flagged or story points field of the connection."
            )
        severity_field = self.settings.incident_severity_field
        if severity_field and severity_field not in known_ids:
            raise ConnectorError(
                f"{self.name}: field {severity_field} does not exist on {self.settings.base_url}; "
                "correct the incident severity field of the connection."
            )
        statuses = self._get_list(f"{self.api}/status")
        options = MappingOptions(
            source=self.kind,
            base_url=self.settings.base_url,
            status_names={str(status["id"]): str(status["name"]) for status in statuses if "id" in status and "name" in status},
            flagged_field_id=fields.flagged_id,
            flagged_field_name=fields.flagged_name,
            story_points_field_id=fields.story_points_id,
            blocked_statuses=frozenset(self.settings.blocked_statuses),
        )
        return _SyncContext(zone=user_zone(me.get("timeZone")), fields=fields, options=options)

    def _histories(self, issue: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        changelog = issue.get("changelog")
        if isinstance(changelog, Mapping):
            histories = list(changelog.get("histories") or [])
            total = changelog.get("total")
            if (total is None or total <= len(histories)) and not changelog.get("startAt"):
                return histories
        return self._full_histories(issue)

    def _existing_keys(self) -> set[str]:
        """Every key the connection's JQL matches now, whenever it changed (for deletions)."""
        jql = search_jql(self.settings.projects, since=None, extra=self.settings.jql_extra, order_by="key ASC")
        pages = self._pages(jql, ["key"], None, expand=False, page_size=self.key_page_size)
        return {str(issue["key"]) for page in pages for issue in page.issues}

    def _get_object(self, path: str, params: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        body = self.http.get_json(path, params=params)
        if not isinstance(body, Mapping):
            raise self._shape_error(path, "an object")
        return body

    def _get_list(self, path: str) -> list[Mapping[str, Any]]:
        body = self.http.get_json(path)
        if not isinstance(body, list) or not all(isinstance(item, Mapping) for item in body):
            raise self._shape_error(path, "a list")
        return body

    def _issues(self, body: Mapping[str, Any], path: str) -> list[Mapping[str, Any]]:
        """The ``issues`` of a search answer, each with its key."""
        issues = body.get("issues")
        if not isinstance(issues, list) or not all(isinstance(issue, Mapping) and issue.get("key") for issue in issues):
            raise self._shape_error(path, "a search result (issues with their keys)")
        return issues

    def _shape_error(self, path: str, expected: str) -> ConnectorError:
        return ConnectorError(
            f"{self.name}: the answer to {path} is not {expected} as the Jira API documents; "
            "check that the base URL points at Jira."
        )


def _severity(value: object) -> str | None:
    """A severity from a field value: an option's ``value``, a priority's ``name``, or plain text."""
    if isinstance(value, Mapping):
        value = value.get("value") or value.get("name")
    if isinstance(value, list) and value:
        return _severity(value[0])
    if isinstance(value, (str, int, float)) and str(value).strip():
        return str(value).strip()
    return None
