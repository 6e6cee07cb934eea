"""Organisation-level improvement actions: Product Ops runs one change across chosen teams, and each touched
team is judged by the team actions' rule (``deliveryops.actions``); the pooled verdict reads them together."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.actions.models import ActionStatus, TargetMetric
from deliveryops.analytics.verdicts.pooled import pool, rates_for
from deliveryops.analytics.verdicts.rule import Outcome
from deliveryops.enablement.access import check_entry, check_person, entry_name, person_name, raise_if, require_ops
from deliveryops.enablement.models import OrgAction, OrgActionTeam
from deliveryops.enablement.schemas import OrgActionCreate, OrgActionRead, OrgActionUpdate, PooledRead, TeamVerdictRead
from deliveryops.enablement.stored import team_action
from deliveryops.enablement.stored import verdicts as stored_verdicts
from deliveryops.errors import NotFoundError
from deliveryops.teams.models import Team
from deliveryops.teams.service import can_view_team

__all__ = ["create", "get_or_raise", "list_", "privacy_text", "read", "reliability_text", "team_action", "update"]


def create(*, session: Session, actor: User | None, body: OrgActionCreate, today: date) -> OrgAction:
    """Start an organisation-level action across chosen teams (Product Ops, admins)."""
    require_ops(actor, "run organisation-level actions")
    errors: dict[str, str] = {}
    team_ids = list(dict.fromkeys(body.team_ids))
    known = set(session.scalars(select(Team.id).where(Team.id.in_(team_ids))))
    if missing := [str(i) for i in team_ids if i not in known]:
        errors["team_ids"] = f"No team with id {', '.join(missing)}."
    check_entry(session, body.entry_id, errors)
    check_person(session, body.owner_id, "owner_id", errors)
    if body.target_metric is TargetMetric.HEALTH_CARD:
        errors["target_metric"] = "A health-check card differs by team: choose a flow or DORA metric."
    raise_if(errors)
    action = OrgAction(
        title=body.title.strip(),
        description=body.description.strip(),
        owner_id=body.owner_id or (actor.id if actor is not None else None),
        entry_id=body.entry_id,
        started_on=body.started_on or today,
        due_date=body.due_date,
        target_metric=body.target_metric,
        expected_direction=body.expected_direction,
        teams=[OrgActionTeam(team_id=team_id) for team_id in team_ids],
    )
    session.add(action)
    session.flush()
    return action


def list_(*, session: Session) -> list[OrgAction]:
    """Every organisation-level action, open ones first, newest first (every signed-in person reads them)."""
    rows = list(session.scalars(select(OrgAction).order_by(OrgAction.started_on.desc(), OrgAction.id.desc())))
    return sorted(rows, key=lambda row: row.status in (ActionStatus.DONE, ActionStatus.DROPPED))


def get_or_raise(*, session: Session, action_id: int) -> OrgAction:
    """One organisation-level action."""
    action = session.get(OrgAction, action_id)
    if action is None:
        raise NotFoundError(f"No organisation-level action with id {action_id}.")
    return action


def update(*, session: Session, actor: User | None, action_id: int, body: OrgActionUpdate, today: date) -> OrgAction:
    """Change its status (Product Ops, admins); done records the day."""
    require_ops(actor, "change organisation-level actions")
    action = get_or_raise(session=session, action_id=action_id)
    action.status = body.status
    action.done_on = (body.done_on or today) if body.status is ActionStatus.DONE else None
    session.flush()
    return action


def reliability_text(teams: int) -> str | None:
    """The pooled verdict's measured error rates, in a sentence."""
    rates = rates_for(teams)
    if rates is None:
        return None
    return (
        f"On simulated organisations of {rates.teams} teams (cycle time, 10 items a week each): a pooled improved or "
        f"worsened when no team changed in {rates.false_pooled:.1%} (at most 0.6% at 95% confidence); "
        f"pooled improved in {rates.detected_all_30:.0%} "
        f"when every team improved by 30%, in {rates.detected_half_30:.0%} when half of them did."
    )


def privacy_text(visible: int, hidden: int, min_group_size: int) -> str:
    """Why the pooled verdict leaves out the teams the reader does not see."""
    one = hidden == 1
    return (
        f"Pooled over the {visible} team{'' if visible == 1 else 's'} you see: the {hidden} other "
        f"team{'' if one else 's'} it touches {'is' if one else 'are'} fewer than {min_group_size}, "
        f"so {'its result is' if one else 'their results are'} left out to keep {'it' if one else 'them'} private."
    )


def read(session: Session, actor: User | None, action: OrgAction, *, min_group_size: int) -> OrgActionRead:
    """The action with its teams' verdicts (the teams the actor may read) and the pooled verdict.

    The pooled verdict reads every touched team, unless the teams the actor does not see are fewer than
    ``min_group_size`` (but some): then their counts would reveal each hidden team's result, so it reads
    only the teams the actor sees, and says so.
    """
    teams: list[TeamVerdictRead] = []
    outcomes: list[Outcome] = []
    seen: list[Outcome] = []
    hidden = 0
    stored = stored_verdicts(session, action)
    for link in action.teams:
        team = session.get(Team, link.team_id)
        if team is None:
            continue
        measured = stored.by_team.get(team.id)
        if measured is not None:
            outcomes.append(Outcome(measured.outcome))
        if actor is not None and not can_view_team(session, actor, team):
            hidden += 1
            continue
        if measured is not None:
            seen.append(Outcome(measured.outcome))
        teams.append(
            TeamVerdictRead(
                team_id=team.id,
                team=team.name,
                verdict=measured.outcome if measured else None,
                explanation=measured.explanation if measured else None,
                effect=measured.effect if measured else None,
            )
        )
    pooled = None
    if action.target_metric is not None:
        coarsened = 0 < hidden < min_group_size
        verdict = pool(seen if coarsened else outcomes)
        pooled = PooledRead(
            outcome=verdict.outcome.value,
            teams=verdict.teams,
            counts=verdict.counts,
            text=verdict.text,
            reliability=reliability_text(verdict.teams),
            left_out=hidden if coarsened else 0,
            privacy=privacy_text(len(teams), hidden, min_group_size) if coarsened else None,
        )
    return OrgActionRead(
        id=action.id,
        title=action.title,
        description=action.description,
        owner_id=action.owner_id,
        owner=person_name(session, action.owner_id),
        entry_id=action.entry_id,
        entry=entry_name(session, action.entry_id),
        status=action.status,
        started_on=action.started_on,
        due_date=action.due_date,
        done_on=action.done_on,
        target_metric=action.target_metric,
        expected_direction=action.expected_direction,
        team_ids=[link.team_id for link in action.teams],
        teams=teams,
        hidden_teams=hidden,
        pooled=pooled,
        computed_at=stored.computed_at,
        recomputing=not stored.current,
    )
