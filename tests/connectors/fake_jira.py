"""A scriptable Jira (Cloud or Server / Data Center) over real HTTP, built on :func:`fake_server`.

It serves issues (recorded ones from ``tests/fixtures/jira``, hand-built ones from :func:`make_issue`,
or :func:`synthetic_issues` for benchmarks) the way Jira's REST API does:

- ``/rest/api/3/search/jql`` paged by ``nextPageToken`` (Cloud) and ``/rest/api/2/search`` paged by
  ``startAt`` (Server), filtered by the JQL the connectors write (projects, ``updated >=`` read in the
  user's time zone, a simple ``labels``/``issuetype`` clause), returning only the requested fields;
- embedded changelogs truncated to the newest ``embedded_histories`` entries, newest first, with the
  full history on ``/rest/api/3/issue/{id}/changelog`` (paged) or ``/rest/api/2/issue/{key}``;
- ``/myself``, ``/project/{key}``, ``/field``, ``/status``; basic auth (Cloud) or a bearer token (Server);
- injected answers (:meth:`FakeJira.fail`): a 429 with ``Retry-After``, a 500, malformed JSON...;
- page tokens that expire (:meth:`FakeJira.expire_page_tokens`) and issues that disappear (:meth:`FakeJira.delete`).

Answers are cached as JSON bytes per issue and requested field set, so 20,000 issues page quickly.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from deliveryops.connectors.jira_query import ISSUE_FIELDS
from tests.connectors.fakeserver import FakeServer, Reply, Request, fake_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jira"
EMAIL = "ada@example.com"
TOKEN = "jira-api-token"
USER_NAME = "Ada Lovelace"
TIME_ZONE = "Asia/Shanghai"
FLAGGED_FIELD = "customfield_10021"
STORY_POINTS_FIELD = "customfield_10016"
SEVERITY_FIELD = "customfield_10050"
"""A single-select "Severity" field, as incident projects often add."""
CONNECTOR_FIELDS = (*ISSUE_FIELDS, FLAGGED_FIELD, STORY_POINTS_FIELD)
"""The fields the connectors ask for on this fake (for :meth:`FakeJira.precompute`)."""
RECORDED_CHANGELOG_KEYS = {"13954": "EE-13954", "13491": "EE-13491"}
"""Issue id → the key given to the issues built around the recorded changelogs (their keys were not recorded)."""
UNAUTHORISED = b"Client must be authenticated to access this resource."
ISSUE_TYPES = ("Task", "Story", "Bug", "Epic")
"""The issue types a project of the fake offers by default (and a "Sub-task" that no action may be)."""

Flavour = Literal["cloud", "server"]

_JQL = re.compile(
    r"^project in \((?P<projects>[^)]*)\)"
    r'(?: AND updated >= "(?P<since>\d{4}/\d{2}/\d{2} \d{2}:\d{2})")?'
    r"(?: AND \((?P<extra>[^()]*)\))?"
    r" ORDER BY (?P<order>updated ASC, key ASC|key ASC)$"
)
_EXTRA = re.compile(r'^(?P<field>labels|issuetype) (?P<op>=|!=) "?(?P<value>[^"]+)"?$')


@dataclass
class FakeIssue:
    """One issue: its id, key, every field, and its whole history (oldest first)."""

    id: str
    key: str
    fields: dict[str, Any]
    histories: list[dict[str, Any]] = field(default_factory=list)

    @property
    def project(self) -> str:
        """The project key."""
        return self.key.rsplit("-", 1)[0]

    def sort_key(self) -> tuple[str, int]:
        """Jira's ``key ASC`` order: project, then number."""
        project, number = self.key.rsplit("-", 1)
        return project, int(number)


def jira_time(moment: datetime) -> str:
    """Write a datetime as Jira does: ``2024-01-05T09:30:00.000+0000``."""
    text = moment.isoformat(timespec="milliseconds")
    return text[:-3] + text[-2:]  # Jira writes the offset without a colon


