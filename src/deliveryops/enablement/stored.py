"""The team verdicts of an organisation-level action, computed once per version of what they depend on and
stored for every process (kind ``enablement.org_action``, one scope per action).

Each touched team is measured by the team actions' rule on its weekly series, which costs a load of the team's
data per team: the pages, the API and the CLI read the stored verdicts instead, keyed by a version of the action
(start, metric, direction, status, teams), each touched team's data version and zone, and the day. The job
``enablement.refresh_org_actions`` computes the actions whose version changed, every quarter of an hour; a reader
gets the stored verdicts with when they were computed, the previous ones while a refresh is queued after the data
changed (only an action never computed is computed on the spot).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.actions import service as actions
from deliveryops.actions.models import ImprovementAction
from deliveryops.db import unit_of_work, utcnow
from deliveryops.enablement.models import OrgAction
from deliveryops.jobs import Job, JobContext, derived, enqueue, job, periodic
from deliveryops.teams.models import Team

__all__ = [
    "KIND",
    "StoredVerdicts",
    "TeamVerdict",
    "refresh_org_actions",
    "request_refresh",
    "team_action",
    "verdicts",
    "version",
]

KIND = "enablement.org_action"


@dataclass(frozen=True)
class TeamVerdict:
    """One touched team's verdict by the team actions' rule."""

    outcome: str
    explanation: str
    effect: str | None


@dataclass(frozen=True)
class StoredVerdicts:
    """The touched teams' verdicts (None: not measured), when they were computed, and whether still current."""

    by_team: dict[int, TeamVerdict | None]
    computed_at: datetime
    current: bool


def _scope(action_id: int) -> str:
    return f"org-action:{action_id}"


def version(session: Session, action: OrgAction) -> str:
    """The version of everything the action's team verdicts depend on."""
    team_ids = sorted(link.team_id for link in action.teams)
    teams = sorted(session.execute(select(Team.id, Team.data_version, Team.time_zone).where(Team.id.in_(team_ids))).all())
    return derived.version_of(
        action.id,
        action.started_on.isoformat(),
        None if action.target_metric is None else action.target_metric.value,
        action.expected_direction,
        action.status.value,
        [tuple(row) for row in teams],
        utcnow().date().isoformat(),
    )


def team_action(action: OrgAction, team_id: int) -> ImprovementAction:
    """The team's share of the action as a team action (not stored), so the team actions' rule judges it."""
    return ImprovementAction(
        team_id=team_id,
        title=action.title,
        started_on=action.started_on,
        target_metric=action.target_metric,
        expected_direction=action.expected_direction,
        status=action.status,
    )


def _compute(session: Session, action: OrgAction) -> StoredVerdicts:
    started = time.perf_counter()
    by_team: dict[int, TeamVerdict | None] = {}
    for link in action.teams:
        if session.get(Team, link.team_id) is None:
            continue
        measured = actions.measurement(session, team_action(action, link.team_id)) if action.target_metric else None
        by_team[link.team_id] = (
            None
            if measured is None
            else TeamVerdict(measured.verdict.outcome.value, measured.verdict.explanation, measured.verdict.effect_text)
        )
    payload = {str(k): None if v is None else [v.outcome, v.explanation, v.effect] for k, v in by_team.items()}
    derived.store(
        session,
        kind=KIND,
        scope=_scope(action.id),
        data_version=version(session, action),
        parameters={"org_action": action.id},
        payload=json.dumps(payload).encode(),
        compute_seconds=time.perf_counter() - started,
    )
    stored = derived.latest(session, kind=KIND, scope=_scope(action.id))
    return StoredVerdicts(by_team, stored.computed_at if stored is not None else utcnow(), True)


def verdicts(session: Session, action: OrgAction) -> StoredVerdicts:
    """The action's stored team verdicts: current, or the previous ones while a refresh is queued."""
    stored = derived.latest(session, kind=KIND, scope=_scope(action.id))
    if stored is None:
        return _compute(session, action)
    current = stored.data_version == version(session, action)
    if not current:
        request_refresh(session)
    raw = json.loads(stored.payload)
    by_team = {int(k): None if v is None else TeamVerdict(v[0], v[1], v[2]) for k, v in raw.items()}
    return StoredVerdicts(by_team, stored.computed_at, current)


@job(
    "enablement.refresh_org_actions",
    title="Refresh the stored verdicts of organisation-level actions",
    lock="derived:enablement.org_action",
    retries=1,
    coalesce=True,
)
def refresh_org_actions(context: JobContext) -> str:
    """Compute again the team verdicts of each organisation-level action whose version changed."""
    with unit_of_work(context.session_factory) as session:
        ids = list(session.scalars(select(OrgAction.id).order_by(OrgAction.id)))
    refreshed = 0
    for index, action_id in enumerate(ids, start=1):
        with unit_of_work(context.session_factory) as session:
            action = session.get(OrgAction, action_id)
            if action is not None:
                stored = derived.latest(session, kind=KIND, scope=_scope(action.id))
                if stored is None or stored.data_version != version(session, action):
                    _compute(session, action)
                    refreshed += 1
        context.progress(index, len(ids))
    return f"{refreshed} of {len(ids)} organisation-level action{'' if len(ids) == 1 else 's'} measured again."


def request_refresh(session: Session, *, requested_by: str | None = None) -> Job:
    """Queue a refresh once ``session`` commits (joining one already queued)."""
    return enqueue(session, refresh_org_actions, requested_by=requested_by)


@periodic(
    "enablement.refresh_org_actions_regularly",
    title="Refresh the stored verdicts of organisation-level actions",
    every=timedelta(minutes=15),
)
def refresh_org_actions_regularly(context: JobContext) -> str:
    """Every quarter of an hour (imports and syncs change the teams' data), queue a refresh."""
    with unit_of_work(context.session_factory) as session:
        return f"Queued job {request_refresh(session).id}."
