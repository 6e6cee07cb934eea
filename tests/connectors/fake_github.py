"""A fake GitHub REST API on 127.0.0.1, serving records recorded from the real one.

Bodies come from ``tests/fixtures/github/`` (recorded by Apache DevLake from github.com); tests
build scenarios by copying those records and changing dates, states and labels, so every field
the connector does not look at keeps its real shape. The server speaks GitHub's documented
behaviour: ``Link`` pagination (``page``/``per_page``, at most ``max_per_page`` per page), the
issues list's ``since`` and ``labels`` filters, ``sort``/``direction``, ETags with 304 answers that
cost no rate limit, ``x-ratelimit-*`` headers, Bearer authentication, and failures a test injects.

For DORA it also speaks deployments (``?environment=``, newest first) and their statuses (newest
first), GitHub Actions workflow runs (``{"total_count", "workflow_runs"}``, ``branch``/``status``
filters, newest first; records from ``tests/connectors/fixtures/actions-runs.json``) and
``compare/{base}...{head}`` over a repository's linear commit ``history`` (``commits`` oldest
first, ``total_commits``, ``status``, paged by ``page``/``per_page`` with a ``Link`` header).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import random
import re
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from deliveryops.connectors.github import GitHubConnector, GitHubSettings
from tests.connectors.fakeserver import FakeServer, Reply, Request, fake_server

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "github"
RUN_FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = "panjf2000/ants"
TOKEN = "ghp_test_token"
RESET_EPOCH = 1_700_000_060  # x-ratelimit-reset the fake announces
NOW = datetime.fromtimestamp(RESET_EPOCH - 42, UTC)  # the clock connectors get in tests: 42 s before reset
_ids = itertools.count(9_000_000_000)


def connect(
    server: FakeServer, *, sleeps: list[float] | None = None, token: str = TOKEN, name: str = "GitHub (ants)", **settings: Any
) -> GitHubConnector:
    """A connector to ``server`` with a fixed clock, a seeded jitter and a recording sleep."""
    settings.setdefault("repositories", [REPO])
    return GitHubConnector(
        GitHubSettings(base_url=server.url, **settings),
        token,
        name=name,
        sleep=(sleeps if sleeps is not None else []).append,
        now=lambda: NOW,
        rng=random.Random(1),
    )


def records(name: str) -> list[dict[str, Any]]:
    """The recorded ``{"request", "body"}`` entries of a fixture file (fresh copies)."""
    loaded: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def bodies(name: str) -> list[dict[str, Any]]:
    """The recorded bodies of a fixture file (fresh copies)."""
    return [entry["body"] for entry in records(name)]


def _template(kind: str) -> dict[str, Any]:
    for body in bodies("issue-events.json"):
        if body["event"] == kind:
            return body
    raise KeyError(kind)


def event(
    kind: str, at: str, *, label: str | None = None, column: str | None = None, state_reason: str | None = None
) -> dict[str, Any]:
    """An issue event as ``GET /repos/{o}/{r}/issues/{n}/events`` returns it (no ``issue`` key).

    Recorded events serve as templates: "labeled" for labeled/unlabeled, "closed" for
    closed/reopened, "assigned" for the project events (the samples hold none of those kinds).
    """
    base = (
        "labeled"
        if kind in ("labeled", "unlabeled")
        else "closed"
        if kind in ("closed", "reopened")
        else (kind if kind in {"assigned", "renamed", "mentioned", "subscribed"} else "assigned")
    )
    body = _template(base)
    body.pop("issue", None)
    body.pop("assignee", None)
    body.pop("assigner", None)
    body.update(id=next(_ids), event=kind, created_at=at)
    if kind in ("closed", "reopened"):
        body["state_reason"] = state_reason if kind == "closed" else "reopened"
    if label is not None:
        body["label"] = {"name": label, "color": "ededed"}
    if column is not None:
        body["project_card"] = {
            "id": 1,
            "url": "https://api.github.com/projects/columns/cards/1",
            "project_id": 7,
            "project_url": "https://api.github.com/projects/7",
            "column_name": column,
        }
    return body


def issue(
    number: int,
    *,
    created: str,
    updated: str | None = None,
    state: str = "open",
    closed: str | None = None,
    labels: tuple[str, ...] = (),
    title: str | None = None,
    state_reason: str | None = None,
) -> dict[str, Any]:
    """An issue record built on a recorded one (issue 5 of panjf2000/ants)."""
    body = next(b for b in bodies("issues.json") if b["number"] == 5)
    body.update(
        number=number,
        id=next(_ids),
        title=title or f"Issue {number}",
        created_at=created,
        updated_at=updated or closed or created,
        state=state,
        closed_at=closed,
        state_reason=state_reason,
        labels=[{"name": name, "color": "ededed"} for name in labels],
        html_url=f"https://github.com/{REPO}/issues/{number}",
    )
    return body


def run(
    run_id: int,
    *,
    name: str,
    created: str,
    updated: str | None = None,
    branch: str = "master",
    conclusion: str | None = "success",
    status: str = "completed",
    sha: str | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """A workflow run built on a recorded one (a completed "Tests" run of panjf2000/ants)."""
    recorded = json.loads((RUN_FIXTURES / "actions-runs.json").read_text(encoding="utf-8"))
    body: dict[str, Any] = next(entry["body"] for entry in recorded if entry["body"]["name"] == "Tests")
    path = path or f".github/workflows/{name.lower().replace(' ', '-')}.yml"
    body.update(
        id=run_id,
        name=name,
        created_at=created,
        run_started_at=created,
        updated_at=updated or created,
        head_branch=branch,
        conclusion=conclusion,
        status=status,
        head_sha=sha or body["head_sha"],
        path=path,
        workflow_id=6_000_000 + zlib.crc32(path.encode()) % 100_000,
        html_url=f"https://github.com/{REPO}/actions/runs/{run_id}",
    )
    return body


def deployment(
    deployment_id: int, *, sha: str, created: str, environment: str = "production", ref: str = "main"
) -> dict[str, Any]:
    """A deployment as ``GET /repos/{o}/{r}/deployments`` lists it (the shape GitHub documents)."""
    creator = copy.deepcopy(bodies("issues.json")[0]["user"])
    api = f"https://api.github.com/repos/{REPO}/deployments/{deployment_id}"
    return {
        "url": api,
        "id": deployment_id,
        "node_id": f"DE_kwDO{deployment_id}",
        "sha": sha,
        "ref": ref,
        "task": "deploy",
        "payload": {},
        "original_environment": environment,
        "environment": environment,
        "description": None,
        "creator": creator,
        "created_at": created,
        "updated_at": created,
        "statuses_url": f"{api}/statuses",
        "repository_url": f"https://api.github.com/repos/{REPO}",
        "transient_environment": False,
        "production_environment": environment == "production",
    }


def deployment_status(
    status_id: int, deployment_id: int, *, state: str, at: str, environment: str = "production"
) -> dict[str, Any]:
    """A deployment status as ``GET …/deployments/{id}/statuses`` lists it (the shape GitHub documents)."""
    creator = copy.deepcopy(bodies("issues.json")[0]["user"])
    api = f"https://api.github.com/repos/{REPO}/deployments/{deployment_id}"
    return {
        "url": f"{api}/statuses/{status_id}",
        "id": status_id,
        "node_id": f"DES_kwDO{status_id}",
        "state": state,
        "creator": creator,
        "description": f"Deployment {state}",
        "environment": environment,
        "target_url": "",
        "log_url": f"https://ci.example.com/deploy/{deployment_id}",
        "created_at": at,
        "updated_at": at,
        "deployment_url": api,
        "repository_url": f"https://api.github.com/repos/{REPO}",
        "environment_url": "https://ants.example.com",
    }


def commit(sha: str, *, at: str = "2019-10-09T12:00:00Z") -> dict[str, Any]:
    """A commit as the compare API lists it, built on a recorded pull request commit."""
    body: dict[str, Any] = copy.deepcopy(records("pull-request-commits.json")[0]["body"])
    body.update(
        sha=sha, url=f"https://api.github.com/repos/{REPO}/commits/{sha}", html_url=f"https://github.com/{REPO}/commit/{sha}"
    )
    body["commit"]["author"]["date"] = body["commit"]["committer"]["date"] = at
    return body


@dataclass
class Repo:
    """What one repository holds: issue-list records (pull requests included), events, pulls…

    ``history`` is the default branch's commits, oldest first (what the compare API walks);
    ``deployments`` and ``runs`` are listed newest first whatever their order here.
    """

    issues: list[dict[str, Any]] = field(default_factory=list)
    events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    commits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


def sample_repo() -> Repo:
    """panjf2000/ants as recorded: 8 issues and 3 pull requests in the issues list, 8 pull requests.

    Issue 220 comes with its recorded events; the other recorded issues get a "closed" event
    at their ``closed_at``.
    """
    repo = Repo(issues=bodies("issues.json"), pulls=bodies("pull-requests.json"))
    recorded = bodies("issue-events.json")
    repo.issues.append(next(b["issue"] for b in recorded if b["issue"]["number"] == 220))
    for body in repo.issues:
        if "pull_request" not in body:
            repo.events[body["number"]] = [event("closed", body["closed_at"])] if body["closed_at"] else []
    repo.events[220] = [{k: v for k, v in b.items() if k != "issue"} for b in recorded if b["issue"]["number"] == 220]
    for kind, target in (("pull-request-commits.json", repo.commits), ("pull-request-reviews.json", repo.reviews)):
        for entry in records(kind):
            target.setdefault(int(entry["request"].split("/")[7]), []).append(entry["body"])
    return repo


@dataclass
class Failure:
    """An injected answer: for requests whose path matches ``path`` (a regex), ``times`` times."""

    path: str
    kind: str  # rate_limit_403, retry_after_429, server_error_500, malformed_json, not_found_404, unauthorized_401
    times: int = 1
    retry_after: int = 30


@dataclass
class FakeGitHub:
    """The fake API's state and accounting; :meth:`serve` runs it on a real socket."""

    repos: dict[str, Repo]
    login: str = "octocat"
    token: str = TOKEN
    max_per_page: int = 100
    rate_limit: int = 5000
    rate_limit_used: int = 0
    not_modified: int = 0
    failures: list[Failure] = field(default_factory=list)
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
        """Answer one request as GitHub would."""
        with self._lock:
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return Reply(
                    {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"},
                    status=401,
                )
            failure = next((f for f in self.failures if f.times > 0 and re.fullmatch(f.path, request.path)), None)
            if failure is not None:
                failure.times -= 1
                return self._failure(failure)
            if request.method == "POST":
                return self._count(self._create_issue(request))
            found = self._route(request)
            if found is None:
                return self._count(
                    Reply(
                        {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}, status=404
                    )
                )
            body, link = found
            etag = 'W/"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:40] + '"'
            if request.headers.get("if-none-match") == etag:
                self.not_modified += 1  # GitHub does not count a 304 against the rate limit
                return Reply(status=304, headers={"ETag": etag, **self._limit_headers()})
            headers = {"ETag": etag, **({"Link": link} if link else {})}
            return self._count(Reply(body, headers=headers))

    def _count(self, reply: Reply) -> Reply:
        self.rate_limit_used += 1
        reply.headers.update(self._limit_headers())
        return reply

    def _limit_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-used": str(self.rate_limit_used),
            "x-ratelimit-remaining": str(self.rate_limit - self.rate_limit_used),
            "x-ratelimit-reset": str(RESET_EPOCH),
            "x-ratelimit-resource": "core",
        }

    def _failure(self, failure: Failure) -> Reply:
        if failure.kind == "rate_limit_403":
            return Reply(
                {
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                },
                status=403,
                headers={
                    "x-ratelimit-limit": str(self.rate_limit),
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-used": str(self.rate_limit),
                    "x-ratelimit-reset": str(RESET_EPOCH),
                },
            )
        if failure.kind == "retry_after_429":
            return Reply(
                {"message": "You have exceeded a secondary rate limit."},
                status=429,
                headers={"Retry-After": str(failure.retry_after)},
            )
        if failure.kind == "server_error_500":
            return Reply({"message": "Server Error"}, status=500)
        if failure.kind == "malformed_json":
            return Reply(raw=b'[{"url": "https://api.github.com/repos/', headers=self._limit_headers())
        if failure.kind == "not_found_404":
            return self._count(
                Reply({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}, status=404)
            )
        if failure.kind == "unauthorized_401":
            return Reply(
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}, status=401
            )
        raise ValueError(failure.kind)

    def _route(self, request: Request) -> tuple[Any, str | None] | None:
        path = request.path
        if path == "/user":
            user = copy.deepcopy(bodies("issues.json")[0]["user"])
            user["login"] = self.login
            return user, None
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if match is None or match.group(1) not in self.repos:
            return None
        name, rest = match.group(1), match.group(2) or ""
        repo = self.repos[name]
        if rest == "":
            summary = copy.deepcopy(bodies("pull-requests.json")[0]["base"]["repo"])
            summary.update(full_name=name, name=name.split("/")[1])
            return summary, None
        if rest == "/issues":
            return self._paged(request, self._issues(request, repo))
        if rest == "/pulls":
            return self._paged(request, self._pulls(request, repo))
        if rest == "/deployments":
            return self._paged(request, self._deployments(request, repo))
        if rest == "/actions/runs":
            return self._runs(request, repo, repo.runs)
        if rest == "/actions/workflows":
            return self._workflows(request, repo)
        if workflow_runs := re.fullmatch(r"/actions/workflows/([^/]+)/runs", rest):
            wanted = workflow_runs.group(1)  # a workflow id, or its file name
            runs = [r for r in repo.runs if wanted in (str(r["workflow_id"]), r["path"].rsplit("/", 1)[-1])]
            return self._runs(request, repo, runs) if runs else None
        if status_match := re.fullmatch(r"/deployments/(\d+)/statuses", rest):
            deployment_id = int(status_match.group(1))
            if deployment_id not in {d["id"] for d in repo.deployments}:
                return None
            newest_first = sorted(repo.statuses.get(deployment_id, []), key=lambda s: (s["created_at"], s["id"]), reverse=True)
            return self._paged(request, newest_first)
        if compare := re.fullmatch(r"/compare/([^/.]+)\.\.\.([^/.]+)", rest):
            return self._compare(request, repo, compare.group(1), compare.group(2))
        if single := re.fullmatch(r"/issues/(\d+)", rest):
            return next((b for b in repo.issues if b["number"] == int(single.group(1))), None), None
        sub = re.fullmatch(r"/(issues|pulls)/(\d+)/(events|commits|reviews)", rest)
        if sub is None:
            return None
        number = int(sub.group(2))
        table = {"events": repo.events, "commits": repo.commits, "reviews": repo.reviews}[sub.group(3)]
        known = {b["number"] for b in repo.issues} | {b["number"] for b in repo.pulls}
        if number not in known:
            return None
        return self._paged(request, table.get(number, []))

    def _create_issue(self, request: Request) -> Reply:
        """``POST /repos/{owner}/{repo}/issues``: 201 with the new issue; 422 without a title, 404 for an unknown repo."""
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues", request.path)
        if match is None or match.group(1) not in self.repos:
            return Reply(
                {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}, status=404
            )
        sent = request.json() or {}
        if not isinstance(sent.get("title"), str) or not sent["title"]:
            return Reply(
                {"message": "Validation Failed", "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}]},
                status=422,
            )
        repo = self.repos[match.group(1)]
        number = max((b["number"] for b in repo.issues + repo.pulls), default=0) + 1
        body = issue(number, created=NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), title=sent["title"])
        body.update(body=sent.get("body"), html_url=f"https://github.com/{match.group(1)}/issues/{number}")
        repo.issues.append(body)
        return Reply(copy.deepcopy(body), status=201)

    def close_issue(self, repository: str, number: int, *, reason: str = "completed") -> None:
        """Close an issue as someone on GitHub would (``completed`` or ``not_planned``)."""
        body = next(b for b in self.repos[repository].issues if b["number"] == number)
        body.update(state="closed", state_reason=reason, closed_at=NOW.strftime("%Y-%m-%dT%H:%M:%SZ"))

    def _issues(self, request: Request, repo: Repo) -> list[dict[str, Any]]:
        state = request.param("state", "open")
        since = request.param("since")
        chosen = [b for b in repo.issues if state == "all" or b["state"] == state]
        if since:
            chosen = [b for b in chosen if b["updated_at"] >= since]
        labels = request.param("labels")
        if labels:
            wanted = {name.strip().casefold() for name in labels.split(",")}
            chosen = [b for b in chosen if wanted <= {label["name"].casefold() for label in b.get("labels") or []}]
        key = "updated_at" if request.param("sort", "created") == "updated" else "created_at"
        return sorted(chosen, key=lambda b: (b[key], b["number"]), reverse=request.param("direction", "desc") == "desc")

    def _deployments(self, request: Request, repo: Repo) -> list[dict[str, Any]]:
        chosen = [
            d
            for d in repo.deployments
            if all(request.param(name) in (None, d[name]) for name in ("environment", "sha", "ref", "task"))
        ]
        return sorted(chosen, key=lambda d: (d["created_at"], d["id"]), reverse=True)

    def _workflows(self, request: Request, repo: Repo) -> tuple[Any, str | None]:
        """``GET …/actions/workflows``: the workflows the runs belong to (the shape GitHub documents)."""
        by_id: dict[int, dict[str, Any]] = {}
        for r in repo.runs:
            by_id.setdefault(
                r["workflow_id"],
                {
                    "id": r["workflow_id"],
                    "node_id": f"W_kwDO{r['workflow_id']}",
                    "name": r["name"],
                    "path": r["path"],
                    "state": "active",
                    "created_at": "2019-01-01T00:00:00Z",
                    "updated_at": "2023-01-01T00:00:00Z",
                    "url": f"https://api.github.com/repos/{REPO}/actions/workflows/{r['workflow_id']}",
                    "html_url": f"https://github.com/{REPO}/blob/master/{r['path']}",
                    "badge_url": f"https://github.com/{REPO}/workflows/{r['name']}/badge.svg",
                },
            )
        page, link = self._paged(request, sorted(by_id.values(), key=lambda w: w["id"]))
        return {"total_count": len(by_id), "workflows": page}, link

    def _runs(self, request: Request, repo: Repo, runs: list[dict[str, Any]]) -> tuple[Any, str | None]:
        wanted = request.param("status")
        chosen = [
            r
            for r in runs
            if request.param("branch") in (None, r["head_branch"])
            and request.param("event") in (None, r["event"])
            and wanted in (None, r["status"], r["conclusion"])
        ]
        chosen.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
        page, link = self._paged(request, chosen)
        return {"total_count": len(chosen), "workflow_runs": page}, link

    def _compare(self, request: Request, repo: Repo, base: str, head: str) -> tuple[Any, str | None] | None:
        shas = [c["sha"] for c in repo.history]
        if base not in shas or head not in shas:
            return None  # GitHub answers 404 "No commit found for SHA"
        start, end = shas.index(base), shas.index(head)
        ahead = repo.history[start + 1 : end + 1] if end > start else []
        behind = end < start
        page, link = self._paged(request, ahead)
        body = {
            "url": f"https://api.github.com/repos/{REPO}/compare/{base}...{head}",
            "html_url": f"https://github.com/{REPO}/compare/{base}...{head}",
            "base_commit": repo.history[start],
            "merge_base_commit": repo.history[min(start, end)],
            "status": "identical" if start == end else "behind" if behind else "ahead",
            "ahead_by": len(ahead),
            "behind_by": start - end if behind else 0,
            "total_commits": len(ahead),
            "commits": page,
            "files": [],
        }
        return body, link

    def _pulls(self, request: Request, repo: Repo) -> list[dict[str, Any]]:
        state = request.param("state", "open")
        chosen = [b for b in repo.pulls if state == "all" or b["state"] == state]
        key = "updated_at" if request.param("sort", "created") == "updated" else "created_at"
        return sorted(chosen, key=lambda b: (b[key], b["number"]), reverse=request.param("direction", "desc") == "desc")

    def _paged(self, request: Request, items: list[dict[str, Any]]) -> tuple[Any, str | None]:
        per_page = min(int(request.param("per_page", "30") or 30), 100, self.max_per_page)
        page = int(request.param("page", "1") or 1)
        last = max(1, -(-len(items) // per_page))
        links = []
        host = request.headers.get("host", "127.0.0.1")

        def url(number: int) -> str:
            query = {k: v[0] for k, v in request.query.items()} | {"page": str(number), "per_page": str(per_page)}
            return f"<http://{host}{request.path}?{urlencode(query)}>"

        if page < last:
            links += [f'{url(page + 1)}; rel="next"', f'{url(last)}; rel="last"']
        if page > 1:
            links += [f'{url(1)}; rel="first"', f'{url(page - 1)}; rel="prev"']
        return items[(page - 1) * per_page : page * per_page], ", ".join(links) or None
