"""HTML pages: sign in and out, personal API tokens (the people admin is in ``deliveryops.teams.people_pages``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deliveryops.accounts import service
from deliveryops.accounts.dependencies import PageUser, current_session_id, sign_in, sign_out
from deliveryops.errors import NotAuthenticatedError, ValidationFailedError
from deliveryops.settings import Settings
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: "//evil.example" and absolute URLs would be open redirects.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    """Sign-in form."""
    return render(request, "accounts/login.html", {"next": _safe_next(next), "values": {}, "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    _csrf: CsrfChecked,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the credentials and start a session."""
    settings: Settings = request.app.state.settings
    ip = request.client.host if request.client else "unknown"
    request.state.commit_on_error = True  # keep the failed attempt for throttling
    try:
        user = service.authenticate(
            session=session,
            email=email,
            password=password,
            ip=ip,
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
        )
    except (NotAuthenticatedError, service.TooManyAttemptsError) as exc:
        status = 429 if isinstance(exc, service.TooManyAttemptsError) else 401
        session.commit()
        return render(
            request,
            "accounts/login.html",
            {"next": _safe_next(next), "values": {"email": email}, "error": exc.message},
            status_code=status,
        )
    sign_in(request, session, user)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, session: SessionDep, _csrf: CsrfChecked) -> Response:
    """End the session, on the server too: a copy of the cookie stops working."""
    sign_out(request, session)
    return RedirectResponse("/login", status_code=303)


@router.get("/account/security", response_class=HTMLResponse)
def security_page(request: Request, actor: PageUser) -> Response:
    """Change your password; sign out everywhere."""
    return render(request, "accounts/security.html", {"errors": {}, "done": None})


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    _csrf: CsrfChecked,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
    revoke_tokens: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Set a new password: needs the current one; your other sessions end."""
    try:
        service.update(
            session=session,
            actor=actor,
            user_id=actor.id,
            password=new_password,
            current_password=current_password,
            revoke_tokens=revoke_tokens == "on",
            keep_session=current_session_id(request),
        )
    except ValidationFailedError as exc:
        errors = {("new_password" if key == "password" else key): text for key, text in exc.fields.items()}
        return render(request, "accounts/security.html", {"errors": errors, "done": None}, status_code=422)
    done = "Password changed. Your other sessions are signed out" + (
        "; your API tokens are revoked." if revoke_tokens == "on" else "; your API tokens still work."
    )
    return render(request, "accounts/security.html", {"errors": {}, "done": done})


@router.post("/account/sign-out-everywhere")
def sign_out_everywhere(request: Request, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """End every session of yours, this one too (API tokens stay)."""
    service.end_sessions(session=session, user=actor)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Personal API tokens: create, list, revoke."""
    rows = service.list_tokens(session=session, actor=actor)
    return render(request, "accounts/tokens.html", {"tokens": rows, "new_token": None, "errors": {}})


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Create a token and show it once."""
    try:
        _row, token = service.create_token(session=session, actor=actor, name=name)
    except ValidationFailedError as exc:
        rows = service.list_tokens(session=session, actor=actor)
        return render(request, "accounts/tokens.html", {"tokens": rows, "new_token": None, "errors": exc.fields}, status_code=422)
    rows = service.list_tokens(session=session, actor=actor)
    return render(request, "accounts/tokens.html", {"tokens": rows, "new_token": token, "errors": {}}, status_code=201)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Revoke a token."""
    service.revoke_token(session=session, actor=actor, token_id=token_id)
    return RedirectResponse("/account/tokens", status_code=303)
