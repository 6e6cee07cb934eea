"""Use cases for people, sign-in and API tokens. Services flush; callers commit."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import ApiToken, LoginFailure, Role, User, UserSession
from deliveryops.accounts.passwords import (
    generate_api_token,
    hash_password,
    hash_token,
    needs_rehash,
    password_problem,
    verify_password,
)
from deliveryops.db import utcnow
from deliveryops.errors import (
    ConflictError,
    DomainError,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)

__all__ = [
    "authenticate",
    "authenticate_token",
    "create",
    "create_token",
    "end_session",
    "end_sessions",
    "get_or_raise",
    "list_",
    "list_tokens",
    "require_role",
    "revoke_token",
    "session_user",
    "start_session",
    "update",
]

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TooManyAttemptsError(DomainError):
    """Sign-in is throttled for this account or address."""

    code = "too_many_attempts"
    status = 429


def require_role(actor: User, *roles: Role) -> None:
    """Raise unless ``actor`` has one of ``roles``.

    Args:
        actor: the signed-in person.
        *roles: the roles allowed.
    """
    if actor.role not in roles:
        names = ", ".join(role.label for role in roles)
        raise PermissionDeniedError(f"This needs one of these roles: {names}.")


def _validate_user_fields(
    *, email: str | None, name: str | None, password: str | None, known: tuple[str, ...] = ()
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if email is not None and not EMAIL_PATTERN.match(email):
        errors["email"] = "Enter an e-mail address like name@example.com."
    if name is not None and not name.strip():
        errors["name"] = "Enter the person's name."
    if password is not None:
        problem = password_problem(password, user_inputs=(*known, email or "", name or ""))
        if problem:
            errors["password"] = problem
    return errors


def create(
    *,
    session: Session,
    actor: User | None,
    email: str,
    name: str,
    role: Role = Role.MEMBER,
    password: str | None = None,
    title: str = "",
) -> User:
    """Create a person. Only admins may (``actor=None`` is the CLI/bootstrap path).

    Args:
        session: the unit of work.
        actor: who asks; None for trusted local callers (the CLI).
        email: sign-in address, unique (case-insensitive).
        name: display name.
        role: organisation role.
        password: optional; a person without one cannot sign in until it is set.
        title: job title shown next to the name.

    Returns:
        The new user (flushed, with an id).
    """
    if actor is not None:
        require_role(actor, Role.ADMIN)
    email = email.strip().lower()
    errors = _validate_user_fields(email=email, name=name, password=password)
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ConflictError(f"A person with the e-mail {email} exists already.", details={"field": "email"})
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        title=title.strip(),
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def update(
    *,
    session: Session,
    actor: User,
    user_id: int,
    name: str | None = None,
    role: Role | None = None,
    is_active: bool | None = None,
    password: str | None = None,
    current_password: str | None = None,
    keep_session: str | None = None,
    revoke_tokens: bool = False,
) -> User:
    """Change a person's name, role, active flag or password (admins, or oneself for name/password).

    Changing one's own password needs the current one. A new password ends every other session of the
    person (all of them when an admin sets it, or when the person is deactivated); their API tokens stay
    unless ``revoke_tokens`` asks otherwise.

    Args:
        session: the unit of work.
        actor: who asks.
        user_id: whom to change.
        name: new display name.
        role: new role (admins only).
        is_active: deactivate or reactivate (admins only).
        password: new password.
        current_password: the person's current password (needed to change one's own).
        keep_session: the session id of the request, which stays signed in after one's own password change.
        revoke_tokens: with a new password, also revoke every API token of the person.

    Returns:
        The updated user.
    """
    user = get_or_raise(session=session, actor=actor, user_id=user_id)
    if password is not None and actor.id == user.id and not verify_password(user.password_hash, current_password or ""):
        message = "Enter your current password to set a new one." if not current_password else "The current password is wrong."
        raise ValidationFailedError(message, fields={"current_password": message})
    if actor.role is not Role.ADMIN and (actor.id != user.id or role is not None or is_active is not None):
        raise PermissionDeniedError("Only an admin can change other people, roles or access.")
    demoting_self = actor.id == user.id and (is_active is False or (role is not None and role is not Role.ADMIN))
    if demoting_self and actor.role is Role.ADMIN and _active_admin_count(session) <= 1:
        raise ValidationFailedError("You are the last admin: make someone else admin first.", fields={"role": "last admin"})
    errors = _validate_user_fields(email=None, name=name, password=password, known=(user.email, user.name))
    if errors:
        raise ValidationFailedError(" ".join(errors.values()), fields=errors)
    if name is not None:
        user.name = name.strip()
    if role is not None:
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    if password is not None:
        user.password_hash = hash_password(password)
        end_sessions(session=session, user=user, keep=keep_session if actor.id == user.id else None)
        if revoke_tokens:
            now = utcnow()
            for token in user.tokens:
                token.revoked_at = token.revoked_at or now
    if is_active is False:
        end_sessions(session=session, user=user)
    session.flush()
    return user


def _session_hash(session_id: str) -> str:
    return hash_token(session_id)


def start_session(*, session: Session, user: User) -> str:
    """Record a new signed-in session of ``user``.

    Returns:
        The random session id for the cookie (only its hash is stored).
    """
    session_id = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=_session_hash(session_id)))
    session.flush()
    return session_id


def session_user(*, session: Session, session_id: str, max_age_seconds: int, now: datetime | None = None) -> User | None:
    """The active person whose live session ``session_id`` is, or None (unknown, ended, expired)."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _session_hash(session_id)))
    if row is None or row.ended_at is not None:
        return None
    if (now or utcnow()) - row.created_at > timedelta(seconds=max_age_seconds):
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def end_session(*, session: Session, session_id: str) -> None:
    """End one session (signing out): its cookie stops working wherever it was copied."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _session_hash(session_id)))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        session.flush()


def end_sessions(*, session: Session, user: User, keep: str | None = None) -> int:
    """End every live session of ``user`` except ``keep`` (a session id).

    Returns:
        How many sessions were ended.
    """
    statement = select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep:
        statement = statement.where(UserSession.token_hash != _session_hash(keep))
    now = utcnow()
    rows = list(session.scalars(statement))
    for row in rows:
        row.ended_at = now
    session.flush()
    return len(rows)


def _active_admin_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active.is_(True))) or 0


def get_or_raise(*, session: Session, actor: User, user_id: int) -> User:
    """Return a person visible to ``actor`` (oneself, or anyone for admins)."""
    if actor.role is not Role.ADMIN and actor.id != user_id:
        raise PermissionDeniedError("Only an admin can see other people's accounts.")
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"No person with id {user_id}.")
    return user


def list_(*, session: Session, actor: User | None, query: str = "") -> list[User]:
    """Return every person (admins, or ``None``: the trusted local caller), optionally filtered by name or e-mail."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    statement = select(User).order_by(User.name)
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(func.lower(User.name).like(like) | func.lower(User.email).like(like))
    return list(session.scalars(statement))


