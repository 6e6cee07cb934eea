"""A fake GitLab REST API v4 on 127.0.0.1, serving the shapes GitLab documents.

Shapes and behaviour follow GitLab's API reference (docs.gitlab.com/api/…; the pages' sources are
``doc/api/*.md`` in gitlab-org/gitlab):

- ``rest/_index.md#pagination``: ``page``/``per_page`` (at most 100), a ``Link`` header with ``rel="next"``,
  ``"prev"``, ``"first"``, ``"last"`` and the ``x-next-page``, ``x-page``, ``x-per-page``, ``x-prev-page``,
  ``x-total``, ``x-total-pages`` headers; keyset pages (``Link`` with an opaque ``cursor`` and no ``x-*``
  headers) when :attr:`FakeGitLab.keyset_issues` is set; the ``Link`` header left out when
  :attr:`FakeGitLab.link_headers` is off (a proxy that strips it).
- ``administration/settings/user_and_ip_rate_limits.md#response-headers``: ``RateLimit-Limit``, ``-Name``,
  ``-Observed``, ``-Remaining``, ``-Reset`` on every answer; 429 with ``Retry-After``, ``RateLimit-ResetTime``
  and the plain-text body "Retry later".
- ``rest/authentication.md``: ``PRIVATE-TOKEN`` or ``Authorization: Bearer``; 401 ``{"message": "401 Unauthorized"}``.
- ``issues.md`` (list project issues: ``state``, ``updated_after``, ``order_by``, ``sort``; ``issue_type``),
  ``resource_label_events.md``, ``resource_state_events.md``, ``merge_requests.md`` (list, ``…/commits``),
  ``notes.md`` (merge request notes, system notes), ``environments.md`` (``tier``), ``deployments.md``
  (list with ``environment``, ``updated_after``, ``order_by=updated_at``; ``…/:deployment_id/merge_requests``).

Records are built by the functions below from the documented example responses, so every field the
connector does not read keeps a realistic value.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

from deliveryops.connectors.gitlab import GitLabConnector, GitLabSettings
from tests.connectors.fakeserver import FakeServer, Reply, Request, fake_server

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "gitlab"
RECORDED = "gitlab-data/snowflake_spend"  # the recorded project (served as id 12345678)
TOKEN = "glpat-test-token"
PROJECT = "acme/shop"
RESET_EPOCH = 1_700_000_060
NOW = datetime.fromtimestamp(RESET_EPOCH - 42, UTC)  # the connectors' clock in tests: 42 s before the reset
_ids = itertools.count(5000)


def connect(
    server: FakeServer, *, sleeps: list[float] | None = None, token: str = TOKEN, name: str = "GitLab (shop)", **settings: Any
) -> GitLabConnector:
    """A connector to ``server`` with a fixed clock, a seeded jitter and a recording sleep."""
    import random  # noqa: PLC0415

    settings.setdefault("projects", [PROJECT])
    return GitLabConnector(
        GitLabSettings(base_url=server.url, **settings),
        token,
        name=name,
        sleep=(sleeps if sleeps is not None else []).append,
        now=lambda: NOW,
        rng=random.Random(1),
    )


def user(username: str = "root", *, user_id: int = 1, name: str = "Administrator") -> dict[str, Any]:
    """A user as GitLab embeds it (``author``, ``user``)."""
    return {
        "id": user_id,
        "name": name,
        "username": username,
        "state": "active",
        "avatar_url": "https://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=80&d=identicon",
        "web_url": f"https://gitlab.example.com/{username}",
    }


def issue(
    iid: int,
    *,
    created: str,
    updated: str | None = None,
    state: str = "opened",
    closed: str | None = None,
    labels: tuple[str, ...] = (),
    title: str | None = None,
    issue_type: str = "issue",
    weight: int | None = None,
    severity: str | None = None,
    project: str = PROJECT,
) -> dict[str, Any]:
    """An issue as ``GET /projects/:id/issues`` lists it (issues.md, "List project issues")."""
    body: dict[str, Any] = {
        "id": 70_000 + iid,
        "iid": iid,
        "project_id": 3,
        "title": title or f"Issue {iid}",
        "description": "Ratione dolores corrupti mollitia soluta quia.",
        "state": state,
        "created_at": created,
        "updated_at": updated or closed or created,
        "closed_at": closed,
        "closed_by": user() if closed else None,
        "labels": list(labels),
        "milestone": None,
        "assignees": [],
        "author": user("eileen.lowe", user_id=18),
        "assignee": None,
        "type": issue_type.upper(),
        "issue_type": issue_type,
        "user_notes_count": 1,
        "merge_requests_count": 0,
        "upvotes": 4,
        "downvotes": 0,
        "due_date": None,
        "confidential": False,
        "discussion_locked": False,
        "web_url": f"https://gitlab.example.com/{project}/-/issues/{iid}",
        "time_stats": {"time_estimate": 0, "total_time_spent": 0, "human_time_estimate": None, "human_total_time_spent": None},
        "task_completion_status": {"count": 0, "completed_count": 0},
        "weight": weight,
        "has_tasks": False,
        "references": {"short": f"#{iid}", "relative": f"#{iid}", "full": f"{project}#{iid}"},
        "severity": (severity or "UNKNOWN").upper() if issue_type == "incident" else None,
    }
    return body


def label_event(at: str, label: str | None, action: str = "add", *, iid: int = 1) -> dict[str, Any]:
    """A record of ``…/issues/:iid/resource_label_events`` (resource_label_events.md); ``label`` None: a deleted label."""
    return {
        "id": next(_ids),
        "user": user(),
        "created_at": at,
        "resource_type": "Issue",
        "resource_id": 70_000 + iid,
        "label": None if label is None else {"id": 73, "name": label, "color": "#34495E", "description": ""},
        "action": action,
    }


def state_event(at: str, state: str, *, iid: int = 1) -> dict[str, Any]:
    """A record of ``…/issues/:iid/resource_state_events`` (resource_state_events.md)."""
    return {
        "id": next(_ids),
        "user": user(),
        "created_at": at,
        "resource_type": "Issue",
        "resource_id": 70_000 + iid,
        "state": state,
    }


def merge_request(
    iid: int,
    *,
    created: str,
    updated: str | None = None,
    author: str = "alice",
    state: str = "opened",
    merged: str | None = None,
    closed: str | None = None,
    merge_commit: str | None = None,
    squash_commit: str | None = None,
    sha: str = "8888888888888888888888888888888888888888",
    project: str = PROJECT,
    title: str | None = None,
) -> dict[str, Any]:
    """A merge request as ``GET /projects/:id/merge_requests`` lists it (merge_requests.md)."""
    return {
        "id": 90_000 + iid,
        "iid": iid,
        "project_id": 3,
        "title": title or f"Merge request {iid}",
        "description": "fixed login page css paddings",
        "state": state,
        "merged_by": user() if merged else None,
        "merge_user": user() if merged else None,
        "merged_at": merged,
        "closed_by": user() if closed else None,
        "closed_at": closed,
        "created_at": created,
        "updated_at": updated or merged or closed or created,
        "target_branch": "main",
        "source_branch": f"feature-{iid}",
        "upvotes": 0,
        "downvotes": 0,
        "author": user(author, user_id=zlib.crc32(author.encode()) % 1000 + 2, name=author.title()),
        "assignee": None,
        "assignees": [],
        "reviewers": [],
        "source_project_id": 3,
        "target_project_id": 3,
        "labels": [],
        "draft": False,
        "work_in_progress": False,
        "milestone": None,
        "merge_when_pipeline_succeeds": False,
        "merge_status": "can_be_merged",
        "detailed_merge_status": "mergeable",
        "sha": sha,
        "merge_commit_sha": merge_commit,
        "squash_commit_sha": squash_commit,
        "user_notes_count": 1,
        "discussion_locked": None,
        "should_remove_source_branch": True,
        "force_remove_source_branch": False,
        "reference": f"!{iid}",
        "references": {"short": f"!{iid}", "relative": f"!{iid}", "full": f"{project}!{iid}"},
        "web_url": f"https://gitlab.example.com/{project}/-/merge_requests/{iid}",
        "time_stats": {"time_estimate": 0, "total_time_spent": 0, "human_time_estimate": None, "human_total_time_spent": None},
        "squash": squash_commit is not None,
        "task_completion_status": {"count": 0, "completed_count": 0},
    }


def commit(sha: str, *, authored: str, committed: str | None = None) -> dict[str, Any]:
    """A record of ``…/merge_requests/:iid/commits`` (merge_requests.md, "Get single merge request commits")."""
    return {
        "id": sha,
        "short_id": sha[:8],
        "title": "Replace sanitize with escape once",
        "author_name": "Example User",
        "author_email": "user@example.com",
        "authored_date": authored,
        "committer_name": "Example User",
        "committer_email": "user@example.com",
        "committed_date": committed or authored,
        "created_at": committed or authored,
        "message": "Replace sanitize with escape once",
        "parent_ids": [],
        "web_url": f"https://gitlab.example.com/-/commit/{sha}",
    }


def note(
    at: str, author: str, body: str = "Looks good to me", *, system: bool = False, bot: bool | None = None, iid: int = 1
) -> dict[str, Any]:
    """A record of ``…/merge_requests/:iid/notes`` (notes.md); system notes such as "approved this merge request"."""
    author_body = user(author, user_id=zlib.crc32(author.encode()) % 1000 + 2, name=author.title())
    if bot is not None:
        author_body["bot"] = bot
    return {
        "id": next(_ids),
        "type": None,
        "body": body,
        "attachment": None,
        "author": author_body,
        "created_at": at,
        "updated_at": at,
        "system": system,
        "noteable_id": 90_000 + iid,
        "noteable_type": "MergeRequest",
        "project_id": 3,
        "noteable_iid": iid,
        "resolvable": False,
        "confidential": False,
        "internal": False,
    }


def environment(env_id: int, name: str, *, tier: str = "production") -> dict[str, Any]:
    """A record of ``GET /projects/:id/environments`` (environments.md)."""
    return {
        "id": env_id,
        "name": name,
        "slug": re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
        "external_url": f"https://{name}.example.com",
        "state": "available",
        "tier": tier,
        "created_at": "2019-05-25T18:55:13.252Z",
        "updated_at": "2019-05-27T18:55:13.252Z",
    }


def deployment(
    deployment_id: int,
    *,
    sha: str,
    created: str,
    status: str = "success",
    finished: str | None = None,
    environment_name: str = "production",
    env_id: int = 9,
    updated: str | None = None,
    job_started: str | None = None,
) -> dict[str, Any]:
    """A record of ``GET /projects/:id/deployments`` (deployments.md, "List project deployments")."""
    terminal = status in ("success", "failed", "canceled")
    return {
        "id": deployment_id,
        "iid": deployment_id - 40,
        "ref": "main",
        "sha": sha,
        "created_at": created,
        "updated_at": updated or finished or created,
        "finished_at": finished if terminal else None,
        "status": status,
        "user": user(),
        "environment": {"id": env_id, "name": environment_name, "external_url": "https://about.gitlab.com"},
        "deployable": {
            "id": 600 + deployment_id,
            "status": status,
            "stage": "deploy",
            "name": "deploy",
            "ref": "main",
            "tag": False,
            "coverage": None,
            "created_at": created,
            "started_at": job_started,
            "finished_at": finished if terminal else None,
            "user": user(),
            "commit": {
                "id": sha,
                "short_id": sha[:8],
                "title": "Merge branch 'new-title' into 'main'",
                "author_name": "Administrator",
                "author_email": "admin@example.com",
                "created_at": created,
                "message": "Merge branch 'new-title' into 'main'",
            },
            "pipeline": {
                "id": 36,
                "ref": "main",
                "sha": sha,
                "status": status,
                "created_at": created,
                "updated_at": created,
                "web_url": "https://gitlab.example.com/acme/shop/pipelines/12",
            },
            "web_url": f"https://gitlab.example.com/{PROJECT}/-/jobs/{600 + deployment_id}",
            "runner": None,
        },
    }


def recorded(name: str) -> list[dict[str, Any]]:
    """The recorded ``{"request", "body"}`` entries of a fixture file in ``tests/fixtures/gitlab`` (fresh copies)."""
    loaded: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return copy.deepcopy(loaded)


def recorded_project() -> Project:
    """The records DevLake recorded from gitlab.com, served unchanged (see ``tests/fixtures/gitlab/README.md``)."""
    project = Project(project_id=12345678)
    project.issues = [entry["body"] for entry in recorded("issues.json")]
    project.merge_requests = [entry["body"] for entry in recorded("merge-requests.json")]
    for kind, table in (("merge-request-notes.json", project.notes), ("merge-request-commits.json", project.commits)):
        for entry in recorded(kind):
            table.setdefault(int(entry["request"].split("/merge_requests/")[1].split("/")[0]), []).append(entry["body"])
    project.deployments = [entry["body"] for entry in recorded("deployments.json")]
    project.environments = [environment(585636, "production"), environment(585637, "staging", tier="staging")]
    return project


@dataclass
class Project:
    """What one project holds."""

    project_id: int = 3
    issues: list[dict[str, Any]] = field(default_factory=list)
    label_events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    state_events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    merge_requests: list[dict[str, Any]] = field(default_factory=list)
    commits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    environments: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    deployed: dict[int, list[int]] = field(default_factory=dict)  # deployment id → merge request iids it shipped


@dataclass
class Failure:
    """An injected answer for requests whose path matches ``path`` (a regex), ``times`` times.

    Kinds: ``retry_after_429`` (GitLab's throttle), ``spent`` (a 200 with ``RateLimit-Remaining: 0``),
    ``server_error_500``, ``not_found_404``, ``redirect_elsewhere`` (a 301 to another host), ``link_elsewhere``
    (a page whose next link is on another host).
    """

    path: str
    kind: str
    times: int = 1
    retry_after: int = 30


@dataclass
class FakeGitLab:
    """The fake API's state; :meth:`serve` runs it on a real socket."""

    projects: dict[str, Project]
    username: str = "deliveryops-bot"
    token: str = TOKEN
    max_per_page: int = 100
    link_headers: bool = True
    keyset_issues: bool = False
    rate_limit: int = 2000
    observed: int = 0
    failures: list[Failure] = field(default_factory=list)
    received: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, path: str, kind: str, *, times: int = 1, retry_after: int = 30) -> None:
        """Answer the next ``times`` requests matching ``path`` with failure ``kind``."""
        self.failures.append(Failure(path, kind, times, retry_after))

    @contextmanager
    def serve(self) -> Iterator[FakeServer]:
        """Run on a free port of 127.0.0.1 for the duration of the block."""
        with fake_server(self.handle) as server:
            yield server

    def handle(self, request: Request) -> Reply:
        """Answer one request as GitLab would."""
        with self._lock:
            self.received += 1
            token = request.headers.get("private-token") or request.headers.get("authorization", "").removeprefix("Bearer ")
            if token != self.token:
                return Reply({"message": "401 Unauthorized"}, status=401)
            path = request.path.removeprefix("/api/v4")
            failure = next((f for f in self.failures if f.times > 0 and re.fullmatch(f.path, path)), None)
            if failure is not None:
                failure.times -= 1
                reply = self._failure(failure, request)
                if reply is not None:
                    return reply
            found = self._route(request, path)
            if found is None:
                return self._count(Reply({"message": "404 Not found"}, status=404))
            body, headers = found
            reply = self._count(Reply(body, headers=headers))
            if failure is not None and failure.kind == "spent":
                reply.headers.update({"RateLimit-Remaining": "0", "RateLimit-Observed": str(self.rate_limit)})
            return reply

    def _count(self, reply: Reply) -> Reply:
        self.observed += 1
        reply.headers.update(
            {
                "RateLimit-Limit": str(self.rate_limit),
                "RateLimit-Name": "throttle_authenticated_api",
                "RateLimit-Observed": str(self.observed),
                "RateLimit-Remaining": str(max(0, self.rate_limit - self.observed)),
                "RateLimit-Reset": str(RESET_EPOCH),
            }
        )
        return reply

    def _failure(self, failure: Failure, request: Request) -> Reply | None:
        if failure.kind == "retry_after_429":
            return Reply(
                raw=b"Retry later\n",
                status=429,
                headers={
                    "Content-Type": "text/plain",
                    "Retry-After": str(failure.retry_after),
                    "RateLimit-Limit": str(self.rate_limit),
                    "RateLimit-Name": "throttle_authenticated_api",
                    "RateLimit-Observed": str(self.rate_limit + 1),
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(RESET_EPOCH),
                    "RateLimit-ResetTime": "Tue, 14 Nov 2023 22:14:20 GMT",
                },
            )
        if failure.kind == "server_error_500":
            return Reply({"message": "500 Internal Server Error"}, status=500)
        if failure.kind == "not_found_404":
            return self._count(Reply({"message": "404 Not found"}, status=404))
        if failure.kind == "redirect_elsewhere":
            return Reply(raw=b"", status=301, headers={"Location": "https://gitlab.evil.example/api/v4" + request.path})
        if failure.kind == "link_elsewhere":
            return self._count(
                Reply([], headers={"Link": f'<https://gitlab.evil.example/api/v4{request.path}?page=2&per_page=100>; rel="next"'})
            )
        return None  # "spent": answered normally, with the budget spent

    def _route(self, request: Request, path: str) -> tuple[Any, dict[str, str]] | None:
        if path == "/user":
            return {**user(self.username, user_id=77, name="DeliveryOps"), "bot": False}, {}
        match = re.fullmatch(r"/projects/([^/]+)(/.*)?", path)
        if match is None:
            return None
        key = unquote(match.group(1))
        name = next((n for n, p in self.projects.items() if key in (n, str(p.project_id))), None)
        if name is None:
            return None
        project, rest = self.projects[name], match.group(2) or ""
        if rest == "":
            return {
                "id": project.project_id,
                "name": name.split("/")[-1],
                "path_with_namespace": name,
                "web_url": f"https://gitlab.example.com/{name}",
                "default_branch": "main",
            }, {}
        if rest == "/issues":
            return self._paged(request, self._listed(request, project.issues), keyset=self.keyset_issues)
        if rest == "/merge_requests":
            return self._paged(request, self._listed(request, project.merge_requests))
        if rest == "/environments":
            return self._paged(request, project.environments)
        if rest == "/deployments":
            chosen = [d for d in project.deployments if request.param("environment") in (None, d["environment"]["name"])]
            return self._paged(request, self._listed(request, chosen))
        if shipped := re.fullmatch(r"/deployments/(\d+)/merge_requests", rest):
            deployment_id = int(shipped.group(1))
            if deployment_id not in {d["id"] for d in project.deployments}:
                return None
            iids = project.deployed.get(deployment_id, [])
            return self._paged(request, [mr for mr in project.merge_requests if mr["iid"] in iids])
        sub = re.fullmatch(r"/(issues|merge_requests)/(\d+)/(resource_label_events|resource_state_events|commits|notes)", rest)
        if sub is None:
            return None
        iid = int(sub.group(2))
        owners = project.issues if sub.group(1) == "issues" else project.merge_requests
        if iid not in {record["iid"] for record in owners}:
            return None
        table = {
            "resource_label_events": project.label_events,
            "resource_state_events": project.state_events,
            "commits": project.commits,
            "notes": project.notes,
        }[sub.group(3)]
        return self._paged(request, table.get(iid, []))

    def _listed(self, request: Request, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        state = request.param("state", "all")
        chosen = [r for r in records if state == "all" or r.get("state") == state or r.get("status") == state]
        if after := request.param("updated_after"):
            chosen = [r for r in chosen if r["updated_at"] >= after]
        key = request.param("order_by") or "created_at"
        ordered = sorted(chosen, key=lambda r: (r.get(key) or "", r["id"]))
        return ordered if request.param("sort", "desc" if key != "id" else "asc") == "asc" else ordered[::-1]

    def _paged(self, request: Request, items: list[dict[str, Any]], *, keyset: bool = False) -> tuple[Any, dict[str, str]]:
        per_page = min(int(request.param("per_page", "20") or 20), 100, self.max_per_page)
        host = request.headers.get("host", "127.0.0.1")
        base = {k: v[0] for k, v in request.query.items() if k not in ("page", "cursor")}
        if keyset:
            start = int(json.loads(base64.urlsafe_b64decode(request.param("cursor") or "e30=") or b"{}").get("offset", 0))
            chunk = items[start : start + per_page]
            headers: dict[str, str] = {}
            if start + per_page < len(items):
                cursor = base64.urlsafe_b64encode(json.dumps({"offset": start + per_page}).encode()).decode()
                headers["Link"] = f'<http://{host}{request.path}?{urlencode({**base, "cursor": cursor})}>; rel="next"'
            return chunk, headers
        page = int(request.param("page", "1") or 1)
        last = max(1, -(-len(items) // per_page))

        def url(number: int) -> str:
            return f"<http://{host}{request.path}?{urlencode({**base, 'page': str(number), 'per_page': str(per_page)})}>"

        links = []
        if page > 1:
            links.append(f'{url(page - 1)}; rel="prev"')
        if page < last:
            links.append(f'{url(page + 1)}; rel="next"')
        links += [f'{url(1)}; rel="first"', f'{url(last)}; rel="last"']
        headers = {
            "x-page": str(page),
            "x-per-page": str(per_page),
            "x-total": str(len(items)),
            "x-total-pages": str(last),
            "x-next-page": str(page + 1) if page < last else "",
            "x-prev-page": str(page - 1) if page > 1 else "",
        }
        if self.link_headers:
            headers["Link"] = ", ".join(links)
        return items[(page - 1) * per_page : page * per_page], headers


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def synthetic_project(issues: int = 60, merge_requests: int = 20, deployments: int = 12, *, seed: int = 7) -> Project:
    """A project with ``issues`` issues moving through three scoped status labels (some blocked, some closed,
    a few incidents), ``merge_requests`` merged or open merge requests reviewed by someone else, and production
    deployments that shipped them."""
    import random  # noqa: PLC0415
    from datetime import timedelta  # noqa: PLC0415

    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    statuses = ["workflow::to do", "workflow::doing", "workflow::review"]
    project = Project(environments=[environment(9, "production"), environment(10, "staging", tier="staging")])
    for iid in range(1, issues + 1):
        created = start + timedelta(hours=rng.randrange(0, 24 * 60))
        at, carried = created, None
        labels, states = [], []
        for step in range(rng.randrange(0, 5)):
            at += timedelta(hours=rng.randrange(1, 72))
            if carried:
                labels.append(label_event(_iso(at), carried, "remove", iid=iid))
            carried = statuses[min(step, 2)]
            labels.append(label_event(_iso(at), carried, iid=iid))
            if rng.random() < 0.2:
                labels.append(label_event(_iso(at + timedelta(hours=2)), "blocked", iid=iid))
                labels.append(label_event(_iso(at + timedelta(hours=9)), "blocked", "remove", iid=iid))
        closed = rng.random() < 0.5
        if closed:
            at += timedelta(hours=rng.randrange(1, 48))
            states.append(state_event(_iso(at), "closed", iid=iid))
        project.issues.append(
            issue(
                iid,
                created=_iso(created),
                updated=_iso(at),
                state="closed" if closed else "opened",
                closed=_iso(at) if closed else None,
                labels=(carried,) if carried else (),
                issue_type="incident" if rng.random() < 0.08 else "issue",
            )
        )
        project.label_events[iid], project.state_events[iid] = labels, states
    for iid in range(1, merge_requests + 1):
        created = start + timedelta(hours=rng.randrange(0, 24 * 60))
        merged = created + timedelta(hours=rng.randrange(2, 96)) if rng.random() < 0.8 else None
        project.merge_requests.append(
            merge_request(
                iid,
                created=_iso(created),
                author=rng.choice(["alice", "bob"]),
                state="merged" if merged else "opened",
                merged=_iso(merged) if merged else None,
                merge_commit=f"{iid:040x}" if merged else None,
            )
        )
        project.commits[iid] = [commit(f"{iid + 1000:040x}", authored=_iso(created - timedelta(hours=3)))]
        project.notes[iid] = [note(_iso(created + timedelta(hours=1)), "carol", "LGTM", iid=iid)]
    merged_iids = [mr["iid"] for mr in sorted(project.merge_requests, key=lambda mr: mr["merged_at"] or "") if mr["merged_at"]]
    for number in range(deployments):
        created = start + timedelta(days=5 * (number + 1))
        status = "success" if rng.random() < 0.75 else "failed"
        project.deployments.append(
            deployment(
                100 + number,
                sha=f"{number + 5000:040x}",
                created=_iso(created),
                status=status,
                finished=_iso(created + timedelta(minutes=8)),
            )
        )
        if status == "success":
            project.deployed[100 + number] = merged_iids[number::deployments]
    return project
