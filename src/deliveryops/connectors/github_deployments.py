"""GitHub as a DORA source: deployments, workflow runs marked as deployments, and labelled incident issues.

Pure mapping functions and the per-repository settings; the HTTP calls are in :mod:`.github`.

A repository's deployments come from one of two places (:class:`DeploymentSource`):

- ``deployments``: the Deployments API (``GET /repos/{o}/{r}/deployments?environment=…`` and each
  deployment's ``…/deployments/{id}/statuses``). The result is the latest status other than
  ``inactive`` (GitHub marks older deployments inactive when a newer one succeeds): ``success``,
  ``failure`` and ``error`` as such, ``queued``/``pending``/``in_progress`` as ``in_progress``; a
  deployment whose only status is ``inactive`` counts as ``cancelled``. It started at the
  deployment's ``created_at`` and finished at its terminal status's ``created_at``. A deployment
  without any status is ``in_progress`` when younger than :data:`STATUS_RETENTION` and skipped when
  older (GitHub deletes statuses after 90 days, so its outcome can no longer be told).
- ``workflow_runs``: GitHub Actions runs (``GET /repos/{o}/{r}/actions/runs?branch=…&status=completed``)
  of the named workflows: each completed run is a deployment to the configured environment.
  ``success`` → success, ``failure``/``timed_out``/``startup_failure`` → failure, ``cancelled`` →
  cancelled; other conclusions (``skipped``, ``neutral``, ``stale``, ``action_required``) are not
  deployments. It started at ``run_started_at`` and finished at ``updated_at``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deliveryops.connectors.base import DeploymentRecord, IncidentRecord
from deliveryops.connectors.github_history import parse_time
from deliveryops.schemas import web_url_or_none

__all__ = [
    "STATUS_RETENTION",
    "DeploymentLineError",
    "DeploymentSource",
    "deployment_from_api",
    "deployment_from_run",
    "format_deployment_sources",
    "incident_from_issue",
    "parse_deployment_sources",
]

STATUS_RETENTION = timedelta(days=90)
"""How long GitHub keeps deployment statuses."""

_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_NAME = re.compile(r"^[^\s\"]+$")
_IN_PROGRESS = frozenset({"queued", "pending", "in_progress", "waiting"})
_TERMINAL = {"success": "success", "failure": "failure", "error": "error"}
_RUN_RESULTS = {
    "success": "success",
    "failure": "failure",
    "timed_out": "failure",
    "startup_failure": "failure",
    "cancelled": "cancelled",
}
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


class DeploymentSource(BaseModel):
    """How one repository's deployments are found.

    Attributes:
        repository: "owner/name"; one of the connection's repositories.
        source: ``deployments`` (the Deployments API) or ``workflow_runs`` (GitHub Actions runs).
        environment: the environment: a filter of the Deployments API, or what workflow runs deploy to.
        workflows: ``workflow_runs`` only: the workflow names (as shown in the Actions tab) or file names
            (``deploy.yml``) whose runs are deployments.
        branch: ``workflow_runs`` only: the branch whose runs are deployments (e.g. ``main``).
    """

    model_config = ConfigDict(extra="forbid")

    repository: str
    source: Literal["deployments", "workflow_runs"]
    environment: str = "production"
    workflows: list[str] = Field(default_factory=list)
    branch: str | None = None

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        value = value.strip().strip("/")
        if not _REPOSITORY.match(value):
            raise ValueError(f"{value!r} is not of the form owner/name")
        return value

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        value = value.strip()
        if not value or not _NAME.match(value):
            raise ValueError("the environment is one word, e.g. production")
        return value

    @field_validator("workflows")
    @classmethod
    def _workflows(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(name.strip() for name in value if name.strip()))

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if value and not _NAME.match(value):
            raise ValueError(f"{value!r} is not a branch name")
        return value or None

    @model_validator(mode="after")
    def _complete(self) -> DeploymentSource:
        if self.source == "workflow_runs":
            if not self.workflows:
                raise ValueError(f"{self.repository}: workflow_runs needs at least one workflow name")
            if self.branch is None:
                raise ValueError(f"{self.repository}: workflow_runs needs the branch whose runs deploy (e.g. main)")
        elif self.workflows or self.branch is not None:
            raise ValueError(f"{self.repository}: workflow names and a branch only apply to workflow_runs")
        return self

    def matches(self, run: Mapping[str, Any]) -> bool:
        """Whether a workflow run is one of this source's workflows (by name, or by file name)."""
        name = str(run.get("name") or "")
        path = str(run.get("path") or "")
        file_name = path.rsplit("/", 1)[-1].split("@", 1)[0]
        return any(wanted.casefold() in (name.casefold(), file_name.casefold()) for wanted in self.workflows)