def authenticate(
    *,
    session: Session,
    email: str,
    password: str,
    ip: str,
    max_failures: int,
    window_seconds: int,
    now: datetime | None = None,
) -> User:
    """Check credentials, throttling repeated failures per account and per address.

    Args:
        session: the unit of work (failures are recorded in it; the caller must commit
            even when this raises, which the web layer does).
        email: what was typed as e-mail.
        password: what was typed as password.
        ip: the client address.
        max_failures: failures allowed per window, per account and per address.
        window_seconds: the window length.
        now: the current time (tests pass it).

    Returns:
        The signed-in user.
    """
    now = now or utcnow()
    email = email.strip().lower()
    since = now - timedelta(seconds=window_seconds)
    by_email = (
        session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.email == email, LoginFailure.at >= since)
        )
        or 0
    )
    by_ip = (
        session.scalar(select(func.count()).select_from(LoginFailure).where(LoginFailure.ip == ip, LoginFailure.at >= since)) or 0
    )
    # An address gets more room than an account: an office may share one address.
    if by_email >= max_failures or by_ip >= max_failures * 4:
        minutes = max(1, window_seconds // 60)
        raise TooManyAttemptsError(f"Too many failed sign-ins. Try again in {minutes} minutes.")
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        session.add(LoginFailure(email=email, ip=ip, at=now))
        session.flush()
        raise NotAuthenticatedError("The e-mail or password is wrong.")
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    session.flush()
    return user


def create_token(*, session: Session, actor: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token for ``actor``.

    Returns:
        The stored token row and the token itself, which is shown once and never again.
    """
    name = name.strip()
    if not name:
        raise ValidationFailedError("Give the token a name.", fields={"name": "Give the token a name."})
    if len(name) > 100:
        raise ValidationFailedError("Name too long.", fields={"name": "Use at most 100 characters."})
    token, digest, prefix = generate_api_token()
    row = ApiToken(user_id=actor.id, name=name, token_hash=digest, prefix=prefix)
    session.add(row)
    session.flush()
    return row, token


def list_tokens(*, session: Session, actor: User) -> list[ApiToken]:
    """Return the actor's own tokens, newest first."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == actor.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(*, session: Session, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's tokens."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != actor.id:
        raise NotFoundError(f"No token with id {token_id}.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def authenticate_token(*, session: Session, token: str) -> User:
    """Return the active user owning an unrevoked token, or raise."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or not row.user.is_active:
        raise NotAuthenticatedError("The API token is unknown or revoked.")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now  # coarse, so reads do not write on every request
        session.flush()
    return row.user
