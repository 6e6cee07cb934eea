"""The API shape of impediments, shared by the API and the CLI."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.impediments import impact, service
from deliveryops.impediments.models import Impediment
from deliveryops.impediments.schemas import ImpedimentRead
from deliveryops.work.models import WorkItem

__all__ = ["impediment_reads"]


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
