"""What the leader's home and the leadership pack lead with: outcome progress, decisions waiting, follow-ups due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.cockpit.leadership.service import current_quarter, parse_period, register_pack_lead
from deliveryops.errors import ValidationFailedError
from deliveryops.outcomes import decisions, service
from deliveryops.outcomes.schemas import FollowUpRead, KeyResultRead
from deliveryops.teams.models import Group

__all__ = ["Lead", "lead", "pack_lead"]

ORDER = ("off_track", "not_enough_data", "within_normal_variation", "on_track")


@dataclass(frozen=True)
class Lead:
    """The period's key results (off track first), questions waiting for a decision and follow-ups due."""

    period: str
    key_results: list[tuple[str, KeyResultRead]]
    counts: dict[str, int]
    waiting: list[tuple[int, str]]
    follow_ups: list[tuple[int, str, FollowUpRead]]


def lead(session: Session, actor: User, *, today: date, group_id: int | None = None, period: str | None = None) -> Lead:
    """The lead panel for a person (what they may read), optionally one group's: the key results of the objectives
    that overlap the period (default: this quarter; of any period length, so a custom range counts too).

    Decisions and follow-ups are listed for leaders, Product Ops and admins only.
    """
    chosen = parse_period(period or current_quarter(today))
    objectives = [
        o
        for o in service.list_objectives(session=session, actor=actor, group_id=group_id)
        if o.starts_on <= chosen.end and o.ends_on >= chosen.start
    ]
    rows = [(o.title, service.key_result_read(session, kr, today=today)) for o in objectives for kr in o.key_results]
    rows.sort(key=lambda pair: (ORDER.index(pair[1].status) if pair[1].status in ORDER else 0, pair[1].id))
    counts = {status: sum(1 for _title, kr in rows if kr.status == status) for status in ORDER}
    if actor.role.sees_all_teams:
        found = decisions.waiting(session, today=today, group_id=group_id)
        waiting = [(q.id, q.text) for q in found.open_questions]
        follow_ups = [(q.id, q.text, result) for q, result in found.follow_ups_due]
    else:
        waiting, follow_ups = [], []
    return Lead(chosen.label, rows, counts, waiting, follow_ups)


def pack_lead(session: Session, actor: User, today: date, group_slug: str, period: str) -> tuple[str, dict[str, Any]] | None:
    """The pack's lead panel for its scope and period (nothing for a period the pack cannot read)."""
    try:
        label = parse_period(period).label
    except ValidationFailedError:
        return None
    group_id = session.scalar(select(Group.id).where(Group.slug == group_slug)) if group_slug else None
    return "outcomes/_lead.html", {"lead": lead(session, actor, today=today, group_id=group_id, period=label)}


register_pack_lead(pack_lead)
