"""The catalogue of tools and practices, and impediments that name one of them.

Product Ops and admins edit the catalogue; everyone signed in reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.cockpit.models import (
    PRACTICE_CATEGORIES,
    TOOL_CATEGORIES,
    CatalogueEntry,
    CustomCheck,
    DataCheck,
    EntryKind,
    ImpedimentTool,
    Signal,
)
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import service as impediments
from deliveryops.impediments.models import Cluster, ClusterMember, Impediment
from deliveryops.teams.models import Team
from deliveryops.teams.service import team_ids_of

__all__ = [
    "EntryImpediments",
    "TeamImpedimentCount",
    "can_edit",
    "can_link",
    "create",
    "custom_check_of",
    "custom_checks",
    "delete_custom_check",
    "entry_of_impediment",
    "get_or_raise",
    "impediments_of",
    "link_impediment",
    "list_entries",
    "require_editor",
    "set_custom_check",
    "update",
]

OPEN_CLUSTER_STATUSES = ("proposed", "confirmed")


def can_edit(actor: User) -> bool:
    """Whether ``actor`` may change the catalogue (Product Ops and admins)."""
    return actor.role in (Role.PRODUCT_OPS, Role.ADMIN)


def require_editor(actor: User | None) -> None:
    """Refuse anyone but Product Ops and admins (None: a trusted caller such as the demo)."""
    if actor is not None and not can_edit(actor):
        raise PermissionDeniedError("Only Product Ops and admins can change the catalogue of tools and practices.")


def list_entries(*, session: Session, kind: EntryKind | None = None, active_only: bool = False) -> list[CatalogueEntry]:
    """Catalogue entries: tools first, then practices, each by name.

    Args:
        session: the unit of work.
        kind: only tools or only practices.
        active_only: leave out retired entries.

    Returns:
        The entries.
    """
    statement = select(CatalogueEntry)
    if kind is not None:
        statement = statement.where(CatalogueEntry.kind == kind)
    if active_only:
        statement = statement.where(CatalogueEntry.active.is_(True))
    rows = list(session.scalars(statement))
    return sorted(rows, key=lambda e: (e.kind is not EntryKind.TOOL, e.name.lower()))


def get_or_raise(*, session: Session, entry_id: int) -> CatalogueEntry:
    """One entry (every signed-in person may read it)."""
    entry = session.get(CatalogueEntry, entry_id)
    if entry is None:
        raise NotFoundError(f"No tool or practice with id {entry_id}.")
    return entry


def _validated(
    session: Session,
    *,
    entry_id: int | None,
    kind: str,
    name: str,
    category: str,
    owner_id: int | None,
    guide: str,
    data_check: str | None,
) -> tuple[EntryKind, str, str, DataCheck | None]:
    errors: dict[str, str] = {}
    try:
        entry_kind = EntryKind(kind)
    except ValueError:
        errors["kind"] = "Choose tool or practice."
        entry_kind = EntryKind.TOOL
    name = " ".join(name.split())
    if not name:
        errors["name"] = "Enter a name."
    elif len(name) > 100:
        errors["name"] = "Use at most 100 characters."
    else:
        clash = session.scalar(select(CatalogueEntry.id).where(CatalogueEntry.name == name))
        if clash is not None and clash != entry_id:
            errors["name"] = f"An entry named {name!r} exists already."
    category = " ".join(category.split())
    if not category:
        known = TOOL_CATEGORIES if entry_kind is EntryKind.TOOL else PRACTICE_CATEGORIES
        errors["category"] = f"Enter a category, such as {', '.join(known[:4])}."
    elif len(category) > 40:
        errors["category"] = "Use at most 40 characters."
    if owner_id is not None and session.get(User, owner_id) is None:
        errors["owner_id"] = "Choose an existing person."
    if len(guide) > 20_000:
        errors["guide"] = "Keep the guide under 20,000 characters."
    check: DataCheck | None = None
    if data_check:
        try:
            check = DataCheck(data_check)
        except ValueError:
            errors["data_check"] = "Choose a data check from the list, or none."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    return entry_kind, name, category, check


def create(
    *,
    session: Session,
    actor: User | None,
    kind: str,
    name: str,
    category: str,
    owner_id: int | None = None,
    guide: str = "",
    data_check: str | None = None,
    active: bool = True,
) -> CatalogueEntry:
    """Add a tool or practice to the catalogue.

    Args:
        session: the unit of work.
        actor: who adds it (Product Ops or admin; None for trusted callers such as the demo).
        kind: "tool" or "practice".
        name: unique name, at most 100 characters.
        category: e.g. tracker, CI/CD, analytics (tools); flow, quality, learning (practices).
        owner_id: the person who owns it.
        guide: a short guide, plain text or Markdown.
        data_check: the automatic check that confirms the practice (a ``DataCheck`` value), if any.
        active: whether the organisation supports it now.

    Returns:
        The entry.
    """
    require_editor(actor)
    entry_kind, clean_name, clean_category, check = _validated(
        session, entry_id=None, kind=kind, name=name, category=category, owner_id=owner_id, guide=guide, data_check=data_check
    )
    entry = CatalogueEntry(
        kind=entry_kind,
        name=clean_name,
        category=clean_category,
        owner_id=owner_id,
        guide=guide.strip(),
        data_check=check,
        active=active,
    )
    session.add(entry)
    session.flush()
    return entry


def update(
    *,
    session: Session,
    actor: User | None,
    entry_id: int,
    kind: str,
    name: str,
    category: str,
    owner_id: int | None = None,
    guide: str = "",
    data_check: str | None = None,
    active: bool = True,
) -> CatalogueEntry:
    """Change every field of an entry (same rules as :func:`create`)."""
    require_editor(actor)
    entry = get_or_raise(session=session, entry_id=entry_id)
    entry_kind, clean_name, clean_category, check = _validated(
        session, entry_id=entry.id, kind=kind, name=name, category=category, owner_id=owner_id, guide=guide, data_check=data_check
    )
    entry.kind, entry.name, entry.category, entry.owner_id = entry_kind, clean_name, clean_category, owner_id
    entry.guide, entry.data_check, entry.active, entry.updated_at = guide.strip(), check, active, utcnow()
    session.flush()
    return entry


# Admin-defined checks.

CUSTOM_WINDOW_DAYS = (7, 365)


def custom_check_of(session: Session, entry_id: int) -> CustomCheck | None:
    """The entry's admin-defined check, if one is defined."""
    return session.scalar(select(CustomCheck).where(CustomCheck.entry_id == entry_id))


