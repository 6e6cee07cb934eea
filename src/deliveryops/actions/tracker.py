"""Improvement actions in the tools teams live in: an action created as a Jira or GitHub issue through one of its
team's connections, the link kept, and its status followed.

A status check reads the issue again (``GET`` only); when the tracker's status changed since the last check, the
action takes it (Jira's status category To Do / In Progress / Done → open / doing / done; a GitHub issue closed as
completed → done, as not planned → dropped). A status set in DeliveryOps is kept until the issue changes again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.actions.models import ActionIssue, ActionStatus, ImprovementAction
from deliveryops.actions.service import get_or_raise, may_change
from deliveryops.connectors.base import ConnectorError
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.connectors.issues import IssueTracker, RemoteIssue
from deliveryops.connectors.registry import connector_class
from deliveryops.db import utcnow
from deliveryops.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from deliveryops.flow.service import today_in
from deliveryops.secrets import SecretError
from deliveryops.sync.engine import build_connector
from deliveryops.sync.models import Connection
from deliveryops.sync.service import ConnectionFailedError
from deliveryops.teams.models import Team

__all__ = ["IssueReach", "create_issue", "issue_of", "issues_of_team", "refresh", "refresh_all", "trackers"]


@dataclass(frozen=True)
class IssueReach:
    """How to reach the trackers: the app's key (decrypts tokens), where tokens may go, an optional transport."""

    app_key: str
    hosts: HostPolicy | None = None
    transport: httpx.BaseTransport | None = None


def _is_tracker(kind: str) -> bool:
    try:
        return issubclass(connector_class(kind), IssueTracker)
    except KeyError:
        return False


def trackers(session: Session, team_id: int) -> list[Connection]:
    """The team's enabled connections that can create issues (Jira, GitHub), by name."""
    rows = session.scalars(
        select(Connection).where(Connection.team_id == team_id, Connection.enabled.is_(True)).order_by(Connection.name)
    )
    return [row for row in rows if _is_tracker(row.kind)]


def issue_of(session: Session, action_id: int) -> ActionIssue | None:
    """The issue an action was created as, if any."""
    return session.scalar(select(ActionIssue).where(ActionIssue.action_id == action_id))


def issues_of_team(session: Session, team_id: int) -> dict[int, ActionIssue]:
    """Action id → the issue it was created as, for the team's actions that have one."""
    rows = session.scalars(
        select(ActionIssue)
        .join(ImprovementAction, ImprovementAction.id == ActionIssue.action_id)
        .where(ImprovementAction.team_id == team_id)
    )
    return {row.action_id: row for row in rows}


def _tracker(connection: Connection, reach: IssueReach) -> IssueTracker:
    try:
        connector = build_connector(connection, app_key=reach.app_key, transport=reach.transport, hosts=reach.hosts)
    except SecretError as exc:
        raise ConnectionFailedError(f"{connection.name}: {exc}") from None
    assert isinstance(connector, IssueTracker)
    return connector


def _call(connection: Connection, reach: IssueReach, work: Callable[[IssueTracker], RemoteIssue]) -> RemoteIssue:
    tracker = _tracker(connection, reach)
    try:
        return work(tracker)
    except ConnectorError as exc:
        raise ConnectionFailedError(exc.message) from None
    finally:
        tracker.close()


def _description(action: ImprovementAction, link: str) -> str:
    parts = [action.description.strip()] if action.description.strip() else []
    if action.target_label:
        parts.append(f"Expected to move: {action.target_label}.")
    if action.due_date:
        parts.append(f"Due {action.due_date.isoformat()}.")
    parts.append(f"Improvement action in DeliveryOps: {link}")
    return "\n".join(parts)


