"""GitLab issues, merge requests, deployments and incidents → canonical records. Pure functions, no HTTP.

Work-item history. A GitLab issue is ``opened`` or ``closed``; where it is in the team's workflow comes
from its **status labels** (the connection's ``status_labels``, in workflow order, e.g. ``workflow::to do``,
``workflow::doing``; scoped labels are fine: GitLab removes the old one of a scope when a new one is added):

- from creation the issue is "Open"; with a status label it is in the status named by the status label it
  received most recently and still carries;
- a ``closed`` state event makes it "Closed" whatever its labels; ``reopened`` makes it open again;
- label and state events sharing one timestamp are applied together before the status is read (a scoped
  label swap is a remove and an add in the same instant, in either order);
- events within :data:`CREATION_GRACE` of the issue's creation give the status it was created in;
- the ``blocked_label`` gives blocked intervals (added → start, removed → end, still carried → open).

Label events exist since GitLab 11.2 and state events since 13.2: an issue whose state the events do not
explain (closed without a ``closed`` event) gets "Closed" at its ``closed_at`` and is flagged as an
estimated history.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from deliveryops.connectors.base import ChangeRecord, DeploymentRecord, IncidentRecord
from deliveryops.schemas import web_url_or_none
from deliveryops.work.records import BlockedIntervalRecord, TransitionRecord, WorkItemRecord

__all__ = [
    "CLOSED",
    "CREATION_GRACE",
    "OPEN",
    "HistoryOptions",
    "change",
    "deployment",
    "first_review_at",
    "incident",
    "is_bot",
    "is_incident",
    "merge_sha",
    "parse_time",
    "work_item",
]

OPEN = "Open"
CLOSED = "Closed"
CREATION_GRACE = timedelta(seconds=5)
"""Label events this close to an issue's creation are the labels it was created with."""

_ISSUE_TYPES = {
    "issue": "Issue",
    "incident": "Incident",
    "task": "Task",
    "test_case": "Test case",
    "requirement": "Requirement",
    "ticket": "Ticket",
}
_DEPLOYMENT_RESULTS = {
    "success": "success",
    "failed": "failure",
    "canceled": "cancelled",
    "created": "in_progress",
    "running": "in_progress",
    "blocked": "in_progress",
}
_BOT_NAME = re.compile(r"^(project|group)_\d+_bot(_[0-9a-f]+)?$|(^|[-_.])bot$|\[bot\]$", re.IGNORECASE)
_REVIEW_NOTES = ("approved this merge request", "requested changes")


