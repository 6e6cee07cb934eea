"""Webhooks-in: tools that hold dependencies elsewhere (Jira Align, a planning sheet's script ...) send them here.

An admin creates an inbound hook; its token (``dih_<hook id>_<random>``) is shown once and stored encrypted
with the app's key, like connection tokens (:mod:`deliveryops.secrets`). A call names the dependency by its
``external_id`` in the sending tool: the first call creates it (requested, or in the state the tool sends), the
next ones update it in place. A bad field is a 422 naming it, and nothing is written.
"""

from __future__ import annotations

import hmac
import re
import secrets as random_tokens
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.db import utcnow
from deliveryops.dependencies import service
from deliveryops.dependencies.detection_schemas import HookCreate, InboundDependency, InboundResult
from deliveryops.dependencies.models import (
    Dependency,
    DependencyEvent,
    DependencyExternalRef,
    DependencyFunction,
    DependencyState,
    InboundHook,
)
from deliveryops.dependencies.schemas import DependencyCreate
from deliveryops.errors import NotAuthenticatedError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.secrets import SecretError, decrypt, encrypt
from deliveryops.teams.models import Team

_HOOK_ID = re.compile(r"[0-9]{1,9}")
"""A hook's id as its token writes it: ASCII digits only, fewer than ten of them."""

__all__ = ["TOKEN_PREFIX", "authenticate", "create_hook", "hooks", "receive", "revoke_hook"]

TOKEN_PREFIX = "dih_"  # noqa: S105 (the tokens' visible prefix, not a secret)


