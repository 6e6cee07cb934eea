"""Cross-team detection: impediments of different teams that describe one problem become a cluster.

Proposals come from text similarity (``deliveryops.analytics.similarity``); Product Ops confirms or
rejects them. A confirmed cluster has one owner and resolving it resolves every member, with a note
to each team. When impediments of at least ``AUTO_ESCALATE_TEAMS`` teams cluster within
``AUTO_ESCALATE_DAYS`` days, the cluster goes to Product Ops on its own.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from deliveryops.accounts.models import Role, User
from deliveryops.analytics.similarity import SimilarityIndex, propose_clusters
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments.models import Category, Cluster, ClusterMember, Event, Impediment, Level, Status
from deliveryops.impediments.service import resolve

__all__ = [
    "AUTO_ESCALATE_DAYS",
    "AUTO_ESCALATE_TEAMS",
    "confirm",
    "list_",
    "propose",
    "reject",
    "resolve_cluster",
    "similar_elsewhere",
]

AUTO_ESCALATE_TEAMS = 3
AUTO_ESCALATE_DAYS = 30


def _text(impediment: Impediment, categories: dict[int, str]) -> str:
    return " ".join(
        part for part in (impediment.title, impediment.description, categories.get(impediment.category_id or -1, "")) if part
    )


def _open_unclustered(session: Session) -> list[Impediment]:
    rows = session.scalars(
        select(Impediment).where(Impediment.cluster_id.is_(None)).options(selectinload(Impediment.events)).order_by(Impediment.id)
    )
    return [row for row in rows if not row.status.is_closed]


def _require_ops(actor: User | None) -> None:
    if actor is not None and actor.role not in (Role.PRODUCT_OPS, Role.ADMIN):
        raise PermissionDeniedError("Only Product Ops decides about cross-team clusters.")


def propose(session: Session, *, now: datetime | None = None, escalation_teams: int = AUTO_ESCALATE_TEAMS) -> list[Cluster]:
    """Propose clusters among open impediments of different teams; returns the new proposals.

    A group whose members are exactly those of an earlier proposal (open, confirmed or rejected) is
    not proposed again, so a rejection sticks.

    Args:
        session: the unit of work.
        now: the clock.
        escalation_teams: clusters with impediments of at least this many teams raised in the last
            ``AUTO_ESCALATE_DAYS`` days go to Product Ops automatically (setting
            ``DELIVERYOPS_CLUSTER_ESCALATION_TEAMS``).

    Returns:
        The new proposals.
    """
    moment = now or utcnow()
    candidates = _open_unclustered(session)
    if len(candidates) < 2:
        return []
    categories = {c.id: c.name for c in session.scalars(select(Category))}
    # groups=team: only clusters that span at least two teams are proposed.
    groups = propose_clusters([_text(c, categories) for c in candidates], groups=[c.team_id for c in candidates])
    known = {
        frozenset(m.impediment_id for m in cluster.members)
        for cluster in session.scalars(select(Cluster).options(selectinload(Cluster.members)))
    }
    created = []
    for group in groups:
        members = [candidates[index] for index in group]
        teams = {m.team_id for m in members}
        if len(teams) < 2 or frozenset(m.id for m in members) in known:
            continue
        title = Counter(m.title for m in members).most_common(1)[0][0]
        cluster = Cluster(title=title[:200], status="proposed", created_at=moment)
        cluster.members = [ClusterMember(impediment_id=m.id) for m in members]
        session.add(cluster)
        recent = [m for m in members if m.created_at >= moment - timedelta(days=AUTO_ESCALATE_DAYS)]
        if len({m.team_id for m in recent}) >= escalation_teams:
            cluster.auto_escalated = True
            for member in members:
                if member.level in (Level.TEAM, Level.DELIVERY_MANAGER):
                    member.events.append(
                        Event(
                            kind="escalated",
                            from_value=member.level.value,
                            to_value=Level.PRODUCT_OPS.value,
                            at=moment,
                            note=f"Automatically: {len(teams)} teams report the same problem.",
                        )
                    )
                    member.level = Level.PRODUCT_OPS
                    member.level_entered_at = moment
                    member.status = Status.ESCALATED
        created.append(cluster)
    session.flush()
    return created


def list_(session: Session, *, actor: User, status: str | None = None) -> list[Cluster]:
    """Clusters, newest first (Product Ops, leaders and admins)."""
    if actor.role not in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN):
        raise PermissionDeniedError("Cross-team clusters are for Product Ops and leaders.")
    statement = select(Cluster).options(selectinload(Cluster.members)).order_by(Cluster.id.desc())
    if status:
        statement = statement.where(Cluster.status == status)
    return list(session.scalars(statement))


def _get(session: Session, cluster_id: int) -> Cluster:
    cluster = session.get(Cluster, cluster_id)
    if cluster is None:
        raise NotFoundError(f"No cluster with id {cluster_id}.")
    return cluster


def members_of(session: Session, cluster: Cluster) -> list[Impediment]:
    """The impediments in a cluster."""
    ids = [m.impediment_id for m in cluster.members]
    return list(session.scalars(select(Impediment).where(Impediment.id.in_(ids)).order_by(Impediment.team_id)))


def confirm(
    session: Session,
    *,
    actor: User | None,
    cluster_id: int,
    owner_id: int | None,
    title: str | None = None,
    now: datetime | None = None,
) -> Cluster:
    """Confirm a proposal: one owner, and its members now resolve together."""
    _require_ops(actor)
    cluster = _get(session, cluster_id)
    if cluster.status != "proposed":
        raise ValidationFailedError(f"This cluster is {cluster.status} already.", fields={"status": cluster.status})
    if owner_id is None or session.get(User, owner_id) is None:
        raise ValidationFailedError("Choose the cluster's owner.", fields={"owner_id": "Choose the cluster's owner."})
    moment = now or utcnow()
    cluster.status, cluster.owner_id, cluster.decided_at = "confirmed", owner_id, moment
    if title and title.strip():
        cluster.title = title.strip()[:200]
    for member in members_of(session, cluster):
        member.cluster_id = cluster.id
        member.events.append(
            Event(
                actor_id=actor.id if actor else None,
                kind="clustered",
                at=moment,
                note=f"Part of the cross-team problem “{cluster.title}”, owned by Product Ops.",
            )
        )
    session.flush()
    return cluster


def reject(session: Session, *, actor: User | None, cluster_id: int, reason: str, now: datetime | None = None) -> Cluster:
    """Reject a proposal (it is not proposed again)."""
    _require_ops(actor)
    cluster = _get(session, cluster_id)
    if cluster.status != "proposed":
        raise ValidationFailedError(f"This cluster is {cluster.status} already.", fields={"status": cluster.status})
    if not reason.strip():
        raise ValidationFailedError("Say why these are different problems.", fields={"reason": "required"})
    cluster.status, cluster.note, cluster.decided_at = "rejected", reason.strip(), now or utcnow()
    session.flush()
    return cluster


def resolve_cluster(session: Session, *, actor: User | None, cluster_id: int, note: str, now: datetime | None = None) -> Cluster:
    """Resolve a confirmed cluster and every open member, with a note to each team."""
    cluster = _get(session, cluster_id)
    if actor is not None and actor.role not in (Role.PRODUCT_OPS, Role.ADMIN) and actor.id != cluster.owner_id:
        raise PermissionDeniedError("Only the cluster's owner or Product Ops can resolve it.")
    if cluster.status != "confirmed":
        raise ValidationFailedError("Only a confirmed cluster can be resolved.", fields={"status": cluster.status})
    if not note.strip():
        raise ValidationFailedError("Say how it was resolved.", fields={"note": "Say how it was resolved."})
    moment = now or utcnow()
    for member in members_of(session, cluster):
        if not member.status.is_closed:
            resolve(
                session=session,
                actor=None,
                impediment_id=member.id,
                now=moment,
                via_cluster=True,
                note=f"Resolved with the cross-team problem “{cluster.title}”: {note.strip()}",
            )
    cluster.status, cluster.resolved_at, cluster.note = "resolved", moment, note.strip()
    session.flush()
    return cluster


def similar_elsewhere(session: Session, impediment: Impediment, *, limit: int = 3) -> list[tuple[Impediment, float]]:
    """Open impediments of other teams that read like this one (shown when it is raised)."""
    others = [c for c in _open_unclustered(session) if c.team_id != impediment.team_id and c.id != impediment.id]
    if not others:
        return []
    categories = {c.id: c.name for c in session.scalars(select(Category))}
    index = SimilarityIndex.fit([_text(o, categories) for o in others])
    return [
        (others[position], score)
        for position, score in index.query(_text(impediment, categories), k=limit)
        if score >= index.threshold
    ]