def set_custom_check(
    *, session: Session, actor: User | None, entry_id: int, signal: str, threshold: float, window_days: int
) -> CustomCheck:
    """Define (or change) the entry's check from a signal, a threshold and a window; the entry then uses it.

    Args:
        session: the unit of work.
        actor: Product Ops or an admin (None for trusted callers such as the demo).
        entry_id: the catalogue entry.
        signal: a :class:`Signal` value.
        threshold: in the signal's unit, at least 0 (a share: at most 100).
        window_days: 7 to 365.

    Returns:
        The check.
    """
    require_editor(actor)
    entry = get_or_raise(session=session, entry_id=entry_id)
    errors: dict[str, str] = {}
    try:
        chosen = Signal(signal)
    except ValueError:
        errors["signal"] = "Choose a signal from the list."
        chosen = Signal.DEPLOYMENTS_PER_WEEK
    top = 100 if chosen is Signal.REVIEWED_SHARE else 1_000_000
    if not 0 <= threshold <= top:
        errors["threshold"] = f"Enter a threshold from 0 to {top:,}."
    low, high = CUSTOM_WINDOW_DAYS
    if not low <= window_days <= high:
        errors["window_days"] = f"Enter a window from {low} to {high} days."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    rule = custom_check_of(session, entry.id)
    if rule is None:
        rule = CustomCheck(entry_id=entry.id)
        session.add(rule)
    rule.signal, rule.threshold, rule.window_days = chosen, float(threshold), window_days
    rule.updated_by_id, rule.updated_at = (actor.id if actor else None), utcnow()
    entry.data_check, entry.updated_at = DataCheck.CUSTOM, utcnow()
    session.flush()
    return rule


def custom_checks(session: Session) -> list[tuple[CustomCheck, CatalogueEntry]]:
    """Every admin-defined check with its entry, by entry name (every signed-in person reads them)."""
    rows = session.execute(
        select(CustomCheck, CatalogueEntry)
        .join(CatalogueEntry, CatalogueEntry.id == CustomCheck.entry_id)
        .order_by(CatalogueEntry.name, CustomCheck.id)
    )
    return [(rule, entry) for rule, entry in rows]


def delete_custom_check(*, session: Session, actor: User | None, entry_id: int) -> CatalogueEntry:
    """Remove the entry's admin-defined check (Product Ops, admins): the entry then has no data check.

    Raises:
        NotFoundError: no such entry, or it has no admin-defined check.
    """
    require_editor(actor)
    entry = get_or_raise(session=session, entry_id=entry_id)
    rule = custom_check_of(session, entry.id)
    if rule is None:
        raise NotFoundError(f"{entry.name} has no admin-defined check.")
    session.delete(rule)
    if entry.data_check is DataCheck.CUSTOM:
        entry.data_check = None
    entry.updated_at = utcnow()
    session.flush()
    return entry


# Impediments naming a tool or practice.