class DeploymentLineError(ValueError):
    """A line of the deployment sources text that cannot be read; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def parse_deployment_sources(text: str) -> list[dict[str, Any]]:
    """Read the connection form's text, one repository a line, into :class:`DeploymentSource` dicts.

    The format (blank lines and lines starting with ``#`` are ignored)::

        owner/repo: deployments [ENVIRONMENT]
        owner/repo: workflow_runs "Workflow name" ["Other workflow" …] BRANCH [ENVIRONMENT]

    Args:
        text: the text.

    Returns:
        One dict per line (validated later by :class:`DeploymentSource`).

    Raises:
        DeploymentLineError: naming the line and what is wrong with it.
    """
    sources: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        repository, colon, rest = line.partition(":")
        if not colon or not repository.strip():
            raise DeploymentLineError(number, 'write "owner/repo: deployments" or "owner/repo: workflow_runs \\"Deploy\\" main"')
        if rest.count('"') % 2:
            raise DeploymentLineError(number, "a workflow name's closing quote is missing")
        tokens = [(quoted, bare) for quoted, bare in _TOKEN.findall(rest)]
        if not tokens or not tokens[0][1]:
            raise DeploymentLineError(number, "after the colon, write deployments or workflow_runs")
        kind = tokens[0][1]
        names = [quoted for quoted, bare in tokens[1:] if not bare]
        words = [bare for _quoted, bare in tokens[1:] if bare]
        entry: dict[str, Any] = {"repository": repository.strip()}
        if kind == "deployments":
            if names or len(words) > 1:
                raise DeploymentLineError(
                    number, f'deployments takes at most an environment, e.g. "{repository.strip()}: deployments production"'
                )
            entry["source"] = "deployments"
        elif kind == "workflow_runs":
            if not names:
                raise DeploymentLineError(number, 'name the workflow in double quotes, e.g. workflow_runs "Deploy" main')
            if not words:
                raise DeploymentLineError(number, 'name the branch after the workflow, e.g. workflow_runs "Deploy" main')
            if len(words) > 2:
                raise DeploymentLineError(number, "after the workflow names, write the branch and at most an environment")
            entry.update(source="workflow_runs", workflows=names, branch=words[0])
            words = words[1:]
        else:
            raise DeploymentLineError(number, f"{kind!r} is not a source: write deployments or workflow_runs")
        if words:
            entry["environment"] = words[0]
        sources.append(entry)
    return sources


def format_deployment_sources(sources: Iterable[Mapping[str, Any]]) -> str:
    """The text form of stored deployment sources (the inverse of :func:`parse_deployment_sources`)."""
    lines = []
    for source in sources:
        environment = str(source.get("environment") or "production")
        if source.get("source") == "workflow_runs":
            names = " ".join(f'"{name}"' for name in source.get("workflows") or [])
            lines.append(f"{source['repository']}: workflow_runs {names} {source.get('branch')} {environment}")
        else:
            lines.append(f"{source['repository']}: deployments {environment}")
    return "\n".join(lines)


def deployment_from_api(
    repository: str, deployment: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]], *, now: datetime
) -> DeploymentRecord | None:
    """Map a deployment of the Deployments API and its statuses (see the module docstring).

    Args:
        repository: "owner/name".
        deployment: a record of ``GET /repos/{o}/{r}/deployments``.
        statuses: every record of ``GET …/deployments/{id}/statuses`` (any order).
        now: the current time (to tell a new deployment from one whose statuses expired).

    Returns:
        The deployment, or None when its outcome cannot be told any more.
    """
    started = parse_time(str(deployment["created_at"]))
    ordered = sorted(statuses, key=lambda status: (str(status.get("created_at") or ""), int(status.get("id") or 0)))
    active = [status for status in ordered if str(status.get("state") or "").lower() != "inactive"]
    result, finished, url = "in_progress", None, None
    if active:
        last = active[-1]
        state = str(last.get("state") or "").lower()
        url = last.get("log_url") or last.get("target_url") or last.get("environment_url") or None
        if state in _TERMINAL:
            result, finished = _TERMINAL[state], parse_time(str(last["created_at"]))
        elif state not in _IN_PROGRESS:
            return None  # a state GitHub may add later: not guessed
    elif ordered:
        result, finished = "cancelled", parse_time(str(ordered[-1]["created_at"]))
    elif now - started > STATUS_RETENTION:
        return None
    return DeploymentRecord(
        source="github",
        external_id=f"deployment:{deployment['id']}",
        repository=repository,
        environment=str(deployment.get("environment") or "production"),
        result=result,
        started_at=started,
        finished_at=finished,
        commit_sha=str(deployment.get("sha") or "") or None,
        ref=str(deployment.get("ref") or "") or None,
        url=web_url_or_none(url),
    )


def deployment_from_run(repository: str, run: Mapping[str, Any], *, environment: str) -> DeploymentRecord | None:
    """Map a completed workflow run to a deployment (see the module docstring).

    Args:
        repository: "owner/name".
        run: a record of ``GET /repos/{o}/{r}/actions/runs``.
        environment: the environment the workflow deploys to.

    Returns:
        The deployment, or None for a run that is not complete or whose conclusion is no deployment.
    """
    if str(run.get("status") or "").lower() != "completed":
        return None
    result = _RUN_RESULTS.get(str(run.get("conclusion") or "").lower())
    if result is None:
        return None
    started = parse_time(str(run.get("run_started_at") or run["created_at"]))
    return DeploymentRecord(
        source="github",
        external_id=f"run:{run['id']}",
        repository=repository,
        environment=environment,
        result=result,
        started_at=started,
        finished_at=parse_time(str(run.get("updated_at") or run["created_at"])),
        commit_sha=str(run.get("head_sha") or "") or None,
        ref=str(run.get("head_branch") or "") or None,
        url=web_url_or_none(run.get("html_url")),
    )


def incident_from_issue(repository: str, issue: Mapping[str, Any], *, label: str) -> IncidentRecord | None:
    """An incident from an issue carrying ``label`` (compared case-insensitively), else None.

    The severity is the rest of a ``severity:…`` (or ``severity/…``, ``severity-…``) label, e.g.
    "severity: high" → "high".

    Args:
        repository: "owner/name".
        issue: a record of ``GET /repos/{o}/{r}/issues``.
        label: the incident label.

    Returns:
        The incident, or None.
    """
    labels = [str(item.get("name") or "") for item in issue.get("labels") or [] if isinstance(item, Mapping)]
    if label.casefold() not in {name.casefold() for name in labels}:
        return None
    severity = None
    for name in labels:
        match = re.fullmatch(r"severity\s*[:/-]\s*(.+)", name.strip(), flags=re.IGNORECASE)
        if match:
            severity = match.group(1).strip()
            break
    closed_at = issue.get("closed_at") if issue.get("state") == "closed" else None
    return IncidentRecord(
        source="github",
        external_id=f"{repository}#{issue['number']}",
        title=str(issue.get("title") or ""),
        created_at=parse_time(str(issue["created_at"])),
        resolved_at=parse_time(str(closed_at)) if isinstance(closed_at, str) and closed_at else None,
        severity=severity,
        repository=repository,
        url=web_url_or_none(issue.get("html_url")),
    )