def create_issue(
    *,
    session: Session,
    actor: User | None,
    action_id: int,
    connection_id: int,
    reach: IssueReach,
    public_url: str,
    project: str | None = None,
) -> ActionIssue:
    """Create the action as an issue through one of its team's connections and keep the link.

    Args:
        session: the unit of work.
        actor: who asks (the team's people, its delivery manager, admins; None for trusted callers).
        action_id: the action.
        connection_id: a Jira or GitHub connection of the action's team.
        reach: the app's key and host policy (and a transport in tests).
        public_url: where people reach DeliveryOps (the issue links back to the action).
        project: a Jira project key or GitHub "owner/name" of the connection (None: its first).

    Returns:
        The link, with the issue's key, address and status.

    Raises:
        ConflictError: the action is an issue already.
        ValidationFailedError: not a tracker connection of the action's team, or a project it does not read.
        ConnectionFailedError: the tracker refused (its message says why).
    """
    action = (
        session.get(ImprovementAction, action_id)
        if actor is None
        else get_or_raise(session=session, actor=actor, action_id=action_id)
    )
    if action is None:
        raise ValidationFailedError(f"No improvement action with id {action_id}.")
    team = session.get(Team, action.team_id)
    assert team is not None
    if actor is not None and not may_change(session, actor, team):
        raise PermissionDeniedError("Only the team's people and its delivery manager can send its actions to a tracker.")
    if issue_of(session, action.id) is not None:
        raise ConflictError("This action is an issue already; follow the link on its page.")
    connection = session.get(Connection, connection_id)
    if connection is None or connection.team_id != action.team_id or not connection.enabled or not _is_tracker(connection.kind):
        raise ValidationFailedError(
            "Choose one of the team's Jira or GitHub connections.", fields={"connection_id": "Choose a tracker of the team."}
        )
    projects = [str(p) for p in connection.settings.get("projects") or connection.settings.get("repositories") or []]
    chosen = (project or "").strip() or None
    if chosen is not None and chosen not in projects:
        raise ValidationFailedError(
            f"{connection.name} does not read {chosen!r}.", fields={"project": f"Choose one of: {', '.join(projects)}."}
        )
    link = f"{public_url.rstrip('/')}/actions/{action.id}"
    remote = _call(
        connection,
        reach,
        lambda tracker: tracker.create_issue(title=action.title, description=_description(action, link), project=chosen),
    )
    issue = ActionIssue(
        action_id=action.id,
        connection_id=connection.id,
        kind=connection.kind,
        key=remote.key,
        url=remote.url,
        remote_status=remote.status,
        state=remote.state,
        synced_at=utcnow(),
    )
    session.add(issue)
    session.flush()
    return issue


def refresh(session: Session, issue: ActionIssue, reach: IssueReach) -> bool:
    """Read the issue's status again; when it changed in the tracker, the action takes it. Returns whether it changed.

    A failure is kept on the link (shown on the action's page) and does not raise.
    """
    connection = session.get(Connection, issue.connection_id) if issue.connection_id else None
    if connection is None:
        issue.error = "The connection this issue was created through was removed; its status is no longer followed."
        return False
    try:
        remote = _call(connection, reach, lambda tracker: tracker.read_issue(issue.key))
    except ConnectionFailedError as exc:
        issue.error = exc.message
        return False
    changed = remote.state != issue.state
    issue.remote_status, issue.state, issue.synced_at, issue.error = remote.status, remote.state, utcnow(), None
    if changed:
        action = session.get(ImprovementAction, issue.action_id)
        team = session.get(Team, action.team_id) if action else None
        if action is not None and team is not None:
            action.status = ActionStatus(remote.state)
            action.done_on = today_in(team) if action.status is ActionStatus.DONE else None
    session.flush()
    return changed


def refresh_all(session: Session, reach: IssueReach, *, team_id: int | None = None) -> tuple[int, int]:
    """Check every linked issue (of one team, or all); returns (checked, changed)."""
    query = select(ActionIssue).order_by(ActionIssue.id)
    if team_id is not None:
        query = query.join(ImprovementAction, ImprovementAction.id == ActionIssue.action_id).where(
            ImprovementAction.team_id == team_id
        )
    checked = changed = 0
    for issue in session.scalars(query).all():
        checked += 1
        changed += refresh(session, issue, reach)
    return checked, changed
