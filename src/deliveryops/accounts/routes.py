"""JSON API: the caller, people (admins) and personal API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from deliveryops.accounts import service
from deliveryops.accounts.dependencies import ApiUser, current_session_id
from deliveryops.accounts.schemas import (
    PasswordChange,
    SessionsEnded,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from deliveryops.schemas import Page, paginate
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

router = APIRouter(tags=["people"], responses=error_responses(401, 403, 422))

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/me", response_model=UserRead)
def read_me(actor: ApiUser) -> UserRead:
    """The person the token or session belongs to."""
    return UserRead.model_validate(actor)


@router.get("/users", response_model=Page[UserRead])
def list_users(
    session: SessionDep, actor: ApiUser, page: Pagination, q: str = Query(default="", max_length=100)
) -> Page[UserRead]:
    """Everyone (admins only), optionally filtered by name or e-mail."""
    return paginate([UserRead.model_validate(u) for u in service.list_(session=session, actor=actor, query=q)], page)


@router.post("/users", response_model=UserRead, status_code=201, responses=error_responses(409))
def create_user(body: UserCreate, session: SessionDep, actor: ApiUser) -> UserRead:
    """Create a person (admins only)."""
    user = service.create(session=session, actor=actor, **body.model_dump())
    return UserRead.model_validate(user)


@router.get("/users/{user_id}", response_model=UserRead, responses=error_responses(404))
def read_user(session: SessionDep, actor: ApiUser, user_id: IdPath) -> UserRead:
    """One person (admins, or oneself)."""
    return UserRead.model_validate(service.get_or_raise(session=session, actor=actor, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserRead, responses=error_responses(404))
def update_user(body: UserUpdate, request: Request, session: SessionDep, actor: ApiUser, user_id: IdPath) -> UserRead:
    """Change a person's name, role, access or password.

    Changing your own password needs ``current_password``; a new password ends the person's other sessions.
    """
    user = service.update(
        session=session,
        actor=actor,
        user_id=user_id,
        keep_session=current_session_id(request),
        **body.model_dump(exclude_unset=True),
    )
    return UserRead.model_validate(user)


@router.post("/me/password", status_code=204)
def change_password(body: PasswordChange, request: Request, session: SessionDep, actor: ApiUser) -> Response:
    """Change your password: needs the current one; ends your other sessions (API tokens stay unless asked)."""
    service.update(
        session=session,
        actor=actor,
        user_id=actor.id,
        password=body.new_password,
        current_password=body.current_password,
        revoke_tokens=body.revoke_tokens,
        keep_session=current_session_id(request),
    )
    return Response(status_code=204)


@router.post("/me/sessions/end", response_model=SessionsEnded)
def sign_out_everywhere(request: Request, session: SessionDep, actor: ApiUser) -> SessionsEnded:
    """Sign out everywhere: end every browser session of yours, this one included. API tokens stay."""
    ended = service.end_sessions(session=session, user=actor)
    request.session.clear()
    return SessionsEnded(ended=ended)


@router.get("/tokens", response_model=Page[TokenRead], tags=["tokens"])
def list_tokens(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[TokenRead]:
    """The caller's personal API tokens (never their secrets)."""
    return paginate([TokenRead.model_validate(t) for t in service.list_tokens(session=session, actor=actor)], page)


@router.post("/tokens", response_model=TokenCreated, status_code=201, tags=["tokens"])
def create_token(body: TokenCreate, session: SessionDep, actor: ApiUser) -> TokenCreated:
    """Create a personal API token; the secret is in this answer only."""
    row, token = service.create_token(session=session, actor=actor, name=body.name)
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), token=token)


@router.delete("/tokens/{token_id}", status_code=204, tags=["tokens"], responses=error_responses(404))
def revoke_token(session: SessionDep, actor: ApiUser, token_id: IdPath) -> Response:
    """Revoke one of the caller's tokens."""
    service.revoke_token(session=session, actor=actor, token_id=token_id)
    return Response(status_code=204)
