"""A fake Linear GraphQL API on 127.0.0.1 that executes queries against Linear's published schema.

Every ``POST /graphql`` is parsed, validated and executed by graphql-core against Linear's own schema
(``tests/fixtures/linear/schema.graphql.gz``, from the SDK), with resolvers over this fake's data, so a field,
argument or filter Linear does not have is refused as Linear would refuse it. Behaviour follows Linear's
developer documentation (linear.app/developers):

- ``graphql``: ``Authorization: <API key>`` (personal keys) or ``Bearer <token>`` (OAuth); answers
  ``{"data": …}`` or ``{"errors": [{"message", "extensions": {"code", "type", "userPresentableMessage"}}]}``
  with HTTP 400 (an authentication error: ``AUTHENTICATION_ERROR``).
- ``pagination``: Relay connections, ``first``/``after``, ``nodes``, ``pageInfo { hasNextPage endCursor }``
  (50 records by default), ``includeArchived``, ``orderBy: updatedAt`` (most recently updated first).
- ``filtering``: ``team: {key: {eq}}``, ``updatedAt: {gte}``, ``accessibleTeams: {some: {key: {eq}}}``,
  ``key: {in}``.
- ``rate-limiting``: ``X-RateLimit-Requests-Limit``/``-Remaining``/``-Reset`` and
  ``X-RateLimit-Complexity-Limit``/``-Remaining``/``-Reset`` (epoch milliseconds) on every answer; a limited
  request gets HTTP 400 with the error code ``RATELIMITED`` (the SDK, ``packages/sdk/src/error.ts``, also
  reads ``extensions.type`` "ratelimited" and a 429).
"""

from __future__ import annotations

import base64
import gzip
import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import graphql

from deliveryops.connectors.linear import LinearConnector, LinearSettings
from tests.connectors.fakeserver import FakeServer, Reply, Request, fake_server

SCHEMA = Path(__file__).resolve().parent.parent / "fixtures" / "linear" / "schema.graphql.gz"
API_KEY = "lin_api_test_key"
RESET_MS = 1_700_000_060_000
NOW = datetime.fromtimestamp(RESET_MS / 1000 - 42, UTC)
_ids = itertools.count(1)


@cache
def schema() -> graphql.GraphQLSchema:
    """Linear's schema, built once per test session (two seconds)."""
    return graphql.build_schema(gzip.decompress(SCHEMA.read_bytes()).decode("utf-8"))


def connect(
    server: FakeServer, *, sleeps: list[float] | None = None, secret: str = API_KEY, name: str = "Linear (ENG)", **settings: Any
) -> LinearConnector:
    """A connector to ``server`` with a fixed clock, a seeded jitter and a recording sleep."""
    import random  # noqa: PLC0415

    settings.setdefault("teams", ["ENG"])
    return LinearConnector(
        LinearSettings(base_url=server.url, **settings),
        secret,
        name=name,
        sleep=(sleeps if sleeps is not None else []).append,
        now=lambda: NOW,
        rng=random.Random(1),
    )


def state(name: str, kind: str, position: float, *, team: str = "ENG") -> dict[str, Any]:
    """A workflow state (``WorkflowState``)."""
    return {
        "id": f"state-{team}-{name.lower().replace(' ', '-')}",
        "name": name,
        "type": kind,
        "position": position,
        "color": "#bec2c8",
        "team": {"key": team},
    }


ENG_STATES = [
    state("Triage", "triage", 0),
    state("Backlog", "backlog", 1),
    state("Todo", "unstarted", 2),
    state("In Progress", "started", 3),
    state("In Review", "started", 4),
    state("Done", "completed", 5),
    state("Canceled", "canceled", 6),
    state("Duplicate", "canceled", 7),
]


def change(
    at: str,
    from_state: str | None = None,
    to_state: str | None = None,
    *,
    added: tuple[str, ...] = (),
    removed: tuple[str, ...] = (),
    states: list[dict[str, Any]] = ENG_STATES,
) -> dict[str, Any]:
    """An ``IssueHistory`` entry: a state change and/or labels added or removed."""
    by_name = {s["name"]: s for s in states}
    return {
        "id": f"history-{next(_ids)}",
        "createdAt": at,
        "fromState": by_name[from_state] if from_state else None,
        "toState": by_name[to_state] if to_state else None,
        "addedLabels": [{"name": label} for label in added] or None,
        "removedLabels": [{"name": label} for label in removed] or None,
    }


