"""GitLab connector (gitlab.com and self-managed, REST API v4): issues, merge requests, deployments, incidents.

Per project, a sync reads three phases, each page by page, oldest change first:

1. ``issues``: ``GET /projects/:id/issues?scope=all&state=all&order_by=updated_at&sort=asc&updated_after=…``
   and, for each issue, every page of its ``resource_label_events`` and ``resource_state_events``, from which
   :mod:`.gitlab_mapping` builds the history. Issues of type incident are also incidents (no extra request).
2. ``merge_requests``: ``GET /projects/:id/merge_requests?scope=all&state=all&order_by=updated_at&sort=asc&updated_after=…``
   with each one's ``commits`` and ``notes`` (first commit, first review by someone else, merge).
3. ``deployments`` (unless ``read_deployments`` is off): ``GET /projects/:id/environments`` once, then per
   chosen environment ``GET /projects/:id/deployments?environment=…&order_by=updated_at&sort=asc&updated_after=…``;
   for each successful deployment, ``GET /projects/:id/deployments/:deployment_id/merge_requests`` says which
   merge requests it shipped (their merge commits become the deployment's commit list).

Every page yielded carries a cursor ``{"project", "phase", "next_url", "environment", "since", "watermark"}``:
the project and phase to continue with, the absolute URL of the next page (None: the phase's first page),
the index of the environment being read and the ``since`` of the interrupted sync. After the last page,
``phase`` is ``"done"``. ``since`` is the engine's watermark minus its overlap, sent as ``updated_after``.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, field_validator

from deliveryops.connectors.base import Connector, ConnectorError, ConnectorSettings, FetchPage, SyncRequest, source_url
from deliveryops.connectors.gitlab_mapping import (
    CLOSED,
    OPEN,
    HistoryOptions,
    change,
    deployment,
    incident,
    is_incident,
    merge_sha,
    parse_time,
    work_item,
)
from deliveryops.connectors.gitlab_pages import GITLAB_RATE_LIMITS, PER_PAGE, Pager, explain, project_path
from deliveryops.connectors.registry import register
from deliveryops.connectors.throttle import ThrottledClient
from deliveryops.work.records import StageCategory, WorkflowStatus

__all__ = ["GitLabConnector", "GitLabSettings"]

_PROJECT = re.compile(r"^(\d+|[\w.-]+(/[\w.-]+)+)$")
_PHASES = ("issues", "merge_requests", "deployments")


class GitLabSettings(ConnectorSettings):
    """What a GitLab connection reads (the access token is its secret).

    Attributes:
        base_url: the instance, ``https://gitlab.com`` or a self-managed one (``/api/v4`` is added).
        projects: each project's full path (``group/subgroup/project``) or numeric id.
        status_labels: labels that act as statuses, in workflow order (e.g. ``workflow::doing``).
        blocked_label: the label that flags an issue as blocked.
        read_deployments: whether deployments are read (DORA).
        deployment_environments: the environments whose deployments are read; empty reads every
            environment of tier ``production``. The team's DORA settings decide which names count as production.
        incidents_as_work_items: whether incident issues stay work items as well (True) or are incidents only.
        bot_usernames: more usernames whose notes are not reviews (bots are also recognised by name).
        token_kind: ``private`` (personal, project or group access token in ``PRIVATE-TOKEN``) or ``oauth``
            (an OAuth access token in ``Authorization: Bearer``).
    """

    base_url: str = "https://gitlab.com"
    projects: list[str]
    status_labels: list[str] = Field(default_factory=list)
    blocked_label: str = "blocked"
    read_deployments: bool = True
    deployment_environments: list[str] = Field(default_factory=list)
    incidents_as_work_items: bool = True
    bot_usernames: list[str] = Field(default_factory=list)
    token_kind: Literal["private", "oauth"] = "private"  # noqa: S105 (a kind of token, not a token)

    @field_validator("projects", "status_labels", "deployment_environments", "bot_usernames", mode="before")
    @classmethod
    def _one_value_is_a_list(cls, value: object) -> object:
        # The CLI's --setting KEY=VALUE gives a single value as text; a list of one is meant.
        return [value] if isinstance(value, str) else value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        return source_url(value, example="https://gitlab.com").removesuffix("/api/v4")

    @field_validator("projects")
    @classmethod
    def _projects(cls, value: list[str]) -> list[str]:
        cleaned = [name.strip().strip("/") for name in value if name.strip()]
        if not cleaned:
            raise ValueError("name at least one project as group/project")
        for name in cleaned:
            if not _PROJECT.match(name):
                raise ValueError(f"{name!r} is not a project path (group/project) or id")
        return list(dict.fromkeys(cleaned))

    @field_validator("status_labels", "deployment_environments", "bot_usernames")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(name.strip() for name in value if name.strip()))

    def api_url(self) -> str:
        """The REST API root."""
        return f"{self.base_url}/api/v4"


@dataclass
class _Progress:
    """Where a sync stands; turned into each page's cursor."""

    index: int
    phase: str
    next_url: str | None
    since: datetime | None
    watermark: datetime | None
    environment: int = 0
    keys: list[str] | None = field(default=None)

    def cursor(self, projects: list[str]) -> dict[str, Any]:
        done = self.index >= len(projects)
        return {
            "project": None if done else projects[self.index],
            "phase": "done" if done else self.phase,
            "next_url": self.next_url,
            "environment": self.environment,
            "since": _iso(self.since),
            "watermark": _iso(self.watermark),
        }

    def see(self, updated_at: object) -> None:
        if isinstance(updated_at, str) and updated_at:
            when = parse_time(updated_at).astimezone(UTC)
            self.watermark = when if self.watermark is None else max(self.watermark, when)

    def advance(self, next_url: str | None, *, phases: tuple[str, ...], environments: int = 0) -> None:
        """Move to the next page, environment, phase or project after the last page of one."""
        self.next_url = next_url
        if next_url is not None:
            return
        if self.phase == "deployments" and self.environment + 1 < environments:
            self.environment += 1
            return
        following = phases.index(self.phase) + 1
        self.environment = 0
        if following < len(phases):
            self.phase = phases[following]
        else:
            self.phase, self.index = phases[0], self.index + 1


