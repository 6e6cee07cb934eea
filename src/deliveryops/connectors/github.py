"""GitHub connector: issues (with a status history) and pull requests of chosen repositories.

Per repository, a sync reads two or three phases, each page by page:

1. ``issues``: ``GET /repos/{o}/{r}/issues?state=all&sort=updated&direction=asc&since=…``
   (records with a ``pull_request`` key are pull requests and are skipped here), and for each
   issue every page of its events, from which :mod:`.github_history` builds the history.
2. ``pulls``: ``GET /repos/{o}/{r}/pulls?state=all&sort=updated&direction=desc`` until a pull
   request older than ``since`` (this list has no ``since``), with each one's commits and reviews.
3. ``deployments`` (only for a repository with a deployment source, see
   :mod:`.github_deployments`): ``GET /repos/{o}/{r}/deployments?environment=…`` with each
   deployment's statuses, or the completed runs of the branch (``GET …/actions/workflows`` once, then
   ``…/actions/workflows/{id}/runs?branch=…&status=completed`` when a single workflow matches, else
   ``…/actions/runs?branch=…&status=completed``), newest first, until one created :data:`LOOKBACK`
   before ``since``. For each successful or failed
   deployment, the commits it shipped come from ``GET /repos/{o}/{r}/compare/{base}...{head}``
   between the previous successful deployment (same repository and environment; looked for on the
   same page, then up to :data:`MAX_LOOKBACK_PAGES` older pages) and this one.

With an ``incident_label``, issues carrying it also become incidents (read from the issues phase:
no extra request); with ``incidents_as_work_items`` off they are incidents only.

Every page yielded carries a cursor ``{"repo", "phase", "next_url", "since", "watermark"}``: the
repository and phase to continue with, the absolute URL of the next page (None: the phase's
first page) and the ``since`` of the interrupted sync. After the last page, ``phase`` is
``"done"``. All requests are conditional (ETags), so re-reading unchanged pages costs no rate
limit while this connector lives.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, field_validator, model_validator

from deliveryops.connectors.base import (
    Connector,
    ConnectorError,
    ConnectorSettings,
    DeploymentRecord,
    FetchPage,
    SyncRequest,
    source_url,
)
from deliveryops.connectors.github_changes import change
from deliveryops.connectors.github_deployments import (
    DeploymentSource,
    deployment_from_api,
    deployment_from_run,
    incident_from_issue,
)
from deliveryops.connectors.github_history import CLOSED, NOT_PLANNED, OPEN, HistoryOptions, parse_time, work_item
from deliveryops.connectors.github_pages import PER_PAGE, Page, Pager
from deliveryops.connectors.http import SourceClient
from deliveryops.connectors.issues import RemoteIssue, github_issue
from deliveryops.connectors.registry import register
from deliveryops.work.records import StageCategory, WorkflowStatus

__all__ = ["LOOKBACK", "MAX_COMPARE_PAGES", "MAX_LOOKBACK_PAGES", "GitHubConnector", "GitHubSettings"]

LOOKBACK = timedelta(hours=6)
"""Deployments created up to this long before ``since`` are read again: they may have finished since."""
MAX_LOOKBACK_PAGES = 3
"""Older pages read, at most, to find the previous successful deployment of the oldest new one."""
MAX_COMPARE_PAGES = 5
"""Pages of a comparison read, at most (500 commits, the oldest first); a longer one is cut there."""

_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_BACKLOG_COLUMNS = frozenset({"backlog", "to do", "todo", "new", "triage", "icebox"})
_DONE_COLUMNS = frozenset({"done", "closed", "complete", "completed", "shipped", "released"})


class GitHubSettings(ConnectorSettings):
    """What a GitHub connection reads (the token is its secret).

    Attributes:
        base_url: the API root: ``https://api.github.com``, or ``https://HOST/api/v3`` on GitHub
            Enterprise Server.
        repositories: "owner/name" of each repository to read.
        workflow_by: where an issue's status comes from: its open/closed ``state``, its
            ``labels`` (``status_labels``) or its column on a classic project board.
        status_labels: labels that act as statuses, in workflow order.
        project_columns: columns to follow, in board order (empty: every column).
        issue_types_by_label: label → item type (e.g. ``{"bug": "Bug"}``); otherwise GitHub's issue
            type, otherwise "Issue".
        blocked_label: the label that flags an issue as blocked.
        deployments: per repository, where its deployments come from (none: no deployments are read).
        incident_label: issues carrying this label are incidents too (None: no incidents are read).
        incidents_as_work_items: whether incident issues stay work items as well (True) or are
            incidents only (False).
    """

    base_url: str = "https://api.github.com"
    repositories: list[str]
    workflow_by: Literal["labels", "project_columns", "state"] = "state"
    status_labels: list[str] = Field(default_factory=list)
    project_columns: list[str] = Field(default_factory=list)
    issue_types_by_label: dict[str, str] = Field(default_factory=dict)
    blocked_label: str = "blocked"
    deployments: list[DeploymentSource] = Field(default_factory=list)
    incident_label: str | None = None
    incidents_as_work_items: bool = True

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return source_url(value, example="https://api.github.com")

    @field_validator("repositories")
    @classmethod
    def _repositories(cls, value: list[str]) -> list[str]:
        cleaned = [name.strip().strip("/") for name in value if name.strip()]
        if not cleaned:
            raise ValueError("name at least one repository as owner/name")
        for name in cleaned:
            if not _REPOSITORY.match(name):
                raise ValueError(f"{name!r} is not of the form owner/name")
        return list(dict.fromkeys(cleaned))

    @field_validator("incident_label")
    @classmethod
    def _incident_label(cls, value: str | None) -> str | None:
        return (value or "").strip() or None

    @model_validator(mode="after")
    def _labels_given(self) -> GitHubSettings:
        if self.workflow_by == "labels" and not self.status_labels:
            raise ValueError("status_labels: workflow_by 'labels' needs at least one status label")
        seen: set[str] = set()
        for source in self.deployments:
            if source.repository not in self.repositories:
                raise ValueError(f"deployments: {source.repository} is not one of the connection's repositories")
            if source.repository in seen:
                raise ValueError(f"deployments: {source.repository} is named twice; give one source per repository")
            seen.add(source.repository)
        return self

    def deployment_source(self, repository: str) -> DeploymentSource | None:
        """The deployment source of a repository, if it has one."""
        return next((source for source in self.deployments if source.repository == repository), None)


@dataclass
class _Progress:
    """Where a sync stands; turned into each page's cursor."""

    index: int
    phase: str
    next_url: str | None
    since: datetime | None
    watermark: datetime | None
    keys: list[str] | None = field(default=None)

    def cursor(self, repositories: list[str]) -> dict[str, Any]:
        done = self.index >= len(repositories)
        return {
            "repo": None if done else repositories[self.index],
            "phase": "done" if done else self.phase,
            "next_url": self.next_url,
            "since": _iso(self.since),
            "watermark": _iso(self.watermark),
        }

    def see(self, updated_at: object) -> None:
        if isinstance(updated_at, str) and updated_at:
            when = parse_time(updated_at)
            self.watermark = when if self.watermark is None else max(self.watermark, when)

    def advance(self, next_url: str | None, *, deployments: bool = False) -> None:
        """Move to the next page, or to the next phase or repository after the last one.

        Args:
            next_url: the next page of this phase, or None after its last page.
            deployments: whether the repository has a deployments phase after its pulls.
        """
        self.next_url = next_url
        if next_url is None:
            if self.phase == "issues":
                self.phase = "pulls"
            elif self.phase == "pulls" and deployments:
                self.phase = "deployments"
            else:
                self.phase, self.index = "issues", self.index + 1


