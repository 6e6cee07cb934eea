"""Cross-team detection: impediments of different teams that describe one problem become a cluster.

Proposals come from text similarity (``deliveryops.analytics.similarity.blended``: sentence vectors
blended with the delivery lexicon and the organisation's synonyms, honouring every decision people
took, ``impediments.decisions``); Product Ops confirms or rejects them. A confirmed cluster has one
owner and resolving it resolves every member, with a note to each team. When impediments of at least
``AUTO_ESCALATE_TEAMS`` teams cluster within ``AUTO_ESCALATE_DAYS`` days, the cluster goes to Product
Ops on its own.

Clusters keep their identity (``cluster_identity``): each proposal round matches the groups it finds
with the clusters that exist, so a new team's impediment **joins** the existing cluster (and its
escalation) instead of starting a second one; an impediment is in at most one open cluster.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from deliveryops.accounts.models import Role, User
from deliveryops.analytics.similarity.blended import BlendedIndex
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import decisions, embeddings
from deliveryops.impediments.cluster_identity import (
    AUTO_ESCALATE_DAYS,
    AUTO_ESCALATE_TEAMS,
    cluster_event,
    reconcile,
)
from deliveryops.impediments.models import Cluster, Event, Impediment
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


def _open_unclustered(session: Session) -> list[Impediment]:
    rows = session.scalars(
        select(Impediment).where(Impediment.cluster_id.is_(None)).options(selectinload(Impediment.events)).order_by(Impediment.id)
    )
    return [row for row in rows if not row.status.is_closed]


def _require_ops(actor: User | None) -> None:
    if actor is not None and actor.role not in (Role.PRODUCT_OPS, Role.ADMIN):
        raise PermissionDeniedError("Only Product Ops decides about cross-team clusters.")


def propose(session: Session, *, now: datetime | None = None, escalation_teams: int = AUTO_ESCALATE_TEAMS) -> list[Cluster]:
    """Look for clusters among open impediments of different teams; returns the proposals this call created.

    Groups that match an existing cluster update it (new members join it, with its escalation);
    pairs that people decided are different problems are never grouped again.

    Args:
        session: the unit of work.
        now: the clock.
        escalation_teams: clusters with impediments of at least this many teams raised in the last
            ``AUTO_ESCALATE_DAYS`` days go to Product Ops automatically (setting
            ``DELIVERYOPS_CLUSTER_ESCALATION_TEAMS``).

    Returns:
        The new proposals.
    """
    return reconcile(session, now=now or utcnow(), escalation_teams=escalation_teams)


def list_(session: Session, *, actor: User | None, status: str | None = None) -> list[Cluster]:
    """Clusters, newest first (Product Ops, leaders and admins; ``None``: a trusted local caller, the CLI)."""
    if actor is not None and actor.role not in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN):
        raise PermissionDeniedError("Cross-team clusters are for Product Ops and leaders.")
    statement = select(Cluster).options(selectinload(Cluster.members)).order_by(Cluster.id.desc())
    # A merged cluster lives on in the one it was merged into: listing both would show the problem twice.
    statement = statement.where(Cluster.status == status) if status else statement.where(Cluster.status != "merged")
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
    members = members_of(session, cluster)
    for member in members:
        member.cluster_id = cluster.id
        member.events.append(
            Event(
                actor_id=actor.id if actor else None,
                kind="clustered",
                at=moment,
                note=f"Part of the cross-team problem “{cluster.title}”, owned by Product Ops.",
            )
        )
    decisions.record_groups(session, groups=[[m.id for m in members]], source="confirm", actor=actor, now=moment)
    cluster_event(
        session,
        cluster,
        "confirmed",
        actor=actor,
        at=moment,
        note=f"Confirmed as one problem of {len({m.team_id for m in members})} teams.",
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
    moment = now or utcnow()
    cluster.status, cluster.note, cluster.decided_at = "rejected", reason.strip(), moment
    # "Different problems": no two of them are proposed together again.
    decisions.record_groups(
        session, groups=[[m.impediment_id] for m in cluster.members], source="reject", actor=actor, now=moment
    )
    cluster_event(session, cluster, "rejected", actor=actor, at=moment, note=reason.strip())
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
    cluster_event(session, cluster, "resolved", actor=actor, at=moment, note=note.strip())
    session.flush()
    return cluster


def similar_elsewhere(session: Session, impediment: Impediment, *, limit: int = 3) -> list[tuple[Impediment, float]]:
    """Open impediments of other teams that read like this one (shown when it is raised).

    Pairs that people decided are different problems are not shown.
    """
    others = [c for c in _open_unclustered(session) if c.team_id != impediment.team_id and c.id != impediment.id]
    if not others:
        return []
    synonyms = embeddings.organisation_synonyms(session)
    texts = embeddings.impediment_texts(session, [*others, impediment], synonyms)
    vectors = embeddings.vectors(session, texts)
    index = BlendedIndex.fit(texts[:-1], None if vectors is None else vectors[:-1])
    ruled_out = decisions.decisions_among(session, [*[o.id for o in others], impediment.id]).different
    excluded = {first if second == len(others) else second for first, second in ruled_out if len(others) in (first, second)}
    found = index.query(texts[-1], None if vectors is None else vectors[-1], k=limit + len(excluded), min_score=index.threshold)
    return [(others[position], score) for position, score in found if position not in excluded][:limit]
