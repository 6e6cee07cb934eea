"""Azure DevOps work items, pull requests, pipeline runs and release deployments → canonical records.

Pure functions, no HTTP (the calls are in :mod:`.azure_devops`).

Work-item history comes from the work item's **updates** (``GET …/wit/workItems/{id}/updates``): every update
that changes ``System.State`` is a transition, at that update's ``System.ChangedDate`` (an update's
``revisedDate`` is when it was *superseded*, so it is not used). The first update gives the state the item
was created in. When the updates do not end in the item's current state (an item imported with its state),
the current state is appended at ``System.ChangedDate`` and the history is flagged as estimated. Blocked
intervals come from the ``blocked_tag`` in ``System.Tags`` and from the CMMI ``Blocked`` field (Yes/No).

State categories (``GET …/wit/workitemtypes/{type}/states``) propose the workflow: ``Proposed`` → backlog,
``InProgress`` → active, ``Resolved`` → waiting (fixed, waiting for verification), ``Completed`` → done,
``Removed`` → discarded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from deliveryops.connectors.azure_devops_settings import PipelineSource
from deliveryops.connectors.base import ChangeRecord, DeploymentRecord, IncidentRecord
from deliveryops.schemas import web_url_or_none
from deliveryops.work.records import BlockedIntervalRecord, StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord

__all__ = [
    "CATEGORIES",
    "ItemOptions",
    "build_deployment",
    "change",
    "first_review_at",
    "incident",
    "parse_time",
    "propose_workflow",
    "release_deployment",
    "tags_of",
    "work_item",
]

CATEGORIES = {
    "Proposed": StageCategory.BACKLOG,
    "InProgress": StageCategory.ACTIVE,
    "Resolved": StageCategory.WAITING,
    "Completed": StageCategory.DONE,
    "Removed": StageCategory.DISCARDED,
}
_CATEGORY_ORDER = tuple(CATEGORIES)
_BUILD_RESULTS = {"succeeded": "success", "partiallySucceeded": "success", "failed": "failure", "canceled": "cancelled"}
_STAGE_RESULTS = {
    "succeeded": "success",
    "succeededWithIssues": "success",
    "failed": "failure",
    "canceled": "cancelled",
    "abandoned": "cancelled",
}
_RELEASE_RESULTS = {"succeeded": "success", "partiallySucceeded": "success", "failed": "failure", "inProgress": "in_progress"}
_SERVICE = re.compile(r"build service|project collection service|\\project collection|^\[.*\]\\", re.IGNORECASE)
_ESTIMATE_FIELDS = ("Microsoft.VSTS.Scheduling.StoryPoints", "Microsoft.VSTS.Scheduling.Effort", "Microsoft.VSTS.Scheduling.Size")


def parse_time(value: str) -> datetime:
    """Azure DevOps times (``2017-09-04T02:08:16.6Z``, up to seven decimals, sometimes without a zone:
    UTC) as aware UTC datetimes."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value or value.startswith(("0001-01-01", "9999-01-01")):
        return None
    return parse_time(value)


def tags_of(value: object) -> tuple[str, ...]:
    """``System.Tags`` ("Blocked; frontend") as a tuple of tags."""
    return tuple(tag.strip() for tag in str(value or "").split(";") if tag.strip())


@dataclass(frozen=True)
class ItemOptions:
    """How a connection reads its work items.

    Attributes:
        project: the project name (keys are ``{project}#{id}``).
        base_url: the organization URL, for each item's link.
        blocked_tag: the tag that flags an item as blocked.
    """

    project: str
    base_url: str
    blocked_tag: str = "Blocked"


