"""A fake Azure DevOps REST API (api-version 7.1) on 127.0.0.1: Boards, Repos, Pipelines and Releases.

Shapes and behaviour follow Microsoft's REST API reference (learn.microsoft.com/rest/api/azure/devops/…) and
its published specifications and examples (MicrosoftDocs/vsts-rest-api-specs, ``specification/*/7.1``; the
examples used as templates are in ``tests/fixtures/azure_devops``):

- ``wit/wiql/query-by-wiql``: ``POST /{project}/_apis/wit/wiql`` with ``{"query"}``, ``$top`` and ``timePrecision``;
  the flat answer ``{"queryType", "asOf", "columns", "workItems": [{"id", "url"}]}``. The fake evaluates the
  clauses the connector writes (team project, id above, area path under, work item type in, changed date
  at or after, ``ORDER BY [System.Id] ASC``) and refuses others with a TF error, as Azure DevOps would a bad query.
- ``wit/work-items/list``: ``GET …/wit/workitems?ids=`` (at most 200; ``errorPolicy=Omit`` gives ``null`` for a
  deleted id); ``wit/updates/list``: ``{"count", "value"}`` paged by ``$top``/``$skip``, each update with ``rev``,
  ``revisedDate`` (when it was superseded) and ``fields`` ``{"oldValue", "newValue"}``;
  ``wit/work-item-type-states/list`` and ``wit/work-item-type-categories/list``.
- ``git/pull-requests/get-pull-requests``: ``searchCriteria.status``, ``searchCriteria.queryTimeRangeType``,
  ``searchCriteria.minTime``, ``$top``/``$skip``, newest first; ``…/commits`` paged by ``$top`` and the
  ``x-ms-continuationtoken`` header; ``…/threads`` (``VoteUpdate`` system threads, text comments).
- ``build/builds/list``: ``definitions``, ``statusFilter``, ``branchName``, ``minTime``, ``queryOrder``, ``$top``,
  ``continuationToken`` (answered in ``x-ms-continuationtoken``); ``build/timeline/get``; ``build/definitions/list``.
- ``release/deployments/list`` (``definitionId``, ``definitionEnvironmentId``, ``minModifiedTime``, ``queryOrder``,
  ``$top``, ``continuationToken``), ``release/releases/get-release`` (the example's primary Build artifact, with the
  ``sourceVersion`` and ``repository`` a Build artifact from Azure Repos carries), ``release/definitions``; served on
  the release host (a second server, as ``vsrm.dev.azure.com`` is another host than ``dev.azure.com``).
- ``integrate/concepts/rate-limits``: 429 with ``Retry-After``, ``X-RateLimit-Resource``, ``-Delay``, ``-Limit``,
  ``-Remaining``, ``-Reset`` and a TF400733 message; delayed answers (200 with ``Retry-After``).
- ``integrate/get-started/authentication/pats``: the PAT in Basic authentication with an empty user name; a
  refused token gets 401, or 203 with an HTML sign-in page.
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
from urllib.parse import unquote

from deliveryops.connectors.azure_devops import AzureDevOpsConnector, AzureDevOpsSettings
from tests.connectors.fakeserver import FakeServer, Reply, Request, fake_server

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "azure_devops"
ORGANIZATION = "fabrikam"
PROJECT = "Fabrikam"
PAT = "ado-pat-test"
RESET_EPOCH = 1_700_000_060
NOW = datetime.fromtimestamp(RESET_EPOCH - 42, UTC)
_ids = itertools.count(1_000)


def example(name: str) -> dict[str, Any]:
    """The documented example body of a fixture file (a fresh copy)."""
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["body"]
    return copy.deepcopy(loaded)


def identity(name: str, *, identity_id: str | None = None, container: bool = False) -> dict[str, Any]:
    """An identity reference as Azure DevOps embeds it (``createdBy``, a comment's ``author``)."""
    identity_id = identity_id or f"{zlib.crc32(name.encode()) % 10**8:08d}-0000-4000-8000-000000000000"
    unique = f"[{ORGANIZATION}]\\{name}" if container else f"{name.lower().replace(' ', '.')}@fabrikam.example"
    body: dict[str, Any] = {
        "id": identity_id,
        "displayName": name,
        "uniqueName": unique,
        "url": f"https://dev.azure.com/{ORGANIZATION}/_apis/Identities/{identity_id}",
        "imageUrl": f"https://dev.azure.com/{ORGANIZATION}/_api/_common/identityImage?id={identity_id}",
    }
    if container:
        body["isContainer"] = True
    return body


def work_item(
    item_id: int,
    *,
    created: str,
    state: str,
    changed: str | None = None,
    kind: str = "User Story",
    title: str | None = None,
    area: str = PROJECT,
    tags: str = "",
    parent: int | None = None,
    fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A work item as ``GET …/wit/workitems?ids=`` returns it (its ``fields``); ``fields`` adds or overrides
    fields by their reference name (``Microsoft.VSTS.Scheduling.StoryPoints``)."""
    body: dict[str, Any] = {
        "System.Id": item_id,
        "System.AreaPath": area,
        "System.TeamProject": PROJECT,
        "System.IterationPath": f"{PROJECT}\\Iteration 1",
        "System.WorkItemType": kind,
        "System.State": state,
        "System.Reason": "New",
        "System.CreatedDate": created,
        "System.CreatedBy": identity("Jamal Hartnett"),
        "System.ChangedDate": changed or created,
        "System.ChangedBy": identity("Jamal Hartnett"),
        "System.Title": title or f"{kind} {item_id}",
        "Microsoft.VSTS.Common.Priority": 2,
        **(fields or {}),
    }
    if tags:
        body["System.Tags"] = tags
    if parent is not None:
        body["System.Parent"] = parent
    return {
        "id": item_id,
        "rev": 1,
        "fields": body,
        "url": f"https://dev.azure.com/{ORGANIZATION}/_apis/wit/workItems/{item_id}",
    }


def update(
    item_id: int,
    rev: int,
    changed: str,
    *,
    previous: str | None = None,
    revised: str = "9999-01-01T00:00:00Z",
    **changes: tuple[Any, Any],
) -> dict[str, Any]:
    """An update of ``GET …/wit/workItems/{id}/updates``: ``changes`` maps a field (``System_State``) to
    ``(old, new)``; ``revised`` is when the revision was superseded (``revisedDate``)."""
    fields: dict[str, Any] = {
        "System.Rev": {"oldValue": rev - 1, "newValue": rev} if rev > 1 else {"newValue": 1},
        "System.ChangedDate": {"oldValue": previous, "newValue": changed} if previous else {"newValue": changed},
    }
    for name, (old, new) in changes.items():
        key = name.replace("_", ".")
        fields[key] = {"newValue": new} if old is None else {"oldValue": old, "newValue": new}
    return {
        "id": next(_ids),
        "workItemId": item_id,
        "rev": rev,
        "revisedBy": identity("Jamal Hartnett"),
        "revisedDate": revised,
        "fields": fields,
        "url": f"https://dev.azure.com/{ORGANIZATION}/_apis/wit/workItems/{item_id}/updates/{rev}",
    }


def pull_request(
    number: int,
    *,
    repository: str,
    created: str,
    author: dict[str, Any],
    status: str = "active",
    closed: str | None = None,
    merge_commit: str = "1e924c570d532d92c12e955b9f8948935f54944e",
    title: str | None = None,
    target: str = "refs/heads/main",
) -> dict[str, Any]:
    """A pull request built on the documented example (``pullRequests_status-completed``)."""
    body: dict[str, Any] = example("pull-requests-completed.json")["value"][0]
    body["repository"].update(name=repository, id=f"repo-{repository}")
    body["repository"]["project"]["name"] = PROJECT
    body.update(
        pullRequestId=number,
        codeReviewId=number,
        status=status,
        createdBy=author,
        creationDate=created,
        title=title or f"Pull request {number}",
        targetRefName=target,
        sourceRefName=f"refs/heads/topic-{number}",
    )
    body["lastMergeCommit"]["commitId"] = merge_commit
    if closed is None:
        body.pop("closedDate", None)
    else:
        body["closedDate"] = closed
    body["reviewers"] = []
    return body


def pr_commit(sha: str, *, authored: str, committed: str | None = None) -> dict[str, Any]:
    """A record of ``…/pullRequests/{id}/commits`` (GitCommitRef)."""
    return {
        "commitId": sha,
        "author": {"name": "Normal Paulk", "email": "fabrikamfiber16@hotmail.com", "date": authored},
        "committer": {"name": "Normal Paulk", "email": "fabrikamfiber16@hotmail.com", "date": committed or authored},
        "comment": "Updated the readme",
        "url": f"https://dev.azure.com/{ORGANIZATION}/_apis/git/commits/{sha}",
    }


def vote_thread(at: str, voter: dict[str, Any], vote: int) -> dict[str, Any]:
    """A ``VoteUpdate`` system thread like the documented example's thread 143."""
    thread: dict[str, Any] = next(
        t
        for t in example("pull-request-threads.json")["value"]
        if (t.get("properties") or {}).get("CodeReviewThreadType", {}).get("$value") == "VoteUpdate"
    )
    thread.update(id=next(_ids), publishedDate=at, lastUpdatedDate=at)
    thread["properties"]["CodeReviewVotedByDisplayName"]["$value"] = voter["displayName"]
    thread["properties"]["CodeReviewVotedByTfId"]["$value"] = voter["id"]
    thread["properties"]["CodeReviewVoteResult"]["$value"] = str(vote)
    thread["comments"][0].update(publishedDate=at, lastUpdatedDate=at, content=f"{voter['displayName']} voted {vote}")
    return thread


def comment_thread(at: str, author: dict[str, Any], text: str = "This new feature looks good!") -> dict[str, Any]:
    """A text comment thread like the documented example's thread 147."""
    thread: dict[str, Any] = next(
        t for t in example("pull-request-threads.json")["value"] if any(c.get("commentType") == "text" for c in t["comments"])
    )
    thread.update(id=next(_ids), publishedDate=at, lastUpdatedDate=at)
    thread["comments"] = [
        {
            **thread["comments"][0],
            "author": author,
            "content": text,
            "publishedDate": at,
            "lastUpdatedDate": at,
            "lastContentUpdatedDate": at,
        }
    ]
    return thread


def system_threads() -> list[dict[str, Any]]:
    """The documented example's system threads other than the vote (merge attempts, reviewers, pushes)."""
    return [
        t
        for t in example("pull-request-threads.json")["value"]
        if (t.get("properties") or {}).get("CodeReviewThreadType", {}).get("$value") not in (None, "VoteUpdate")
    ]


def build(
    build_id: int,
    *,
    definition: tuple[int, str],
    repository: str,
    sha: str,
    queued: str,
    started: str,
    finished: str | None,
    result: str | None = "succeeded",
    status: str = "completed",
    branch: str = "refs/heads/main",
) -> dict[str, Any]:
    """A pipeline run as ``GET …/build/builds`` lists it (the Build object of the 7.1 specification)."""
    api = f"https://dev.azure.com/{ORGANIZATION}/{PROJECT}/_apis/build/Builds/{build_id}"
    return {
        "_links": {
            "self": {"href": api},
            "web": {"href": f"https://dev.azure.com/{ORGANIZATION}/{PROJECT}/_build/results?buildId={build_id}"},
            "timeline": {"href": f"{api}/Timeline"},
        },
        "properties": {},
        "tags": [],
        "validationResults": [],
        "plans": [{"planId": f"plan-{build_id}"}],
        "triggerInfo": {},
        "id": build_id,
        "buildNumber": f"20240305.{build_id}",
        "status": status,
        "result": result,
        "queueTime": queued,
        "startTime": started,
        "finishTime": finished,
        "url": api,
        "definition": {
            "drafts": [],
            "id": definition[0],
            "name": definition[1],
            "url": api,
            "path": "\\",
            "type": "build",
            "queueStatus": "enabled",
            "revision": 3,
            "project": {"id": "project-1", "name": PROJECT, "state": "wellFormed", "visibility": "private"},
        },
        "buildNumberRevision": 1,
        "project": {"id": "project-1", "name": PROJECT, "state": "wellFormed"},
        "uri": f"vstfs:///Build/Build/{build_id}",
        "sourceBranch": branch,
        "sourceVersion": sha,
        "queue": {"id": 9, "name": "Azure Pipelines", "pool": {"id": 9, "name": "Azure Pipelines", "isHosted": True}},
        "priority": "normal",
        "reason": "individualCI",
        "requestedFor": identity("Normal Paulk"),
        "requestedBy": identity("Microsoft.VisualStudio.Services.TFS", container=True),
        "lastChangedDate": finished or started,
        "lastChangedBy": identity("Microsoft.VisualStudio.Services.TFS", container=True),
        "orchestrationPlan": {"planId": f"plan-{build_id}"},
        "logs": {"id": 0, "type": "Container", "url": f"{api}/logs"},
        "repository": {
            "id": f"repo-{repository}",
            "type": "TfsGit",
            "name": repository,
            "url": f"https://dev.azure.com/{ORGANIZATION}/{PROJECT}/_git/{repository}",
            "clean": None,
            "checkoutSubmodules": False,
        },
        "retainedByRelease": False,
        "triggeredByBuild": None,
        "appendCommitMessageToRunName": True,
    }


def stage(name: str, *, result: str, started: str | None, finished: str | None, order: int = 1) -> dict[str, Any]:
    """A ``Stage`` record of ``GET …/build/builds/{id}/timeline`` (TimelineRecord)."""
    return {
        "previousAttempts": [],
        "id": f"stage-{next(_ids)}",
        "parentId": None,
        "type": "Stage",
        "name": name,
        "startTime": started,
        "finishTime": finished,
        "currentOperation": None,
        "percentComplete": None,
        "state": "completed",
        "result": result,
        "resultCode": None,
        "changeId": 1,
        "lastModified": finished,
        "workerName": None,
        "order": order,
        "details": None,
        "errorCount": 0,
        "warningCount": 0,
        "url": None,
        "log": None,
        "task": None,
        "attempt": 1,
        "identifier": name.replace(" ", "_"),
    }


def release_deployment(
    deployment_id: int,
    *,
    release_id: int,
    definition_id: int,
    environment_id: int,
    status: str,
    operation: str,
    started: str,
    completed: str | None,
    modified: str,
) -> dict[str, Any]:
    """A release deployment built on the documented ``ListDeployments`` example."""
    body: dict[str, Any] = example("release-deployments.json")["value"][0]
    body.update(
        id=deployment_id,
        definitionEnvironmentId=environment_id,
        deploymentStatus=status,
        operationStatus=operation,
        startedOn=started,
        lastModifiedOn=modified,
    )
    if completed is not None:
        body["completedOn"] = completed
    body["release"].update(id=release_id, name=f"Release-{release_id}")
    body["release"]["_links"]["web"]["href"] = (
        f"https://dev.azure.com/{ORGANIZATION}/{PROJECT}/_release?releaseId={release_id}&_a=release-summary"
    )
    body["releaseDefinition"]["id"] = definition_id
    return body


def release(release_id: int, *, sha: str, repository: str) -> dict[str, Any]:
    """A release built on the documented ``GetARelease`` example; its Build artifact names the commit and repository."""
    body = example("release.json")
    body.update(id=release_id, name=f"Release-{release_id}")
    reference = body["artifacts"][0]["definitionReference"]
    reference["sourceVersion"] = {"id": sha, "name": sha}
    reference["repository"] = {"id": f"repo-{repository}", "name": repository}
    reference["branch"] = {"id": "refs/heads/main", "name": "refs/heads/main"}
    return body


def connect(
    server: FakeServer,
    release_server: FakeServer | None = None,
    *,
    sleeps: list[float] | None = None,
    secret: str = PAT,
    name: str = "Azure DevOps (Fabrikam)",
    **settings: Any,
) -> AzureDevOpsConnector:
    """A connector to ``server`` (and its release host) with a fixed clock and a recording sleep."""
    import random  # noqa: PLC0415

    settings.setdefault("project", PROJECT)
    if release_server is not None:
        settings.setdefault("release_url", f"{release_server.url}/{ORGANIZATION}")
    return AzureDevOpsConnector(
        AzureDevOpsSettings(base_url=f"{server.url}/{ORGANIZATION}", **settings),
        secret,
        name=name,
        sleep=(sleeps if sleeps is not None else []).append,
        now=lambda: NOW,
        rng=random.Random(1),
    )


@dataclass
class Repository:
    """One Azure Repos repository: pull requests with their commits and threads."""

    pulls: list[dict[str, Any]] = field(default_factory=list)
    commits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    threads: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Failure:
    """An injected answer for requests whose path matches ``path``, ``times`` times.

    Kinds: ``blocked_429`` (TF400733 with Retry-After), ``delayed`` (a 200 asking to wait), ``signin_203``,
    ``server_error_500``.
    """

    path: str
    kind: str
    times: int = 1
    retry_after: int = 20


@dataclass
class FakeAzureDevOps:
    """The fake organization's state; :meth:`serve` runs it (organization host and release host)."""

    work_items: dict[int, dict[str, Any]] = field(default_factory=dict)
    updates: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    type_states: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    repositories: dict[str, Repository] = field(default_factory=dict)
    definitions: list[dict[str, Any]] = field(default_factory=list)
    builds: list[dict[str, Any]] = field(default_factory=list)
    timelines: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    release_definitions: list[dict[str, Any]] = field(default_factory=list)
    release_deployments: list[dict[str, Any]] = field(default_factory=list)
    releases: dict[int, dict[str, Any]] = field(default_factory=dict)
    pat: str = PAT
    max_top: int = 200
    failures: list[Failure] = field(default_factory=list)
    wiql: list[str] = field(default_factory=list)
    vanishing: set[int] = field(default_factory=set)  # listed, but deleted before their updates are read
    received: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, path: str, kind: str, *, times: int = 1, retry_after: int = 20) -> None:
        """Answer the next ``times`` requests matching ``path`` (a regex) with failure ``kind``."""
        self.failures.append(Failure(path, kind, times, retry_after))

    @contextmanager
    def serve(self) -> Iterator[tuple[FakeServer, FakeServer]]:
        """Run the organization host and the release host on free ports of 127.0.0.1."""
        with fake_server(self.handle) as organization, fake_server(self.handle) as releases:
            yield organization, releases

    def handle(self, request: Request) -> Reply:
        """Answer one request as Azure DevOps would."""
        with self._lock:
            self.received += 1
            expected = "Basic " + base64.b64encode(f":{self.pat}".encode()).decode()
            if request.headers.get("authorization") != expected:
                return Reply(
                    {
                        "$id": "1",
                        "innerException": None,
                        "message": "TF400813: The user '' is not authorized to access this resource.",
                        "typeName": "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException",
                        "typeKey": "UnauthorizedRequestException",
                        "errorCode": 0,
                        "eventId": 3000,
                    },
                    status=401,
                )
            if request.param("api-version") != "7.1":
                return self._error(400, "VS800006: No api-version was supplied for the request.")
            path = unquote(request.path).removeprefix(f"/{ORGANIZATION}")
            failure = next((f for f in self.failures if f.times > 0 and re.fullmatch(f.path, path)), None)
            if failure is not None:
                failure.times -= 1
                if failure.kind != "delayed":
                    return self._failure(failure)
            found = self._route(request, path)
            if isinstance(found, Reply):
                return found
            reply = (
                self._error(404, f"TF200016: The following project does not exist: {path}.")
                if found is None
                else (Reply(found[0], headers=found[1]))
            )
            if failure is not None:  # delayed: answered, with a request to slow down
                reply.headers.update(
                    {
                        "Retry-After": str(failure.retry_after),
                        "X-RateLimit-Resource": "ATCPU",
                        "X-RateLimit-Delay": "2.500",
                        "X-RateLimit-Limit": "200",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": str(RESET_EPOCH),
                    }
                )
            return reply

    @staticmethod
    def _error(status: int, message: str) -> Reply:
        return Reply(
            {
                "$id": "1",
                "innerException": None,
                "message": message,
                "typeName": "Microsoft.VisualStudio.Services.WebApi.VssServiceException",
                "typeKey": "VssServiceException",
                "errorCode": 0,
                "eventId": 3000,
            },
            status=status,
        )

    def _failure(self, failure: Failure) -> Reply:
        if failure.kind == "blocked_429":
            reply = self._error(
                429,
                "TF400733: The request has been canceled: Request was blocked due to exceeding "
                "usage of resource 'ATCPU' in namespace 'User'.",
            )
            reply.headers.update(
                {
                    "Retry-After": str(failure.retry_after),
                    "X-RateLimit-Resource": "ATCPU",
                    "X-RateLimit-Delay": "0.000",
                    "X-RateLimit-Limit": "200",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(RESET_EPOCH),
                }
            )
            return reply
        if failure.kind == "signin_203":
            return Reply(
                raw=b"<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head></html>",
                status=203,
                headers={"Content-Type": "text/html; charset=utf-8"},
            )
        if failure.kind == "server_error_500":
            return self._error(500, "TF246017: Azure DevOps Server could not connect to the database.")
        raise ValueError(failure.kind)

    def _route(self, request: Request, path: str) -> tuple[Any, dict[str, str]] | Reply | None:
        if path == "/_apis/connectionData":
            me = identity("Jamal Hartnett")
            return {
                "authenticatedUser": {
                    "id": me["id"],
                    "descriptor": "aad.abc",
                    "subjectDescriptor": "aad.abc",
                    "providerDisplayName": "Jamal Hartnett",
                    "isActive": True,
                    "properties": {},
                },
                "authorizedUser": {"id": me["id"], "providerDisplayName": "Jamal Hartnett"},
                "instanceId": "instance-1",
                "deploymentId": "deployment-1",
                "deploymentType": "hosted",
            }, {}
        if path == f"/_apis/projects/{PROJECT}":
            return {
                "id": "project-1",
                "name": PROJECT,
                "url": f"https://dev.azure.com/{ORGANIZATION}/_apis/projects/project-1",
                "state": "wellFormed",
                "revision": 11,
                "visibility": "private",
                "lastUpdateTime": "2024-01-01T00:00:00Z",
            }, {}
        prefix = f"/{PROJECT}/_apis"
        if not path.startswith(prefix):
            return None
        rest = path.removeprefix(prefix)
        if rest == "/wit/wiql" and request.method == "POST":
            return self._wiql(request), {}
        if rest == "/wit/workitems":
            return self._work_items(request)
        if match := re.fullmatch(r"/wit/workItems/(\d+)/updates", rest):
            item_id = int(match.group(1))
            if item_id not in self.work_items or item_id in self.vanishing:
                return self._error(
                    404, f"TF401232: Work item {item_id} does not exist, or you do not have permissions to read it."
                )
            top, skip = min(int(request.param("$top", "200") or 200), self.max_top), int(request.param("$skip", "0") or 0)
            page = self.updates.get(item_id, [])[skip : skip + top]
            return {"count": len(page), "value": page}, {}
        if rest == "/wit/workitemtypecategories":
            categories = [
                {
                    "name": "Requirement Category",
                    "referenceName": "Microsoft.RequirementCategory",
                    "workItemTypes": [{"name": "User Story"}],
                },
                {"name": "Bug Category", "referenceName": "Microsoft.BugCategory", "workItemTypes": [{"name": "Bug"}]},
                {
                    "name": "Hidden Types Category",
                    "referenceName": "Microsoft.HiddenCategory",
                    "workItemTypes": [{"name": "Code Review Request"}],
                },
            ]
            return {"count": len(categories), "value": categories}, {}
        if match := re.fullmatch(r"/wit/workitemtypes/([^/]+)/states", rest):
            states = self.type_states.get(match.group(1))
            return None if states is None else ({"count": len(states), "value": states}, {})
        if match := re.fullmatch(r"/git/repositories/([^/]+)(/.*)?", rest):
            return self._git(request, match.group(1), match.group(2) or "")
        if rest == "/build/definitions":
            chosen = [d for d in self.definitions if request.param("name") in (None, d["name"])]
            return {"count": len(chosen), "value": chosen}, {}
        if rest == "/build/builds":
            return self._builds(request)
        if match := re.fullmatch(r"/build/builds/(\d+)/timeline", rest):
            build_id = int(match.group(1))
            if build_id not in {b["id"] for b in self.builds}:
                return None
            return {
                "records": self.timelines.get(build_id, []),
                "lastChangedBy": "00000002-0000-8888-8000-000000000000",
                "lastChangedOn": "2024-03-05T10:00:00Z",
                "id": f"timeline-{build_id}",
                "changeId": 9,
                "url": None,
            }, {}
        if rest.startswith("/release/"):
            return self._release(request, rest.removeprefix("/release"))
        return None

    def _wiql(self, request: Request) -> dict[str, Any]:
        query = str(request.json()["query"])
        self.wiql.append(query)
        match = re.fullmatch(r"SELECT \[System\.Id\] FROM WorkItems WHERE (.*) ORDER BY \[System\.Id\] ASC", query)
        if match is None:
            raise ValueError(f"unexpected WIQL: {query}")
        chosen = list(self.work_items.values())
        for clause in re.split(r" AND (?![^()]*\))", match.group(1)):
            if m := re.fullmatch(r"\[System\.TeamProject\] = '(.+)'", clause):
                chosen = [w for w in chosen if w["fields"]["System.TeamProject"] == m.group(1)]
            elif m := re.fullmatch(r"\[System\.Id\] > (\d+)", clause):
                chosen = [w for w in chosen if w["id"] > int(m.group(1))]
            elif m := re.fullmatch(r"\[System\.ChangedDate\] >= '(.+)'", clause):
                chosen = [w for w in chosen if w["fields"]["System.ChangedDate"] >= m.group(1)]
            elif m := re.fullmatch(r"\[System\.WorkItemType\] IN \((.+)\)", clause):
                kinds = re.findall(r"'([^']*)'", m.group(1))
                chosen = [w for w in chosen if w["fields"]["System.WorkItemType"] in kinds]
            elif clause.startswith("(") and "UNDER" in clause:
                paths = re.findall(r"\[System\.AreaPath\] UNDER '([^']*)'", clause)
                chosen = [
                    w
                    for w in chosen
                    if any(
                        w["fields"]["System.AreaPath"] == p or w["fields"]["System.AreaPath"].startswith(p + "\\") for p in paths
                    )
                ]
            else:
                raise ValueError(f"unexpected WIQL clause: {clause}")
        chosen.sort(key=lambda w: w["id"])
        top = int(request.param("$top", "20000") or 20000)
        body = example("wiql.json")
        body["workItems"] = [{"id": w["id"], "url": w["url"]} for w in chosen[:top]]
        body["sortColumns"] = []
        return body

    def _work_items(self, request: Request) -> tuple[Any, dict[str, str]] | Reply:
        ids = [int(part) for part in str(request.param("ids") or "").split(",") if part]
        if len(ids) > 200:
            return self._error(400, "VS403474: You have exceeded the maximum number of work items (200).")
        values = [copy.deepcopy(self.work_items[i]) if i in self.work_items else None for i in ids]
        return {"count": len(values), "value": values}, {}

    def _git(self, request: Request, name: str, rest: str) -> tuple[Any, dict[str, str]] | None:
        repository = self.repositories.get(name)
        if repository is None:
            return None
        if rest == "":
            return {
                "id": f"repo-{name}",
                "name": name,
                "project": {"id": "project-1", "name": PROJECT},
                "defaultBranch": "refs/heads/main",
                "size": 1024,
                "remoteUrl": f"https://{ORGANIZATION}@dev.azure.com/{ORGANIZATION}/{PROJECT}/_git/{name}",
            }, {}
        if rest == "/pullrequests":
            status = request.param("searchCriteria.status", "active")
            chosen = [p for p in repository.pulls if status == "all" or p["status"] == status]
            if request.param("searchCriteria.queryTimeRangeType") == "closed":
                minimum = request.param("searchCriteria.minTime") or ""
                chosen = [p for p in chosen if p.get("closedDate") and p["closedDate"] >= minimum]
            elif created_from := request.param("searchCriteria.minTime"):
                chosen = [p for p in chosen if p["creationDate"] >= created_from]
            chosen.sort(key=lambda p: p["pullRequestId"], reverse=True)
            top = min(int(request.param("$top", "101") or 101), self.max_top)
            skip = int(request.param("$skip", "0") or 0)
            page = chosen[skip : skip + top]
            return {"value": page, "count": len(page)}, {}
        if match := re.fullmatch(r"/pullRequests/(\d+)/(commits|threads)", rest):
            number = int(match.group(1))
            if number not in {p["pullRequestId"] for p in repository.pulls}:
                return None
            if match.group(2) == "threads":
                threads = repository.threads.get(number, [])
                return {"value": threads, "count": len(threads)}, {}
            return self._token_paged(request, repository.commits.get(number, []))
        return None

    def _token_paged(self, request: Request, records: list[dict[str, Any]]) -> tuple[Any, dict[str, str]]:
        top = min(int(request.param("$top", "100") or 100), self.max_top)
        start = int(request.param("continuationToken", "0") or 0)
        page = records[start : start + top]
        headers = {"x-ms-continuationtoken": str(start + top)} if start + top < len(records) else {}
        return {"count": len(page), "value": page}, headers

    def _builds(self, request: Request) -> tuple[Any, dict[str, str]]:
        chosen = list(self.builds)
        if definitions := request.param("definitions"):
            wanted = {int(part) for part in definitions.split(",")}
            chosen = [b for b in chosen if b["definition"]["id"] in wanted]
        if status := request.param("statusFilter"):
            chosen = [b for b in chosen if b["status"] == status]
        if branch := request.param("branchName"):
            chosen = [b for b in chosen if b["sourceBranch"] == branch]
        order = request.param("queryOrder", "queueTimeDescending") or ""
        key = "finishTime" if order.startswith("finish") else "startTime" if order.startswith("start") else "queueTime"
        if minimum := request.param("minTime"):
            chosen = [b for b in chosen if (b.get(key) or "") >= minimum]
        chosen.sort(key=lambda b: (b.get(key) or "", b["id"]), reverse=order.endswith("Descending"))
        return self._token_paged(request, chosen)

    def _release(self, request: Request, rest: str) -> tuple[Any, dict[str, str]] | None:
        if rest == "/definitions":
            text = request.param("searchText")
            chosen = [d for d in self.release_definitions if text is None or d["name"] == text]
            return {"count": len(chosen), "value": chosen}, {}
        if match := re.fullmatch(r"/definitions/(\d+)", rest):
            return next(((d, {}) for d in self.release_definitions if d["id"] == int(match.group(1))), None)
        if match := re.fullmatch(r"/releases/(\d+)", rest):
            found = self.releases.get(int(match.group(1)))
            return None if found is None else (found, {})
        if rest == "/deployments":
            chosen = [
                d
                for d in self.release_deployments
                if request.param("definitionId") in (None, str(d["releaseDefinition"]["id"]))
                and request.param("definitionEnvironmentId") in (None, str(d["definitionEnvironmentId"]))
            ]
            if minimum := request.param("minModifiedTime"):
                chosen = [d for d in chosen if d["lastModifiedOn"] >= minimum]
            chosen.sort(key=lambda d: d["id"], reverse=request.param("queryOrder") != "ascending")
            return self._token_paged(request, chosen)
        return None


def synthetic_organization(items: int = 250, pulls: int = 30, builds: int = 12, *, seed: int = 7) -> FakeAzureDevOps:
    """``items`` user stories under ``Fabrikam\\Payments`` moving New → Active → Resolved → Closed (some blocked
    by tag), ``pulls`` pull requests of ``shop-web`` and ``builds`` runs of the pipeline "Shop CI" (id 7)."""
    import random  # noqa: PLC0415
    from datetime import timedelta  # noqa: PLC0415

    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)

    def iso(when: datetime) -> str:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    states = ["New", "Active", "Resolved", "Closed"]
    categories = {"New": "Proposed", "Active": "InProgress", "Resolved": "Resolved", "Closed": "Completed"}
    fake = FakeAzureDevOps(
        type_states={
            "User Story": [{"name": name, "color": "b2b2b2", "category": category} for name, category in categories.items()],
            "Bug": example("work-item-type-states.json")["value"],
        }
    )
    for item_id in range(1, items + 1):
        created = start + timedelta(hours=rng.randrange(0, 24 * 60))
        steps = rng.randrange(0, 4)
        at, updates = created, [update(item_id, 1, iso(created), System_State=(None, "New"))]
        for step in range(steps):
            previous, at = at, at + timedelta(hours=rng.randrange(1, 72))
            updates.append(
                update(item_id, len(updates) + 1, iso(at), previous=iso(previous), System_State=(states[step], states[step + 1]))
            )
            if step == 0 and rng.random() < 0.2:
                blocked, at = at, at + timedelta(hours=5)
                updates.append(
                    update(item_id, len(updates) + 1, iso(blocked), previous=iso(previous), System_Tags=(None, "Blocked"))
                )
                updates.append(update(item_id, len(updates) + 1, iso(at), previous=iso(blocked), System_Tags=("Blocked", "")))
        fake.work_items[item_id] = work_item(
            item_id, created=iso(created), changed=iso(at), state=states[steps], area=f"{PROJECT}\\Payments"
        )
        fake.updates[item_id] = updates
    repository = Repository()
    author, reviewer = identity("Normal Paulk"), identity("Johnnie McLeod")
    for number in range(1, pulls + 1):
        created = start + timedelta(hours=rng.randrange(0, 24 * 60))
        closed = created + timedelta(hours=rng.randrange(2, 96)) if rng.random() < 0.8 else None
        repository.pulls.append(
            pull_request(
                number,
                repository="shop-web",
                created=iso(created),
                author=author,
                status="completed" if closed else "active",
                closed=iso(closed) if closed else None,
                merge_commit=f"{number:040x}",
            )
        )
        repository.commits[number] = [pr_commit(f"{number + 1000:040x}", authored=iso(created - timedelta(hours=2)))]
        repository.threads[number] = [vote_thread(iso(created + timedelta(hours=1)), reviewer, 10)]
    fake.repositories["shop-web"] = repository
    fake.definitions = [{"id": 7, "name": "Shop CI", "path": "\\", "type": "build", "revision": 3}]
    for number in range(builds):
        queued = start + timedelta(days=5 * (number + 1))
        fake.builds.append(
            build(
                700 + number,
                definition=(7, "Shop CI"),
                repository="shop-web",
                sha=f"{number:040x}",
                queued=iso(queued),
                started=iso(queued + timedelta(minutes=1)),
                finished=iso(queued + timedelta(minutes=9)),
                result="succeeded" if rng.random() < 0.75 else "failed",
            )
        )
    return fake
