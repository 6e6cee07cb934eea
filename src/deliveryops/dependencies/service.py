"""Use cases for dependencies: request, negotiate (accept, counter, decline), deliver or miss; lists and the matrix.

Who may do what: the requesting team's delivery managers act on the requester's side (accept or reject a
counter-proposal), the providing team's delivery managers, or a function's owner, on the provider's side
(accept, counter, decline, deliver); Product Ops and admins act on both sides; leaders read every
dependency, team members read their teams'. ``actor=None`` is a trusted local caller (the CLI, the demo).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from deliveryops.accounts.models import Role, User
from deliveryops.db import fetch_page, utcnow
from deliveryops.dependencies.models import Dependency, DependencyEvent, DependencyFunction, DependencyState
from deliveryops.dependencies.schemas import (
    ACTIONS,
    DependencyCreate,
    DependencyDetailRead,
    DependencyEventRead,
    DependencyFilter,
    DependencyRead,
    DependencyTransition,
    FunctionCreate,
    FunctionRead,
    MatrixCell,
    MatrixRead,
    split_keys,
)
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.schemas import Page, PageParams
from deliveryops.teams.models import Membership, Team, TeamRole
from deliveryops.teams.service import team_ids_of

__all__ = [
    "TeamView",
    "allowed_actions",
    "can_see",
    "create",
    "create_function",
    "days_late",
    "detail",
    "function_read",
    "functions",
    "get_or_raise",
    "is_overdue",
    "list_",
    "managed_team_ids",
    "matrix",
    "reads",
    "team_view",
    "transition",
]

OPEN_STATES = tuple(state for state in DependencyState if state.is_open)
ACTION_LABELS = {
    "request": "requested",
    "accept": "accepted",
    "counter": "countered",
    "decline": "declined",
    "accept_counter": "accepted the counter-proposal",
    "reject_counter": "rejected the counter-proposal",
    "deliver": "delivered",
    "miss": "recorded as missed",
}


# --- functions -------------------------------------------------------------------------------------------


def functions(session: Session, *, active_only: bool = True) -> list[DependencyFunction]:
    """The functions outside engineering, by name."""
    statement = select(DependencyFunction).order_by(DependencyFunction.name)
    if active_only:
        statement = statement.where(DependencyFunction.active.is_(True))
    return list(session.scalars(statement))


def function_read(session: Session, function: DependencyFunction) -> FunctionRead:
    """A function with its owner's name."""
    owner = session.get(User, function.owner_id) if function.owner_id else None
    return FunctionRead(
        id=function.id,
        name=function.name,
        owner_id=function.owner_id,
        owner_name=owner.name if owner else None,
        active=function.active,
    )


def create_function(*, session: Session, actor: User | None, body: FunctionCreate) -> DependencyFunction:
    """Add a function (admins)."""
    if actor is not None and actor.role is not Role.ADMIN:
        raise PermissionDeniedError("Only admins add functions.")
    taken = session.scalar(select(DependencyFunction.id).where(DependencyFunction.name == body.name))
    if taken is not None:
        raise ValidationFailedError(
            f"A function named {body.name!r} exists.", fields={"name": f"A function named {body.name!r} exists."}
        )
    if body.owner_id is not None and session.get(User, body.owner_id) is None:
        raise ValidationFailedError("Nobody has that id.", fields={"owner_id": f"Nobody has the id {body.owner_id}."})
    function = DependencyFunction(name=body.name, owner_id=body.owner_id, active=True)
    session.add(function)
    session.flush()
    return function


# --- who may see and act -----------------------------------------------------------------------------------


def managed_team_ids(session: Session, user: User) -> set[int]:
    """The teams ``user`` is a delivery manager of."""
    return set(
        session.scalars(
            select(Membership.team_id).where(Membership.user_id == user.id, Membership.team_role == TeamRole.DELIVERY_MANAGER)
        )
    )


def _acts_everywhere(user: User | None) -> bool:
    return user is None or user.role in (Role.ADMIN, Role.PRODUCT_OPS)


def _owned_function_ids(session: Session, user: User) -> set[int]:
    return set(session.scalars(select(DependencyFunction.id).where(DependencyFunction.owner_id == user.id)))


def _is_requester_side(session: Session, user: User | None, dependency: Dependency) -> bool:
    return _acts_everywhere(user) or (user is not None and dependency.requester_team_id in managed_team_ids(session, user))