def work_item(item: Mapping[str, Any], updates: Sequence[Mapping[str, Any]], options: ItemOptions) -> WorkItemRecord:
    """Build the canonical record of one work item from the item and all its updates.

    Args:
        item: the work item as ``GET …/wit/workitems?ids=…`` returns it (``id``, ``fields``).
        updates: every update of ``GET …/wit/workItems/{id}/updates``, any order.
        options: the connection's options.

    Returns:
        The work item with its transitions and blocked intervals, oldest first.
    """
    fields: Mapping[str, Any] = item.get("fields") or {}
    created_at = parse_time(str(fields["System.CreatedDate"]))
    current = str(fields.get("System.State") or "")
    transitions: list[TransitionRecord] = []
    blocked = _Blocked(options.blocked_tag)
    for update in sorted(updates, key=lambda entry: (int(entry.get("rev") or 0), int(entry.get("id") or 0))):
        changed: Mapping[str, Any] = update.get("fields") or {}
        at = _time((changed.get("System.ChangedDate") or {}).get("newValue"))
        if at is None:
            continue  # an update without a change date (a link added by the system): no state change either
        at = max(at, created_at)
        state = (changed.get("System.State") or {}).get("newValue")
        if isinstance(state, str) and state:
            if not transitions:
                transitions.append(TransitionRecord(to_status=state, at=created_at))
            elif state != transitions[-1].to_status:
                transitions.append(TransitionRecord(to_status=state, at=at, from_status=transitions[-1].to_status))
        blocked.apply(changed, at)
    estimated = not transitions or transitions[-1].to_status != current
    if estimated and current:
        at = _time(fields.get("System.ChangedDate")) or created_at
        if transitions:
            transitions.append(
                TransitionRecord(to_status=current, at=max(at, transitions[-1].at), from_status=transitions[-1].to_status)
            )
        else:
            transitions.append(TransitionRecord(to_status=current, at=created_at))
    parent = fields.get("System.Parent")
    estimate = next((fields[name] for name in _ESTIMATE_FIELDS if isinstance(fields.get(name), int | float)), None)
    item_id = int(item["id"])
    return WorkItemRecord(
        source="azure-devops",
        external_key=f"{options.project}#{item_id}",
        item_type=str(fields.get("System.WorkItemType") or "Work item"),
        title=str(fields.get("System.Title") or ""),
        created_at=created_at,
        transitions=tuple(transitions),
        blocked_intervals=tuple(blocked.finish()),
        parent_key=f"{options.project}#{parent}" if isinstance(parent, int) else None,
        labels=tags_of(fields.get("System.Tags")),
        estimate=float(estimate) if estimate is not None else None,
        resolution=str(fields.get("Microsoft.VSTS.Common.ResolvedReason") or "") or None,
        url=f"{options.base_url}/{quote(options.project)}/_workitems/edit/{item_id}",
        history_is_estimated=estimated,
    )


class _Blocked:
    """Blocked intervals from a tag and from the CMMI Blocked field, each tracked on its own."""

    def __init__(self, tag: str) -> None:
        self.tag = tag.casefold()
        self.since: dict[str, datetime] = {}
        self.intervals: list[BlockedIntervalRecord] = []

    def apply(self, changed: Mapping[str, Any], at: datetime) -> None:
        if "System.Tags" in changed:
            carried = self.tag in {tag.casefold() for tag in tags_of(changed["System.Tags"].get("newValue"))}
            self._set(f"tag: {self.tag.title() if self.tag.islower() else self.tag}", carried, at)
        if "Microsoft.VSTS.CMMI.Blocked" in changed:
            self._set("field: Blocked", str(changed["Microsoft.VSTS.CMMI.Blocked"].get("newValue") or "") == "Yes", at)

    def _set(self, reason: str, on: bool, at: datetime) -> None:
        if on and reason not in self.since:
            self.since[reason] = at
        elif not on and reason in self.since:
            self.intervals.append(BlockedIntervalRecord(start=self.since.pop(reason), end=at, reason=reason, origin="flag"))

    def finish(self) -> list[BlockedIntervalRecord]:
        still = [
            BlockedIntervalRecord(start=start, end=None, reason=reason, origin="flag") for reason, start in self.since.items()
        ]
        return sorted(self.intervals + still, key=lambda interval: (interval.start, interval.reason))


def propose_workflow(states: Iterable[Mapping[str, Any]]) -> list[WorkflowStatus]:
    """The workflow of the states of the project's work item types, by state category.

    Args:
        states: records of ``GET …/wit/workitemtypes/{type}/states`` of every type, in type order.

    Returns:
        One status per state name (the first category given wins), grouped by category in the order
        Proposed, InProgress, Resolved, Completed, Removed; states of an unknown category are left out.
    """
    first: dict[str, str] = {}
    for state in states:
        name, category = str(state.get("name") or ""), str(state.get("category") or "")
        if name and category in CATEGORIES:
            first.setdefault(name, category)
    ordered = sorted(first.items(), key=lambda pair: _CATEGORY_ORDER.index(pair[1]))
    return [
        WorkflowStatus(name=name, category=CATEGORIES[category], position=position)
        for position, (name, category) in enumerate(ordered)
    ]


def _is_service(identity: object) -> bool:
    if not isinstance(identity, Mapping):
        return True
    if identity.get("isContainer") is True:
        return True
    return bool(_SERVICE.search(f"{identity.get('displayName') or ''} {identity.get('uniqueName') or ''}"))