def parse_jira_time(value: str) -> datetime:
    """Read a Jira timestamp as an aware UTC datetime."""
    return datetime.fromisoformat(value).astimezone(UTC)


@cache
def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def statuses() -> list[dict[str, Any]]:
    """The 53 recorded statuses (Chinese and English names)."""
    return copy.deepcopy(_statuses())


@cache
def _statuses() -> list[dict[str, Any]]:
    return [record["body"] for record in _fixture("statuses.json")]


@cache
def _status_by_id() -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in _statuses()}


def status(status_id: str) -> dict[str, Any]:
    """A recorded status by id, as issues carry it."""
    return copy.deepcopy(_status_by_id()[status_id])


def status_name(status_id: str) -> str:
    """A recorded status's name."""
    return str(_status_by_id()[status_id]["name"])


def recorded_issues() -> list[FakeIssue]:
    """The recorded issues (complete histories), then one issue around each recorded changelog.

    Returns:
        EE-1, EE-20, EE-23, EE-25, K5-2, K5-4, EE-13954 (100 histories), EE-13491 (79 histories).
    """
    issues = []
    for record in _fixture("issues-with-changelog.json"):
        body = copy.deepcopy(record["body"])
        histories = sorted(body["changelog"]["histories"], key=lambda history: parse_jira_time(history["created"]))
        issues.append(FakeIssue(id=body["id"], key=body["key"], fields=body["fields"], histories=histories))
    template = next(issue for issue in issues if issue.key == "EE-23")
    for issue_id, key in RECORDED_CHANGELOG_KEYS.items():
        histories = [
            copy.deepcopy(record["body"])
            for record in _fixture("issue-changelogs.json")
            if f"/issue/{issue_id}/" in record["request"]
        ]
        issues.append(_around_changelog(template, issue_id, key, histories))
    return issues


def _around_changelog(template: FakeIssue, issue_id: str, key: str, histories: list[dict[str, Any]]) -> FakeIssue:
    """An issue for a recorded changelog: created at its first history, in the status its history ends in."""
    fields = copy.deepcopy(template.fields)
    status_items = [item for history in histories for item in history["items"] if item["field"] == "status"]
    resolutions = [item for history in histories for item in history["items"] if item["field"] == "resolution"]
    last = status_items[-1]
    fields.update(
        summary=f"Issue {issue_id} (recorded changelog)",
        created=histories[0]["created"],
        updated=histories[-1]["created"],
        status={"id": last["to"], "name": last["toString"]},
        resolution={"id": resolutions[-1]["to"], "name": resolutions[-1]["toString"]} if resolutions else None,
        labels=[],
        issuelinks=[],
        parent=None,
    )
    return FakeIssue(id=issue_id, key=key, fields=fields, histories=histories)


