"""Product Ops reshapes clusters: split one, merge two, move an impediment out or to another cluster.

Each action keeps who decided it and why in both clusters' histories, and teaches the similarity
(``impediments.decisions``): the parts of a split are different problems, merged clusters one problem,
a moved impediment is like its new cluster and unlike its old one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import decisions
from deliveryops.impediments.cluster_identity import OPEN_STATUSES, cluster_event, join
from deliveryops.impediments.models import Cluster, ClusterEvent, ClusterMember, Event, Impediment

__all__ = ["HistoryEntry", "history", "merge", "move", "require_ops", "split"]


def require_ops(actor: User | None) -> None:
    """Refuse anyone but Product Ops and admins (None, the trusted local caller, passes)."""
    if actor is not None and actor.role not in (Role.PRODUCT_OPS, Role.ADMIN):
        raise PermissionDeniedError("Only Product Ops decides about cross-team clusters.")


def _open_cluster(session: Session, cluster_id: int, field: str = "cluster") -> Cluster:
    cluster = session.get(Cluster, cluster_id)
    if cluster is None:
        raise NotFoundError(f"No cluster with id {cluster_id}.")
    if cluster.status not in OPEN_STATUSES:
        raise ValidationFailedError(
            f"Cluster {cluster_id} is {cluster.status}: only proposed or confirmed clusters change.",
            fields={field: cluster.status},
        )
    return cluster


def _members(session: Session, cluster: Cluster) -> list[Impediment]:
    ids = [link.impediment_id for link in cluster.members]
    return list(session.scalars(select(Impediment).where(Impediment.id.in_(ids)).order_by(Impediment.id))) if ids else []


def _unlink(cluster: Cluster, impediment: Impediment, *, actor: User | None, at: datetime, note: str) -> None:
    for link in list(cluster.members):
        if link.impediment_id == impediment.id:
            cluster.members.remove(link)
    if impediment.cluster_id == cluster.id:
        impediment.cluster_id = None
        impediment.events.append(Event(actor_id=actor.id if actor else None, kind="unclustered", at=at, note=note))


def split(
    session: Session,
    *,
    actor: User | None,
    cluster_id: int,
    impediment_ids: Sequence[int],
    reason: str,
    title: str = "",
    now: datetime | None = None,
) -> Cluster:
    """Split the chosen impediments off into a cluster of their own (same status; a confirmed part keeps the owner).

    Args:
        session: the unit of work.
        actor: who decides (Product Ops or an admin).
        cluster_id: the cluster to split.
        impediment_ids: the members that form the new cluster (some, not all).
        reason: why these are a different problem.
        title: the new cluster's name (default: its most common title).
        now: the clock.

    Returns:
        The new cluster.
    """
    require_ops(actor)
    cluster = _open_cluster(session, cluster_id)
    members = _members(session, cluster)
    chosen = set(impediment_ids)
    moving = [m for m in members if m.id in chosen]
    staying = [m for m in members if m.id not in chosen]
    errors = {}
    if chosen - {m.id for m in members}:
        errors["impediment_ids"] = "Choose impediments of this cluster."
    elif not moving or not staying:
        errors["impediment_ids"] = "Choose some of the impediments, not none or all."
    if not reason.strip():
        errors["reason"] = "Say why these are a different problem."
    if errors:
        raise ValidationFailedError("A split needs some of the impediments and a reason.", fields=errors)
    moment = now or utcnow()
    part = Cluster(
        title=(title.strip() or moving[0].title)[:200],
        status=cluster.status,
        owner_id=cluster.owner_id,
        auto_escalated=cluster.auto_escalated,
        created_at=moment,
        decided_at=moment if cluster.status == "confirmed" else None,
    )
    session.add(part)
    session.flush()
    for member in moving:
        _unlink(cluster, member, actor=actor, at=moment, note=f"Split off from “{cluster.title}”: {reason.strip()}")
        part.members.append(ClusterMember(impediment_id=member.id))
        if part.status == "confirmed":
            member.cluster_id = part.id
    cluster_event(
        session,
        cluster,
        "split",
        actor=actor,
        at=moment,
        other_cluster_id=part.id,
        note=f"{len(moving)} impediments split off into “{part.title}”: {reason.strip()}",
    )
    cluster_event(
        session,
        part,
        "split_from",
        actor=actor,
        at=moment,
        other_cluster_id=cluster.id,
        note=f"Split off from “{cluster.title}”: {reason.strip()}",
    )
    decisions.record_groups(
        session, groups=[[m.id for m in staying], [m.id for m in moving]], source="split", actor=actor, now=moment
    )
    session.flush()
    return part


def merge(
    session: Session, *, actor: User | None, cluster_id: int, other_id: int, note: str = "", now: datetime | None = None
) -> Cluster:
    """Merge cluster ``other_id`` into ``cluster_id``: one problem, one history; the other is marked merged.

    The result is confirmed if either was (keeping the first owner found); the merged cluster's
    history stays attached to it and is shown with the result's.
    """
    require_ops(actor)
    if cluster_id == other_id:
        raise ValidationFailedError("Choose another cluster to merge with.", fields={"other_id": "the same cluster"})
    target = _open_cluster(session, cluster_id)
    other = _open_cluster(session, other_id, "other_id")
    moment = now or utcnow()
    target_members = _members(session, target)
    other_members = _members(session, other)
    if other.status == "confirmed" and target.status != "confirmed":
        target.status, target.decided_at = "confirmed", moment
        target.owner_id = other.owner_id
        for member in target_members:
            member.cluster_id = target.id
    target.owner_id = target.owner_id or other.owner_id
    target.auto_escalated = target.auto_escalated or other.auto_escalated
    other.status, other.merged_into_id, other.decided_at = "merged", target.id, moment
    reason = note.strip()
    cluster_event(
        session,
        other,
        "merged",
        actor=actor,
        at=moment,
        other_cluster_id=target.id,
        note=f"Merged into “{target.title}”{': ' + reason if reason else ''}.",
    )
    cluster_event(
        session,
        target,
        "absorbed",
        actor=actor,
        at=moment,
        other_cluster_id=other.id,
        note=f"“{other.title}” merged into this cluster{': ' + reason if reason else ''}.",
    )
    for member in other_members:
        _unlink(other, member, actor=actor, at=moment, note="")
        join(
            session,
            target,
            member,
            actor=actor,
            at=moment,
            members=target_members,
            kind="merged_in",
            note=f"From the merged cluster “{other.title}”.",
        )
        target_members.append(member)
    decisions.record_groups(session, groups=[[m.id for m in target_members]], source="merge", actor=actor, now=moment)
    session.flush()
    return target


def move(
    session: Session,
    *,
    actor: User | None,
    impediment_id: int,
    from_cluster_id: int,
    to_cluster_id: int | None,
    reason: str = "",
    now: datetime | None = None,
) -> Cluster | None:
    """Move an impediment out of a cluster, into another cluster or into none ("not this problem").

    Returns:
        The cluster it went to, or ``None``.
    """
    require_ops(actor)
    source = _open_cluster(session, from_cluster_id)
    members = _members(session, source)
    impediment = next((m for m in members if m.id == impediment_id), None)
    if impediment is None:
        raise ValidationFailedError(
            f"Impediment {impediment_id} is not in this cluster.", fields={"impediment_id": "not a member"}
        )
    if to_cluster_id == from_cluster_id:
        raise ValidationFailedError("Choose another cluster.", fields={"to_cluster_id": "the same cluster"})
    target = _open_cluster(session, to_cluster_id, "to_cluster_id") if to_cluster_id is not None else None
    moment = now or utcnow()
    why = reason.strip()
    _unlink(source, impediment, actor=actor, at=moment, note=f"Moved out of “{source.title}”{': ' + why if why else ''}.")
    remaining = [m for m in members if m.id != impediment_id]
    decisions.record(
        session,
        pairs=((impediment.id, m.id) for m in remaining),
        verdict=decisions.DIFFERENT,
        source="move",
        actor=actor,
        now=moment,
    )
    cluster_event(
        session,
        source,
        "moved_out",
        actor=actor,
        at=moment,
        impediment_id=impediment.id,
        other_cluster_id=target.id if target else None,
        note=why,
    )
    if target is not None:
        target_members = _members(session, target)
        join(
            session,
            target,
            impediment,
            actor=actor,
            at=moment,
            members=target_members,
            kind="moved_in",
            note=f"Moved from “{source.title}”{': ' + why if why else ''}.",
        )
        decisions.record(
            session,
            pairs=((impediment.id, m.id) for m in target_members),
            verdict=decisions.SAME,
            source="move",
            actor=actor,
            now=moment,
        )
    session.flush()
    return target


@dataclass
class HistoryEntry:
    """One line of a cluster's history, with the names it refers to."""

    at: datetime
    kind: str
    actor_name: str | None
    note: str
    impediment_id: int | None
    other_cluster_id: int | None
    cluster_id: int


def history(session: Session, cluster: Cluster) -> list[HistoryEntry]:
    """The cluster's history, with the histories of the clusters merged into it, oldest first."""
    ids = {cluster.id}
    frontier = [cluster.id]
    while frontier:
        merged = list(session.scalars(select(Cluster.id).where(Cluster.merged_into_id.in_(frontier))))
        frontier = [identifier for identifier in merged if identifier not in ids]
        ids.update(frontier)
    events = list(
        session.scalars(select(ClusterEvent).where(ClusterEvent.cluster_id.in_(ids)).order_by(ClusterEvent.at, ClusterEvent.id))
    )
    names = {
        user.id: user.name
        for user in session.scalars(select(User).where(User.id.in_({e.actor_id for e in events if e.actor_id is not None})))
    }
    return [
        HistoryEntry(e.at, e.kind, names.get(e.actor_id or 0), e.note, e.impediment_id, e.other_cluster_id, e.cluster_id)
        for e in events
    ]
