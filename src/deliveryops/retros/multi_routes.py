"""JSON API of multi-team retros and of the retro of retros, and the synthesis board's live stream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import ApiUser, PageUser
from deliveryops.accounts.models import User
from deliveryops.retros import multi, themes
from deliveryops.retros.multi_models import MultiRetro
from deliveryops.retros.multi_schemas import (
    MultiRetroCreate,
    MultiRetroRead,
    MultiRetroSummary,
    RecurringThemeRead,
    SynthesisActionCreate,
    SynthesisMerge,
    SynthesisRename,
    SynthesisVoteCast,
)
from deliveryops.retros.participants import MULTI_RETRO, voter_token
from deliveryops.schemas import Page, paginate
from deliveryops.web.errors import error_responses
from deliveryops.web.live import state_stream, versioned_snapshot
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

api = APIRouter(tags=["retrospectives"], responses=error_responses(401, 403, 404, 422))
live = APIRouter(include_in_schema=False)
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def create_from(session: Session, actor: User, body: MultiRetroCreate) -> MultiRetro:
    """Create a multi-team retro from the API's or the page's input."""
    return multi.create(
        session=session,
        actor=actor,
        title=body.title,
        team_ids=body.team_ids,
        group_id=body.group_id,
        retro_format=body.format,
        vote_budget=body.vote_budget,
        anonymous=body.anonymous,
    )


def view(request: Request, session: Session, actor: User, found: MultiRetro, notice: str | None = None) -> MultiRetroRead:
    """The synthesis board as the caller sees it."""
    session.flush()
    board = multi.state(session, found, actor=actor, token=voter_token(request, found.id, actor, purpose=MULTI_RETRO))
    return board.model_copy(update={"notice": notice}) if notice else board


def _board(request: Request, session: Session, actor: User, multi_id: int, notice: str | None = None) -> MultiRetroRead:
    return view(request, session, actor, multi.get_or_raise(session=session, actor=actor, multi_id=multi_id), notice)


@api.get("/multi-retros", response_model=Page[MultiRetroSummary])
def list_multi_retros(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[MultiRetroSummary]:
    """The multi-team retros the caller sees: of their teams, those they facilitate; all for Product Ops and admins."""
    return paginate(multi.summaries(session, multi.list_visible(session=session, actor=actor)), page)


@api.post("/multi-retros", response_model=MultiRetroRead, status_code=201)
def create_multi_retro(body: MultiRetroCreate, request: Request, session: SessionDep, actor: ApiUser) -> MultiRetroRead:
    """Create a retro across teams (Product Ops, admins, or the delivery manager of every team); a breakout
    retro per team; the caller facilitates it."""
    return view(request, session, actor, create_from(session, actor, body))


@api.get("/multi-retros/{multi_id}", response_model=MultiRetroRead)
def read_multi_retro(request: Request, session: SessionDep, actor: ApiUser, multi_id: IdPath) -> MultiRetroRead:
    """The synthesis board: breakouts' progress, themes with their teams and votes, and actions. No card."""
    return _board(request, session, actor, multi_id)


@api.post("/multi-retros/{multi_id}/breakouts/advance", response_model=MultiRetroRead)
def advance_breakouts(request: Request, session: SessionDep, actor: ApiUser, multi_id: IdPath) -> MultiRetroRead:
    """Move every breakout that has not voted yet to its next phase (facilitator)."""
    return view(request, session, actor, multi.advance_breakouts(session=session, actor=actor, multi_id=multi_id))


@api.post("/multi-retros/{multi_id}/advance", response_model=MultiRetroRead)
def advance(request: Request, session: SessionDep, actor: ApiUser, multi_id: IdPath) -> MultiRetroRead:
    """Move to the next phase (facilitator); the synthesis starts once every breakout has voted."""
    return view(request, session, actor, multi.advance(session=session, actor=actor, multi_id=multi_id))