@register
class GitHubConnector(Connector):
    """Reads issues and pull requests of GitHub repositories (github.com or Enterprise Server)."""

    kind: ClassVar[str] = "github"
    label: ClassVar[str] = "GitHub"
    settings_model: ClassVar[type[ConnectorSettings]] = GitHubSettings

    def __init__(
        self,
        settings: GitHubSettings,
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
            secret: a GitHub token (fine-grained or classic; read access to issues and pull requests).
            name: the connection's name, used in every error message.
            transport: an httpx transport (tests); None for the network.
            sleep: how to wait between retries (tests pass a recorder).
            now: the current time, for rate-limit reset headers (tests pass a fixed clock).
            rng: the jitter source of retry backoff (tests pass a seeded one).
        """
        self.settings = settings
        self.name = name
        client = httpx.Client(
            base_url=settings.base_url,
            transport=transport,
            timeout=httpx.Timeout(30.0),
            follow_redirects=True,
            headers={
                "Authorization": f"Bearer {secret}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "deliveryops",
            },
        )
        self.http = SourceClient(name=name, client=client, sleep=sleep, rng=rng or random.Random())
        if now is not None:
            self.http.now = now
        url = httpx.URL(settings.base_url)
        self.pager = Pager(self.http, name, f"{url.scheme}://{url.netloc.decode()}")
        self.options = HistoryOptions(
            workflow_by=settings.workflow_by,
            status_labels=tuple(settings.status_labels),
            project_columns=tuple(settings.project_columns),
            issue_types_by_label=dict(settings.issue_types_by_label),
            blocked_label=settings.blocked_label,
        )
        self._deployments: dict[str, DeploymentRecord | None] = {}  # per sync: each listed deployment, mapped
        self._compared: dict[tuple[str, str, str], tuple[str, ...]] = {}

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.client.close()

    def create_issue(self, *, title: str, description: str, project: str | None = None) -> RemoteIssue:
        """Open an issue in ``project`` ("owner/name"; default: the connection's first repository).

        Raises:
            ConnectorError: GitHub refused it (issues disabled, a token without write access to issues).
        """
        repository = project or self.settings.repositories[0]
        path = f"/repos/{repository}/issues"
        issue = github_issue(repository, self.http.post_json(path, json={"title": title[:256], "body": description}))
        if issue is None:
            raise ConnectorError(f"{self.name}: GitHub's answer to {path} is not the created issue.")
        return issue

    def read_issue(self, key: str) -> RemoteIssue:
        """An issue's state ("owner/name#number") in an action's terms."""
        repository, _, number = key.rpartition("#")
        path = f"/repos/{repository}/issues/{number}"
        issue = github_issue(repository, self.http.get_json(path))
        if issue is None:
            raise ConnectorError(f"{self.name}: GitHub's answer to {path} is not an issue.")
        return issue

    def test(self) -> str:
        """Check the token and that every repository is visible.

        Returns:
            A sentence such as "Connected to GitHub as octocat; repositories a/b found."

        Raises:
            ConnectorError: naming the connection and what is wrong (expired token, missing repository).
        """
        user = self.http.get_json("/user")
        login = user.get("login") if isinstance(user, Mapping) else None
        for repository in self.settings.repositories:
            try:
                self.http.get_json(f"/repos/{repository}")
            except ConnectorError as exc:
                if exc.status != 404:
                    raise
                raise ConnectorError(
                    f"{self.name}: repository {repository} was not found, or the token cannot "
                    "see it. Check its owner/name and the token's repository access.",
                    status=404,
                ) from None
        for source in self.settings.deployments:
            if source.source == "workflow_runs":
                self._runs_path(source.repository, source)  # names the workflows when one is missing
        return f"Connected to GitHub as {login or 'an unknown user'}; repositories {', '.join(self.settings.repositories)} found."

    def fetch(self, request: SyncRequest) -> Iterator[FetchPage]:
        """Yield one page per issues page and per pull requests page, repository by repository.

        Args:
            request: ``since`` limits both lists to what changed at or after it (ignored by a full
                sync); ``cursor`` resumes an interrupted sync (its own ``since`` wins); ``full`` adds,
                on the last page, the keys of every issue still listed (only when the sync ran
                from its start, so that keys seen before an interruption are never missing).

        Returns:
            An iterator of pages; the last one's cursor has ``phase`` "done".
        """
        repositories = self.settings.repositories
        progress = self._start(request)
        self._deployments.clear()
        while progress.index < len(repositories):
            repository = repositories[progress.index]
            before = self.http.stats.requests
            if progress.phase == "issues":
                page = self._issues_page(repository, progress)
            elif progress.phase == "pulls":
                page = self._pulls_page(repository, progress)
            else:
                page = self._deployments_page(repository, progress)
            page.requests = self.http.stats.requests - before
            page.watermark = progress.watermark
            page.cursor = progress.cursor(repositories)
            if progress.index >= len(repositories) and progress.keys is not None:
                page.existing_keys = sorted(progress.keys)
            yield page

    def workflow(self) -> list[WorkflowStatus]:
        """The proposed workflow of this connection's statuses.

        "Open" is backlog: an open issue is not being worked on until a status label or a project
        column says so (with ``workflow_by="state"`` issues therefore never count as started and
        give no cycle time; use labels or columns for flow metrics). Status labels are active, in
        the configured order; project columns are backlog, active or done by their usual names
        ("To do", "Done"…). "Closed" is done; "Not planned" (closed as not planned) is discarded.

        Returns:
            The statuses in workflow order; a team may re-categorise them.
        """
        middle: list[tuple[str, StageCategory]] = []
        if self.settings.workflow_by == "labels":
            middle = [(label, StageCategory.ACTIVE) for label in self.settings.status_labels]
        elif self.settings.workflow_by == "project_columns":
            middle = [(column, _column_category(column)) for column in self.settings.project_columns]
        names = [(OPEN, StageCategory.BACKLOG), *middle, (CLOSED, StageCategory.DONE), (NOT_PLANNED, StageCategory.DISCARDED)]
        unique = list(dict.fromkeys(name for name, _ in names))
        categories = dict(reversed(names))
        return [WorkflowStatus(name=name, category=categories[name], position=position) for position, name in enumerate(unique)]

    def _start(self, request: SyncRequest) -> _Progress:
        repositories = self.settings.repositories
        since = None if request.full else request.since
        cursor = request.cursor
        if cursor and cursor.get("phase") == "done":
            return _Progress(len(repositories), "done", None, since, _parse_optional(cursor.get("watermark")))
        if cursor and cursor.get("repo") in repositories and cursor.get("phase") in ("issues", "pulls", "deployments"):
            index, phase, next_url = repositories.index(cursor["repo"]), str(cursor["phase"]), cursor.get("next_url")
            if phase == "deployments" and self.settings.deployment_source(repositories[index]) is None:
                index, phase, next_url = index + 1, "issues", None  # its deployment source was removed since
            return _Progress(
                index, phase, next_url, _parse_optional(cursor.get("since")), _parse_optional(cursor.get("watermark"))
            )
        # No cursor, or one for a repository no longer configured: start from the beginning.
        return _Progress(0, "issues", None, since, None, keys=[] if request.full else None)

    def _issues_page(self, repository: str, progress: _Progress) -> FetchPage:
        params: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "asc", "per_page": PER_PAGE}
        if progress.since is not None:
            params["since"] = _iso(progress.since)
        page = self.pager.page(progress.next_url or f"/repos/{repository}/issues", None if progress.next_url else params)
        result = FetchPage()
        for issue in page.records:
            progress.see(issue.get("updated_at"))
            if "pull_request" in issue:
                continue
            number = int(issue["number"])
            label = self.settings.incident_label
            incident = incident_from_issue(repository, issue, label=label) if label else None
            if incident is not None:
                result.incidents.append(incident)
                if not self.settings.incidents_as_work_items:
                    continue
            try:
                events, _ = self.pager.all(f"/repos/{repository}/issues/{number}/events", {"per_page": PER_PAGE})
            except ConnectorError as exc:
                if exc.status in (404, 410):  # deleted or transferred since it was listed
                    continue
                raise
            result.items.append(work_item(repository, issue, events, self.options))
            if progress.keys is not None:
                progress.keys.append(f"{repository}#{number}")
        progress.advance(page.next_url)
        return result

    def _pulls_page(self, repository: str, progress: _Progress) -> FetchPage:
        params = {"state": "all", "sort": "updated", "direction": "desc", "per_page": PER_PAGE}
        page = self.pager.page(progress.next_url or f"/repos/{repository}/pulls", None if progress.next_url else params)
        result = FetchPage()
        older_reached = False
        for pull in page.records:
            updated_at = parse_time(pull["updated_at"])
            if progress.since is not None and updated_at < progress.since:
                older_reached = True  # sorted newest first: the rest is older still
                break
            progress.see(pull["updated_at"])
            number = int(pull["number"])
            commits, _ = self.pager.all(f"/repos/{repository}/pulls/{number}/commits", {"per_page": PER_PAGE})
            reviews, _ = self.pager.all(f"/repos/{repository}/pulls/{number}/reviews", {"per_page": PER_PAGE})
            result.changes.append(change(repository, pull, commits, reviews))
        progress.advance(
            None if older_reached else page.next_url, deployments=self.settings.deployment_source(repository) is not None
        )
        return result

    def _deployments_page(self, repository: str, progress: _Progress) -> FetchPage:
        source = self.settings.deployment_source(repository)
        assert source is not None  # the phase exists only for repositories with a source
        if source.source == "deployments":
            first, params, key = (
                f"/repos/{repository}/deployments",
                {"environment": source.environment, "per_page": PER_PAGE},
                None,
            )
        else:
            first = "" if progress.next_url else self._runs_path(repository, source)
            params, key = {"branch": source.branch, "status": "completed", "per_page": PER_PAGE}, "workflow_runs"
        page = self.pager.page(progress.next_url or first, None if progress.next_url else params, key=key)
        result = FetchPage()
        older_reached = False
        for index, raw in enumerate(page.records):
            if progress.since is not None and parse_time(str(raw["created_at"])) < progress.since - LOOKBACK:
                older_reached = True  # newest first: the rest is older still
                break
            record = self._deployment(repository, source, raw)
            if record is None:
                continue
            progress.see(raw.get("updated_at"))
            if record.result in ("success", "failure") and record.commit_sha:
                previous = self._previous_success(repository, source, page, index, key)
                if previous is not None and previous.commit_sha:
                    record = replace(record, commit_shas=self._shipped(repository, previous.commit_sha, record.commit_sha))
            result.deployments.append(record)
        progress.advance(None if older_reached else page.next_url, deployments=True)
        return result

    def _runs_path(self, repository: str, source: DeploymentSource) -> str:
        """Where the runs of a source's workflows are listed: one workflow's own list when a single
        workflow matches (far fewer pages than every run of the branch), else the repository's.

        Raises:
            ConnectorError: naming the repository's workflows when none matches.
        """
        workflows, _ = self.pager.all(f"/repos/{repository}/actions/workflows", {"per_page": PER_PAGE}, key="workflows")
        matching = [workflow for workflow in workflows if source.matches(workflow)]
        if not matching:
            names = ", ".join(sorted(str(workflow.get("name")) for workflow in workflows)) or "none"
            raise ConnectorError(
                f"{self.name}: {repository} has no workflow named {', '.join(repr(n) for n in source.workflows)} "
                f"(its workflows: {names}); correct the deployment source of the connection."
            )
        if len(matching) == 1:
            return f"/repos/{repository}/actions/workflows/{matching[0]['id']}/runs"
        return f"/repos/{repository}/actions/runs"

    def _deployment(self, repository: str, source: DeploymentSource, raw: Mapping[str, Any]) -> DeploymentRecord | None:
        """A listed deployment or run, mapped once per sync (statuses are read here for the Deployments API)."""
        memo = f"{repository}:{source.source}:{raw['id']}"
        if memo in self._deployments:
            return self._deployments[memo]
        record: DeploymentRecord | None = None
        if source.source == "workflow_runs":
            if source.matches(raw):
                record = deployment_from_run(repository, raw, environment=source.environment)
        else:
            try:
                statuses, _ = self.pager.all(f"/repos/{repository}/deployments/{raw['id']}/statuses", {"per_page": PER_PAGE})
            except ConnectorError as exc:
                if exc.status not in (404, 410):  # deleted since it was listed
                    raise
            else:
                record = deployment_from_api(repository, raw, statuses, now=self.http.now())
        self._deployments[memo] = record
        return record

    def _previous_success(
        self, repository: str, source: DeploymentSource, page: Page, index: int, key: str | None
    ) -> DeploymentRecord | None:
        """The newest successful deployment older than ``page.records[index]``: on this page, else on older ones."""
        records, next_url, extra_pages = page.records[index + 1 :], page.next_url, 0
        while True:
            for raw in records:
                record = self._deployment(repository, source, raw)
                if record is not None and record.result == "success" and record.commit_sha:
                    return record
            if next_url is None or extra_pages >= MAX_LOOKBACK_PAGES:
                return None
            older = self.pager.page(next_url, key=key)  # read again as a 304 when its turn comes
            records, next_url, extra_pages = older.records, older.next_url, extra_pages + 1

    def _shipped(self, repository: str, base: str, head: str) -> tuple[str, ...]:
        """The commits reachable from ``head`` but not from ``base``, newest first (compare API)."""
        if base == head:
            return ()
        memo = (repository, base, head)
        if memo in self._compared:
            return self._compared[memo]
        shas: list[str] = []
        next_url: str | None = f"/repos/{repository}/compare/{base}...{head}"
        pages = 0
        try:
            while next_url is not None and pages < MAX_COMPARE_PAGES:
                compared = self.pager.page(next_url, {"per_page": PER_PAGE} if pages == 0 else None, key="commits")
                shas.extend(str(commit["sha"]) for commit in compared.records if commit.get("sha"))
                next_url, pages = compared.next_url, pages + 1
        except ConnectorError as exc:
            if exc.status not in (404, 422):  # a commit that no longer exists (force push), no common history
                raise
            shas = []
        shipped = tuple(reversed(list(dict.fromkeys(shas))))  # GitHub lists them oldest first
        self._compared[memo] = shipped
        return shipped


def _column_category(column: str) -> StageCategory:
    name = column.casefold().strip()
    if name in _BACKLOG_COLUMNS:
        return StageCategory.BACKLOG
    if name in _DONE_COLUMNS:
        return StageCategory.DONE
    return StageCategory.ACTIVE


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_optional(value: object) -> datetime | None:
    return parse_time(value) if isinstance(value, str) and value else None
