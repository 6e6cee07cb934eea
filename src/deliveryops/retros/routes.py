"""JSON API of retrospectives (the live board uses it too) and the live event stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import ApiUser, PageUser
from deliveryops.accounts.models import User
from deliveryops.retros import service
from deliveryops.retros.models import Retro
from deliveryops.retros.participants import participant_token, voter_token
from deliveryops.retros.schemas import (
    CardCreate,
    CardMove,
    Icebreaker,
    Notes,
    ReactionToggle,
    RetroAction,
    RetroCreate,
    RetroRead,
    RetroSummary,
    SuggestedTheme,
    ThemeCreate,
    ThemeMerge,
    ThemeRename,
    Timer,
    VoteCast,
)
from deliveryops.schemas import Page, paginate
from deliveryops.web.errors import error_responses
from deliveryops.web.live import state_stream, versioned_snapshot
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

api = APIRouter(tags=["retrospectives"], responses=error_responses(401, 403, 404, 422))
live = APIRouter(include_in_schema=False)
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _state(request: Request, session: SessionDep, actor: User, retro: Retro, notice: str | None = None) -> RetroRead:
    session.flush()
    token, voter = participant_token(request, retro.id), voter_token(request, retro.id, actor)
    board = service.state(session, retro, token=token, voter=voter)
    return board.model_copy(update={"notice": notice}) if notice else board


def _board(request: Request, session: SessionDep, actor: User, retro_id: int, notice: str | None = None) -> RetroRead:
    return _state(request, session, actor, service.get_or_raise(session=session, actor=actor, retro_id=retro_id), notice)


@api.get("/teams/{team_id}/retros", response_model=Page[RetroSummary])
def list_retros(session: SessionDep, actor: ApiUser, page: Pagination, team_id: IdPath) -> Page[RetroSummary]:
    """The team's retros (team members and its delivery manager only)."""
    return paginate([RetroSummary.of(r) for r in service.list_team(session=session, actor=actor, team_id=team_id)], page)


@api.post("/teams/{team_id}/retros", response_model=RetroRead, status_code=201)
def create_retro(body: RetroCreate, request: Request, session: SessionDep, actor: ApiUser, team_id: IdPath) -> RetroRead:
    """Schedule a retro; the caller facilitates it."""
    retro = service.schedule(
        session=session,
        actor=actor,
        team_id=team_id,
        title=body.title,
        retro_format=body.format,
        custom_columns=body.columns,
        vote_budget=body.vote_budget,
        anonymous=body.anonymous,
    )
    return _state(request, session, actor, retro)


@api.get("/retros/{retro_id}", response_model=RetroRead)
def read_retro(request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath) -> RetroRead:
    """The board as this participant sees it (others' cards stay private while reflecting)."""
    return _state(request, session, actor, service.get_or_raise(session=session, actor=actor, retro_id=retro_id))


@api.post("/retros/{retro_id}/cards", response_model=RetroRead, status_code=201)
def add_card(body: CardCreate, request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath) -> RetroRead:
    """Write a card (reflect phase)."""
    card = service.add_card(
        session=session,
        actor=actor,
        retro_id=retro_id,
        token=participant_token(request, retro_id),
        column=body.column,
        text=body.text,
    )
    return _state(request, session, actor, card.retro)


@api.post("/retros/{retro_id}/themes", response_model=RetroRead, status_code=201)
def add_theme(body: ThemeCreate, request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath) -> RetroRead:
    """Group cards under a theme (group phase)."""
    theme = service.create_theme(session=session, actor=actor, retro_id=retro_id, title=body.title, card_ids=body.card_ids)
    return _state(request, session, actor, theme.retro)


@api.post("/retros/{retro_id}/cards/{card_id}/move", response_model=RetroRead)
def move_card(
    body: CardMove, request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath, card_id: IdPath
) -> RetroRead:
    """Move a card into a theme or out of it (group phase); a theme left without cards is removed, with
    its votes, and ``notice`` says so."""
    notice = service.move_card(session=session, actor=actor, retro_id=retro_id, card_id=card_id, theme_id=body.theme_id)
    return _board(request, session, actor, retro_id, notice)


@api.post("/retros/{retro_id}/cards/{card_id}/reactions", response_model=RetroRead)
def react(
    body: ReactionToggle, request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath, card_id: IdPath
) -> RetroRead:
    """Add an emoji to a card, or take it back (one of each per participant; group to actions phases)."""
    token = participant_token(request, retro_id)
    service.react(session=session, actor=actor, retro_id=retro_id, token=token, card_id=card_id, emoji=body.emoji)
    return _board(request, session, actor, retro_id)


@api.post("/retros/{retro_id}/icebreaker", response_model=RetroRead)
def icebreaker(body: Icebreaker, request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath) -> RetroRead:
    """Pick, write or shuffle the icebreaker question (facilitator; review or reflect phase)."""
    retro = service.set_icebreaker(session=session, actor=actor, retro_id=retro_id, question=body.question, shuffle=body.shuffle)
    return _state(request, session, actor, retro)


@api.post("/retros/{retro_id}/themes/{theme_id}/rename", response_model=RetroRead)
def rename_theme(
    body: ThemeRename, request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath, theme_id: IdPath
) -> RetroRead:
    """Rename a theme (group to actions phases)."""
    service.rename_theme(session=session, actor=actor, retro_id=retro_id, theme_id=theme_id, title=body.title)
    return _board(request, session, actor, retro_id)


