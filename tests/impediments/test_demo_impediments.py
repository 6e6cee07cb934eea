"""The demo's cross-team clusters and impact figures are non-zero and agree with its flow data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.cockpit.leadership.service import build_pack
from deliveryops.impediments import clusters, impact
from deliveryops.impediments.models import AffectedItem, BlockerLink, Cluster, Impediment, Level
from deliveryops.impediments.service import queue
from deliveryops.teams.models import Team
from deliveryops.work.models import BlockedInterval, WorkItem

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.slow


def _days(start: datetime, end: datetime | None, window_start: datetime, window_end: datetime) -> float:
    return max(0.0, (min(end or window_end, window_end) - max(start, window_start)).total_seconds() / 86400)


def test_demo_blockers_clusters_and_impact_agree_with_the_flow_data(demo_session: Session) -> None:
    session = demo_session  # the demo organisation, built once per run (seed 3, today NOW)
    payments = session.scalars(select(Team).where(Team.name == "Payments")).one()
    title = "Waiting for security approval of tokenisation"
    security = session.scalars(select(Impediment).where(Impediment.title == title)).one()
    links = session.execute(
        select(BlockerLink, BlockedInterval, WorkItem)
        .join(BlockedInterval, BlockedInterval.id == BlockerLink.interval_id)
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .where(BlockerLink.impediment_id == security.id)
    ).all()
    assert links, "the flow data's “Waiting for security approval” blocks are linked to the impediment"
    assert {(link.status, link.automatic, interval.reason, item.team_id) for link, interval, item in links} == {
        ("linked", True, "Waiting for security approval", payments.id)
    }
    # Its blocked days are the blocks of its items inside its open period, which starts at the earliest
    # linked block of each item (the impediment was raised after those blocks began).
    assert security.resolved_at is not None
    earliest: dict[int, datetime] = {}
    for _link, interval, item in links:
        earliest[item.id] = min(interval.start, earliest.get(item.id, interval.start))
    item_ids = set(session.scalars(select(AffectedItem.work_item_id).where(AffectedItem.impediment_id == security.id)))
    assert set(earliest) <= item_ids
    expected = sum(
        _days(interval.start, interval.end, min(security.created_at, earliest.get(interval.item_id, NOW)), security.resolved_at)
        for interval in session.scalars(select(BlockedInterval).where(BlockedInterval.item_id.in_(item_ids)))
    )
    measured = impact.blocked_days(session, [security], now=NOW)[security.id]
    assert measured == round(expected, 2)
    assert measured > 0

    open_clusters = list(session.scalars(select(Cluster).where(Cluster.status.in_(("proposed", "confirmed")))))
    members = [{link.impediment_id for link in cluster.members} for cluster in open_clusters]
    assert all(not a & b for index, a in enumerate(members) for b in members[index + 1 :]), "an impediment in two clusters"
    [logs] = [c for c in open_clusters if c.title == "No access to production logs"]
    logs_members = clusters.members_of(session, logs)
    assert len({m.team_id for m in logs_members}) == 4
    assert sum(impact.blocked_days(session, logs_members, now=NOW).values()) > 0
    assert clusters.propose(session, now=NOW + timedelta(minutes=1)) == []  # stable: nothing new, nothing duplicated

    ops = session.scalars(select(User).where(User.role == Role.PRODUCT_OPS).limit(1)).one()
    escalated = queue(
        session=session,
        actor=ops,
        level=Level.PRODUCT_OPS,
        now=NOW,
        blocked_days=impact.blocked_days(session, list(session.scalars(select(Impediment))), now=NOW),
    )
    assert any(entry.blocked_days > 0 for entry in escalated)

    pack = build_pack(session=session, actor=None, period="2026-11", now=NOW)
    titles = [row.title for row in pack.clusters]
    assert len(titles) == len(set(titles))
    assert "No access to production logs" in titles
