"""People, sign-in throttling and API tokens (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from deliveryops.accounts import service
from deliveryops.accounts.models import Role
from deliveryops.errors import (
    ConflictError,
    NotAuthenticatedError,
    PermissionDeniedError,
    ValidationFailedError,
)
from tests.factories import PASSWORD, make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_create_normalises_email_and_refuses_duplicates(session: Session) -> None:
    user = service.create(session=session, actor=None, email="  Ada@Example.COM ", name="Ada", password="long enough pw")
    assert user.email == "ada@example.com"
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    with pytest.raises(ConflictError) as info:
        service.create(session=session, actor=None, email="ada@example.com", name="Ada 2")
    assert info.value.message == "A person with the e-mail ada@example.com exists already."


def test_create_names_each_bad_field(session: Session) -> None:
    with pytest.raises(ValidationFailedError) as info:
        service.create(session=session, actor=None, email="not-an-email", name=" ", password="short")
    assert info.value.fields == {
        "email": "Enter an e-mail address like name@example.com.",
        "name": "Enter the person's name.",
        "password": "Use at least 10 characters.",
    }


def test_only_admins_create_people(session: Session) -> None:
    member = make_user(session)
    with pytest.raises(PermissionDeniedError) as info:
        service.create(session=session, actor=member, email="x@example.com", name="X")
    assert info.value.message == "This needs one of these roles: Admin."


def test_authenticate_success_and_wrong_password(session: Session) -> None:
    user = make_user(session, email="dm@example.com")
    assert (
        service.authenticate(
            session=session, email="DM@example.com", password=PASSWORD, ip="10.0.0.1", max_failures=3, window_seconds=600, now=NOW
        ).id
        == user.id
    )
    with pytest.raises(NotAuthenticatedError) as info:
        service.authenticate(
            session=session, email="dm@example.com", password="wrong", ip="10.0.0.1", max_failures=3, window_seconds=600, now=NOW
        )
    assert info.value.message == "The e-mail or password is wrong."


def test_unknown_and_inactive_accounts_cannot_sign_in(session: Session) -> None:
    user = make_user(session, email="gone@example.com")
    user.is_active = False
    for email in ("gone@example.com", "nobody@example.com"):
        with pytest.raises(NotAuthenticatedError):
            service.authenticate(
                session=session, email=email, password=PASSWORD, ip="1.2.3.4", max_failures=3, window_seconds=600, now=NOW
            )


def test_throttle_per_account_then_window_expires(session: Session) -> None:
    make_user(session, email="target@example.com")
    for minute in range(3):
        with pytest.raises(NotAuthenticatedError):
            service.authenticate(
                session=session,
                email="target@example.com",
                password="guess",
                ip=f"10.0.0.{minute}",
                max_failures=3,
                window_seconds=600,
                now=NOW + timedelta(minutes=minute),
            )
    # Even the right password is refused while throttled: guessing must not be able to probe.
    with pytest.raises(service.TooManyAttemptsError) as info:
        service.authenticate(
            session=session,
            email="target@example.com",
            password=PASSWORD,
            ip="10.9.9.9",
            max_failures=3,
            window_seconds=600,
            now=NOW + timedelta(minutes=5),
        )
    assert info.value.message == "Too many failed sign-ins. Try again in 10 minutes."
    assert info.value.status == 429
    later = NOW + timedelta(minutes=13)
    assert (
        service.authenticate(
            session=session,
            email="target@example.com",
            password=PASSWORD,
            ip="10.9.9.9",
            max_failures=3,
            window_seconds=600,
            now=later,
        ).email
        == "target@example.com"
    )


def test_throttle_per_address(session: Session) -> None:
    for number in range(12):
        with pytest.raises(NotAuthenticatedError):
            service.authenticate(
                session=session,
                email=f"spray{number}@example.com",
                password="x",
                ip="6.6.6.6",
                max_failures=3,
                window_seconds=600,
                now=NOW,
            )
    with pytest.raises(service.TooManyAttemptsError):
        service.authenticate(
            session=session, email="fresh@example.com", password="x", ip="6.6.6.6", max_failures=3, window_seconds=600, now=NOW
        )


def test_tokens_are_hashed_shown_once_and_revocable(session: Session) -> None:
    user = make_user(session)
    row, token = service.create_token(session=session, actor=user, name="Reporting")
    assert token.startswith("dlo_")
    assert token not in (row.token_hash, row.prefix)
    assert row.prefix == token[:10]
    assert service.authenticate_token(session=session, token=token).id == user.id
    service.revoke_token(session=session, actor=user, token_id=row.id)
    with pytest.raises(NotAuthenticatedError) as info:
        service.authenticate_token(session=session, token=token)
    assert info.value.message == "The API token is unknown or revoked."


def test_cannot_revoke_someone_elses_token(session: Session) -> None:
    owner, other = make_user(session), make_user(session)
    row, _token = service.create_token(session=session, actor=owner, name="mine")
    with pytest.raises(Exception, match=f"No token with id {row.id}."):
        service.revoke_token(session=session, actor=other, token_id=row.id)


def test_token_name_required(session: Session) -> None:
    with pytest.raises(ValidationFailedError) as info:
        service.create_token(session=session, actor=make_user(session), name="  ")
    assert info.value.fields == {"name": "Give the token a name."}


def test_last_admin_cannot_demote_themselves(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    others = [u for u in service.list_(session=session, actor=admin) if u.role is Role.ADMIN and u.id != admin.id]
    for other in others:
        other.is_active = False
    with pytest.raises(ValidationFailedError) as info:
        service.update(session=session, actor=admin, user_id=admin.id, role=Role.MEMBER)
    assert info.value.message == "You are the last admin: make someone else admin first."


def test_people_change_only_themselves(session: Session) -> None:
    member, other = make_user(session), make_user(session)
    assert service.update(session=session, actor=member, user_id=member.id, name="New Name").name == "New Name"
    with pytest.raises(PermissionDeniedError):
        service.update(session=session, actor=member, user_id=other.id, name="Hijack")
    with pytest.raises(PermissionDeniedError):
        service.update(session=session, actor=member, user_id=member.id, role=Role.ADMIN)
