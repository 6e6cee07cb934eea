"""Cross-team clusters: proposed from similar texts, auto-escalated, confirmed, rejected, resolved together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import clusters, service
from deliveryops.impediments.models import Level, Status
from tests.factories import make_team, make_user

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
LOGS = ["No access to production logs", "Still waiting for Splunk permissions", "Can't see prod logging"]


def _raise(session: Session, titles: list[str], *, days_ago: int = 3) -> list[int]:
    ids = []
    for title in titles:
        team = make_team(session)
        ids.append(
            service.raise_(session=session, actor=None, team_id=team.id, title=title, now=NOW - timedelta(days=days_ago)).id
        )
    return ids


def test_three_teams_in_a_month_are_proposed_and_escalated(session: Session) -> None:
    ids = _raise(session, [*LOGS, "The office coffee machine is broken"])
    [proposal] = clusters.propose(session, now=NOW)
    assert sorted(m.impediment_id for m in proposal.members) == sorted(ids[:3])
    assert proposal.status == "proposed"
    assert proposal.auto_escalated is True
    member = service.get_or_raise(session=session, actor=make_user(session, role=Role.ADMIN), impediment_id=ids[0])
    assert member.level is Level.PRODUCT_OPS
    assert member.events[-1].note == "Automatically: 3 teams report the same problem."
    assert clusters.propose(session, now=NOW) == []  # the same group is not proposed twice


def test_two_teams_are_proposed_without_escalation(session: Session) -> None:
    ids = _raise(session, LOGS[:2], days_ago=45)
    [proposal] = clusters.propose(session, now=NOW)
    assert proposal.auto_escalated is False
    assert {m.impediment_id for m in proposal.members} == set(ids)


def test_confirm_then_resolve_resolves_every_team(session: Session) -> None:
    ids = _raise(session, LOGS)
    ops = make_user(session, role=Role.PRODUCT_OPS)
    [proposal] = clusters.propose(session, now=NOW)
    clusters.confirm(session, actor=ops, cluster_id=proposal.id, owner_id=ops.id, title="Production log access")
    with pytest.raises(ValidationFailedError) as direct:
        service.resolve(session=session, actor=ops, impediment_id=ids[0], note="done")
    assert direct.value.message == (
        "This impediment is part of a confirmed cross-team cluster: resolve the cluster, which resolves all of its "
        "teams' impediments."
    )
    clusters.resolve_cluster(session, actor=ops, cluster_id=proposal.id, note="Read access granted to all teams.")
    for impediment_id in ids:
        resolved = service.get_or_raise(session=session, actor=ops, impediment_id=impediment_id)
        assert resolved.status is Status.RESOLVED
        assert resolved.resolution_note == (
            "Resolved with the cross-team problem “Production log access”: Read access granted to all teams."
        )


def test_rejection_sticks_and_needs_a_reason(session: Session) -> None:
    _raise(session, LOGS[:2])
    ops = make_user(session, role=Role.PRODUCT_OPS)
    [proposal] = clusters.propose(session, now=NOW)
    with pytest.raises(ValidationFailedError, match=r"Say why these are different problems\."):
        clusters.reject(session, actor=ops, cluster_id=proposal.id, reason=" ")
    clusters.reject(session, actor=ops, cluster_id=proposal.id, reason="Different log systems")
    assert clusters.propose(session, now=NOW) == []


def test_only_product_ops_decides(session: Session) -> None:
    _raise(session, LOGS[:2])
    [proposal] = clusters.propose(session, now=NOW)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    with pytest.raises(PermissionDeniedError):
        clusters.confirm(session, actor=dm, cluster_id=proposal.id, owner_id=dm.id)
    with pytest.raises(PermissionDeniedError):
        clusters.list_(session, actor=dm)


def test_one_team_alone_is_not_a_cross_team_cluster(session: Session) -> None:
    team = make_team(session)
    for title in LOGS:
        service.raise_(session=session, actor=None, team_id=team.id, title=title, now=NOW)
    assert clusters.propose(session, now=NOW) == []
