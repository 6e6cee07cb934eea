"""Linear connector (GraphQL API at ``/graphql``): issues with their state history, cycles, projects as epics.

Per team (by key), a sync reads two phases with Relay cursor pagination (``first``/``after``, then
``pageInfo.hasNextPage``/``endCursor``):

1. ``issues``: the ``issues`` query filtered on the team and ``updatedAt >= since``, ``orderBy: updatedAt``,
   ``includeArchived: true`` (Linear archives closed issues automatically; they stay history), each issue with
   its state, labels, cycle, project, parent and the first page of its ``history``; longer histories are read
   with the ``issue(id).history`` query until their last page. Trashed issues are reported deleted.
2. ``projects`` (unless ``read_projects`` is off): the ``projects`` query filtered on the team and ``updatedAt``.

Authentication: a personal API key in ``Authorization: <key>`` (an OAuth token: ``Bearer <token>``), sent
only to the configured host. Rate limits (linear.app/developers/rate-limiting): a limited request gets
HTTP 400 (or 429) with the GraphQL error code ``RATELIMITED``; ``X-RateLimit-Requests-Remaining`` /
``-Reset`` and ``X-RateLimit-Complexity-Remaining`` / ``-Reset`` (epoch milliseconds) say when to try again.

Every page carries a cursor ``{"team", "phase", "after", "since", "watermark"}``; ``phase`` "done" at the end.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, field_validator

from deliveryops.connectors.base import Connector, ConnectorError, ConnectorSettings, FetchPage, SyncRequest, source_url
from deliveryops.connectors.linear_mapping import (
    IssueOptions,
    incident,
    parse_time,
    project_item,
    propose_workflow,
    work_item,
)
from deliveryops.connectors.registry import register
from deliveryops.connectors.throttle import RateLimitRule, ThrottledClient
from deliveryops.work.records import WorkflowStatus

__all__ = ["HISTORY_QUERY", "ISSUES_QUERY", "PROJECTS_QUERY", "LinearConnector", "LinearSettings"]

ISSUES_PER_PAGE = 25  # 25 issues with 50 history entries each stay well under Linear's 10,000-point query cap
HISTORY_PER_PAGE = 50
_TEAM_KEY = re.compile(r"^[A-Za-z0-9_]{1,10}$")

_ISSUE_FIELDS = """id identifier title url createdAt updatedAt archivedAt trashed estimate priorityLabel
      completedAt canceledAt
      state { id name type }
      parent { identifier }
      project { id slugId name }
      cycle { id number name startsAt endsAt }
      labels(first: 50) { nodes { name } }"""
_HISTORY_FIELDS = """nodes { id createdAt fromState { id name type } toState { id name type }
        addedLabels { name } removedLabels { name } }
      pageInfo { hasNextPage endCursor }"""
ISSUES_QUERY = f"""query Issues($filter: IssueFilter, $first: Int!, $after: String) {{
  issues(filter: $filter, first: $first, after: $after, orderBy: updatedAt, includeArchived: true) {{
    nodes {{
      {_ISSUE_FIELDS}
      history(first: {HISTORY_PER_PAGE}) {{
        {_HISTORY_FIELDS}
      }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""
HISTORY_QUERY = f"""query IssueHistory($id: String!, $first: Int!, $after: String) {{
  issue(id: $id) {{
    history(first: $first, after: $after) {{
      {_HISTORY_FIELDS}
    }}
  }}
}}"""
PROJECTS_QUERY = """query Projects($filter: ProjectFilter, $first: Int!, $after: String) {
  projects(filter: $filter, first: $first, after: $after, includeArchived: true) {
    nodes { id slugId name url createdAt updatedAt startedAt completedAt canceledAt archivedAt status { type name } }
    pageInfo { hasNextPage endCursor }
  }
}"""
TEAMS_QUERY = """query Teams($keys: [String!]) {
  viewer { id name email }
  teams(filter: { key: { in: $keys } }, first: 50) { nodes { id key name } }
}"""
STATES_QUERY = """query States($keys: [String!]) {
  workflowStates(filter: { team: { key: { in: $keys } } }, first: 250) { nodes { id name type position team { key } } }
}"""


def _graphql_errors(response: httpx.Response) -> list[Mapping[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [error for error in errors or [] if isinstance(error, Mapping)]


def _code(error: Mapping[str, Any]) -> str:
    extensions = error.get("extensions") or {}
    return str(extensions.get("code") or extensions.get("type") or "").upper().replace(" ", "_")


def _rate_limited(response: httpx.Response) -> bool:
    return response.status_code in (400, 429) and any(_code(error) == "RATELIMITED" for error in _graphql_errors(response))


LINEAR_RATE_LIMITS = RateLimitRule(
    budgets=(
        ("x-ratelimit-requests-remaining", "x-ratelimit-requests-reset"),
        ("x-ratelimit-complexity-remaining", "x-ratelimit-complexity-reset"),
    ),
    reset_in_milliseconds=True,
    limited=_rate_limited,
)


class LinearSettings(ConnectorSettings):
    """What a Linear connection reads (the API key is its secret).

    Attributes:
        base_url: ``https://api.linear.app`` (the GraphQL endpoint is ``/graphql``).
        teams: team keys (``ENG``); each issue's key is its identifier (``ENG-123``).
        blocked_label: the label that flags an issue as blocked.
        read_projects: whether the teams' projects are read as epics.
        incident_labels: labels (case-insensitive) that make an issue an incident.
        incidents_as_work_items: whether incident issues stay work items as well.
        token_kind: ``api_key`` (a personal API key) or ``oauth`` (an OAuth access token, sent as Bearer).
    """

    base_url: str = "https://api.linear.app"
    teams: list[str]
    blocked_label: str = "Blocked"
    read_projects: bool = True
    incident_labels: list[str] = Field(default_factory=list)
    incidents_as_work_items: bool = True
    token_kind: Literal["api_key", "oauth"] = "api_key"  # noqa: S105 (a kind of token, not a token)

    @field_validator("teams", "incident_labels", mode="before")
    @classmethod
    def _one_value_is_a_list(cls, value: object) -> object:
        # The CLI's --setting KEY=VALUE gives a single value as text; a list of one is meant.
        return [value] if isinstance(value, str) else value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        return source_url(value, example="https://api.linear.app").removesuffix("/graphql")

    @field_validator("teams")
    @classmethod
    def _teams(cls, value: list[str]) -> list[str]:
        keys = [key.strip().upper() for key in value if key.strip()]
        if not keys:
            raise ValueError("name at least one team key (e.g. ENG)")
        for key in keys:
            if not _TEAM_KEY.match(key):
                raise ValueError(f"{key!r} is not a Linear team key (letters and digits, e.g. ENG)")
        return list(dict.fromkeys(keys))

    @field_validator("incident_labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(name.strip() for name in value if name.strip()))


@dataclass
class _Progress:
    index: int
    phase: str
    after: str | None
    since: datetime | None
    watermark: datetime | None
    keys: list[str] | None = field(default=None)

    def see(self, value: object) -> None:
        if isinstance(value, str) and value:
            when = parse_time(value)
            self.watermark = when if self.watermark is None else max(self.watermark, when)


@register
class LinearConnector(Connector):
    """Reads issues (with their history), cycles and projects of Linear teams."""

    kind: ClassVar[str] = "linear"
    label: ClassVar[str] = "Linear"
    settings_model: ClassVar[type[ConnectorSettings]] = LinearSettings

    def __init__(
        self,
        settings: LinearSettings,
        secret: str,
        *,
        name: str,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """Prepare a connection; nothing is sent until :meth:`test` or :meth:`fetch`.

        Args:
            settings: the connection's settings.
            secret: a personal API key with read access (or an OAuth token with the ``read`` scope).
            name: the connection's name, used in every error message.
            transport: an httpx transport (tests); None for the network.
            sleep: how to wait between retries and for a spent rate limit.
            now: the current time, for rate-limit reset headers.
            rng: the jitter source of retry backoff.
        """
        self.settings = settings
        self.name = name
        oauth = settings.token_kind == "oauth"  # noqa: S105 (a kind of token, not a token)
        client = httpx.Client(
            base_url=settings.base_url,
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(30.0, connect=10.0),
            headers={
                "Authorization": f"Bearer {secret}" if oauth else secret,
                "Content-Type": "application/json",
                "User-Agent": "deliveryops",
            },
        )
        self.http = ThrottledClient(
            name=name,
            client=client,
            sleep=sleep,
            rng=rng or random.Random(),
            rule=LINEAR_RATE_LIMITS,
            label="Linear",
            explain=self._explain,
        )
        if now is not None:
            self.http.now = now
        self._options: IssueOptions | None = None

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.client.close()

    def _explain(self, response: httpx.Response) -> ConnectorError | None:
        errors = _graphql_errors(response)
        if not errors:
            return None
        message = "; ".join(str(error.get("message") or _code(error)) for error in errors)[:240]
        if any(_code(error) in ("AUTHENTICATION_ERROR", "UNAUTHENTICATED") for error in errors):
            return ConnectorError(
                f"{self.name}: Linear refused the API key ({message}). Create a new key under "
                "Settings → Security & access and update the connection.",
                status=401,
            )
        return ConnectorError(f"{self.name}: Linear answered {response.status_code}: {message}", status=response.status_code)

    def _query(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        response = self.http.request("POST", "/graphql", json={"query": query, "variables": dict(variables)})
        try:
            body = response.json()
        except ValueError:
            raise ConnectorError(
                f"{self.name}: Linear's answer is not valid JSON (it starts with {response.text[:60]!r}).", retryable=True
            ) from None
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            raise ConnectorError(
                f"{self.name}: Linear answered with errors: "
                f"{'; '.join(str(e.get('message')) for e in errors if isinstance(e, dict))[:240]}"
            )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise ConnectorError(f"{self.name}: Linear's answer has no data; check the base URL of the connection.")
        return data

    def _teams(self) -> tuple[str, list[str]]:
        data = self._query(TEAMS_QUERY, {"keys": self.settings.teams})
        found = {str(team.get("key")): str(team.get("name")) for team in data["teams"]["nodes"]}
        missing = [key for key in self.settings.teams if key not in found]
        if missing:
            raise ConnectorError(
                f"{self.name}: team {', '.join(missing)} was not found, or the API key cannot see it "
                f"(teams found: {', '.join(sorted(found)) or 'none'}).",
                status=404,
            )
        viewer = data.get("viewer") or {}
        return str(viewer.get("name") or viewer.get("email") or "an unknown user"), [
            f"{key} ({found[key]})" for key in self.settings.teams
        ]

    def test(self) -> str:
        """Check the key and the teams.

        Returns:
            A sentence such as "Connected to Linear as Ada Lovelace; teams ENG (Engineering) found."

        Raises:
            ConnectorError: naming the connection and what is wrong.
        """
        who, teams = self._teams()
        return f"Connected to Linear as {who}; teams {', '.join(teams)} found."

    def _states(self) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = self._query(STATES_QUERY, {"keys": self.settings.teams})["workflowStates"]["nodes"]
        return nodes

    def workflow(self) -> list[WorkflowStatus]:
        """The teams' states, by type (see :func:`propose_workflow`)."""
        return propose_workflow(self._states())

    def options(self) -> IssueOptions:
        """The mapping options, with the teams' state names (read once)."""
        if self._options is None:
            names: dict[str, list[str]] = {}
            for state in sorted(self._states(), key=lambda s: float(s.get("position") or 0)):
                names.setdefault(str(state.get("type")), []).append(str(state.get("name")))
            self._options = IssueOptions(blocked_label=self.settings.blocked_label, state_names=names)
        return self._options

    def phases(self) -> tuple[str, ...]:
        """The phases read per team."""
        return ("issues", "projects") if self.settings.read_projects else ("issues",)

    def fetch(self, request: SyncRequest) -> Iterator[FetchPage]:
        """Yield one page per page of issues and of projects, team by team.

        Args:
            request: ``since`` limits both to what was updated at or after it; ``cursor`` resumes an interrupted
                sync; ``full`` adds, on the last page, the key of every issue and project listed.

        Returns:
            An iterator of pages; the last one's cursor has ``phase`` "done".
        """
        teams, phases = self.settings.teams, self.phases()
        progress = self._start(request, phases)
        options = self.options()
        while progress.index < len(teams):
            team = teams[progress.index]
            before = self.http.stats.requests
            page = (
                self._issues_page(team, progress, options)
                if progress.phase == "issues"
                else self._projects_page(team, progress, options)
            )
            if progress.after is None:  # that phase is over: the next one, or the next team
                following = phases.index(progress.phase) + 1
                if following < len(phases):
                    progress.phase = phases[following]
                else:
                    progress.phase, progress.index = phases[0], progress.index + 1
            done = progress.index >= len(teams)
            page.requests = self.http.stats.requests - before
            page.watermark = progress.watermark
            page.cursor = {
                "team": None if done else teams[progress.index],
                "phase": "done" if done else progress.phase,
                "after": progress.after,
                "since": _iso(progress.since),
                "watermark": _iso(progress.watermark),
            }
            if done and progress.keys is not None:
                page.existing_keys = sorted(progress.keys)
            yield page

    def _start(self, request: SyncRequest, phases: tuple[str, ...]) -> _Progress:
        cursor = request.cursor or {}
        if cursor.get("phase") == "done":
            return _Progress(len(self.settings.teams), phases[0], None, None, _parse(cursor.get("watermark")))
        if cursor.get("team") in self.settings.teams and cursor.get("phase") in phases:
            return _Progress(
                self.settings.teams.index(str(cursor["team"])),
                str(cursor["phase"]),
                cursor.get("after"),
                _parse(cursor.get("since")),
                _parse(cursor.get("watermark")),
            )
        since = request.since if request.since is None or request.since.tzinfo else request.since.replace(tzinfo=UTC)
        return _Progress(0, phases[0], None, since, None, keys=[] if request.full else None)

    def _filter(self, team: str, progress: _Progress, *, projects: bool = False) -> dict[str, Any]:
        chosen: dict[str, Any] = (
            {"accessibleTeams": {"some": {"key": {"eq": team}}}} if projects else {"team": {"key": {"eq": team}}}
        )
        if progress.since is not None:
            chosen["updatedAt"] = {"gte": _iso(progress.since)}
        return chosen

    def _issues_page(self, team: str, progress: _Progress, options: IssueOptions) -> FetchPage:
        data = self._query(
            ISSUES_QUERY, {"filter": self._filter(team, progress), "first": ISSUES_PER_PAGE, "after": progress.after}
        )
        connection = data["issues"]
        result = FetchPage()
        labels = {label.casefold() for label in self.settings.incident_labels}
        for issue in connection["nodes"]:
            progress.see(issue.get("updatedAt"))
            if issue.get("trashed"):
                result.deleted_keys.append(str(issue["identifier"]))
                continue
            history = self._history(issue)
            record = work_item(issue, history, options)
            if labels and labels & {label.casefold() for label in record.labels}:
                result.incidents.append(incident(issue, record))
                if not self.settings.incidents_as_work_items:
                    continue
            result.items.append(record)
            if progress.keys is not None:
                progress.keys.append(record.external_key)
        progress.after = _next(connection)
        return result

    def _history(self, issue: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every history entry of an issue: the embedded first page, then the rest page by page."""
        connection = issue.get("history") or {}
        entries = list(connection.get("nodes") or [])
        after = _next(connection)
        while after is not None:
            data = self._query(HISTORY_QUERY, {"id": issue["id"], "first": HISTORY_PER_PAGE, "after": after})
            connection = data["issue"]["history"]
            entries += connection["nodes"]
            after = _next(connection)
        return entries

    def _projects_page(self, team: str, progress: _Progress, options: IssueOptions) -> FetchPage:
        data = self._query(
            PROJECTS_QUERY,
            {"filter": self._filter(team, progress, projects=True), "first": ISSUES_PER_PAGE, "after": progress.after},
        )
        connection = data["projects"]
        result = FetchPage()
        for project in connection["nodes"]:
            progress.see(project.get("updatedAt"))
            record = project_item(project, options)
            result.items.append(record)
            if progress.keys is not None:
                progress.keys.append(record.external_key)
        progress.after = _next(connection)
        return result


def _next(connection: Mapping[str, Any]) -> str | None:
    info = connection.get("pageInfo") or {}
    return str(info["endCursor"]) if info.get("hasNextPage") and info.get("endCursor") else None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse(value: object) -> datetime | None:
    return parse_time(value) if isinstance(value, str) and value else None
