"""Use cases of the ROAM register: raise, edit, read and list cross-team risks.

Who may do what: Product Ops and admins manage every risk; a delivery manager raises and edits the risks of
the teams they manage; a risk's owner edits it; leaders read every risk; everyone else reads the risks of
their teams and those of the whole organisation (no team). ``actor=None`` is a trusted local caller (the CLI).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from deliveryops.accounts.models import Role, User
from deliveryops.db import fetch_page, utcnow
from deliveryops.dependencies import service as dependencies
from deliveryops.dependencies.models import Dependency
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import service as impediments
from deliveryops.impediments.models import Impediment
from deliveryops.risks.models import LinkKind, Risk, RiskLink, RoamStatus
from deliveryops.risks.schemas import RiskFilter, RiskLinkRead, RiskRead, RiskWrite
from deliveryops.schemas import Page, PageParams
from deliveryops.teams.models import Team
from deliveryops.teams.service import team_ids_of

__all__ = ["can_edit", "can_raise", "create", "get_or_raise", "list_", "reads", "review_overdue", "update"]


def _manages_all(user: User | None) -> bool:
    return user is None or user.role in (Role.ADMIN, Role.PRODUCT_OPS)


def can_raise(session: Session, user: User | None) -> bool:
    """Product Ops, admins and delivery managers (for their teams) raise risks."""
    return _manages_all(user) or (user is not None and bool(dependencies.managed_team_ids(session, user)))


def can_edit(session: Session, user: User | None, risk: Risk) -> bool:
    """Product Ops, admins, the risk's owner, and the delivery managers of its team."""
    if _manages_all(user):
        return True
    assert user is not None
    return risk.owner_id == user.id or (risk.team_id is not None and risk.team_id in dependencies.managed_team_ids(session, user))


def _visible(session: Session, user: User | None, statement: Select[Risk]) -> Select[Risk]:
    if user is None or user.role.sees_all_teams:
        return statement
    return statement.where(or_(Risk.team_id.is_(None), Risk.team_id.in_(team_ids_of(session, user)), Risk.owner_id == user.id))


def get_or_raise(*, session: Session, actor: User | None, risk_id: int) -> Risk:
    """One risk, if the actor may see it."""
    risk = session.scalar(_visible(session, actor, select(Risk).where(Risk.id == risk_id)))
    if risk is None:
        if session.get(Risk, risk_id) is None:
            raise NotFoundError(f"No risk with id {risk_id}.")
        raise PermissionDeniedError("This risk belongs to a team you are not in.")
    return risk


def review_overdue(risk: Risk, today: date) -> bool:
    """Not resolved, and its review date has passed."""
    return not risk.status.is_closed and risk.review_on is not None and risk.review_on < today


def _check(session: Session, actor: User | None, body: RiskWrite, *, team_changes: bool = True) -> list[RiskLink]:
    errors: dict[str, str] = {}
    if body.team_id is not None and session.get(Team, body.team_id) is None:
        errors["team_id"] = f"No team with id {body.team_id}."
    if team_changes and not _manages_all(actor):
        assert actor is not None
        if body.team_id is None or body.team_id not in dependencies.managed_team_ids(session, actor):
            errors.setdefault(
                "team_id", "Choose a team you are the delivery manager of; Product Ops keep organisation-wide risks."
            )
    if body.owner_id is not None:
        owner = session.get(User, body.owner_id)
        if owner is None or not owner.is_active:
            errors["owner_id"] = f"Nobody active has the id {body.owner_id}."
    links: list[RiskLink] = []
    for dependency_id in body.dependency_ids:
        dependency = session.get(Dependency, dependency_id)
        if dependency is None or (actor is not None and not dependencies.can_see(session, actor, dependency)):
            errors["dependency_ids"] = f"No dependency {dependency_id} that you may see."
        else:
            links.append(RiskLink(kind=LinkKind.DEPENDENCY, ref=str(dependency_id)))
    for impediment_id in body.impediment_ids:
        impediment = session.get(Impediment, impediment_id)
        if impediment is None or (actor is not None and not impediments.can_see(session, actor, impediment)):
            errors["impediment_ids"] = f"No impediment {impediment_id} that you may see."
        else:
            links.append(RiskLink(kind=LinkKind.IMPEDIMENT, ref=str(impediment_id)))
    links += [RiskLink(kind=LinkKind.EPIC, ref=key) for key in body.epic_keys]
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    return links


