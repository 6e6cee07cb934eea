"""The API shape of impediments, shared by the API and the CLI."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.db import utcnow
from deliveryops.impediments import clusters, impact, service
from deliveryops.impediments.models import Cluster, Event, Impediment
from deliveryops.impediments.queries import actor_names
from deliveryops.impediments.schemas import CrossTeamClusterRead, EventRead, ImpedimentDetailRead, ImpedimentRead
from deliveryops.work.models import WorkItem

__all__ = ["cross_team_cluster_read", "event_read", "impediment_detail", "impediment_reads"]


def impediment_reads(session: Session, impediments: list[Impediment], *, now: datetime) -> list[ImpedimentRead]:
    """The API shape of impediments: with their service level, days at their level, linked items and blocked days."""
    levels = service.service_levels(session)
    costs = impact.blocked_days(session, impediments, now=now)
    item_ids = {link.work_item_id for imp in impediments for link in imp.items}
    keys = (
        dict(session.execute(select(WorkItem.id, WorkItem.external_key).where(WorkItem.id.in_(item_ids))).all())
        if item_ids
        else {}
    )
    return [
        ImpedimentRead(
            id=imp.id,
            team_id=imp.team_id,
            title=imp.title,
            description=imp.description,
            category_id=imp.category_id,
            category=imp.category.name if imp.category else None,
            severity=imp.severity,
            status=imp.status,
            level=imp.level,
            level_entered_at=imp.level_entered_at,
            working_days_at_level=service.working_days_at_level(imp, now=now),
            service_level_days=levels.get((imp.level, imp.severity)),
            overdue=service.is_overdue(imp, levels, now=now),
            raised_by_id=imp.raised_by_id,
            needed_by=imp.needed_by,
            cluster_id=imp.cluster_id,
            resolution_note=imp.resolution_note,
            created_at=imp.created_at,
            resolved_at=imp.resolved_at,
            work_item_keys=sorted(keys[link.work_item_id] for link in imp.items if link.work_item_id in keys),
            blocked_days=costs.get(imp.id, 0.0),
        )
        for imp in impediments
    ]


def impediment_detail(session: Session, impediment: Impediment) -> ImpedimentDetailRead:
    """The API shape of one impediment with its timeline (what raising, escalating or resolving it answers)."""
    read = impediment_reads(session, [impediment], now=utcnow())[0]
    names = actor_names(session, impediment)
    return ImpedimentDetailRead(**read.model_dump(), events=[event_read(event, names) for event in impediment.events])


def event_read(event: Event, names: dict[int, str]) -> EventRead:
    """The API shape of one event of an impediment's timeline (``names``: the actors' names by id)."""
    return EventRead(
        id=event.id,
        at=event.at,
        actor_id=event.actor_id,
        actor_name=names.get(event.actor_id or 0),
        kind=event.kind,
        from_value=event.from_value,
        to_value=event.to_value,
        note=event.note,
    )


def cross_team_cluster_read(session: Session, cluster: Cluster) -> CrossTeamClusterRead:
    """The API shape of a cross-team cluster: its members, their teams and their blocked days."""
    members = clusters.members_of(session, cluster)
    return CrossTeamClusterRead(
        id=cluster.id,
        title=cluster.title,
        status=cluster.status,
        auto_escalated=cluster.auto_escalated,
        owner_id=cluster.owner_id,
        impediment_ids=[m.id for m in members],
        team_ids=sorted({m.team_id for m in members}),
        blocked_days=round(sum(impact.blocked_days(session, members).values()), 1),
    )