@api.post("/multi-retros/{multi_id}/themes/{theme_id}/merge", response_model=MultiRetroRead)
def merge_theme(
    body: SynthesisMerge, request: Request, session: SessionDep, actor: ApiUser, multi_id: IdPath, theme_id: IdPath
) -> MultiRetroRead:
    """Merge a synthesis theme into another (facilitator): its teams and votes move over."""
    notice = multi.merge_themes(session=session, actor=actor, multi_id=multi_id, theme_id=theme_id, into_id=body.into_id)
    return _board(request, session, actor, multi_id, notice)


@api.post("/multi-retros/{multi_id}/themes/{theme_id}/rename", response_model=MultiRetroRead)
def rename_theme(
    body: SynthesisRename, request: Request, session: SessionDep, actor: ApiUser, multi_id: IdPath, theme_id: IdPath
) -> MultiRetroRead:
    """Rename a synthesis theme (facilitator)."""
    multi.rename_theme(session=session, actor=actor, multi_id=multi_id, theme_id=theme_id, title=body.title)
    return _board(request, session, actor, multi_id)


@api.post("/multi-retros/{multi_id}/votes", response_model=MultiRetroRead)
def cast_vote(body: SynthesisVoteCast, request: Request, session: SessionDep, actor: ApiUser, multi_id: IdPath) -> MultiRetroRead:
    """Vote across teams within the budget (vote phase); counts stay hidden until voting ends."""
    token = voter_token(request, multi_id, actor, purpose=MULTI_RETRO)
    multi.vote(session=session, actor=actor, multi_id=multi_id, token=token, theme_id=body.theme_id, add=body.add)
    return _board(request, session, actor, multi_id)


@api.post("/multi-retros/{multi_id}/actions", response_model=MultiRetroRead, status_code=201)
def add_action(
    body: SynthesisActionCreate, request: Request, session: SessionDep, actor: ApiUser, multi_id: IdPath
) -> MultiRetroRead:
    """An action owned by one of the retro's teams (actions phase); it joins that team's ledger."""
    multi.add_action(
        session=session,
        actor=actor,
        multi_id=multi_id,
        title=body.title,
        team_id=body.team_id,
        owner_id=body.owner_id,
        due_date=body.due_date,
        theme_id=body.theme_id,
    )
    return _board(request, session, actor, multi_id)


@api.get("/retro-themes", response_model=Page[RecurringThemeRead])
def recurring_themes(
    request: Request,
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    start: Annotated[date | None, Query(description="first day (default: 90 days before end)")] = None,
    end: Annotated[date | None, Query(description="last day (default: today)")] = None,
) -> Page[RecurringThemeRead]:
    """Themes that recur across teams' retros over the period (Product Ops, leaders, admins): a name, the
    number of retros and the teams; only groups of at least the privacy minimum of teams, never a card."""
    first, last = themes.period(start, end)
    found = themes.recurring_themes(
        session=session, actor=actor, start=first, end=last, min_group_size=int(request.app.state.settings.min_group_size)
    )
    return paginate([RecurringThemeRead(title=r.title, retros=r.retros, teams=r.teams) for r in found], page)


@live.get("/multi-retros/{multi_id}/events")
async def events(request: Request, multi_id: int, actor: PageUser) -> StreamingResponse:
    """Server-sent events: the synthesis board whenever it or one of its breakouts changes (at once on (re)connect)."""
    token = voter_token(request, multi_id, actor, purpose=MULTI_RETRO)
    user_id = actor.id

    def load(session: Session) -> tuple[int, Callable[[], dict[str, Any]]]:
        user = session.get(User, user_id)
        assert user is not None
        found = multi.get_or_raise(session=session, actor=user, multi_id=multi_id)
        return multi.live_version(session, found), lambda: multi.state(session, found, actor=user, token=token).model_dump(
            mode="json"
        )

    return await state_stream(request, versioned_snapshot(request.app.state.session_factory, load))