def parse_time(value: str) -> datetime:
    """GitLab's ISO 8601 times (``2016-01-04T15:31:51.081Z``, or with an offset) as aware datetimes."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"GitLab time without a time zone: {value!r}")
    return parsed


def _time(value: object) -> datetime | None:
    return parse_time(value) if isinstance(value, str) and value else None


@dataclass(frozen=True)
class HistoryOptions:
    """How a connection reads statuses from GitLab.

    Attributes:
        status_labels: labels that act as statuses, in workflow order (compared case-insensitively).
        blocked_label: the label that flags an issue as blocked.
    """

    status_labels: Sequence[str] = ()
    blocked_label: str = "blocked"


def is_incident(issue: Mapping[str, Any]) -> bool:
    """Whether an issue is of type incident (``issue_type``, or the newer ``type`` field)."""
    return str(issue.get("issue_type") or issue.get("type") or "").lower() == "incident"


def work_item(
    project: str,
    issue: Mapping[str, Any],
    label_events: Iterable[Mapping[str, Any]],
    state_events: Iterable[Mapping[str, Any]],
    options: HistoryOptions,
) -> WorkItemRecord:
    """Build the canonical record of one issue from the issue and all its label and state events.

    Args:
        project: the project's full path, as configured on the connection.
        issue: the issue as listed by ``GET /projects/:id/issues``.
        label_events: every record of ``GET /projects/:id/issues/:iid/resource_label_events``.
        state_events: every record of ``GET /projects/:id/issues/:iid/resource_state_events``.
        options: the connection's workflow settings.

    Returns:
        The work item with its transitions and blocked intervals, oldest first.
    """
    created_at = parse_time(str(issue["created_at"]))
    events = [("label", event) for event in label_events] + [("state", event) for event in state_events]
    events.sort(key=lambda pair: (parse_time(str(pair[1]["created_at"])), int(pair[1].get("id") or 0)))
    history = _History(options)
    transitions = [TransitionRecord(to_status=OPEN, at=created_at)]
    for at, group in groupby(events, key=lambda pair: parse_time(str(pair[1]["created_at"]))):
        for kind, event in group:
            history.apply(kind, event, at)
        _append(transitions, history.status(), max(at, created_at), created_at)
    closed = str(issue.get("state") or "") == "closed"
    estimated = closed != history.closed
    if estimated:
        history.closed = closed
        at = (_time(issue.get("closed_at")) if closed else None) or parse_time(str(issue["updated_at"]))
        _append(transitions, history.status(), at, created_at)
    history.finish()
    labels = tuple(str(label) for label in issue.get("labels") or [] if isinstance(label, str))
    weight = issue.get("weight")
    return WorkItemRecord(
        source="gitlab",
        external_key=f"{project}#{issue['iid']}",
        item_type=_ISSUE_TYPES.get(str(issue.get("issue_type") or "issue").lower(), "Issue"),
        title=str(issue.get("title") or ""),
        created_at=created_at,
        transitions=tuple(transitions),
        blocked_intervals=tuple(history.blocked),
        labels=labels,
        estimate=float(weight) if isinstance(weight, int | float) and not isinstance(weight, bool) else None,
        resolution="closed" if closed else None,
        url=web_url_or_none(issue.get("web_url")),
        history_is_estimated=estimated,
    )


def _append(transitions: list[TransitionRecord], status: str, at: datetime, created_at: datetime) -> None:
    last = transitions[-1]
    if status == last.to_status:
        return
    if len(transitions) == 1 and at - created_at <= CREATION_GRACE:
        transitions[0] = TransitionRecord(to_status=status, at=created_at)  # the status it was created in
        return
    transitions.append(TransitionRecord(to_status=status, at=at, from_status=last.to_status))


@dataclass
class _History:
    """The state of an issue while its events are replayed in order."""

    options: HistoryOptions
    closed: bool = False
    carried: list[str] = field(default_factory=list)  # status labels carried, most recently added last
    blocked: list[BlockedIntervalRecord] = field(default_factory=list)
    _blocked_since: datetime | None = None

    def status(self) -> str:
        if self.closed:
            return CLOSED
        return self.carried[-1] if self.carried else OPEN

    def apply(self, kind: str, event: Mapping[str, Any], at: datetime) -> None:
        if kind == "state":
            state = str(event.get("state") or "")
            if state == "closed":
                self.closed = True
            elif state in ("reopened", "opened"):
                self.closed = False
            return
        label = event.get("label")
        if not isinstance(label, Mapping) or not label.get("name"):
            return  # a label deleted since: GitLab no longer says which it was
        self._label(str(label["name"]), added=event.get("action") == "add", at=at)

    def _label(self, name: str, *, added: bool, at: datetime) -> None:
        if name.casefold() == self.options.blocked_label.casefold():
            if added and self._blocked_since is None:
                self._blocked_since = at
            elif not added and self._blocked_since is not None:
                self.blocked.append(
                    BlockedIntervalRecord(start=self._blocked_since, end=at, reason=f"label: {name}", origin="flag")
                )
                self._blocked_since = None
        status = next((wanted for wanted in self.options.status_labels if wanted.casefold() == name.casefold()), None)
        if status is None:
            return
        if status in self.carried:
            self.carried.remove(status)
        if added:
            self.carried.append(status)

    def finish(self) -> None:
        if self._blocked_since is not None:
            self.blocked.append(
                BlockedIntervalRecord(
                    start=self._blocked_since, end=None, reason=f"label: {self.options.blocked_label}", origin="flag"
                )
            )
            self._blocked_since = None


def is_bot(user: object, bot_usernames: Iterable[str] = ()) -> bool:
    """Whether a GitLab user is a bot: flagged ``bot``, a project or group access token's bot user
    (``project_42_bot_…``), a name ending in ``bot``/``[bot]``, or one of the connection's bot usernames."""
    if not isinstance(user, Mapping):
        return False
    if user.get("bot") is True:
        return True
    username = str(user.get("username") or "")
    return bool(_BOT_NAME.search(username)) or username.casefold() in {name.casefold() for name in bot_usernames}


def first_review_at(
    notes: Iterable[Mapping[str, Any]], *, author: str | None, bot_usernames: Iterable[str] = ()
) -> datetime | None:
    """The first review by someone other than the author (DESIGN.md: pickup time).

    A review is a comment (a note that is not a system note) or an approval or a request for changes
    (the system notes "approved this merge request" and "requested changes"). GitLab's approvals API
    says who approved but not when, so approvals are read from these notes. Ignored: the author's own
    notes, bots, and other system notes (pushes, label changes, "mentioned in …").

    Args:
        notes: records of ``GET /projects/:id/merge_requests/:iid/notes``.
        author: the merge request author's username.
        bot_usernames: more usernames to treat as bots.

    Returns:
        The earliest qualifying note's ``created_at``, or None.
    """
    bots = tuple(bot_usernames)
    times: list[datetime] = []
    for note in notes:
        user = note.get("author")
        username = str(user.get("username") or "") if isinstance(user, Mapping) else ""
        if not username or username == author or is_bot(user, bots):
            continue
        if note.get("system") and not str(note.get("body") or "").strip().lower().startswith(_REVIEW_NOTES):
            continue
        when = _time(note.get("created_at"))
        if when is not None:
            times.append(when)
    return min(times, default=None)


