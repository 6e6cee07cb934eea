"""Blocked intervals linked to the impediments that describe them, and what that does to blocked days."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import blockers, impact, service
from deliveryops.impediments.models import AffectedItem, BlockerLink, Impediment
from deliveryops.teams.models import Team
from deliveryops.work.models import BlockedInterval, WorkItem
from tests.factories import join, make_team, make_user

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)


def _item(session: Session, team: Team, key: str, reason: str, *, start_days: float, end_days: float | None) -> BlockedInterval:
    item = WorkItem(
        team_id=team.id,
        source="csv",
        external_key=key,
        item_type="Story",
        title=f"Story {key}",
        created_at=NOW - timedelta(days=40),
        content_hash=key,
    )
    session.add(item)
    session.flush()
    interval = BlockedInterval(
        item_id=item.id,
        start=NOW - timedelta(days=start_days),
        end=None if end_days is None else NOW - timedelta(days=end_days),
        reason=reason,
    )
    session.add(interval)
    session.flush()
    return interval


def _raise(session: Session, team: Team, title: str, *, days_ago: float) -> Impediment:
    return service.raise_(session=session, actor=None, team_id=team.id, title=title, now=NOW - timedelta(days=days_ago))


def test_a_close_reason_links_automatically_and_counts_from_the_block_start(session: Session) -> None:
    team = make_team(session)
    security = _raise(session, team, "Waiting for security approval of the tokenisation", days_ago=5)
    _raise(session, team, "Staging environment down every Monday", days_ago=5)
    interval = _item(session, team, "PAY-1", "Waiting for security approval", start_days=10, end_days=2)
    assert impact.blocked_days(session, [security], now=NOW) == {security.id: 0.0}
    assert blockers.propose_links(session, team_ids={team.id}, now=NOW) == blockers.LinkRound(linked=1, proposed=0)
    [link] = session.scalars(select(BlockerLink))
    assert (link.interval_id, link.impediment_id, link.status, link.automatic) == (interval.id, security.id, "linked", True)
    assert link.similarity >= blockers.AUTO_LINK_SIMILARITY
    assert session.scalar(select(AffectedItem.work_item_id).where(AffectedItem.impediment_id == security.id)) == interval.item_id
    # Blocked from day −10 to day −2: all 8 days count, though the impediment was raised on day −5.
    assert impact.blocked_days(session, [security], now=NOW) == {security.id: 8.0}
    assert blockers.propose_links(session, team_ids={team.id}, now=NOW) == blockers.LinkRound(linked=0, proposed=0)


def test_a_loose_match_is_proposed_then_a_person_links_or_dismisses_it(session: Session) -> None:
    team = make_team(session)
    member = make_user(session, role=Role.MEMBER)
    join(session, team, member)
    reporting = _raise(session, team, "No permission on the reporting database", days_ago=3)
    _raise(session, team, "Waiting for security approval of the tokenisation", days_ago=3)
    first = _item(session, team, "DATA-1", "Data access request pending", start_days=6, end_days=None)
    second = _item(session, team, "DATA-2", "Data access request pending", start_days=4, end_days=1)
    assert blockers.propose_links(session, team_ids={team.id}, now=NOW) == blockers.LinkRound(linked=0, proposed=2)
    proposals = blockers.proposals(session, team_ids={team.id})
    assert [(p.item_key, p.impediment_id, p.reason) for p in proposals] == [
        ("DATA-1", reporting.id, "Data access request pending"),
        ("DATA-2", reporting.id, "Data access request pending"),
    ]
    assert [b.item_key for b in impact.unraised_blocked_items(session, team, now=NOW)] == []  # listed as proposals
    outsider = make_user(session, role=Role.MEMBER)
    with pytest.raises(PermissionDeniedError, match=re.escape("Only people in the team, Product Ops and admins decide")):
        blockers.decide(session, actor=outsider, link_id=proposals[0].link_id, accept=True)
    blockers.decide(session, actor=member, link_id=proposals[0].link_id, accept=True, now=NOW)
    blockers.decide(session, actor=member, link_id=proposals[1].link_id, accept=False, now=NOW)
    with pytest.raises(ValidationFailedError, match=re.escape("This proposal is dismissed already.")):
        blockers.decide(session, actor=member, link_id=proposals[1].link_id, accept=True)
    statuses = {row.interval_id: (row.status, row.decided_by_id) for row in session.scalars(select(BlockerLink))}
    assert statuses == {first.id: ("linked", member.id), second.id: ("dismissed", member.id)}
    assert impact.blocked_days(session, [reporting], now=NOW) == {reporting.id: 6.0}
    # Dismissed stays dismissed; the long block with no impediment is offered for a one-click raise.
    assert blockers.propose_links(session, team_ids={team.id}, now=NOW) == blockers.LinkRound(linked=0, proposed=0)
    assert [b.item_key for b in impact.unraised_blocked_items(session, team, now=NOW)] == ["DATA-2"]


def test_unrelated_reasons_and_other_teams_are_left_alone(session: Session) -> None:
    team, other = make_team(session), make_team(session)
    _raise(session, other, "Waiting for security approval of the tokenisation", days_ago=3)
    _raise(session, team, "Staging environment down every Monday", days_ago=3)
    _item(session, team, "PAY-9", "Waiting for security approval", start_days=5, end_days=None)
    assert blockers.propose_links(session, now=NOW) == blockers.LinkRound(linked=0, proposed=0)
    assert [b.item_key for b in impact.unraised_blocked_items(session, team, now=NOW)] == ["PAY-9"]