def make_issue(
    key: str,
    *,
    created: datetime,
    initial_status: str = "10134",
    moves: Sequence[tuple[datetime, str]] = (),
    flags: Sequence[tuple[datetime, bool]] = (),
    links: Sequence[tuple[str, str]] = (),
    issue_type: str = "Story",
    summary: str | None = None,
    labels: Sequence[str] = (),
    parent: str | None = None,
    story_points: float | None = None,
    issue_id: str | None = None,
    priority: str | None = None,
    severity: str | None = None,
    resolved: datetime | None = None,
) -> FakeIssue:
    """Build an issue that moves through recorded statuses, with Flagged changes and issue links.

    Args:
        key: the issue key.
        created: creation time (aware).
        initial_status: the status id at creation (default 10134, 打开).
        moves: (time, status id) of each status change.
        flags: (time, flagged?) of each Flagged change.
        links: (a kind of :data:`LINK_TYPES`, e.g. "blocks" or "depends_on", other key).
        issue_type: the issue type name.
        summary: the title (default "Work on <key>").
        labels: labels.
        parent: the parent's key.
        story_points: the story points field.
        issue_id: the id (default derived from the key).
        priority: the priority's name (None: no priority).
        severity: the Severity field's option (None: empty).
        resolved: the resolution date (default: the last change when the issue ends done).

    Returns:
        The issue, updated at its last change.
    """
    number = int(key.rsplit("-", 1)[1])
    issue_id = issue_id or str(100000 + number)
    author = {"accountId": "5b10a2844c20165700ede21g", "displayName": USER_NAME, "active": True, "timeZone": TIME_ZONE}
    changes: list[tuple[datetime, dict[str, Any]]] = []
    current = initial_status
    for at, target in moves:
        changes.append(
            (
                at,
                {
                    "field": "status",
                    "fieldtype": "jira",
                    "fieldId": "status",
                    "from": current,
                    "fromString": status_name(current),
                    "to": target,
                    "toString": status_name(target),
                },
            )
        )
        current = target
    for at, on in flags:
        value = (
            {"from": None, "fromString": None, "to": "[10019]", "toString": "Impediment"}
            if on
            else {"from": "[10019]", "fromString": "Impediment", "to": None, "toString": None}
        )
        changes.append((at, {"field": "Flagged", "fieldtype": "custom", "fieldId": FLAGGED_FIELD, **value}))
    changes.sort(key=lambda change: change[0])
    histories = [
        {"id": str(number * 1000 + index), "author": author, "created": jira_time(at), "items": [item]}
        for index, (at, item) in enumerate(changes)
    ]
    flagged_now = bool(flags) and flags[-1][1]
    done = _status_by_id()[current]["statusCategory"]["key"] == "done"
    fields: dict[str, Any] = {
        "summary": summary or f"Work on {key}",
        "issuetype": {"id": "10001", "name": issue_type, "subtask": False},
        "status": _status_by_id()[current],  # shared, never mutated
        "created": jira_time(created),
        "updated": jira_time(changes[-1][0] if changes else created),
        "resolution": {"id": "10000", "name": "Done"} if done else None,
        "resolutiondate": jira_time(resolved) if resolved else jira_time(changes[-1][0]) if done and changes else None,
        "parent": {"id": "1", "key": parent} if parent else None,
        "labels": list(labels),
        "issuelinks": [_link(index, kind, other) for index, (kind, other) in enumerate(links)],
        "project": {"id": "10100", "key": key.rsplit("-", 1)[0], "name": "Operations"},
        FLAGGED_FIELD: [{"id": "10019", "value": "Impediment"}] if flagged_now else None,
        STORY_POINTS_FIELD: story_points,
        "priority": {
            "self": "https://example.atlassian.net/rest/api/3/priority/2",
            "id": "2",
            "name": priority,
            "iconUrl": "https://example.atlassian.net/images/icons/priorities/high.svg",
        }
        if priority
        else None,
        SEVERITY_FIELD: {
            "self": "https://example.atlassian.net/rest/api/3/customFieldOption/10060",
            "value": severity,
            "id": "10060",
        }
        if severity
        else None,
    }
    return FakeIssue(id=issue_id, key=key, fields=fields, histories=histories)


LINK_TYPES: dict[str, tuple[dict[str, str], str]] = {
    "blocks": ({"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"}, "outwardIssue"),
    "is_blocked_by": ({"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"}, "inwardIssue"),
    "depends_on": (
        {"id": "10300", "name": "Dependency", "inward": "is depended on by", "outward": "depends on"},
        "outwardIssue",
    ),
    "is_depended_on_by": (
        {"id": "10300", "name": "Dependency", "inward": "is depended on by", "outward": "depends on"},
        "inwardIssue",
    ),
    "needs_sign_off_from": (
        {"id": "10400", "name": "Sign-off", "inward": "signs off", "outward": "needs sign-off from"},
        "outwardIssue",
    ),
    "relates_to": ({"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"}, "outwardIssue"),
}
"""Link kinds :func:`make_issue` writes: Jira's "Blocks" and "Relates", and two link types sites add."""


