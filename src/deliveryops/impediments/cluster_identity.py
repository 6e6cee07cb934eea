"""Stable cluster identity: each proposal round is matched with the clusters that already exist.

The round clusters every open impediment together with the members of confirmed clusters, under
people's decisions: a confirmed cluster's members are one problem ("same"), two confirmed clusters are
different problems until someone merges them, and every pair decided "different" stays apart. Then
each group found (spanning at least two teams) is matched:

* it overlaps a **confirmed** cluster: its other impediments **join** that cluster (they take its
  owner, its escalation level and its resolution); overlapping proposals give up those members;
* else it overlaps **proposals**: the oldest one becomes exactly this group (members join or leave
  with a history entry); the other overlapping proposals lose the shared members and, left with
  fewer than two teams, are marked **merged** into it (their history stays reachable);
* else it is a new proposal.

So an impediment is in at most one open cluster, and no problem is listed twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from deliveryops.accounts.models import User
from deliveryops.analytics.similarity.blended import BlendedIndex, Decisions
from deliveryops.impediments import decisions, embeddings
from deliveryops.impediments.models import Cluster, ClusterEvent, ClusterMember, Event, Impediment, Level, Status

__all__ = ["AUTO_ESCALATE_DAYS", "AUTO_ESCALATE_TEAMS", "OPEN_STATUSES", "cluster_event", "join", "reconcile"]

AUTO_ESCALATE_TEAMS = 3
AUTO_ESCALATE_DAYS = 30
OPEN_STATUSES = ("proposed", "confirmed")
_LEVEL_ORDER = list(Level)


def cluster_event(
    session: Session,
    cluster: Cluster,
    kind: str,
    *,
    actor: User | None,
    at: datetime,
    note: str = "",
    impediment_id: int | None = None,
    other_cluster_id: int | None = None,
) -> None:
    """Add an entry to a cluster's history."""
    if cluster.id is None:
        session.flush()
    session.add(
        ClusterEvent(
            cluster_id=cluster.id,
            kind=kind,
            actor_id=actor.id if actor else None,
            at=at,
            note=note,
            impediment_id=impediment_id,
            other_cluster_id=other_cluster_id,
        )
    )


def _escalate(member: Impediment, level: Level, *, at: datetime, note: str) -> None:
    if _LEVEL_ORDER.index(member.level) >= _LEVEL_ORDER.index(level) or member.status.is_closed:
        return
    member.events.append(Event(kind="escalated", from_value=member.level.value, to_value=level.value, at=at, note=note))
    member.level = level
    member.level_entered_at = at
    member.status = Status.ESCALATED


def _cluster_level(members: list[Impediment]) -> Level | None:
    """The highest cross-team level a cluster's open members reached (Product Ops or leadership), if any."""
    levels = [m.level for m in members if not m.status.is_closed and m.level in (Level.PRODUCT_OPS, Level.LEADERSHIP)]
    return max(levels, key=_LEVEL_ORDER.index) if levels else None


def join(
    session: Session,
    cluster: Cluster,
    impediment: Impediment,
    *,
    actor: User | None,
    at: datetime,
    members: list[Impediment],
    kind: str = "joined",
    note: str = "",
) -> None:
    """Add an impediment to a cluster: its membership, its history, and, if confirmed, its owner and escalation."""
    cluster.members.append(ClusterMember(impediment_id=impediment.id))
    cluster_event(session, cluster, kind, actor=actor, at=at, impediment_id=impediment.id, note=note)
    if cluster.status == "confirmed":
        impediment.cluster_id = cluster.id
        impediment.events.append(
            Event(
                actor_id=actor.id if actor else None,
                kind="clustered",
                at=at,
                note=f"Part of the cross-team problem “{cluster.title}”, owned by Product Ops.",
            )
        )
    level = _cluster_level(members)
    if level is None and cluster.auto_escalated:
        level = Level.PRODUCT_OPS
    if level is not None:
        _escalate(impediment, level, at=at, note=f"Joined the cross-team problem “{cluster.title}”, escalated with it.")


def _leave(session: Session, cluster: Cluster, impediment_id: int, *, at: datetime, note: str) -> None:
    for link in list(cluster.members):
        if link.impediment_id == impediment_id:
            cluster.members.remove(link)
    cluster_event(session, cluster, "left", actor=None, at=at, impediment_id=impediment_id, note=note)


def _auto_escalate(cluster: Cluster, members: list[Impediment], *, now: datetime, escalation_teams: int) -> None:
    recent = [m for m in members if m.created_at >= now - timedelta(days=AUTO_ESCALATE_DAYS)]
    if cluster.auto_escalated or len({m.team_id for m in recent}) < escalation_teams:
        return
    cluster.auto_escalated = True
    teams = len({m.team_id for m in members})
    for member in members:
        if member.level in (Level.TEAM, Level.DELIVERY_MANAGER):
            _escalate(member, Level.PRODUCT_OPS, at=now, note=f"Automatically: {teams} teams report the same problem.")


def _title(members: list[Impediment]) -> str:
    return Counter(m.title for m in members).most_common(1)[0][0][:200]