def _is_provider_side(session: Session, user: User | None, dependency: Dependency) -> bool:
    if _acts_everywhere(user):
        return True
    assert user is not None
    if dependency.provider_team_id is not None:
        return dependency.provider_team_id in managed_team_ids(session, user)
    return dependency.provider_function_id in _owned_function_ids(session, user)


def can_see(session: Session, user: User, dependency: Dependency) -> bool:
    """Leaders, Product Ops and admins see all; others their teams' (either side) and their functions'."""
    if user.role.sees_all_teams:
        return True
    teams = team_ids_of(session, user)
    if dependency.requester_team_id in teams or dependency.provider_team_id in teams:
        return True
    return dependency.provider_function_id in _owned_function_ids(session, user)


def _visible(session: Session, user: User | None, statement: Select[Dependency]) -> Select[Dependency]:
    if user is None or user.role.sees_all_teams:
        return statement
    teams = team_ids_of(session, user)
    return statement.where(
        or_(
            Dependency.requester_team_id.in_(teams),
            Dependency.provider_team_id.in_(teams),
            Dependency.provider_function_id.in_(_owned_function_ids(session, user)),
        )
    )


def allowed_actions(session: Session, user: User | None, dependency: Dependency) -> list[str]:
    """The actions ``user`` may take on the dependency in its current state."""
    requester = _is_requester_side(session, user, dependency)
    provider = _is_provider_side(session, user, dependency)
    allowed = []
    for action, (sources, _target, side) in ACTIONS.items():
        if dependency.state not in sources:
            continue
        if (
            (side == "provider" and provider)
            or (side == "requester" and requester)
            or (side == "either" and (provider or requester))
        ):
            allowed.append(action)
    return allowed


def get_or_raise(*, session: Session, actor: User | None, dependency_id: int) -> Dependency:
    """One dependency, if the actor may see it."""
    dependency = session.get(Dependency, dependency_id)
    if dependency is None:
        raise NotFoundError(f"No dependency with id {dependency_id}.")
    if actor is not None and not can_see(session, actor, dependency):
        raise PermissionDeniedError("This dependency is between teams you are not in.")
    return dependency


# --- use cases ---------------------------------------------------------------------------------------------


def _record(
    dependency: Dependency, actor: User | None, action: str, from_state: str | None, *, on_date: date | None, note: str = ""
) -> None:
    dependency.events.append(
        DependencyEvent(
            actor_id=actor.id if actor else None,
            action=action,
            from_state=from_state,
            to_state=dependency.state.value,
            on_date=on_date,
            note=note,
        )
    )
    dependency.updated_at = utcnow()


def create(*, session: Session, actor: User | None, body: DependencyCreate) -> Dependency:
    """Request something from another team or a function (the requesting team's delivery managers, Product Ops, admins)."""
    requester = session.get(Team, body.requester_team_id)
    if requester is None:
        raise ValidationFailedError(
            "No such requesting team.", fields={"requester_team_id": f"No team with id {body.requester_team_id}."}
        )
    if not _acts_everywhere(actor):
        assert actor is not None
        if requester.id not in managed_team_ids(session, actor):
            raise PermissionDeniedError(
                f"Only {requester.name}'s delivery managers, Product Ops and admins request dependencies for it."
            )
    if body.provider_team_id is not None and session.get(Team, body.provider_team_id) is None:
        raise ValidationFailedError(
            "No such providing team.", fields={"provider_team_id": f"No team with id {body.provider_team_id}."}
        )
    if body.provider_function_id is not None:
        function = session.get(DependencyFunction, body.provider_function_id)
        if function is None or not function.active:
            raise ValidationFailedError(
                "No such function.", fields={"provider_function_id": f"No active function with id {body.provider_function_id}."}
            )
    dependency = Dependency(
        requester_team_id=body.requester_team_id,
        provider_team_id=body.provider_team_id,
        provider_function_id=body.provider_function_id,
        title=body.title,
        why=body.why,
        needed_by=body.needed_by,
        state=DependencyState.REQUESTED,
        requester_keys=" ".join(body.requester_keys),
        provider_keys="",
        decline_reason="",
        created_by_id=actor.id if actor else None,
    )
    session.add(dependency)
    _record(dependency, actor, "request", None, on_date=body.needed_by, note=body.why)
    session.flush()
    return dependency