@register
class GitLabConnector(Connector):
    """Reads issues, merge requests, deployments and incidents of GitLab projects."""

    kind: ClassVar[str] = "gitlab"
    label: ClassVar[str] = "GitLab"
    settings_model: ClassVar[type[ConnectorSettings]] = GitLabSettings

    def __init__(
        self,
        settings: GitLabSettings,
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
            secret: an access token with the ``read_api`` scope.
            name: the connection's name, used in every error message.
            transport: an httpx transport (tests); None for the network.
            sleep: how to wait between retries and for a spent rate limit.
            now: the current time, for rate-limit reset headers.
            rng: the jitter source of retry backoff.
        """
        self.settings = settings
        self.name = name
        oauth = settings.token_kind == "oauth"  # noqa: S105 (a kind of token, not a token)
        auth = {"Authorization": f"Bearer {secret}"} if oauth else {"PRIVATE-TOKEN": secret}
        # Redirects are followed by the client below, and only on the same host: PRIVATE-TOKEN is a custom
        # header that httpx would send along to any host.
        client = httpx.Client(
            base_url=settings.api_url(),
            transport=transport,
            timeout=httpx.Timeout(30.0, connect=10.0),
            follow_redirects=False,
            headers={**auth, "Accept": "application/json", "User-Agent": "deliveryops"},
        )
        self.http = ThrottledClient(
            name=name,
            client=client,
            sleep=sleep,
            rng=rng or random.Random(),
            rule=GITLAB_RATE_LIMITS,
            label="GitLab",
            explain=partial(explain, name),
        )
        if now is not None:
            self.http.now = now
        self.pager = Pager(self.http)
        self.options = HistoryOptions(status_labels=tuple(settings.status_labels), blocked_label=settings.blocked_label)
        self._environments: dict[str, list[str]] = {}

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.client.close()

    def phases(self) -> tuple[str, ...]:
        """The phases read per project."""
        return _PHASES if self.settings.read_deployments else _PHASES[:2]

    def test(self) -> str:
        """Check the token, each project and its deployment environments.

        Returns:
            A sentence such as "Connected to https://gitlab.com as alice; projects acme/shop found."

        Raises:
            ConnectorError: naming the connection and what is wrong.
        """
        user = self.pager.get("/user")
        found: list[str] = []
        for project in self.settings.projects:
            try:
                body = self.pager.get(project_path(project))
            except ConnectorError as exc:
                if exc.status != 404:
                    raise
                raise ConnectorError(
                    f"{self.name}: project {project} was not found on {self.settings.base_url}, or the "
                    "token cannot see it. Check its full path and the token's access.",
                    status=404,
                ) from None
            found.append(str(body.get("path_with_namespace") or project))
            if self.settings.read_deployments:
                self._environment_names(project)
        return (
            f"Connected to {self.settings.base_url} as {user.get('username') or 'an unknown user'}; "
            f"projects {', '.join(found)} found."
        )

    def workflow(self) -> list[WorkflowStatus]:
        """ "Open" (backlog), the status labels in order (active), "Closed" (done).

        Without status labels an issue never counts as started, so it gives no cycle time: configure them
        for flow metrics. A team may re-categorise any status afterwards.
        """
        names = [(OPEN, StageCategory.BACKLOG)]
        names += [(label, StageCategory.ACTIVE) for label in self.settings.status_labels]
        names.append((CLOSED, StageCategory.DONE))
        return [
            WorkflowStatus(name=name, category=category, position=position) for position, (name, category) in enumerate(names)
        ]

    def fetch(self, request: SyncRequest) -> Iterator[FetchPage]:
        """Yield one page per page of issues, merge requests and deployments, project by project.

        Args:
            request: ``since`` limits every list to what was updated at or after it; ``cursor`` resumes an
                interrupted sync (its own ``since`` wins); ``full`` adds, on the last page, the keys of every
                issue listed (only when the sync ran from its start).

        Returns:
            An iterator of pages; the last one's cursor has ``phase`` "done".
        """
        projects = self.settings.projects
        phases = self.phases()
        progress = self._start(request, phases)
        while progress.index < len(projects):
            project = projects[progress.index]
            before = self.http.stats.requests
            if progress.phase == "issues":
                page = self._issues_page(project, progress, phases)
            elif progress.phase == "merge_requests":
                page = self._merge_requests_page(project, progress, phases)
            else:
                page = self._deployments_page(project, progress, phases)
            page.requests = self.http.stats.requests - before
            page.watermark = progress.watermark
            page.cursor = progress.cursor(projects)
            if progress.index >= len(projects) and progress.keys is not None:
                page.existing_keys = sorted(progress.keys)
            yield page

    def _start(self, request: SyncRequest, phases: tuple[str, ...]) -> _Progress:
        cursor = request.cursor or {}
        since = request.since if request.since is None or request.since.tzinfo else request.since.replace(tzinfo=UTC)
        if cursor.get("phase") == "done":
            return _Progress(len(self.settings.projects), phases[0], None, since, _parse_optional(cursor.get("watermark")))
        if cursor.get("project") in self.settings.projects and cursor.get("phase") in phases:
            return _Progress(
                self.settings.projects.index(str(cursor["project"])),
                str(cursor["phase"]),
                cursor.get("next_url"),
                _parse_optional(cursor.get("since")),
                _parse_optional(cursor.get("watermark")),
                environment=int(cursor.get("environment") or 0),
            )
        # No cursor, or one for a project no longer configured: start from the beginning.
        return _Progress(0, phases[0], None, since, None, keys=[] if request.full else None)

    def _list_params(self, progress: _Progress, **extra: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"order_by": "updated_at", "sort": "asc", "per_page": PER_PAGE, **extra}
        if progress.since is not None:
            params["updated_after"] = _iso(progress.since)
        return params

    def _issues_page(self, project: str, progress: _Progress, phases: tuple[str, ...]) -> FetchPage:
        base = project_path(project)
        page = self.pager.page(
            progress.next_url or f"{base}/issues",
            None if progress.next_url else self._list_params(progress, scope="all", state="all"),
        )
        result = FetchPage()
        for issue in page.records:
            progress.see(issue.get("updated_at"))
            if is_incident(issue):
                result.incidents.append(incident(project, issue))
                if not self.settings.incidents_as_work_items:
                    continue
            iid = int(issue["iid"])
            try:
                labels = self.pager.all(f"{base}/issues/{iid}/resource_label_events", {"per_page": PER_PAGE})
                states = self.pager.all(f"{base}/issues/{iid}/resource_state_events", {"per_page": PER_PAGE})
            except ConnectorError as exc:
                if exc.status == 404:  # deleted or moved since it was listed
                    continue
                raise
            result.items.append(work_item(project, issue, labels, states, self.options))
            if progress.keys is not None:
                progress.keys.append(f"{project}#{iid}")
        progress.advance(page.next_url, phases=phases)
        return result

    def _merge_requests_page(self, project: str, progress: _Progress, phases: tuple[str, ...]) -> FetchPage:
        base = project_path(project)
        page = self.pager.page(
            progress.next_url or f"{base}/merge_requests",
            None if progress.next_url else self._list_params(progress, scope="all", state="all"),
        )
        result = FetchPage()
        for merge_request in page.records:
            progress.see(merge_request.get("updated_at"))
            iid = int(merge_request["iid"])
            try:
                commits = self.pager.all(f"{base}/merge_requests/{iid}/commits", {"per_page": PER_PAGE})
                notes = self.pager.all(
                    f"{base}/merge_requests/{iid}/notes", {"sort": "asc", "order_by": "created_at", "per_page": PER_PAGE}
                )
            except ConnectorError as exc:
                if exc.status == 404:
                    continue
                raise
            result.changes.append(change(project, merge_request, commits, notes, bot_usernames=self.settings.bot_usernames))
        progress.advance(page.next_url, phases=phases)
        return result

    def _deployments_page(self, project: str, progress: _Progress, phases: tuple[str, ...]) -> FetchPage:
        base = project_path(project)
        environments = self._environment_names(project)
        result = FetchPage()
        if not environments:
            progress.advance(None, phases=phases)
            return result
        environment = environments[min(progress.environment, len(environments) - 1)]
        page = self.pager.page(
            progress.next_url or f"{base}/deployments",
            None if progress.next_url else self._list_params(progress, environment=environment),
        )
        for raw in page.records:
            progress.see(raw.get("updated_at"))
            shipped: list[str] = []
            if str(raw.get("status") or "") == "success":
                merged = self.pager.all(f"{base}/deployments/{raw['id']}/merge_requests", {"per_page": PER_PAGE})
                merged.sort(key=lambda mr: str(mr.get("merged_at") or ""), reverse=True)
                shipped = [sha for mr in merged if (sha := merge_sha(mr))]
            record = deployment(project, raw, shipped)
            if record is not None:
                result.deployments.append(record)
        progress.advance(page.next_url, phases=phases, environments=len(environments))
        return result

    def _environment_names(self, project: str) -> list[str]:
        """The environments read for a project, sorted (a stable order for resuming).

        Raises:
            ConnectorError: naming the project's environments when a configured one does not exist.
        """
        if project in self._environments:
            return self._environments[project]
        listed = self.pager.all(f"{project_path(project)}/environments", {"per_page": PER_PAGE})
        wanted = self.settings.deployment_environments
        if wanted:
            known = {str(env.get("name")) for env in listed}
            missing = [name for name in wanted if name not in known]
            if missing:
                names = ", ".join(sorted(known)) or "none"
                raise ConnectorError(
                    f"{self.name}: {project} has no environment named {', '.join(missing)} (its "
                    f"environments: {names}); correct the deployment environments of the connection."
                )
            chosen = sorted(wanted)
        else:
            chosen = sorted(str(env["name"]) for env in listed if str(env.get("tier") or "") == "production" and env.get("name"))
        self._environments[project] = chosen
        return chosen


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_optional(value: object) -> datetime | None:
    return parse_time(value).astimezone(UTC) if isinstance(value, str) and value else None