@api.post("/retros/{retro_id}/themes/{theme_id}/merge", response_model=RetroRead)
def merge_theme(
    body: ThemeMerge, request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath, theme_id: IdPath
) -> RetroRead:
    """Merge a theme into another (group or vote phase): cards and votes move over; ``notice`` says so."""
    notice = service.merge_themes(session=session, actor=actor, retro_id=retro_id, theme_id=theme_id, into_id=body.into_id)
    return _board(request, session, actor, retro_id, notice)


@api.delete("/retros/{retro_id}/themes/{theme_id}", response_model=RetroRead)
def delete_theme(request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath, theme_id: IdPath) -> RetroRead:
    """Delete a theme (group or vote phase): its cards become loose, its votes are deleted; ``notice`` says so."""
    notice = service.delete_theme(session=session, actor=actor, retro_id=retro_id, theme_id=theme_id)
    return _board(request, session, actor, retro_id, notice)


@api.get("/retros/{retro_id}/suggestions", response_model=Page[list[int]])
def suggestions(session: SessionDep, actor: ApiUser, page: Pagination, retro_id: IdPath) -> Page[list[int]]:
    """Groups of loose cards that read alike: each item is the ids of one group's cards."""
    return paginate(service.suggest_themes(session=session, actor=actor, retro_id=retro_id), page)


@api.get("/retros/{retro_id}/suggested-themes", response_model=Page[SuggestedTheme])
def suggested_themes(session: SessionDep, actor: ApiUser, page: Pagination, retro_id: IdPath) -> Page[SuggestedTheme]:
    """Groups of loose cards that read alike, each titled with the most informative words its cards share."""
    return paginate(service.suggest_titles(session=session, actor=actor, retro_id=retro_id), page)


@api.post("/retros/{retro_id}/votes", response_model=RetroRead)
def cast_vote(body: VoteCast, request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath) -> RetroRead:
    """Vote on a theme within the budget (vote phase); counts stay hidden until voting ends."""
    service.vote(
        session=session,
        actor=actor,
        retro_id=retro_id,
        token=voter_token(request, retro_id, actor),
        theme_id=body.theme_id,
        add=body.add,
    )
    return _state(request, session, actor, service.get_or_raise(session=session, actor=actor, retro_id=retro_id))


@api.post("/retros/{retro_id}/themes/{theme_id}/notes", response_model=RetroRead)
def theme_notes(
    body: Notes, request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath, theme_id: IdPath
) -> RetroRead:
    """Discussion notes of a theme."""
    service.set_notes(session=session, actor=actor, retro_id=retro_id, theme_id=theme_id, notes=body.notes)
    return _state(request, session, actor, service.get_or_raise(session=session, actor=actor, retro_id=retro_id))


@api.post("/retros/{retro_id}/advance", response_model=RetroRead)
def advance(request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath) -> RetroRead:
    """Move to the next phase (the facilitator or the team's delivery manager)."""
    return _state(request, session, actor, service.advance(session=session, actor=actor, retro_id=retro_id))


@api.post("/retros/{retro_id}/timer", response_model=RetroRead)
def timer(body: Timer, request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath) -> RetroRead:
    """Start or stop the phase timer (facilitator)."""
    return _state(
        request, session, actor, service.set_timer(session=session, actor=actor, retro_id=retro_id, minutes=body.minutes)
    )


@api.post("/retros/{retro_id}/actions", response_model=RetroRead, status_code=201)
def retro_action(body: RetroAction, request: Request, session: SessionDep, actor: ApiUser, retro_id: IdPath) -> RetroRead:
    """Turn the discussion into an improvement action of the team: owner, due date and optionally the metric
    it should move (the hypothesis); it joins the team's ledger of improvement actions."""
    service.add_action(
        session=session,
        actor=actor,
        retro_id=retro_id,
        title=body.title,
        owner_id=body.owner_id,
        due_date=body.due_date,
        target_metric=body.target_metric,
        target_card=body.target_card,
        expected_direction=body.expected_direction,
        expected_size=body.expected_size,
    )
    return _state(request, session, actor, service.get_or_raise(session=session, actor=actor, retro_id=retro_id))


@live.get("/retros/{retro_id}/export.md", response_class=PlainTextResponse)
def export(request: Request, retro_id: int, session: SessionDep, actor: PageUser) -> PlainTextResponse:
    """The retro as Markdown, with the team's health check at the time."""
    retro = service.get_or_raise(session=session, actor=actor, retro_id=retro_id)
    markdown = service.export_markdown(
        session,
        retro,
        min_group_size=int(request.app.state.settings.min_group_size),
        base_url=str(request.app.state.settings.public_url),
    )
    return PlainTextResponse(
        markdown,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="retro-{retro.id}.md"'},
    )


@live.get("/retros/{retro_id}/events")
async def events(request: Request, retro_id: int, actor: PageUser) -> StreamingResponse:
    """Server-sent events: the board's state whenever it changes (and at once on (re)connect).

    The stream follows ``Retro.version`` in the database, so it works with several web workers and
    a late joiner or a dropped connection simply receives the current state.
    """
    token, voter = participant_token(request, retro_id), voter_token(request, retro_id, actor)
    user_id = actor.id

    def load(session: Session) -> tuple[int, Callable[[], dict[str, Any]]]:
        user = session.get(User, user_id)
        assert user is not None
        retro = service.get_or_raise(session=session, actor=user, retro_id=retro_id)
        return retro.version, lambda: service.state(session, retro, token=token, voter=voter).model_dump(mode="json")

    return await state_stream(request, versioned_snapshot(request.app.state.session_factory, load))