def transition(
    *, session: Session, actor: User | None, dependency_id: int, body: DependencyTransition, today: date | None = None
) -> Dependency:
    """Take one step of the negotiation; a step the state does not allow is a conflict (409)."""
    dependency = get_or_raise(session=session, actor=actor, dependency_id=dependency_id)
    sources, target, side = ACTIONS[body.action]
    requester = _is_requester_side(session, actor, dependency)
    provider = _is_provider_side(session, actor, dependency)
    if not (
        (side == "provider" and provider) or (side == "requester" and requester) or (side == "either" and (provider or requester))
    ):
        who = {"provider": "the providing side", "requester": "the requesting side", "either": "either side"}[side]
        raise PermissionDeniedError(f"Only {who}'s delivery managers, Product Ops and admins may do this.")
    if dependency.state not in sources:
        allowed = " or ".join(state.value for state in sources)
        raise ConflictError(
            f"This dependency is {dependency.state.value}; '{body.action}' needs it to be {allowed}.",
            details={"fields": {"action": f"Not possible while the dependency is {dependency.state.value}."}},
        )
    today = today or utcnow().date()
    previous = dependency.state.value
    on_date: date | None = None
    if body.provider_keys:
        dependency.provider_keys = " ".join(split_keys([*split_keys(dependency.provider_keys), *body.provider_keys]))
    if body.action == "accept":
        dependency.committed_on = on_date = body.committed_on
    elif body.action == "counter":
        dependency.countered_on = on_date = body.countered_on
    elif body.action == "decline":
        dependency.decline_reason = body.reason
    elif body.action == "accept_counter":
        dependency.committed_on = on_date = dependency.countered_on
    elif body.action == "reject_counter":
        dependency.countered_on = None
    elif body.action == "deliver":
        delivered = body.delivered_on or today
        if delivered > today:
            raise ValidationFailedError(
                "The delivery date is in the future.", fields={"delivered_on": "Delivered on is today or earlier."}
            )
        dependency.delivered_on = on_date = delivered
    elif body.action == "miss":
        due = dependency.committed_on or dependency.needed_by
        if due >= today:
            raise ConflictError(
                f"The committed date {due.isoformat()} has not passed yet; record a miss after it.",
                details={"fields": {"action": f"Wait until after {due.isoformat()} to record a miss."}},
            )
    dependency.state = target
    _record(dependency, actor, body.action, previous, on_date=on_date, note=body.reason)
    session.flush()
    return dependency


# --- reads -------------------------------------------------------------------------------------------------


def is_overdue(dependency: Dependency, today: date) -> bool:
    """Not delivered nor declined, and the needed-by date has passed."""
    return dependency.state.is_open and dependency.needed_by < today


def days_late(dependency: Dependency, today: date) -> int | None:
    if dependency.state is DependencyState.DECLINED:
        return None
    end = dependency.delivered_on if dependency.state is DependencyState.DELIVERED and dependency.delivered_on else today
    if dependency.state is DependencyState.DELIVERED or end > dependency.needed_by:
        return max(0, (end - dependency.needed_by).days)
    return 0


def _names(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    funcs = dict(session.execute(select(DependencyFunction.id, DependencyFunction.name)).all())
    return teams, funcs


def reads(session: Session, dependencies: list[Dependency], *, today: date) -> list[DependencyRead]:
    """The API's view of dependencies."""
    teams, funcs = _names(session)
    return [
        DependencyRead(
            id=d.id,
            requester_team_id=d.requester_team_id,
            requester_team=teams.get(d.requester_team_id, "?"),
            provider_team_id=d.provider_team_id,
            provider_function_id=d.provider_function_id,
            provider=teams.get(d.provider_team_id, "?") if d.provider_team_id else funcs.get(d.provider_function_id or 0, "?"),
            title=d.title,
            why=d.why,
            needed_by=d.needed_by,
            state=d.state,
            committed_on=d.committed_on,
            countered_on=d.countered_on,
            delivered_on=d.delivered_on,
            decline_reason=d.decline_reason,
            requester_keys=split_keys(d.requester_keys),
            provider_keys=split_keys(d.provider_keys),
            overdue=is_overdue(d, today),
            days_late=days_late(d, today),
            created_at=d.created_at,
        )
        for d in dependencies
    ]


def detail(session: Session, actor: User | None, dependency: Dependency, *, today: date) -> DependencyDetailRead:
    """One dependency with its history and the caller's next possible steps."""
    read = reads(session, [dependency], today=today)[0]
    actor_ids = {event.actor_id for event in dependency.events if event.actor_id}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(actor_ids))).all()) if actor_ids else {}
    events = [
        DependencyEventRead(
            id=e.id,
            at=e.at,
            actor_id=e.actor_id,
            actor_name=names.get(e.actor_id or 0),
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            on_date=e.on_date,
            note=e.note,
        )
        for e in dependency.events
    ]
    return DependencyDetailRead(**read.model_dump(), events=events, allowed_actions=allowed_actions(session, actor, dependency))