def issue(
    identifier: str,
    *,
    created: str,
    updated: str,
    state_name: str,
    title: str | None = None,
    labels: tuple[str, ...] = (),
    history: list[dict[str, Any]] | None = None,
    project: dict[str, Any] | None = None,
    cycle: dict[str, Any] | None = None,
    parent: str | None = None,
    estimate: float | None = None,
    priority: str = "No priority",
    completed: str | None = None,
    canceled: str | None = None,
    trashed: bool = False,
    archived: str | None = None,
    states: list[dict[str, Any]] = ENG_STATES,
) -> dict[str, Any]:
    """An ``Issue`` with the fields the connector asks for (and its team and history for the resolvers)."""
    team = identifier.split("-", maxsplit=1)[0]
    return {
        "id": f"issue-{identifier}",
        "identifier": identifier,
        "title": title or f"Issue {identifier}",
        "url": f"https://linear.app/acme/issue/{identifier.lower()}",
        "createdAt": created,
        "updatedAt": updated,
        "archivedAt": archived,
        "trashed": trashed,
        "estimate": estimate,
        "priorityLabel": priority,
        "completedAt": completed,
        "canceledAt": canceled,
        "state": next(s for s in states if s["name"] == state_name),
        "parent": {"identifier": parent} if parent else None,
        "project": project,
        "cycle": cycle,
        "_labels": list(labels),
        "_history": history or [],
        "_team": team,
    }


def project(
    slug: str,
    name: str,
    *,
    created: str,
    updated: str,
    status: str,
    started: str | None = None,
    completed: str | None = None,
    canceled: str | None = None,
    teams: tuple[str, ...] = ("ENG",),
) -> dict[str, Any]:
    """A ``Project`` (its status is a ``ProjectStatus`` of the type given)."""
    return {
        "id": f"project-{slug}",
        "slugId": slug,
        "name": name,
        "url": f"https://linear.app/acme/project/{slug}",
        "createdAt": created,
        "updatedAt": updated,
        "startedAt": started,
        "completedAt": completed,
        "canceledAt": canceled,
        "archivedAt": None,
        "status": {"type": status, "name": status.title()},
        "_teams": list(teams),
    }


def cycle(number: int, *, starts: str, ends: str, name: str | None = None) -> dict[str, Any]:
    """A ``Cycle``."""
    return {"id": f"cycle-{number}", "number": number, "name": name, "startsAt": starts, "endsAt": ends}


