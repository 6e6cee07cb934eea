"""JSON API of stand-ups, refinements and plannings (the live page uses it too) and their live event stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import ApiUser, PageUser
from deliveryops.accounts.models import User
from deliveryops.facilitation import service
from deliveryops.facilitation.models import Kind, LiveSession
from deliveryops.facilitation.schemas import (
    Escalate,
    Finish,
    Focus,
    ItemNoteWrite,
    PlanningForecast,
    RaiseImpediment,
    SessionAction,
    SessionCreate,
    SessionStateRead,
    SessionSummary,
    Swarm,
    Timer,
)
from deliveryops.schemas import Page, paginate
from deliveryops.web.errors import error_responses
from deliveryops.web.live import state_stream, versioned_snapshot
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

api = APIRouter(tags=["team sessions"], responses=error_responses(401, 403, 404, 422))
live = APIRouter(include_in_schema=False)
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _state(session: Session, live_session: LiveSession) -> SessionStateRead:
    session.flush()
    return service.state(session, live_session)


@api.get("/teams/{team_id}/sessions", response_model=Page[SessionSummary])
def list_sessions(
    session: SessionDep, actor: ApiUser, page: Pagination, team_id: IdPath, kind: Annotated[Kind | None, Query()] = None
) -> Page[SessionSummary]:
    """The team's stand-ups, refinements and plannings, newest first (the team's people only)."""
    return paginate(service.summaries(session, actor, team_id, kind), page)


@api.post("/teams/{team_id}/sessions", response_model=SessionStateRead, status_code=201)
def create_session(body: SessionCreate, session: SessionDep, actor: ApiUser, team_id: IdPath) -> SessionStateRead:
    """Schedule a session; the caller facilitates it. Its agenda is fixed now from the team's board."""
    created = service.schedule(
        session=session, actor=actor, team_id=team_id, kind=body.kind, title=body.title, by_date=body.by_date
    )
    return _state(session, created)


@api.get("/sessions/{session_id}", response_model=SessionStateRead)
def read_session(session: SessionDep, actor: ApiUser, session_id: IdPath) -> SessionStateRead:
    """The session as every participant sees it."""
    return _state(session, service.get_or_raise(session=session, actor=actor, session_id=session_id))


@api.post("/sessions/{session_id}/focus", response_model=SessionStateRead)
def focus(body: Focus, session: SessionDep, actor: ApiUser, session_id: IdPath) -> SessionStateRead:
    """Move the walk to the next or previous item, or to one (facilitator)."""
    return _state(
        session, service.move_focus(session=session, actor=actor, session_id=session_id, step=body.step, index=body.index)
    )


@api.post("/sessions/{session_id}/timer", response_model=SessionStateRead)
def timer(body: Timer, session: SessionDep, actor: ApiUser, session_id: IdPath) -> SessionStateRead:
    """Start or stop the optional timer (facilitator)."""
    return _state(session, service.set_timer(session=session, actor=actor, session_id=session_id, minutes=body.minutes))


@api.post("/sessions/{session_id}/swarm", response_model=SessionStateRead)
def swarm(body: Swarm, session: SessionDep, actor: ApiUser, session_id: IdPath) -> SessionStateRead:
    """Note who helps finish an item (the caller by default), or take them off."""
    return _state(
        session, service.swarm(session=session, actor=actor, session_id=session_id, key=body.key, helper_id=body.helper_id)
    )


@api.post("/sessions/{session_id}/impediments", response_model=SessionStateRead, status_code=201)
def raise_impediment(body: RaiseImpediment, session: SessionDep, actor: ApiUser, session_id: IdPath) -> SessionStateRead:
    """Raise an impediment for an item in one click; it joins the team's impediments."""
    service.raise_impediment(session=session, actor=actor, session_id=session_id, key=body.key, title=body.title)
    return _state(session, service.get_or_raise(session=session, actor=actor, session_id=session_id))


@api.post("/sessions/{session_id}/escalate", response_model=SessionStateRead)
def escalate(body: Escalate, session: SessionDep, actor: ApiUser, session_id: IdPath) -> SessionStateRead:
    """Escalate the item's impediment one level up (raising one first when there is none)."""
    service.escalate(session=session, actor=actor, session_id=session_id, key=body.key, tried=body.tried, needed=body.needed)
    return _state(session, service.get_or_raise(session=session, actor=actor, session_id=session_id))


@api.post("/sessions/{session_id}/items", response_model=SessionStateRead)
def note_item(body: ItemNoteWrite, session: SessionDep, actor: ApiUser, session_id: IdPath) -> SessionStateRead:
    """Note acceptance criteria, an estimate and a decision (ready, split, planned) for an item; all optional."""
    noted = service.note_item(
        session=session,
        actor=actor,
        session_id=session_id,
        key=body.key,
        acceptance_criteria=body.acceptance_criteria,
        estimate=body.estimate,
        clear_estimate=body.clear_estimate,
        decision=body.decision,
    )
    return _state(session, noted)


@api.post("/sessions/{session_id}/forecast", response_model=SessionStateRead)
def forecast(body: PlanningForecast, session: SessionDep, actor: ApiUser, session_id: IdPath) -> SessionStateRead:
    """Planning: forecast how many items by the date (facilitator); a what-if until the plan is committed."""
    return _state(session, service.forecast(session=session, actor=actor, session_id=session_id, by_date=body.by_date))


@api.post("/sessions/{session_id}/commit", response_model=SessionStateRead)
def commit(session: SessionDep, actor: ApiUser, session_id: IdPath) -> SessionStateRead:
    """Planning: commit the forecast as the team's plan (facilitator); it is scored like every commitment."""
    return _state(session, service.commit_plan(session=session, actor=actor, session_id=session_id))


@api.post("/sessions/{session_id}/actions", response_model=SessionStateRead, status_code=201)
def add_action(body: SessionAction, session: SessionDep, actor: ApiUser, session_id: IdPath) -> SessionStateRead:
    """An improvement action decided in the session; it joins the team's ledger of actions."""
    service.add_action(
        session=session, actor=actor, session_id=session_id, title=body.title, owner_id=body.owner_id, due_date=body.due_date
    )
    return _state(session, service.get_or_raise(session=session, actor=actor, session_id=session_id))


@api.post("/sessions/{session_id}/finish", response_model=SessionStateRead)
def finish(body: Finish, session: SessionDep, actor: ApiUser, session_id: IdPath) -> SessionStateRead:
    """End the session and record its outcome (facilitator); it becomes read-only."""
    return _state(session, service.finish(session=session, actor=actor, session_id=session_id, outcome=body.outcome))


@live.get("/sessions/{session_id}/events")
async def events(request: Request, session_id: int, actor: PageUser) -> StreamingResponse:
    """Server-sent events: the session's state whenever ``LiveSession.version`` changes (and at once on (re)connect)."""
    user_id = actor.id

    def load(session: Session) -> tuple[int, Callable[[], dict[str, Any]]]:
        user = session.get(User, user_id)
        assert user is not None
        found = service.get_or_raise(session=session, actor=user, session_id=session_id)
        return found.version, lambda: service.state(session, found).model_dump(mode="json")

    return await state_stream(request, versioned_snapshot(request.app.state.session_factory, load))