def list_(
    *, session: Session, actor: User | None, filters: DependencyFilter, page: PageParams, today: date | None = None
) -> Page[DependencyRead]:
    """A page of the dependencies the actor may see, soonest needed-by date first."""
    today = today or utcnow().date()
    statement = _visible(session, actor, select(Dependency))
    if filters.team_id is not None:
        statement = statement.where(
            or_(Dependency.requester_team_id == filters.team_id, Dependency.provider_team_id == filters.team_id)
        )
    if filters.state is not None:
        statement = statement.where(Dependency.state == filters.state)
    overdue = Dependency.state.in_(OPEN_STATES) & (Dependency.needed_by < today)
    if filters.overdue is True:
        statement = statement.where(overdue)
    elif filters.overdue is False:
        statement = statement.where(~overdue)
    statement = statement.order_by(Dependency.needed_by, Dependency.id)
    rows, total = fetch_page(session, statement, limit=page.limit, offset=page.offset)
    return Page[DependencyRead](items=reads(session, list(rows), today=today), total=total, limit=page.limit, offset=page.offset)


@dataclass(frozen=True)
class TeamView:
    """A team's dependencies: what it waits for (as requester) and what it owes (as provider)."""

    waits_for: list[DependencyRead]
    owes: list[DependencyRead]


def team_view(*, session: Session, team: Team, today: date | None = None) -> TeamView:
    """What the team waits for and what it owes, soonest first (the caller checked it may see the team)."""
    today = today or utcnow().date()
    order = (Dependency.needed_by, Dependency.id)
    waits = list(session.scalars(select(Dependency).where(Dependency.requester_team_id == team.id).order_by(*order)))
    owes = list(session.scalars(select(Dependency).where(Dependency.provider_team_id == team.id).order_by(*order)))
    return TeamView(waits_for=reads(session, waits, today=today), owes=reads(session, owes, today=today))


def matrix(*, session: Session, actor: User | None, today: date | None = None) -> MatrixRead:
    """Counts per requesting team × providing team or function, over the dependencies the actor may see."""
    today = today or utcnow().date()
    rows = list(session.scalars(_visible(session, actor, select(Dependency)).options(selectinload(Dependency.events))))
    teams, funcs = _names(session)
    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for d in rows:
        key = f"team:{d.provider_team_id}" if d.provider_team_id else f"function:{d.provider_function_id}"
        cell = counts[(d.requester_team_id, key)]
        cell[0] += int(d.state.is_open)
        cell[1] += int(is_overdue(d, today))
        cell[2] += 1

    def provider_name(key: str) -> str:
        kind, _, number = key.partition(":")
        return teams.get(int(number), "?") if kind == "team" else funcs.get(int(number), "?")

    row_ids = sorted({requester for requester, _ in counts}, key=lambda i: teams.get(i, ""))
    column_keys = sorted({key for _, key in counts}, key=lambda k: (k.startswith("function"), provider_name(k)))
    return MatrixRead(
        rows=[teams.get(i, "?") for i in row_ids],
        row_ids=row_ids,
        columns=[provider_name(k) for k in column_keys],
        column_keys=column_keys,
        cells=[
            MatrixCell(requester_team_id=r, provider=provider_name(k), provider_key=k, open=c[0], overdue=c[1], total=c[2])
            for (r, k), c in sorted(counts.items())
        ],
    )


def acts_for_requester(session: Session, user: User | None, dependency: Dependency) -> bool:
    """Whether ``user`` acts on the requesting side (its team's delivery managers, Product Ops, admins)."""
    return _is_requester_side(session, user, dependency)