@dataclass
class FakeLinear:
    """The fake workspace; :meth:`serve` runs it on a real socket."""

    issues: list[dict[str, Any]] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=lambda: list(ENG_STATES))
    teams: dict[str, str] = field(default_factory=lambda: {"ENG": "Engineering"})
    api_key: str = API_KEY
    max_first: int = 250
    limited: list[tuple[str, str]] = field(default_factory=list)  # (operation name, "requests" or "complexity")
    spent: list[str] = field(default_factory=list)  # operations answered with the request budget spent
    operations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def serve(self) -> Iterator[FakeServer]:
        """Run on a free port of 127.0.0.1 for the duration of the block."""
        schema()
        with fake_server(self.handle) as server:
            yield server

    def handle(self, request: Request) -> Reply:
        """Answer one request as Linear would."""
        with self._lock:
            headers = {
                "X-RateLimit-Requests-Limit": "5000",
                "X-RateLimit-Requests-Remaining": "4990",
                "X-RateLimit-Requests-Reset": str(RESET_MS),
                "X-RateLimit-Complexity-Limit": "3000000",
                "X-RateLimit-Complexity-Remaining": "2999000",
                "X-RateLimit-Complexity-Reset": str(RESET_MS),
            }
            if request.path != "/graphql" or request.method != "POST":
                return Reply({"errors": [{"message": "Not found"}]}, status=404, headers=headers)
            if request.headers.get("authorization") not in (self.api_key, f"Bearer {self.api_key}"):
                return Reply(
                    {
                        "errors": [
                            {
                                "message": "Authentication required, not authenticated",
                                "extensions": {
                                    "type": "authentication error",
                                    "code": "AUTHENTICATION_ERROR",
                                    "statusCode": 401,
                                    "userPresentableMessage": "You need to authenticate to access this operation.",
                                },
                            }
                        ]
                    },
                    status=400,
                    headers=headers,
                )
            body = request.json()
            document = graphql.parse(body["query"])
            operation = next(
                d.name.value for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode) and d.name
            )
            variables = body.get("variables") or {}
            self.operations.append((operation, variables))
            limit = next((kind for name, kind in self.limited if name == operation), None)
            if limit is not None:
                self.limited.remove((operation, limit))
                headers[f"X-RateLimit-{limit.title()}-Remaining"] = "0"
                return Reply(
                    {
                        "errors": [
                            {
                                "message": "Rate limit exceeded",
                                "extensions": {
                                    "type": "ratelimited",
                                    "code": "RATELIMITED",
                                    "statusCode": 429,
                                    "userPresentableMessage": "Too many requests, please try again later.",
                                },
                            }
                        ]
                    },
                    status=400,
                    headers=headers,
                )
            if operation in self.spent:
                self.spent.remove(operation)
                headers["X-RateLimit-Requests-Remaining"] = "0"
            result = graphql.graphql_sync(schema(), body["query"], root_value=self._root(), variable_values=variables)
            if result.errors:
                return Reply(
                    {
                        "errors": [
                            {"message": error.message, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
                            for error in result.errors
                        ]
                    },
                    status=400,
                    headers=headers,
                )
            return Reply({"data": result.data}, headers=headers)

    # -- resolvers ------------------------------------------------------------------------------------------

    def _root(self) -> dict[str, Any]:
        return {
            "viewer": {"id": "user-1", "name": "Ada Lovelace", "email": "ada@acme.example"},
            "teams": self._teams,
            "workflowStates": self._states,
            "issues": self._issues,
            "issue": self._issue,
            "projects": self._projects,
        }

    def _connection(
        self,
        records: list[dict[str, Any]],
        first: int | None,
        after: str | None,
        shape: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> dict[str, Any]:
        start = int(base64.b64decode(after).decode()) if after else 0
        size = min(first or 50, self.max_first)
        chunk = records[start : start + size]
        more = start + size < len(records)
        return {
            "nodes": [shape(record) for record in chunk],
            "pageInfo": {
                "hasNextPage": more,
                "hasPreviousPage": start > 0,
                "startCursor": base64.b64encode(str(start).encode()).decode() if chunk else None,
                "endCursor": base64.b64encode(str(start + len(chunk)).encode()).decode() if chunk else None,
            },
        }

    def _teams(
        self, _info: Any, filter: dict[str, Any] | None = None, first: int | None = None, after: str | None = None, **_: Any
    ) -> dict[str, Any]:
        keys = ((filter or {}).get("key") or {}).get("in")
        chosen = [{"id": f"team-{k}", "key": k, "name": n} for k, n in self.teams.items() if keys is None or k in keys]
        return self._connection(chosen, first, after, lambda team: team)

    def _states(
        self, _info: Any, filter: dict[str, Any] | None = None, first: int | None = None, after: str | None = None, **_: Any
    ) -> dict[str, Any]:
        keys = (((filter or {}).get("team") or {}).get("key") or {}).get("in")
        chosen = [s for s in self.states if keys is None or s["team"]["key"] in keys]
        return self._connection(chosen, first, after, lambda record: record)

    def _shape_issue(self, record: dict[str, Any]) -> dict[str, Any]:
        shaped = {key: value for key, value in record.items() if not key.startswith("_")}
        shaped["labels"] = lambda _info, first=None, after=None, **_: self._connection(
            [{"name": name} for name in record["_labels"]], first, after, lambda label: label
        )
        shaped["history"] = lambda _info, first=None, after=None, **_: self._connection(
            record["_history"], first, after, lambda entry: entry
        )
        return shaped

    def _issues(
        self,
        _info: Any,
        filter: dict[str, Any] | None = None,
        first: int | None = None,
        after: str | None = None,
        includeArchived: bool | None = None,  # noqa: N803 (GraphQL argument name)
        orderBy: str | None = None,  # noqa: N803
        **_: Any,
    ) -> dict[str, Any]:
        chosen = [i for i in self.issues if includeArchived or not i["archivedAt"]]
        team = (((filter or {}).get("team") or {}).get("key") or {}).get("eq")
        if team is not None:
            chosen = [i for i in chosen if i["_team"] == team]
        if since := ((filter or {}).get("updatedAt") or {}).get("gte"):
            chosen = [i for i in chosen if i["updatedAt"] >= since]
        key = "updatedAt" if orderBy == "updatedAt" else "createdAt"
        chosen.sort(key=lambda i: (i[key], i["id"]), reverse=True)
        return self._connection(chosen, first, after, self._shape_issue)

    def _issue(self, _info: Any, id: str) -> dict[str, Any]:
        found = next((i for i in self.issues if id in (i["id"], i["identifier"])), None)
        if found is None:
            raise graphql.GraphQLError("Entity not found: Issue")
        return self._shape_issue(found)

    def _projects(
        self,
        _info: Any,
        filter: dict[str, Any] | None = None,
        first: int | None = None,
        after: str | None = None,
        includeArchived: bool | None = None,  # noqa: N803 (GraphQL argument name)
        **_: Any,
    ) -> dict[str, Any]:
        chosen = [p for p in self.projects if includeArchived or not p["archivedAt"]]
        team = ((((filter or {}).get("accessibleTeams") or {}).get("some") or {}).get("key") or {}).get("eq")
        if team is not None:
            chosen = [p for p in chosen if team in p["_teams"]]
        if since := ((filter or {}).get("updatedAt") or {}).get("gte"):
            chosen = [p for p in chosen if p["updatedAt"] >= since]
        chosen.sort(key=lambda p: p["createdAt"], reverse=True)
        return self._connection(chosen, first, after, lambda p: {k: v for k, v in p.items() if not k.startswith("_")})


def synthetic_workspace(issues: int = 60, projects: int = 4, *, seed: int = 7) -> FakeLinear:
    """``issues`` issues of team ENG moving Backlog → Todo → In Progress → In Review → Done (some blocked,
    some in a cycle or a project) and ``projects`` projects."""
    import random  # noqa: PLC0415
    from datetime import timedelta  # noqa: PLC0415

    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)

    def iso(when: datetime) -> str:
        return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    fake = FakeLinear()
    flow = ["Backlog", "Todo", "In Progress", "In Review", "Done"]
    for number in range(projects):
        created = start + timedelta(days=10 * number)
        fake.projects.append(
            project(
                f"project-{number}",
                f"Project {number}",
                created=iso(created),
                updated=iso(created + timedelta(days=20)),
                status="started",
                started=iso(created + timedelta(days=2)),
            )
        )
    for number in range(1, issues + 1):
        created = start + timedelta(hours=rng.randrange(0, 24 * 60))
        at, history = created, [change(iso(created), None, "Backlog")]
        steps = rng.randrange(0, 5)
        for step in range(steps):
            at += timedelta(hours=rng.randrange(1, 72))
            history.append(change(iso(at), flow[step], flow[step + 1]))
            if step == 1 and rng.random() < 0.2:
                history += [
                    change(iso(at + timedelta(hours=1)), added=("Blocked",)),
                    change(iso(at + timedelta(hours=6)), removed=("Blocked",)),
                ]
        chosen = fake.projects[number % projects] if projects and rng.random() < 0.5 else None
        fake.issues.append(
            issue(
                f"ENG-{number}",
                created=iso(created),
                updated=iso(at + timedelta(hours=6)),
                state_name=flow[steps],
                history=history,
                project=chosen,
                estimate=float(rng.choice([1, 2, 3, 5])),
                cycle=cycle(1 + number % 3, starts=iso(start), ends=iso(start + timedelta(days=14)))
                if rng.random() < 0.4
                else None,
                completed=iso(at) if steps == 4 else None,
            )
        )
    return fake
