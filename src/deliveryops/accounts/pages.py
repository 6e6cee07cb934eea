"""HTML pages: sign in and out, personal API tokens (the people admin is in ``deliveryops.teams.people_pages``)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from deliveryops.accounts import service
from deliveryops.accounts.dependencies import PageUser, current_session_id, sign_in, sign_out
from deliveryops.accounts.models import User
from deliveryops.accounts.schemas import PasswordChange, SignIn, TokenCreate
from deliveryops.errors import NotAuthenticatedError
from deliveryops.settings import Settings
from deliveryops.web.form_pages import submit_form
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import render

router = APIRouter(include_in_schema=False)
SignInForm = Annotated[FormInput[SignIn], form_model(SignIn)]
PasswordForm = Annotated[FormInput[PasswordChange], form_model(PasswordChange)]
TokenForm = Annotated[FormInput[TokenCreate], form_model(TokenCreate)]


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
def login(request: Request, session: SessionDep, form: SignInForm) -> Response:
    """Check the credentials and start a session."""
    settings: Settings = request.app.state.settings
    ip = request.client.host if request.client else "unknown"
    next_page = _safe_next(str(form.values.get("next") or "/"))
    shown = {"email": str(form.values.get("email") or "")}
    if not form.valid:
        message = " ".join(dict.fromkeys(form.errors.values()))
        return render(request, "accounts/login.html", {"next": next_page, "values": shown, "error": message}, status_code=422)
    body = form.validated()
    request.state.commit_on_error = True  # keep the failed attempt for throttling
    try:
        user = service.authenticate(
            session=session,
            email=body.email,
            password=body.password,
            ip=ip,
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
        )
    except (NotAuthenticatedError, service.TooManyAttemptsError) as exc:
        status = 429 if isinstance(exc, service.TooManyAttemptsError) else 401
        session.commit()
        return render(
            request, "accounts/login.html", {"next": next_page, "values": shown, "error": exc.message}, status_code=status
        )
    sign_in(request, session, user)
    return RedirectResponse(next_page, status_code=303)


@router.post("/logout")
def logout(request: Request, session: SessionDep, _csrf: CsrfChecked) -> Response:
    """End the session, on the server too: a copy of the cookie stops working."""
    sign_out(request, session)
    return RedirectResponse("/login", status_code=303)


@router.get("/account/security", response_class=HTMLResponse)
def security_page(request: Request, actor: PageUser) -> Response:
    """Change your password; sign out everywhere."""
    return _security_page(request, {})


def _security_page(request: Request, errors: dict[str, str], status: int = 200, done: str | None = None) -> Response:
    """The security page; a refused password is named beside the new password's field."""
    shown = {("new_password" if key == "password" else key): text for key, text in errors.items()}
    return render(request, "accounts/security.html", {"errors": shown, "done": done}, status_code=status)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, session: SessionDep, actor: PageUser, form: PasswordForm) -> Response:
    """Set a new password: needs the current one; your other sessions end."""

    def change(body: PasswordChange) -> bool:
        service.update(
            session=session,
            actor=actor,
            user_id=actor.id,
            password=body.new_password,
            current_password=body.current_password,
            revoke_tokens=body.revoke_tokens,
            keep_session=current_session_id(request),
        )
        return body.revoke_tokens

    def changed(revoked: bool) -> Response:
        tokens = "; your API tokens are revoked." if revoked else "; your API tokens still work."
        return _security_page(request, {}, done="Password changed. Your other sessions are signed out" + tokens)

    return submit_form(
        session, form, change, done=changed, again=lambda _values, errors, status: _security_page(request, errors, status)
    )


@router.post("/account/sign-out-everywhere")
def sign_out_everywhere(request: Request, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """End every session of yours, this one too (API tokens stay)."""
    service.end_sessions(session=session, user=actor)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Personal API tokens: create, list, revoke."""
    return _tokens_page(request, session, actor, {}, {}, 200)


def _tokens_page(
    request: Request,
    session: Session,
    actor: User,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int,
    new_token: str | None = None,
) -> Response:
    rows = service.list_tokens(session=session, actor=actor)
    context = {"tokens": rows, "new_token": new_token, "values": values, "errors": errors}
    return render(request, "accounts/tokens.html", context, status_code=status)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(request: Request, session: SessionDep, actor: PageUser, form: TokenForm) -> Response:
    """Create a token and show it once."""
    return submit_form(
        session,
        form,
        lambda body: service.create_token(session=session, actor=actor, name=body.name),
        done=lambda created: _tokens_page(request, session, actor, {}, {}, 201, new_token=created[1]),
        again=partial(_tokens_page, request, session, actor),
    )


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Revoke a token."""
    service.revoke_token(session=session, actor=actor, token_id=token_id)
    return RedirectResponse("/account/tokens", status_code=303)