def _decisions(session: Session, universe: list[Impediment], confirmed: list[Cluster]) -> Decisions:
    ids = [m.id for m in universe]
    position = {identifier: index for index, identifier in enumerate(ids)}
    recorded = decisions.decisions_among(session, ids)
    same = list(recorded.same)
    different = list(recorded.different)
    representatives = []
    for cluster in confirmed:
        inside = [position[link.impediment_id] for link in cluster.members if link.impediment_id in position]
        same.extend(pairwise(inside))
        if inside:
            representatives.append(inside[0])
    # Two confirmed clusters stay two problems until a person merges them.
    different.extend((first, second) for index, first in enumerate(representatives) for second in representatives[index + 1 :])
    # Rejections older than pair decisions: their members stay apart too.
    for cluster in session.scalars(select(Cluster).where(Cluster.status == "rejected").options(selectinload(Cluster.members))):
        inside = [position[link.impediment_id] for link in cluster.members if link.impediment_id in position]
        different.extend((first, second) for index, first in enumerate(inside) for second in inside[index + 1 :])
    decided_same = {(min(a, b), max(a, b)) for a, b in recorded.same}
    different = [(a, b) for a, b in different if (min(a, b), max(a, b)) not in decided_same]
    return Decisions(tuple(same), tuple(different))


def reconcile(session: Session, *, now: datetime, escalation_teams: int) -> list[Cluster]:
    """One proposal round (see the module docstring); returns the proposals it created."""
    active = list(
        session.scalars(
            select(Cluster).where(Cluster.status.in_(OPEN_STATUSES)).options(selectinload(Cluster.members)).order_by(Cluster.id)
        )
    )
    confirmed = [c for c in active if c.status == "confirmed"]
    confirmed_ids = {link.impediment_id for c in confirmed for link in c.members}
    universe = [
        row
        for row in session.scalars(select(Impediment).options(selectinload(Impediment.events)).order_by(Impediment.id))
        if not row.status.is_closed or row.id in confirmed_ids
    ]
    if len(universe) < 2:
        return []
    texts = embeddings.impediment_texts(session, universe)
    index = BlendedIndex.fit(texts, embeddings.vectors(session, texts))
    groups = index.propose_clusters(groups=[m.team_id for m in universe], decisions=_decisions(session, universe, confirmed))
    by_id = {m.id: m for m in universe}
    cluster_of: dict[int, Cluster] = {link.impediment_id: c for c in active for link in c.members}
    created: list[Cluster] = []
    for group in groups:
        members = [universe[position] for position in group]
        ids = {m.id for m in members}
        touching = sorted({cluster_of[i].id: cluster_of[i] for i in ids if i in cluster_of}.values(), key=lambda c: c.id)
        target = next((c for c in touching if c.status == "confirmed"), None)
        if target is None and touching:
            target = touching[0]
        if target is None:
            if not any(not m.status.is_closed for m in members):
                continue
            target = Cluster(title=_title(members), status="proposed", created_at=now)
            session.add(target)
            session.flush()
            cluster_event(
                session,
                target,
                "proposed",
                actor=None,
                at=now,
                note=f"{len(members)} impediments of {len({m.team_id for m in members})} teams read alike.",
            )
            target.members = [ClusterMember(impediment_id=m.id) for m in members]
            for member in members:
                cluster_of[member.id] = target
            created.append(target)
        else:
            current = [by_id[link.impediment_id] for link in target.members if link.impediment_id in by_id]
            for member in members:
                if member.id in {link.impediment_id for link in target.members}:
                    continue
                previous = cluster_of.get(member.id)
                if previous is not None and previous.id != target.id:
                    _leave(session, previous, member.id, at=now, note=f"Moved to the cluster “{target.title}”.")
                join(
                    session,
                    target,
                    member,
                    actor=None,
                    at=now,
                    members=current,
                    note=f"Reads like the {len(current)} impediments already in this cluster.",
                )
                current.append(member)
                cluster_of[member.id] = target
            if target.status == "proposed":
                for link in list(target.members):
                    if link.impediment_id not in ids and link.impediment_id in by_id:
                        _leave(session, target, link.impediment_id, at=now, note="No longer reads like the others.")
                        cluster_of.pop(link.impediment_id, None)
        for other in touching:
            if other is target or other.status != "proposed":
                continue
            remaining = [by_id[link.impediment_id] for link in other.members if link.impediment_id in by_id]
            if len({m.team_id for m in remaining}) < 2:
                other.status, other.merged_into_id = "merged", target.id
                cluster_event(
                    session,
                    other,
                    "merged",
                    actor=None,
                    at=now,
                    other_cluster_id=target.id,
                    note=f"Became part of the cluster “{target.title}”.",
                )
                cluster_event(
                    session,
                    target,
                    "absorbed",
                    actor=None,
                    at=now,
                    other_cluster_id=other.id,
                    note=f"The proposal “{other.title}” was the same problem.",
                )
        _auto_escalate(
            target,
            [by_id[link.impediment_id] for link in target.members if link.impediment_id in by_id],
            now=now,
            escalation_teams=escalation_teams,
        )
    session.flush()
    return created