def _link(index: int, kind: str, other: str) -> dict[str, Any]:
    link_type, side = LINK_TYPES[kind]
    return {
        "id": str(20000 + index),
        "type": dict(link_type),
        side: {"id": "1", "key": other, "fields": {"summary": f"Work on {other}"}},
    }


# Synthetic workflow, with recorded (Chinese) status ids: 打开 → 设计中 → 开发中 → 测试中 → 待发布 → 已完成,
# with rework (测试中 → 开发中) and holds (挂起中).
_BACKLOG, _DESIGN, _BUILD, _TEST, _HOLD, _RELEASE, _DONE = "10134", "10080", "10074", "10084", "10104", "10090", "10068"


def synthetic_issues(
    n: int,
    seed: int,
    *,
    project: str = "OPS",
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
) -> list[FakeIssue]:
    """``n`` issues with about 12 status changes each (rework and holds), some flagged, some blocking others.

    Args:
        n: how many issues.
        seed: the random seed (the same seed gives the same issues).
        project: the project key.
        start: when the first issue is created.

    Returns:
        Issues ``<project>-1`` … ``<project>-n``; about one in five is unfinished.
    """
    rng = random.Random(seed)
    issues = []
    for number in range(1, n + 1):
        created = start + timedelta(minutes=30 * number + rng.randrange(30))
        path = [_DESIGN, _BUILD, _TEST]
        for _ in range(3 + rng.randrange(3)):
            path += [_BUILD, _TEST] if rng.random() < 0.7 else [_HOLD, path[-1]]
        path += [_RELEASE, _DONE]
        if rng.random() < 0.2:
            path = path[: rng.randrange(1, len(path))]
        at = created
        moves = []
        for target in path:
            at += timedelta(hours=rng.expovariate(1 / 20))
            moves.append((at, target))
        flags: list[tuple[datetime, bool]] = []
        if rng.random() < 0.25:
            flagged_at = moves[0][0] + timedelta(hours=1)
            flags.append((flagged_at, True))
            if rng.random() < 0.8:
                flags.append((flagged_at + timedelta(hours=rng.expovariate(1 / 8)), False))
        links = [("blocks", f"{project}-{number - 1}")] if number > 1 and rng.random() < 0.1 else []
        issues.append(
            make_issue(
                f"{project}-{number}",
                created=created,
                moves=moves,
                flags=flags,
                links=links,
                labels=rng.sample(["api", "web", "data", "ops"], rng.randrange(3)),
                story_points=float(rng.choice([1, 2, 3, 5, 8])),
            )
        )
    return issues


def rate_limited(seconds: int) -> Reply:
    """Jira's 429 with ``Retry-After``."""
    return Reply({"errorMessages": ["Rate limit exceeded."]}, status=429, headers={"Retry-After": str(seconds)})


def server_error() -> Reply:
    """A 500."""
    return Reply({"errorMessages": ["Internal server error"]}, status=500)


def malformed() -> Reply:
    """A 200 whose body is cut off (not JSON)."""
    return Reply(raw=b'{"issues": [{"id": "10063", "key": "EE-', status=200)


@dataclass
class _Failure:
    reply: Reply
    nth: int
    path: str | None


