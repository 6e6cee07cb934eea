"""What the leader's home and the leadership pack lead with: outcome progress, decisions waiting, follow-ups due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.cockpit.leadership.service import (
    PackSection,
    current_quarter,
    parse_period,
    register_pack_lead,
    register_pack_section,
)
from deliveryops.db import utcnow
from deliveryops.errors import ValidationFailedError
from deliveryops.outcomes import decisions, service
from deliveryops.outcomes.schemas import FollowUpRead, KeyResultRead
from deliveryops.teams.models import Group

__all__ = ["Lead", "lead", "leader_today", "pack_lead", "pack_section"]

ORDER = ("off_track", "not_enough_data", "within_normal_variation", "on_track")


@dataclass(frozen=True)
class Lead:
    """The period's key results (off track first), questions waiting for a decision and follow-ups due."""

    period: str
    key_results: list[tuple[str, KeyResultRead]]
    counts: dict[str, int]
    waiting: list[tuple[int, str]]
    follow_ups: list[tuple[int, str, FollowUpRead]]


def lead(session: Session, actor: User | None, *, today: date, group_id: int | None = None, period: str | None = None) -> Lead:
    """The lead panel for a person (what they may read; everything for the CLI, ``actor`` None), optionally one
    group's: the key results of the objectives that overlap the period (default: this quarter; of any period
    length, so a custom range counts too).

    Decisions and follow-ups are listed for leaders, Product Ops and admins only.
    """
    chosen = parse_period(period or current_quarter(today))
    if actor is None:
        readable = [o for o in service.list_objectives_all(session=session) if group_id is None or o.group_id == group_id]
    else:
        readable = service.list_objectives(session=session, actor=actor, group_id=group_id)
    objectives = [o for o in readable if o.starts_on <= chosen.end and o.ends_on >= chosen.start]
    rows = [(o.title, service.key_result_read(session, kr, today=today)) for o in objectives for kr in o.key_results]
    rows.sort(key=lambda pair: (ORDER.index(pair[1].status) if pair[1].status in ORDER else 0, pair[1].id))
    counts = {status: sum(1 for _title, kr in rows if kr.status == status) for status in ORDER}
    if actor is None or actor.role.sees_all_teams:
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


def leader_today(session: Session, user: User) -> Lead:
    """What a leader's (or Product Ops') home leads with today: this quarter's key results (off track first), the
    questions waiting for a decision and the decisions whose follow-up is due."""
    return lead(session, user, today=utcnow().date())


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def pack_section(session: Session, actor: User | None, today: date, group_slug: str, period: str) -> PackSection | None:
    """The pack's outcomes section for its PDF and JSON: the same content as the page's lead panel."""
    try:
        label = parse_period(period).label
    except ValidationFailedError:
        return None
    group_id = session.scalar(select(Group.id).where(Group.slug == group_slug)) if group_slug else None
    found = lead(session, actor, today=today, group_id=group_id, period=label)
    counts = found.counts
    summary = (
        f"{counts['on_track']} on track, {counts['off_track']} off track, {counts['within_normal_variation']} within "
        f"normal variation, {counts['not_enough_data']} without enough data (judged against each series' natural "
        "variation; see the definitions)."
        if found.key_results
        else f"No key results for {found.period} yet."
    )
    key_results = [
        [kr.title, objective, _percent(kr.progress), _percent(kr.expected_progress), kr.status_label]
        for objective, kr in found.key_results
    ]
    waiting = [[f"#{qid}", text] for qid, text in found.waiting]
    follow_ups = [[f"#{qid}", text, result.outcome_label or "", result.detail] for qid, text, result in found.follow_ups]
    return PackSection(
        key="outcomes",
        title=f"Outcomes, {found.period}",
        notes=[
            summary,
            f"Decisions waiting: {len(waiting)}." if waiting else "No question waits for a decision.",
            f"Follow-ups due: {len(follow_ups)}." if follow_ups else "No decision's follow-up is due.",
        ],
        tables=[
            (["Key result", "Objective", "Progress", "Line", "Verdict"], key_results, [55, 50, 20, 15, 40]),
            (["Question", "Text"], waiting, [20, 160]),
            (["Question", "Text", "Outcome", "Detail"], follow_ups, [15, 65, 40, 60]),
        ],
        data={
            "period": found.period,
            "counts": counts,
            "key_results": [{"objective": objective, **kr.model_dump(mode="json")} for objective, kr in found.key_results],
            "decisions_waiting": [{"question_id": qid, "question": text} for qid, text in found.waiting],
            "follow_ups_due": [
                {"question_id": qid, "question": text, "follow_up": result.model_dump(mode="json")}
                for qid, text, result in found.follow_ups
            ],
        },
    )


register_pack_lead(pack_lead)
register_pack_section(pack_section)