def entry_of_impediment(session: Session, impediment_id: int) -> CatalogueEntry | None:
    """The tool or practice an impediment names, if any."""
    return session.scalar(
        select(CatalogueEntry)
        .join(ImpedimentTool, ImpedimentTool.entry_id == CatalogueEntry.id)
        .where(ImpedimentTool.impediment_id == impediment_id)
    )


def can_link(session: Session, actor: User, impediment: Impediment) -> bool:
    """Who may name the tool of an impediment: the team's people, its DM, Product Ops and admins."""
    return actor.role in (Role.PRODUCT_OPS, Role.ADMIN) or impediment.team_id in team_ids_of(session, actor)


def link_impediment(*, session: Session, actor: User | None, impediment_id: int, entry_id: int | None) -> Impediment:
    """Name the tool or practice an impediment concerns (``entry_id=None`` removes the link).

    Args:
        session: the unit of work.
        actor: who does it (the team's people, Product Ops, admins; None for trusted callers).
        impediment_id: the impediment.
        entry_id: the catalogue entry, or None.

    Returns:
        The impediment.
    """
    if actor is None:
        impediment = session.get(Impediment, impediment_id)
        if impediment is None:
            raise NotFoundError(f"No impediment with id {impediment_id}.")
    else:
        impediment = impediments.get_or_raise(session=session, actor=actor, impediment_id=impediment_id)
        if not can_link(session, actor, impediment):
            raise PermissionDeniedError(
                "Only the team's people, Product Ops and admins can name the tool an impediment concerns."
            )
    if entry_id is not None and session.get(CatalogueEntry, entry_id) is None:
        raise ValidationFailedError(
            f"No tool or practice with id {entry_id}.", fields={"entry_id": "Choose a tool or practice from the catalogue."}
        )
    link = session.scalar(select(ImpedimentTool).where(ImpedimentTool.impediment_id == impediment.id))
    if entry_id is None:
        if link is not None:
            session.delete(link)
    elif link is None:
        session.add(ImpedimentTool(impediment_id=impediment.id, entry_id=entry_id, linked_by_id=actor.id if actor else None))
    else:
        link.entry_id, link.linked_by_id, link.linked_at = entry_id, actor.id if actor else None, utcnow()
    session.flush()
    return impediment


@dataclass
class TeamImpedimentCount:
    """Impediments of one team that name the entry."""

    team_id: int
    team_name: str
    team_slug: str
    open: int = 0
    closed: int = 0


@dataclass
class EntryImpediments:
    """Where a tool or practice blocks teams: impediments naming it and the open clusters holding them."""

    open_total: int
    closed_total: int
    by_team: list[TeamImpedimentCount] = field(default_factory=list)
    open_impediments: list[Impediment] = field(default_factory=list)
    open_clusters: list[Cluster] = field(default_factory=list)


def impediments_of(session: Session, entry_id: int, *, team_ids: set[int] | None = None) -> EntryImpediments:
    """Impediments naming the entry: totals over every team, per-team rows and lists only for ``team_ids``.

    Args:
        session: the unit of work.
        entry_id: the catalogue entry.
        team_ids: the teams the viewer may see (None: all).

    Returns:
        Totals, per-team open/closed counts, open impediments and the open (proposed or
        confirmed) clusters that contain impediments naming the entry.
    """
    rows = list(
        session.scalars(
            select(Impediment)
            .join(ImpedimentTool, ImpedimentTool.impediment_id == Impediment.id)
            .where(ImpedimentTool.entry_id == entry_id)
            .order_by(Impediment.created_at.desc(), Impediment.id.desc())
        )
    )
    result = EntryImpediments(
        open_total=sum(1 for r in rows if not r.status.is_closed), closed_total=sum(1 for r in rows if r.status.is_closed)
    )
    visible = [r for r in rows if team_ids is None or r.team_id in team_ids]
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.id.in_({r.team_id for r in visible})))}
    counts: dict[int, TeamImpedimentCount] = {}
    for row in visible:
        team = teams[row.team_id]
        count = counts.setdefault(row.team_id, TeamImpedimentCount(team.id, team.name, team.slug))
        if row.status.is_closed:
            count.closed += 1
        else:
            count.open += 1
    result.by_team = sorted(counts.values(), key=lambda c: c.team_name)
    result.open_impediments = [r for r in visible if not r.status.is_closed]
    # Confirmed clusters set the impediment's cluster_id; proposed ones only list it as a member.
    cluster_ids = {r.cluster_id for r in visible if r.cluster_id is not None}
    if visible:
        cluster_ids |= set(
            session.scalars(select(ClusterMember.cluster_id).where(ClusterMember.impediment_id.in_([r.id for r in visible])))
        )
    if cluster_ids:
        result.open_clusters = list(
            session.scalars(
                select(Cluster)
                .where(Cluster.id.in_(cluster_ids), Cluster.status.in_(OPEN_CLUSTER_STATUSES))
                .order_by(Cluster.created_at.desc())
            )
        )
    return result