class FakeJira:
    """A Jira site: issues, statuses, one user; answers every request as the real REST API does.

    Attributes:
        issues: key → issue (mutable between syncs).
        flavour: "cloud" (API v3, basic auth, page tokens) or "server" (API v2, bearer token, startAt).
        page_size: the most issues a search page holds, whatever ``maxResults`` asks.
        changelog_page_size: the most histories a changelog page holds.
        embedded_histories: the most histories a search result embeds (Jira Cloud embeds at most 100).
        time_zone: the user's time zone, in which JQL dates are read (None: UTC, and /myself omits it).
        issue_types: project key → the issue types one can create in it (default :data:`ISSUE_TYPES`), served
            by ``/issue/createmeta/{project}/issuetypes`` two to a page and checked by ``POST /issue``.
    """

    def __init__(
        self,
        issues: Iterable[FakeIssue],
        *,
        flavour: Flavour = "cloud",
        page_size: int = 100,
        changelog_page_size: int = 100,
        embedded_histories: int = 100,
        time_zone: str | None = TIME_ZONE,
        issue_types: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.issues = {issue.key: issue for issue in issues}
        self.issue_types = dict(issue_types or {})
        self.flavour = flavour
        self.page_size = page_size
        self.changelog_page_size = changelog_page_size
        self.embedded_histories = embedded_histories
        self.time_zone = time_zone
        self.api = "/rest/api/3" if flavour == "cloud" else "/rest/api/2"
        self.server: FakeServer | None = None
        self._failures: list[_Failure] = []
        self._counts: dict[str | None, int] = {}
        self._token_generation = 0
        self._queries: dict[str, list[FakeIssue]] = {}
        self._json: dict[tuple[str, tuple[str, ...] | None, bool], bytes] = {}
        self._lock = threading.Lock()
        self.created: list[dict[str, Any]] = []  # the fields of every issue created through the API

    # -- scripting -------------------------------------------------------------------------------

    def fail(self, reply: Reply, *, nth: int, path: str | None = None) -> None:
        """Answer ``reply`` instead of the real answer to the ``nth`` request (1-based), counting only ``path`` if given."""
        self._failures.append(_Failure(reply, nth, path))

    def delete(self, key: str) -> None:
        """Delete an issue (it disappears from every later answer)."""
        del self.issues[key]
        self._changed()

    def add(self, issue: FakeIssue) -> None:
        """Add or replace an issue."""
        self.issues[issue.key] = issue
        self._changed()

    def expire_page_tokens(self) -> None:
        """Make every page token handed out so far stale (the next use answers 400)."""
        self._token_generation += 1

    def precompute(self, fields: Sequence[str] = CONNECTOR_FIELDS, *, expand: bool = True) -> None:
        """Serialise every issue for a field set now, so that the first sync is as fast as the next ones."""
        for issue in self.issues.values():
            self._issue_json(issue, tuple(fields), expand)

    @property
    def requests(self) -> list[Request]:
        """Every request received."""
        assert self.server is not None, "serve() first"
        return self.server.requests

    def paths(self) -> list[str]:
        """The path of every request received, in order."""
        return [request.path for request in self.requests]

    @contextmanager
    def serve(self) -> Iterator[FakeServer]:
        """Run the site on 127.0.0.1 for the duration of the block."""
        with fake_server(self.handle) as server:
            self.server = server
            yield server

    def _changed(self) -> None:
        self._queries.clear()
        self._json.clear()

    # -- answering -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        """Answer one request."""
        with self._lock:
            injected = self._injected(request)
            if injected is not None:
                return injected
            if not self._authorised(request):
                return Reply(raw=UNAUTHORISED, status=401, headers={"Content-Type": "text/plain"})
            return self._route(request)

    def _injected(self, request: Request) -> Reply | None:
        for scope in (None, request.path):
            self._counts[scope] = self._counts.get(scope, 0) + 1
        for failure in self._failures:
            if failure.nth == self._counts.get(failure.path, 0) and (failure.path is None or failure.path == request.path):
                return failure.reply
        return None

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if self.flavour == "cloud":
            return header == "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        return header == f"Bearer {TOKEN}"

    def _route(self, request: Request) -> Reply:
        path = request.path.removeprefix(self.api)
        if path == "/myself":
            return Reply(self._myself())
        if path == "/field":
            return Reply(_FIELDS)
        if path == "/status":
            return Reply(_statuses())
        if path.startswith("/project/"):
            return self._project(path.removeprefix("/project/"))
        if path == ("/search/jql" if self.flavour == "cloud" else "/search"):
            return self._search(request)
        if match := re.fullmatch(r"/issue/([^/]+)/changelog", path):
            return self._changelog(match.group(1), request) if self.flavour == "cloud" else _not_found()
        if path == "/issue" and request.method == "POST":
            return self._create(request)
        if match := re.fullmatch(r"/issue/createmeta/([^/]+)/issuetypes", path):
            return self._issue_types(match.group(1), request)
        if match := re.fullmatch(r"/issue/([^/]+)", path):
            return self._issue(match.group(1), request)
        return _not_found()

    def _create(self, request: Request) -> Reply:
        """``POST /issue``: 201 ``{"id", "key", "self"}`` as Jira answers; 400 with ``errors`` per field otherwise."""
        fields = (request.json() or {}).get("fields") or {}
        project = (fields.get("project") or {}).get("key")
        errors: dict[str, str] = {}
        if not any(issue.project == project for issue in self.issues.values()):
            errors["project"] = "valid project is required"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        if (fields.get("issuetype") or {}).get("name") not in self.types_of(str(project)):
            errors["issuetype"] = "Specify an issue type"
        description = fields.get("description")
        if (
            self.flavour == "cloud"
            and description is not None
            and (not isinstance(description, dict) or description.get("type") != "doc")
        ):
            errors["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        if errors:
            return Reply({"errorMessages": [], "errors": errors}, status=400)
        number = (
            max((int(issue.key.rsplit("-", 1)[1]) for issue in self.issues.values() if issue.project == project), default=0) + 1
        )
        issue_id = str(max((int(issue.id) for issue in self.issues.values()), default=10000) + 1)
        key = f"{project}-{number}"
        created = make_issue(
            key,
            summary=fields["summary"],
            created=datetime.now(UTC),
            initial_status="10033",
            issue_type=fields["issuetype"]["name"],
            issue_id=issue_id,
        )
        self.add(FakeIssue(issue_id, key, {**created.fields, "description": description}, []))
        self.created.append(fields)
        return Reply(
            {"id": issue_id, "key": key, "self": f"{self.server.url if self.server else ''}{self.api}/issue/{issue_id}"},
            status=201,
        )

    def types_of(self, project: str) -> list[str]:
        """The issue types one can create in a project (none when it does not exist)."""
        if not any(issue.project == project for issue in self.issues.values()):
            return []
        return list(self.issue_types.get(project, ISSUE_TYPES))

    def _issue_types(self, project: str, request: Request) -> Reply:
        """``GET /issue/createmeta/{project}/issuetypes``: a page of issue types and a sub-task type, paged per flavour."""
        names = self.types_of(project)
        if not names:
            return Reply({"errorMessages": [f"No project could be found with key '{project}'."], "errors": {}}, status=404)
        every = [{"id": str(10001 + i), "name": name, "subtask": False} for i, name in enumerate(names)]
        every.append({"id": "10100", "name": "Sub-task", "subtask": True})
        start = int(request.param("startAt") or 0)
        size = min(int(request.param("maxResults") or 50), 2)
        page = every[start : start + size]
        if self.flavour == "cloud":
            return Reply({"issueTypes": page, "startAt": start, "maxResults": size, "total": len(every)})
        return Reply(
            {"values": page, "startAt": start, "maxResults": size, "total": len(every), "isLast": start + size >= len(every)}
        )

    def move(self, key: str, status_id: str) -> None:
        """Move an issue to another status, as someone on the board would."""
        issue = self.issues[key]
        self.add(FakeIssue(issue.id, issue.key, {**issue.fields, "status": status(status_id)}, issue.histories))

    def _myself(self) -> dict[str, Any]:
        me: dict[str, Any] = {"displayName": USER_NAME, "active": True}
        if self.flavour == "cloud":
            me.update(accountId="5b10a2844c20165700ede21g", emailAddress=EMAIL)
        else:
            me["name"] = "ada"
        if self.time_zone:
            me["timeZone"] = self.time_zone
        return me

    def _project(self, key: str) -> Reply:
        issue = next((issue for issue in self.issues.values() if issue.project == key), None)
        if issue is None:
            return Reply({"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}}, status=404)
        name = (issue.fields.get("project") or {}).get("name", key)
        return Reply({"id": str(10000 + len(key)), "key": key, "name": name})

    def _find(self, id_or_key: str) -> FakeIssue | None:
        return self.issues.get(id_or_key) or next((issue for issue in self.issues.values() if issue.id == id_or_key), None)

    def _search(self, request: Request) -> Reply:
        jql = request.param("jql") or ""
        try:
            matching = self._query(jql)
        except ValueError as exc:
            return Reply({"errorMessages": [str(exc)], "errors": {}}, status=400)
        fields_param = request.param("fields")
        fields = tuple(fields_param.split(",")) if fields_param is not None else None
        expand = "changelog" in (request.param("expand") or "").split(",")
        size = min(int(request.param("maxResults") or 50), self.page_size)
        if self.flavour == "server":
            start = int(request.param("startAt") or 0)
            head = {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(matching)}
            return self._page(head, matching[start : start + size], fields, expand, tail={})
        start = 0
        if request.param("nextPageToken") is not None:
            try:
                start = self._read_token(request.param("nextPageToken") or "", jql)
            except ValueError as exc:
                return Reply({"errorMessages": [str(exc)], "errors": {}}, status=400)
        following = start + size
        tail: dict[str, Any] = {"isLast": following >= len(matching)}
        if following < len(matching):
            tail["nextPageToken"] = self._token(jql, following)
        return self._page({}, matching[start:following], fields, expand, tail=tail)

    def _page(
        self,
        head: dict[str, Any],
        issues: Sequence[FakeIssue],
        fields: tuple[str, ...] | None,
        expand: bool,
        *,
        tail: dict[str, Any],
    ) -> Reply:
        body = json.dumps(head)[:-1].encode() + (b", " if head else b"") + b'"issues": ['
        body += b", ".join(self._issue_json(issue, fields, expand) for issue in issues) + b"]"
        body += (b", " + json.dumps(tail)[1:].encode()) if tail else b"}"
        return Reply(raw=body)

    def _issue_json(self, issue: FakeIssue, fields: tuple[str, ...] | None, expand: bool) -> bytes:
        cache_key = (issue.key, fields, expand)
        if cache_key not in self._json:
            self._json[cache_key] = json.dumps(self._issue_body(issue, fields, expand, limit=self.embedded_histories)).encode()
        return self._json[cache_key]

    def _issue_body(self, issue: FakeIssue, fields: tuple[str, ...] | None, expand: bool, *, limit: int) -> dict[str, Any]:
        base = self.server.url if self.server else ""
        body: dict[str, Any] = {"expand": "operations,changelog", "id": issue.id, "self": f"{base}{self.api}/issue/{issue.id}"}
        if fields is None and self.flavour == "cloud":  # the enhanced search returns ids only by default
            return body
        body["key"] = issue.key
        wanted = issue.fields.keys() if fields is None or "*all" in fields else [name for name in fields if name != "key"]
        body["fields"] = {name: issue.fields.get(name) for name in wanted}
        if expand:
            newest = list(reversed(issue.histories))[:limit]
            body["changelog"] = {"startAt": 0, "maxResults": len(newest), "total": len(issue.histories), "histories": newest}
        return body

    def _query(self, jql: str) -> list[FakeIssue]:
        if jql not in self._queries:
            match = _JQL.match(jql)
            if match is None:
                raise ValueError(f"Error in the JQL Query: the fake does not understand {jql!r}.")
            projects = {project.strip().strip('"') for project in match["projects"].split(",")}
            since = None
            if match["since"]:
                zone = ZoneInfo(self.time_zone) if self.time_zone else UTC
                since = datetime.strptime(match["since"], "%Y/%m/%d %H:%M").replace(tzinfo=zone)
            keep = _extra_filter(match["extra"])
            found = [
                issue
                for issue in self.issues.values()
                if issue.project in projects
                and keep(issue)
                and (since is None or parse_jira_time(issue.fields["updated"]) >= since)
            ]
            if match["order"] == "key ASC":
                found.sort(key=FakeIssue.sort_key)
            else:
                found.sort(key=lambda issue: (parse_jira_time(issue.fields["updated"]), issue.sort_key()))
            self._queries[jql] = found
        return self._queries[jql]

    def _token(self, jql: str, offset: int) -> str:
        payload = json.dumps([self._token_generation, jql, offset]).encode()
        return base64.urlsafe_b64encode(payload).decode()

    def _read_token(self, token: str, jql: str) -> int:
        try:
            generation, token_jql, offset = json.loads(base64.urlsafe_b64decode(token.encode()))
        except ValueError:
            raise ValueError("The provided next page token is invalid.") from None
        if generation != self._token_generation or token_jql != jql:
            raise ValueError("The provided next page token is invalid or expired.")
        return int(offset)

    def _changelog(self, id_or_key: str, request: Request) -> Reply:
        issue = self._find(id_or_key)
        if issue is None:
            return _not_found()
        start = int(request.param("startAt") or 0)
        size = min(int(request.param("maxResults") or 100), self.changelog_page_size)
        values = issue.histories[start : start + size]
        return Reply(
            {
                "self": f"{self.api}/issue/{issue.id}/changelog?startAt={start}&maxResults={size}",
                "maxResults": size,
                "startAt": start,
                "total": len(issue.histories),
                "isLast": start + size >= len(issue.histories),
                "values": values,
            }
        )

    def _issue(self, id_or_key: str, request: Request) -> Reply:
        issue = self._find(id_or_key)
        if issue is None:
            return Reply(
                {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}, status=404
            )
        fields_param = request.param("fields")
        fields = tuple(fields_param.split(",")) if fields_param is not None else ("*all",)
        expand = "changelog" in (request.param("expand") or "").split(",")
        body = self._issue_body(issue, fields, expand, limit=len(issue.histories))
        if expand:  # the issue endpoint returns the whole history, oldest first
            body["changelog"]["histories"] = issue.histories
        return Reply(body)


def _extra_filter(extra: str | None) -> Any:
    if not extra:
        return lambda issue: True
    match = _EXTRA.match(extra)
    if match is None:
        raise ValueError(f"Error in the JQL Query: the fake does not understand {extra!r}.")

    def keep(issue: FakeIssue) -> bool:
        values = (issue.fields.get("labels") or []) if match["field"] == "labels" else [issue.fields["issuetype"]["name"]]
        return (match["value"] in values) == (match["op"] == "=")

    return keep


def _not_found() -> Reply:
    return Reply({"errorMessages": ["Not found."], "errors": {}}, status=404)


_FIELDS: list[dict[str, Any]] = [
    {"id": "summary", "key": "summary", "name": "Summary", "custom": False, "schema": {"type": "string", "system": "summary"}},
    {"id": "status", "key": "status", "name": "Status", "custom": False, "schema": {"type": "status", "system": "status"}},
    {
        "id": "customfield_10020",
        "key": "customfield_10020",
        "name": "Sprint",
        "custom": True,
        "schema": {"type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint", "customId": 10020},
    },
    {
        "id": FLAGGED_FIELD,
        "key": FLAGGED_FIELD,
        "name": "Flagged",
        "custom": True,
        "clauseNames": ["cf[10021]", "Flagged"],
        "schema": {
            "type": "array",
            "items": "option",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes",
            "customId": 10021,
        },
    },
    {
        "id": "customfield_10024",
        "key": "customfield_10024",
        "name": "Story Points",
        "custom": True,
        "schema": {"type": "number", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float", "customId": 10024},
    },
    {
        "id": STORY_POINTS_FIELD,
        "key": STORY_POINTS_FIELD,
        "name": "Story point estimate",
        "custom": True,
        "schema": {"type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points", "customId": 10016},
    },
    {
        "id": SEVERITY_FIELD,
        "key": SEVERITY_FIELD,
        "name": "Severity",
        "custom": True,
        "schema": {"type": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select", "customId": 10050},
    },
]