def _property(thread: Mapping[str, Any], name: str) -> str | None:
    value = (thread.get("properties") or {}).get(name)
    if isinstance(value, Mapping):
        value = value.get("$value")
    return None if value is None else str(value)


def first_review_at(threads: Iterable[Mapping[str, Any]], *, author_id: str | None) -> datetime | None:
    """The first review by someone other than the author (DESIGN.md: pickup time).

    A review is a vote (a ``VoteUpdate`` system thread whose ``CodeReviewVotedByTfId`` is not the author and
    whose vote is not 0, "no vote") or a text comment by someone other than the author. Service identities
    (build service, project collection accounts: Azure DevOps writes system threads as them) never review.

    Args:
        threads: records of ``GET …/pullRequests/{id}/threads``.
        author_id: the pull request's ``createdBy.id``.

    Returns:
        The earliest such vote's thread ``publishedDate`` or comment ``publishedDate``, or None.
    """
    times: list[datetime] = []
    for thread in threads:
        if thread.get("isDeleted"):
            continue
        if _property(thread, "CodeReviewThreadType") == "VoteUpdate":
            voter, vote = _property(thread, "CodeReviewVotedByTfId"), _property(thread, "CodeReviewVoteResult")
            if voter and voter != author_id and vote not in (None, "0"):
                when = _time(thread.get("publishedDate"))
                if when is not None:
                    times.append(when)
            continue
        for comment in thread.get("comments") or []:
            author = comment.get("author")
            if comment.get("isDeleted") or comment.get("commentType") != "text" or _is_service(author):
                continue
            if isinstance(author, Mapping) and author.get("id") == author_id:
                continue
            when = _time(comment.get("publishedDate"))
            if when is not None:
                times.append(when)
    return min(times, default=None)


def change(
    project: str,
    pull: Mapping[str, Any],
    commits: Iterable[Mapping[str, Any]],
    threads: Iterable[Mapping[str, Any]],
    *,
    base_url: str,
) -> ChangeRecord:
    """Build the canonical change of one pull request.

    Args:
        project: the project name.
        pull: a record of ``GET …/git/repositories/{repo}/pullrequests``.
        commits: every record of ``GET …/pullRequests/{id}/commits``.
        threads: every record of ``GET …/pullRequests/{id}/threads``.
        base_url: the organization URL, for the link.

    Returns:
        The change. A ``completed`` pull request is merged at its ``closedDate`` with ``lastMergeCommit``
        as merge commit; an ``abandoned`` one is closed without a merge.
    """
    repository = str((pull.get("repository") or {}).get("name") or "")
    creator: Mapping[str, Any] = pull.get("createdBy") or {}
    completed = pull.get("status") == "completed"
    closed = _time(pull.get("closedDate"))
    times = [
        when
        for record in commits
        for role in ("author", "committer")
        if (when := _time((record.get(role) or {}).get("date"))) is not None
    ]
    number = int(pull["pullRequestId"])
    return ChangeRecord(
        source="azure-devops",
        repository=f"{project}/{repository}",
        number=number,
        title=str(pull.get("title") or ""),
        author=str(creator.get("uniqueName") or creator.get("displayName") or "unknown"),
        opened_at=parse_time(str(pull["creationDate"])),
        first_commit_at=min(times, default=None),
        first_review_at=first_review_at(threads, author_id=creator.get("id")),
        merged_at=closed if completed else None,
        closed_at=closed if pull.get("status") in ("completed", "abandoned") else None,
        merge_commit_sha=str((pull.get("lastMergeCommit") or {}).get("commitId") or "") or None if completed else None,
        base_branch=str(pull.get("targetRefName") or "").removeprefix("refs/heads/"),
        url=f"{base_url}/{quote(project)}/_git/{quote(repository)}/pullrequest/{number}",
    )