def _require_admin(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.ADMIN:
        raise PermissionDeniedError("Only admins manage inbound hooks.")


def hooks(*, session: Session, actor: User | None) -> list[InboundHook]:
    """Every inbound hook, newest first (admins)."""
    _require_admin(actor)
    return list(session.scalars(select(InboundHook).order_by(InboundHook.id.desc())))


def create_hook(*, session: Session, actor: User | None, body: HookCreate, app_key: str) -> tuple[InboundHook, str]:
    """Create a hook (admins); returns it and its token, which is never shown again."""
    _require_admin(actor)
    hook = InboundHook(name=body.name, token_encrypted="", prefix="", created_by_id=actor.id if actor else None)
    session.add(hook)
    session.flush()
    token = f"{TOKEN_PREFIX}{hook.id}_{random_tokens.token_urlsafe(32)}"
    hook.token_encrypted = encrypt(token, app_key=app_key)
    hook.prefix = token[: len(TOKEN_PREFIX) + len(str(hook.id)) + 5]
    session.flush()
    return hook, token


def revoke_hook(*, session: Session, actor: User | None, hook_id: int) -> InboundHook:
    """Revoke a hook (admins): its token stops working at once; what it sent stays."""
    _require_admin(actor)
    hook = session.get(InboundHook, hook_id)
    if hook is None:
        raise NotFoundError(f"No inbound hook with id {hook_id}.")
    hook.revoked_at = hook.revoked_at or utcnow()
    session.flush()
    return hook


def authenticate(*, session: Session, authorization: str | None, app_key: str) -> InboundHook:
    """The hook an ``Authorization: Bearer dih_...`` header stands for, or 401."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
        raise NotAuthenticatedError("Send the inbound hook's token as 'Authorization: Bearer dih_...'.")
    hook_id, _, _rest = token.removeprefix(TOKEN_PREFIX).partition("_")
    hook = session.get(InboundHook, int(hook_id)) if _HOOK_ID.fullmatch(hook_id) else None
    if hook is None or hook.revoked_at is not None:
        raise NotAuthenticatedError("The inbound hook's token is unknown or revoked.")
    try:
        stored = decrypt(hook.token_encrypted, app_key=app_key)
    except SecretError:
        raise NotAuthenticatedError("The inbound hook's token can no longer be read; an admin creates a new hook.") from None
    if not hmac.compare_digest(stored.encode(), token.encode()):
        raise NotAuthenticatedError("The inbound hook's token is unknown or revoked.")
    now = utcnow()
    if hook.last_used_at is None or now - hook.last_used_at > timedelta(minutes=1):
        hook.last_used_at = now
    return hook


def _team(session: Session, name: str, field: str) -> Team:
    team = session.scalar(select(Team).where((Team.slug == name) | (Team.name == name)))
    if team is None:
        raise ValidationFailedError(f"No team with the slug or name {name!r}.", fields={field: f"No team {name!r}."})
    return team


def _function(session: Session, name: str) -> DependencyFunction:
    function = session.scalar(select(DependencyFunction).where(DependencyFunction.name == name))
    if function is None or not function.active:
        raise ValidationFailedError(
            f"No active function named {name!r}.", fields={"provider_function": f"No active function {name!r}."}
        )
    return function


def receive(*, session: Session, hook: InboundHook, event: InboundDependency) -> InboundResult:
    """Create or update the dependency the hook calls ``event.external_id``; every check runs before any write."""
    requester = _team(session, event.requester_team, "requester_team")
    provider_team = _team(session, event.provider_team, "provider_team") if event.provider_team else None
    function = _function(session, event.provider_function) if event.provider_function else None
    if provider_team is not None and provider_team.id == requester.id:
        raise ValidationFailedError(
            "A team cannot depend on itself.", fields={"provider_team": "Name another team than the requester."}
        )
    ref = session.scalar(
        select(DependencyExternalRef).where(
            DependencyExternalRef.hook_id == hook.id, DependencyExternalRef.external_id == event.external_id
        )
    )
    wanted: dict[str, object] = {
        "requester_team_id": requester.id,
        "provider_team_id": provider_team.id if provider_team else None,
        "provider_function_id": function.id if function else None,
        "title": event.title,
        "why": event.why,
        "needed_by": event.needed_by,
        "requester_keys": " ".join(event.requester_keys),
        "provider_keys": " ".join(event.provider_keys),
    }
    if event.state is not None:
        wanted.update(
            state=event.state,
            committed_on=event.committed_on,
            countered_on=event.countered_on,
            delivered_on=event.delivered_on,
            decline_reason=event.decline_reason,
        )
    if ref is None:
        body = DependencyCreate(
            requester_team_id=requester.id,
            provider_team_id=provider_team.id if provider_team else None,
            provider_function_id=function.id if function else None,
            title=event.title,
            why=event.why,
            needed_by=event.needed_by,
            requester_keys=event.requester_keys,
        )
        dependency = service.create(session=session, actor=None, body=body)
        dependency.events[-1].note = f"Sent by {hook.name}. {event.why}".strip()
        _apply(dependency, wanted, hook)
        session.add(DependencyExternalRef(hook_id=hook.id, external_id=event.external_id, dependency_id=dependency.id))
        session.flush()
        return InboundResult(external_id=event.external_id, dependency_id=dependency.id, status="created")
    existing = session.get(Dependency, ref.dependency_id)
    assert existing is not None  # the foreign key cascades
    changed = _apply(existing, wanted, hook)
    session.flush()
    return InboundResult(external_id=event.external_id, dependency_id=existing.id, status="updated" if changed else "unchanged")


def _apply(dependency: Dependency, wanted: dict[str, object], hook: InboundHook) -> bool:
    """Set what differs; a state change is recorded in the history, naming the hook."""
    previous = dependency.state
    changed = [name for name, value in wanted.items() if getattr(dependency, name) != value]
    for name in changed:
        setattr(dependency, name, wanted[name])
    if "state" in changed:
        on_date = {
            DependencyState.ACCEPTED: dependency.committed_on,
            DependencyState.COUNTERED: dependency.countered_on,
            DependencyState.DELIVERED: dependency.delivered_on,
        }.get(dependency.state)
        dependency.events.append(
            DependencyEvent(
                actor_id=None,
                action="inbound",
                from_state=previous.value,
                to_state=dependency.state.value,
                on_date=on_date,
                note=f"Sent by {hook.name}.",
            )
        )
    if changed:
        dependency.updated_at = utcnow()
    return bool(changed)