def merge_sha(merge_request: Mapping[str, Any]) -> str | None:
    """The commit a merged merge request put on its target branch: the merge commit, else the squash commit
    (squash with fast-forward), else the head commit (fast-forward without squash); None unless merged."""
    if merge_request.get("state") != "merged" and not merge_request.get("merged_at"):
        return None
    for key in ("merge_commit_sha", "squash_commit_sha", "sha"):
        value = merge_request.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def change(
    project: str,
    merge_request: Mapping[str, Any],
    commits: Iterable[Mapping[str, Any]],
    notes: Iterable[Mapping[str, Any]],
    *,
    bot_usernames: Iterable[str] = (),
) -> ChangeRecord:
    """Build the canonical change of one merge request.

    Args:
        project: the project's full path.
        merge_request: a record of ``GET /projects/:id/merge_requests``.
        commits: every record of ``GET …/merge_requests/:iid/commits``.
        notes: every record of ``GET …/merge_requests/:iid/notes``.
        bot_usernames: more usernames to treat as bots.

    Returns:
        The change; ``closed_at`` is the merge time for a merged request (GitLab leaves ``closed_at`` empty then).
    """
    user = merge_request.get("author")
    author = str(user.get("username")) if isinstance(user, Mapping) and user.get("username") else None
    merged_at = _time(merge_request.get("merged_at"))
    times = [
        when
        for commit in commits
        for when in (_time(commit.get("authored_date")), _time(commit.get("committed_date")), _time(commit.get("created_at")))
        if when is not None
    ]
    return ChangeRecord(
        source="gitlab",
        repository=project,
        number=int(merge_request["iid"]),
        title=str(merge_request.get("title") or ""),
        author=author or "ghost",
        opened_at=parse_time(str(merge_request["created_at"])),
        first_commit_at=min(times, default=None),
        first_review_at=first_review_at(notes, author=author, bot_usernames=bot_usernames),
        merged_at=merged_at,
        closed_at=_time(merge_request.get("closed_at")) or merged_at,
        merge_commit_sha=merge_sha(merge_request),
        base_branch=str(merge_request.get("target_branch") or ""),
        url=web_url_or_none(merge_request.get("web_url")),
    )


def deployment(project: str, raw: Mapping[str, Any], shipped: Sequence[str] = ()) -> DeploymentRecord | None:
    """Map a record of ``GET /projects/:id/deployments`` (None for a ``skipped`` deployment or an unknown status).

    ``success`` → success, ``failed`` → failure, ``canceled`` → cancelled, ``created``/``running``/``blocked``
    → in progress. Started: the deployment job's ``started_at``, else the deployment's ``created_at``;
    finished: the deployment's ``finished_at``, else its job's, else (finished states) its ``updated_at``.

    Args:
        project: the project's full path.
        raw: the deployment.
        shipped: merge commits of the merge requests GitLab says the deployment shipped, newest first.
    """
    result = _DEPLOYMENT_RESULTS.get(str(raw.get("status") or "").lower())
    if result is None:
        return None
    job: Mapping[str, Any] = raw["deployable"] if isinstance(raw.get("deployable"), Mapping) else {}
    environment: Mapping[str, Any] = raw["environment"] if isinstance(raw.get("environment"), Mapping) else {}
    started = _time(job.get("started_at")) or parse_time(str(raw["created_at"]))
    finished = None
    if result != "in_progress":
        finished = _time(raw.get("finished_at")) or _time(job.get("finished_at")) or _time(raw.get("updated_at"))
        if finished is not None and finished < started:
            finished = started
    return DeploymentRecord(
        source="gitlab",
        external_id=f"deployment:{raw['id']}",
        repository=project,
        environment=str(environment.get("name") or "production"),
        result=result,
        started_at=started,
        finished_at=finished,
        commit_sha=str(raw.get("sha") or "") or None,
        commit_shas=tuple(shipped),
        ref=str(raw.get("ref") or "") or None,
        url=web_url_or_none(job.get("web_url")),
    )


def incident(project: str, issue: Mapping[str, Any]) -> IncidentRecord:
    """An incident from an issue of type incident: created → resolved when closed.

    The severity is GitLab's incident ``severity`` (``critical``, ``high``, ``medium``, ``low``; ``unknown``
    is none), else the rest of a ``severity::…`` (or ``severity: …``) label.
    """
    severity = str(issue.get("severity") or "").strip().lower() or None
    if severity == "unknown":
        severity = None
    if severity is None:
        for label in issue.get("labels") or []:
            match = re.fullmatch(r"severity\s*(?:::|[:/-])\s*(.+)", str(label).strip(), flags=re.IGNORECASE)
            if match:
                severity = match.group(1).strip()
                break
    created = parse_time(str(issue["created_at"]))
    resolved = _time(issue.get("closed_at")) if issue.get("state") == "closed" else None
    return IncidentRecord(
        source="gitlab",
        external_id=f"{project}#{issue['iid']}",
        title=str(issue.get("title") or ""),
        created_at=created,
        resolved_at=None if resolved is None else max(resolved, created),
        severity=severity,
        repository=project,
        url=web_url_or_none(issue.get("web_url")),
    )