def build_deployment(
    project: str, build: Mapping[str, Any], source: PipelineSource, stage: Mapping[str, Any] | None = None
) -> DeploymentRecord | None:
    """A pipeline run (or its deployment stage) as a deployment; None when it is none.

    Without a stage: ``succeeded``/``partiallySucceeded`` → success, ``failed`` → failure, ``canceled`` →
    cancelled, from the run's ``startTime`` to ``finishTime``. With a stage: the stage's timeline record
    decides (``succeeded``/``succeededWithIssues`` → success, ``failed`` → failure, ``canceled``/``abandoned``
    → cancelled; ``skipped``, or a run without that stage, is no deployment), with the stage's own times.
    """
    if source.stage is not None:
        if stage is None:
            return None
        result = _STAGE_RESULTS.get(str(stage.get("result") or ""))
        started, finished = _time(stage.get("startTime")), _time(stage.get("finishTime"))
    else:
        result = _BUILD_RESULTS.get(str(build.get("result") or ""))
        started, finished = _time(build.get("startTime")), _time(build.get("finishTime"))
    started = started or _time(build.get("queueTime"))
    if result is None or started is None:
        return None
    repository = source.repository or str((build.get("repository") or {}).get("name") or "")
    suffix = f":{stage.get('identifier') or stage.get('name')}" if stage is not None else ""
    return DeploymentRecord(
        source="azure-devops",
        external_id=f"build:{build['id']}{suffix}",
        repository=f"{project}/{repository}",
        environment=source.environment,
        result=result,
        started_at=started,
        finished_at=max(finished, started) if finished else None,
        commit_sha=str(build.get("sourceVersion") or "") or None,
        ref=str(build.get("sourceBranch") or "").removeprefix("refs/heads/") or None,
        url=web_url_or_none(((build.get("_links") or {}).get("web") or {}).get("href")),
    )


def release_deployment(
    project: str, raw: Mapping[str, Any], source: PipelineSource, release: Mapping[str, Any] | None
) -> DeploymentRecord | None:
    """A classic release deployment as a deployment; None for one that never ran.

    ``succeeded``/``partiallySucceeded`` → success, ``failed`` → failure, ``inProgress`` → in progress,
    ``notDeployed`` with a canceled or rejected operation → cancelled (other ``notDeployed`` ones never ran).
    The commit and repository are the release's primary artifact's ``sourceVersion`` and ``repository``.
    """
    status = str(raw.get("deploymentStatus") or "")
    result = _RELEASE_RESULTS.get(status)
    if (
        result is None
        and status == "notDeployed"
        and str(raw.get("operationStatus") or "").lower() in ("canceled", "phasecanceled", "rejected", "cancelling")
    ):
        result = "cancelled"
    started = _time(raw.get("startedOn")) or _time(raw.get("queuedOn"))
    if result is None or started is None:
        return None
    finished = None if result == "in_progress" else (_time(raw.get("completedOn")) or _time(raw.get("lastModifiedOn")))
    artifacts = [artifact for artifact in (release or {}).get("artifacts") or [] if isinstance(artifact, Mapping)]
    primary: Mapping[str, Any] = next((a for a in artifacts if a.get("isPrimary")), artifacts[0] if artifacts else {})
    reference: Mapping[str, Any] = primary.get("definitionReference") or {}
    commit = str((reference.get("sourceVersion") or {}).get("id") or "") or None
    repository = source.repository or str((reference.get("repository") or {}).get("name") or "") or source.definition
    web = ((raw.get("release") or {}).get("_links") or {}).get("web") or {}
    return DeploymentRecord(
        source="azure-devops",
        external_id=f"release-deployment:{raw['id']}",
        repository=f"{project}/{repository}",
        environment=source.environment,
        result=result,
        started_at=started,
        finished_at=max(finished, started) if finished else None,
        commit_sha=commit,
        ref=str((reference.get("branch") or {}).get("id") or "").removeprefix("refs/heads/") or None,
        url=web_url_or_none(web.get("href")),
    )


def incident(item: Mapping[str, Any], record: WorkItemRecord, *, done_states: Iterable[str]) -> IncidentRecord:
    """An incident from a work item: created → resolved when it last entered a resolved or completed state.

    Args:
        item: the work item (``fields`` for the severity).
        record: its canonical record (for the history).
        done_states: the names of states of category Resolved or Completed.
    """
    fields: Mapping[str, Any] = item.get("fields") or {}
    resolved = None
    done = set(done_states)
    if record.transitions and record.transitions[-1].to_status in done:
        resolved = record.transitions[-1].at
        for transition in reversed(record.transitions):
            if transition.to_status not in done:
                break
            resolved = transition.at
    severity = fields.get("Microsoft.VSTS.Common.Severity") or fields.get("Microsoft.VSTS.Common.Priority")
    return IncidentRecord(
        source="azure-devops",
        external_id=record.external_key,
        title=record.title,
        created_at=record.created_at,
        resolved_at=resolved,
        severity=str(severity) if severity is not None else None,
        url=record.url,
    )
