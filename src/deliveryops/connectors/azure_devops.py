"""Azure DevOps connector (Boards, Repos, Pipelines; REST api-version 7.1): work items, pull requests, deployments.

A sync runs these tasks in order, each page by page (settings in :mod:`.azure_devops_settings`, mapping in
:mod:`.azure_devops_mapping`):

1. ``work_items``: WIQL ``POST /{project}/_apis/wit/wiql?$top=200&timePrecision=true`` selecting the ids of the
   project's work items (under the area paths, of the types, changed since ``since``) with an id above the
   last one read, ``ORDER BY [System.Id]``: a keyset that resumes exactly and never meets WIQL's 20,000-result
   cap. Then ``GET /{project}/_apis/wit/workitems?ids=…`` (200 at a time) and, per item, every page of
   ``GET /{project}/_apis/wit/workItems/{id}/updates?$top=200&$skip=…`` for its full state history.
2. ``pull_requests``, per repository: ``GET /{project}/_apis/git/repositories/{repo}/pullrequests`` paged by
   ``$top``/``$skip``: every pull request on a first or full sync; later, the active ones and those closed
   since ``since`` (``searchCriteria.queryTimeRangeType=closed``). Per pull request, its ``commits`` (paged by
   the ``x-ms-continuationtoken`` header) and ``threads`` (votes and comments).
3. ``deployments``, per source: pipeline runs ``GET /{project}/_apis/build/builds?definitions=…&statusFilter=completed
   &queryOrder=finishTimeAscending&minTime=…`` (paged by ``x-ms-continuationtoken``; with a stage, each run's
   ``…/builds/{id}/timeline``), or classic release deployments ``GET {release host}/{project}/_apis/release/deployments
   ?definitionId=…&definitionEnvironmentId=…&minModifiedTime=…`` with each release's artifacts.

The personal access token goes in HTTP Basic authentication (empty user name), only to the organization's
host and its release host (``vsrm.dev.azure.com`` on Azure DevOps Services). Every page carries a cursor
``{"task", "phase", "position", "since", "watermark"}``; after the last page ``phase`` is ``"done"``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from deliveryops.connectors.azure_devops_mapping import (
    ItemOptions,
    build_deployment,
    change,
    incident,
    parse_time,
    propose_workflow,
    release_deployment,
    tags_of,
    work_item,
)
from deliveryops.connectors.azure_devops_settings import AzureDevOpsSettings, PipelineSource
from deliveryops.connectors.base import Connector, ConnectorError, ConnectorSettings, FetchPage, SyncRequest
from deliveryops.connectors.registry import register
from deliveryops.connectors.throttle import RateLimitRule, ThrottledClient, origin_of
from deliveryops.work.records import WorkflowStatus

__all__ = ["AzureDevOpsConnector", "AzureDevOpsSettings"]

API_VERSION = "7.1"
WORK_ITEMS_PER_PAGE = 200  # the work items API takes at most 200 ids
PAGE_SIZE = 100
_HIDDEN_CATEGORIES = ("Hidden", "Test", "CodeReview", "Feedback", "SharedStep", "SharedParameter")
# Azure DevOps asks clients to honour Retry-After (on 429s, and on answers it delayed); X-RateLimit-Remaining
# counts throughput units before *delays* start, so it is no reason to stop.
AZURE_RATE_LIMITS = RateLimitRule()


@dataclass
class _Progress:
    task: int
    position: dict[str, Any]
    since: datetime | None
    watermark: datetime | None
    keys: list[str] | None = field(default=None)

    def see(self, value: object) -> None:
        if isinstance(value, str) and value and not value.startswith(("0001", "9999")):
            when = parse_time(value)
            self.watermark = when if self.watermark is None else max(self.watermark, when)

    def next_task(self) -> None:
        self.task, self.position = self.task + 1, {}


@register
class AzureDevOpsConnector(Connector):
    """Reads work items, pull requests and deployments of one Azure DevOps project."""

    kind: ClassVar[str] = "azure-devops"
    label: ClassVar[str] = "Azure DevOps"
    settings_model: ClassVar[type[ConnectorSettings]] = AzureDevOpsSettings

    def __init__(
        self,
        settings: AzureDevOpsSettings,
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
            secret: a personal access token (scopes: Work Items Read, Code Read, Build Read, Release Read).
            name: the connection's name, used in every error message.
            transport: an httpx transport (tests); None for the network.
            sleep: how to wait between retries and when asked to slow down.
            now: the current time, for rate-limit reset headers.
            rng: the jitter source of retry backoff.
        """
        self.settings = settings
        self.name = name
        self.project = settings.project
        self.root = f"/{quote(settings.project)}/_apis"
        self.releases = f"{settings.releases_root()}/{quote(settings.project)}/_apis/release"
        client = httpx.Client(
            base_url=str(settings.base_url),
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(30.0, connect=10.0),
            auth=httpx.BasicAuth("", secret),
            params={"api-version": API_VERSION},
            headers={"Accept": "application/json", "User-Agent": "deliveryops"},
        )
        origins = tuple(dict.fromkeys((origin_of(str(settings.base_url)), origin_of(settings.releases_root()))))
        self.http = ThrottledClient(
            name=name,
            client=client,
            sleep=sleep,
            rng=rng or random.Random(),
            rule=AZURE_RATE_LIMITS,
            origins=origins,
            label="Azure DevOps",
            explain=self._explain,
        )
        if now is not None:
            self.http.now = now
        self.options = ItemOptions(project=settings.project, base_url=str(settings.base_url), blocked_tag=settings.blocked_tag)
        self._definitions: dict[tuple[str, str, str | None], tuple[int, int | None]] = {}
        self._releases: dict[int, Mapping[str, Any]] = {}
        self._done_states: set[str] | None = None

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.client.close()

    # -- requests -------------------------------------------------------------------------------------------

    def _explain(self, response: httpx.Response) -> ConnectorError | None:
        if response.status_code in (401, 403):
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        message = body.get("message") if isinstance(body, dict) else None
        if not message:
            return None
        return ConnectorError(
            f"{self.name}: Azure DevOps refused {response.request.url.path} ({response.status_code}): {str(message)[:240]}",
            status=response.status_code,
        )

    def _call(
        self, method: str, url: str, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> tuple[Any, httpx.Response]:
        response = self.http.request(method, url, params=params, json=body)
        if response.status_code == 203 or response.headers.get("content-type", "").startswith("text/html"):
            # An expired or wrong token gets a sign-in page, not a 401.
            raise ConnectorError(
                f"{self.name}: Azure DevOps answered with a sign-in page: the personal access token "
                "was refused (expired, revoked or for another organization). Update it on the connection.",
                status=203,
            )
        try:
            return response.json(), response
        except ValueError:
            raise ConnectorError(
                f"{self.name}: the answer to {response.request.url.path} is not valid JSON "
                f"(it starts with {response.text[:60]!r}).",
                retryable=True,
            ) from None

    def _values(self, url: str, params: Mapping[str, Any] | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """The ``value`` list of an answer and its continuation token (``x-ms-continuationtoken``), if any."""
        body, response = self._call("GET", url, params)
        values = body.get("value") if isinstance(body, dict) else None
        if not isinstance(values, list):
            raise ConnectorError(
                f"{self.name}: the answer to {response.request.url.path} has no value list as "
                "the Azure DevOps API documents; check the organization URL."
            )
        token = response.headers.get("x-ms-continuationtoken") or None
        return [value for value in values if isinstance(value, dict)], token

    def _all_tokens(self, url: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page, token = self._values(url, {**params, **({"continuationToken": token} if token else {})})
            records.extend(page)
            if not token:
                return records

    # -- test and workflow ----------------------------------------------------------------------------------

    def test(self) -> str:
        """Check the token, the project, its repositories and deployment sources.

        Returns:
            A sentence naming the organization, the user and what was found.

        Raises:
            ConnectorError: naming the connection and what is wrong.
        """
        data, _ = self._call("GET", "/_apis/connectionData")
        user = (data.get("authenticatedUser") or {}) if isinstance(data, dict) else {}
        who = str(user.get("providerDisplayName") or user.get("customDisplayName") or "an unknown user")
        try:
            project, _ = self._call("GET", f"/_apis/projects/{quote(self.project)}")
        except ConnectorError as exc:
            if exc.status != 404:
                raise
            raise ConnectorError(
                f"{self.name}: project {self.project} was not found in {self.settings.base_url}, or the token cannot see it.",
                status=404,
            ) from None
        for repository in self.settings.repositories:
            try:
                self._call("GET", f"{self.root}/git/repositories/{quote(repository)}")
            except ConnectorError as exc:
                if exc.status != 404:
                    raise
                raise ConnectorError(
                    f"{self.name}: repository {repository} was not found in project {self.project}.", status=404
                ) from None
        for source in self.settings.deployments:
            self._definition(source)
        parts = [f"project {project.get('name') or self.project} found"]
        if self.settings.repositories:
            parts.append(f"repositories {', '.join(self.settings.repositories)}")
        if self.settings.deployments:
            parts.append(f"{len(self.settings.deployments)} deployment source{'s' if len(self.settings.deployments) > 1 else ''}")
        return f"Connected to {self.settings.base_url} as {who}; {'; '.join(parts)}."

    def _types(self) -> list[str]:
        if self.settings.work_item_types:
            return list(dict.fromkeys([*self.settings.work_item_types, *self.settings.incident_types]))
        categories, _ = self._values(f"{self.root}/wit/workitemtypecategories")
        names: list[str] = []
        for category in categories:
            if any(hidden in str(category.get("referenceName") or "") for hidden in _HIDDEN_CATEGORIES):
                continue
            names += [str(kind.get("name")) for kind in category.get("workItemTypes") or [] if kind.get("name")]
        return list(dict.fromkeys([*names, *self.settings.incident_types]))

    def _states(self, types: list[str]) -> list[dict[str, Any]]:
        states: list[dict[str, Any]] = []
        for kind in types:
            found, _ = self._values(f"{self.root}/wit/workitemtypes/{quote(kind)}/states")
            states += found
        return states

    def workflow(self) -> list[WorkflowStatus]:
        """The states of the project's work item types, by state category (see :func:`propose_workflow`)."""
        return propose_workflow(self._states(self._types()))

    # -- fetch ----------------------------------------------------------------------------------------------

    def _tasks(self) -> list[tuple[str, int]]:
        return (
            [("work_items", 0)]
            + [("pull_requests", i) for i in range(len(self.settings.repositories))]
            + [("deployments", i) for i in range(len(self.settings.deployments))]
        )

    def fetch(self, request: SyncRequest) -> Iterator[FetchPage]:
        """Yield one page per page of work items, pull requests and deployments.

        Args:
            request: ``since`` limits what is read to what changed at or after it; ``cursor`` resumes an
                interrupted sync; ``full`` adds, on the last page, the key of every work item the query matches.

        Returns:
            An iterator of pages; the last one's cursor has ``phase`` "done".
        """
        tasks = self._tasks()
        progress = self._start(request, len(tasks))
        if self.settings.reads_incidents() and self._done_states is None:
            self._done_states = {
                str(state["name"])
                for state in self._states(self.settings.incident_types)
                if state.get("category") in ("Resolved", "Completed")
            }
        while progress.task < len(tasks):
            kind, index = tasks[progress.task]
            before = self.http.stats.requests
            if kind == "work_items":
                page = self._work_items_page(progress)
            elif kind == "pull_requests":
                page = self._pull_requests_page(self.settings.repositories[index], progress)
            else:
                page = self._deployments_page(self.settings.deployments[index], progress)
            page.requests = self.http.stats.requests - before
            page.watermark = progress.watermark
            done = progress.task >= len(tasks)
            page.cursor = {
                "task": progress.task,
                "phase": "done" if done else tasks[progress.task][0],
                "position": dict(progress.position),
                "since": _iso(progress.since),
                "watermark": _iso(progress.watermark),
            }
            if done and progress.keys is not None:
                page.existing_keys = sorted(progress.keys)
            yield page

    def _start(self, request: SyncRequest, tasks: int) -> _Progress:
        cursor = request.cursor or {}
        if "task" in cursor:
            return _Progress(
                min(int(cursor["task"]), tasks),
                dict(cursor.get("position") or {}),
                _parse_optional(cursor.get("since")),
                _parse_optional(cursor.get("watermark")),
            )
        since = request.since if request.since is None or request.since.tzinfo else request.since.replace(tzinfo=UTC)
        return _Progress(0, {}, since, None, keys=[] if request.full else None)

    def _wiql(self, since: datetime | None, after: int) -> str:
        clauses = [f"[System.TeamProject] = '{self.project}'", f"[System.Id] > {after}"]
        if self.settings.area_paths:
            clauses.append("(" + " OR ".join(f"[System.AreaPath] UNDER '{path}'" for path in self.settings.area_paths) + ")")
        if self.settings.work_item_types:
            types = dict.fromkeys([*self.settings.work_item_types, *self.settings.incident_types])
            quoted = ", ".join("'" + kind + "'" for kind in types)
            clauses.append(f"[System.WorkItemType] IN ({quoted})")
        if since is not None:
            clauses.append(f"[System.ChangedDate] >= '{_iso(since)}'")
        # WIQL, not SQL: every value is a validated setting (no quotes) or a number or a time written here.
        return f"SELECT [System.Id] FROM WorkItems WHERE {' AND '.join(clauses)} ORDER BY [System.Id] ASC"  # noqa: S608

    def _work_items_page(self, progress: _Progress) -> FetchPage:
        after = int(progress.position.get("after_id") or 0)
        body, _ = self._call(
            "POST",
            f"{self.root}/wit/wiql",
            {"$top": WORK_ITEMS_PER_PAGE, "timePrecision": "true"},
            {"query": self._wiql(progress.since, after)},
        )
        ids = [int(entry["id"]) for entry in (body.get("workItems") or []) if isinstance(entry, dict) and "id" in entry]
        result = FetchPage()
        if ids:
            listed, _ = self._values(f"{self.root}/wit/workitems", {"ids": ",".join(map(str, ids)), "errorPolicy": "Omit"})
            for item in listed:
                self._add_item(item, progress, result)
        if len(ids) < WORK_ITEMS_PER_PAGE:
            progress.next_task()
        else:
            progress.position = {"after_id": max(ids)}
        return result

    def _add_item(self, item: Mapping[str, Any], progress: _Progress, result: FetchPage) -> None:
        fields: Mapping[str, Any] = item.get("fields") or {}
        progress.see(fields.get("System.ChangedDate"))
        updates: list[dict[str, Any]] = []
        while True:
            try:
                page, _ = self._values(
                    f"{self.root}/wit/workItems/{item['id']}/updates", {"$top": WORK_ITEMS_PER_PAGE, "$skip": len(updates)}
                )
            except ConnectorError as exc:
                if exc.status == 404:  # deleted since it was listed: the next full sync removes it
                    return
                raise
            updates += page
            if len(page) < WORK_ITEMS_PER_PAGE:
                break
        record = work_item(item, updates, self.options)
        kind = str(fields.get("System.WorkItemType") or "")
        tags = {tag.casefold() for tag in tags_of(fields.get("System.Tags"))}
        is_incident = kind.casefold() in {name.casefold() for name in self.settings.incident_types} or bool(
            tags & {tag.casefold() for tag in self.settings.incident_tags}
        )
        if is_incident:
            result.incidents.append(incident(item, record, done_states=self._done_states or ()))
            if not self.settings.incidents_as_work_items:
                return
        result.items.append(record)
        if progress.keys is not None:
            progress.keys.append(record.external_key)

    def _pull_requests_page(self, repository: str, progress: _Progress) -> FetchPage:
        # A first or full sync reads every pull request; later ones the active ones, then those closed since.
        passes = ["all"] if progress.since is None else ["active", "closed"]
        status = str(progress.position.get("status") or passes[0])
        skip = int(progress.position.get("skip") or 0)
        params: dict[str, Any] = {
            "searchCriteria.status": "active" if status == "active" else "all",
            "$top": PAGE_SIZE,
            "$skip": skip,
        }
        if status == "closed":
            params.update({"searchCriteria.queryTimeRangeType": "closed", "searchCriteria.minTime": _iso(progress.since)})
        base = f"{self.root}/git/repositories/{quote(repository)}"
        pulls, _ = self._values(f"{base}/pullrequests", params)
        result = FetchPage()
        for pull in pulls:
            progress.see(pull.get("closedDate") or pull.get("creationDate"))
            number = int(pull["pullRequestId"])
            commits = self._all_tokens(f"{base}/pullRequests/{number}/commits", {"$top": PAGE_SIZE})
            threads, _ = self._values(f"{base}/pullRequests/{number}/threads")
            result.changes.append(change(self.project, pull, commits, threads, base_url=str(self.settings.base_url)))
        if len(pulls) == PAGE_SIZE:
            progress.position = {"status": status, "skip": skip + PAGE_SIZE}
        elif passes.index(status) + 1 < len(passes):
            progress.position = {"status": passes[passes.index(status) + 1], "skip": 0}
        else:
            progress.next_task()
        return result

    def _definition(self, source: PipelineSource) -> tuple[int, int | None]:
        """The definition id of a source (and its release environment id), looked up once.

        Raises:
            ConnectorError: naming the definitions or stages that exist when the source names none of them.
        """
        key = (source.kind, source.definition, source.stage)
        if key in self._definitions:
            return self._definitions[key]
        noun = "pipeline" if source.kind == "pipeline" else "release definition"
        if source.kind == "pipeline":
            url, params = f"{self.root}/build/definitions", {"name": source.definition}
        else:
            url, params = f"{self.releases}/definitions", {"searchText": source.definition, "isExactNameMatch": "true"}
        if source.definition.isdigit():
            definition_id = int(source.definition)
        else:
            found, _ = self._values(url, params)
            if not found:
                names = sorted(str(d.get("name")) for d in self._values(url)[0])
                raise ConnectorError(
                    f"{self.name}: project {self.project} has no {noun} named {source.definition!r} "
                    f"(its {noun}s: {', '.join(names) or 'none'}); correct the deployment sources."
                )
            definition_id = int(found[0]["id"])
        environment_id = None
        if source.kind == "release":
            definition, _ = self._call("GET", f"{self.releases}/definitions/{definition_id}")
            stages = {str(env.get("name")): int(env["id"]) for env in definition.get("environments") or [] if "id" in env}
            match = next((stage_id for name, stage_id in stages.items() if name.casefold() == str(source.stage).casefold()), None)
            if match is None:
                raise ConnectorError(
                    f"{self.name}: release definition {source.definition!r} has no stage named "
                    f"{source.stage!r} (its stages: {', '.join(sorted(stages)) or 'none'})."
                )
            environment_id = match
        self._definitions[key] = (definition_id, environment_id)
        return definition_id, environment_id

    def _deployments_page(self, source: PipelineSource, progress: _Progress) -> FetchPage:
        definition_id, environment_id = self._definition(source)
        token = progress.position.get("token")
        params: dict[str, Any] = {"$top": PAGE_SIZE, **({"continuationToken": token} if token else {})}
        result = FetchPage()
        if source.kind == "pipeline":
            params.update({"definitions": definition_id, "statusFilter": "completed", "queryOrder": "finishTimeAscending"})
            if source.branch:
                params["branchName"] = f"refs/heads/{source.branch.removeprefix('refs/heads/')}"
            if progress.since is not None:
                params["minTime"] = _iso(progress.since)
            builds, token = self._values(f"{self.root}/build/builds", params)
            for build in builds:
                progress.see(build.get("finishTime"))
                stage = None
                if source.stage:
                    timeline, _ = self._call("GET", f"{self.root}/build/builds/{build['id']}/timeline")
                    stage = next(
                        (
                            record
                            for record in timeline.get("records") or []
                            if record.get("type") == "Stage"
                            and str(source.stage).casefold()
                            in (str(record.get("name") or "").casefold(), str(record.get("identifier") or "").casefold())
                        ),
                        None,
                    )
                record = build_deployment(self.project, build, source, stage)
                if record is not None:
                    result.deployments.append(record)
        else:
            params.update({"definitionId": definition_id, "definitionEnvironmentId": environment_id, "queryOrder": "ascending"})
            if progress.since is not None:
                params["minModifiedTime"] = _iso(progress.since)
            deployments, token = self._values(f"{self.releases}/deployments", params)
            for raw in deployments:
                progress.see(raw.get("lastModifiedOn"))
                release_id = int((raw.get("release") or {}).get("id") or 0)
                if release_id and release_id not in self._releases:
                    self._releases[release_id], _ = self._call("GET", f"{self.releases}/releases/{release_id}")
                record = release_deployment(self.project, raw, source, self._releases.get(release_id))
                if record is not None:
                    result.deployments.append(record)
        if token:
            progress.position = {"token": token}
        else:
            progress.next_task()
        return result


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_optional(value: object) -> datetime | None:
    return parse_time(value) if isinstance(value, str) and value else None