def _apply(risk: Risk, body: RiskWrite, links: list[RiskLink]) -> None:
    risk.title, risk.description, risk.status, risk.impact = body.title, body.description, body.status, body.impact
    risk.team_id, risk.owner_id, risk.review_on, risk.response = body.team_id, body.owner_id, body.review_on, body.response
    risk.links = links
    risk.updated_at = utcnow()


def create(*, session: Session, actor: User | None, body: RiskWrite) -> Risk:
    """Raise a risk (Product Ops, admins; delivery managers for their teams)."""
    if not can_raise(session, actor):
        raise PermissionDeniedError("Delivery managers, Product Ops and admins raise risks.")
    links = _check(session, actor, body)
    risk = Risk(created_by_id=actor.id if actor else None)
    _apply(risk, body, links)
    session.add(risk)
    session.flush()
    return risk


def update(*, session: Session, actor: User | None, risk_id: int, body: RiskWrite) -> Risk:
    """Edit a risk: its ROAM status, owner, impact, review date, response and links."""
    risk = get_or_raise(session=session, actor=actor, risk_id=risk_id)
    if not can_edit(session, actor, risk):
        raise PermissionDeniedError("Only the risk's owner, its team's delivery managers, Product Ops and admins edit it.")
    links = _check(session, actor, body, team_changes=body.team_id != risk.team_id)
    _apply(risk, body, links)
    session.flush()
    return risk


def reads(session: Session, risks: list[Risk], *, today: date | None = None) -> list[RiskRead]:
    """The API's view of risks, with link labels."""
    today = today or utcnow().date()
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    owner_ids = {r.owner_id for r in risks if r.owner_id}
    owners = dict(session.execute(select(User.id, User.name).where(User.id.in_(owner_ids))).all()) if owner_ids else {}
    dep_ids = {int(link.ref) for r in risks for link in r.links if link.kind is LinkKind.DEPENDENCY}
    imp_ids = {int(link.ref) for r in risks for link in r.links if link.kind is LinkKind.IMPEDIMENT}
    dep_titles = dict(session.execute(select(Dependency.id, Dependency.title).where(Dependency.id.in_(dep_ids))).all())
    imp_titles = dict(session.execute(select(Impediment.id, Impediment.title).where(Impediment.id.in_(imp_ids))).all())

    titles = {LinkKind.DEPENDENCY: dep_titles, LinkKind.IMPEDIMENT: imp_titles}
    paths = {LinkKind.DEPENDENCY: "dependencies", LinkKind.IMPEDIMENT: "impediments"}

    def link_read(link: RiskLink) -> RiskLinkRead:
        if link.kind is LinkKind.EPIC:
            return RiskLinkRead(kind=link.kind, ref=link.ref, label=f"Epic {link.ref}", href=None)
        title = titles[link.kind].get(int(link.ref))
        return RiskLinkRead(
            kind=link.kind,
            ref=link.ref,
            label=f"{link.kind.value.capitalize()} {link.ref}: {title or 'deleted'}",
            href=f"/{paths[link.kind]}/{link.ref}" if title else None,
        )

    return [
        RiskRead(
            id=r.id,
            title=r.title,
            description=r.description,
            status=r.status,
            impact=r.impact,
            team_id=r.team_id,
            team=teams.get(r.team_id) if r.team_id else None,
            owner_id=r.owner_id,
            owner=owners.get(r.owner_id) if r.owner_id else None,
            review_on=r.review_on,
            review_overdue=review_overdue(r, today),
            response=r.response,
            links=[link_read(link) for link in r.links],
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in risks
    ]


def list_(
    *, session: Session, actor: User | None, filters: RiskFilter, page: PageParams, today: date | None = None
) -> Page[RiskRead]:
    """A page of the risks the actor may see: overdue reviews first, then by review date."""
    today = today or utcnow().date()
    statement = _visible(session, actor, select(Risk).options(selectinload(Risk.links)))
    if filters.status is not None:
        statement = statement.where(Risk.status == filters.status)
    if filters.team_id is not None:
        statement = statement.where(Risk.team_id == filters.team_id)
    overdue = (Risk.status != RoamStatus.RESOLVED) & Risk.review_on.is_not(None) & (Risk.review_on < today)
    if filters.review_overdue is True:
        statement = statement.where(overdue)
    elif filters.review_overdue is False:
        statement = statement.where(~overdue)
    statement = statement.order_by(Risk.review_on.is_(None), Risk.review_on, Risk.id)
    rows, total = fetch_page(session, statement, limit=page.limit, offset=page.offset)
    return Page[RiskRead](items=reads(session, list(rows), today=today), total=total, limit=page.limit, offset=page.offset)
