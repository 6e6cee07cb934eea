"""Clusters keep their identity: a new team's impediment joins, merges and splits keep history and decisions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import cluster_actions, clusters, decisions, service
from deliveryops.impediments.models import Cluster, Impediment, Level, PairDecision, Status
from tests.factories import make_team, make_user

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
LOGS = [
    "No access to production logs",
    "Still waiting for Splunk permissions",
    "Can't see prod logging",
    "Kibana shows nothing for production, we need read access to the logs",
]
FIFTH = "Need read rights on live log dashboards"
LAPTOPS = [
    "New developer still has no laptop",
    "Hardware for new joiners takes weeks to arrive",
    "Waiting on a MacBook for the new hire",
]


def _raise(session: Session, titles: list[str], *, at: datetime = NOW - timedelta(days=3)) -> list[Impediment]:
    return [service.raise_(session=session, actor=None, team_id=make_team(session).id, title=title, now=at) for title in titles]


def _open_clusters(session: Session) -> list[Cluster]:
    return list(session.scalars(select(Cluster).where(Cluster.status.in_(("proposed", "confirmed"))).order_by(Cluster.id)))


def _member_ids(cluster: Cluster) -> set[int]:
    return {link.impediment_id for link in cluster.members}


@pytest.fixture
def ops(session: Session) -> User:
    return make_user(session, role=Role.PRODUCT_OPS)


def test_a_fifth_team_joins_the_confirmed_four_team_cluster_and_its_escalation(session: Session, ops: User) -> None:
    four = _raise(session, LOGS)
    [proposal] = clusters.propose(session, now=NOW)
    assert _member_ids(proposal) == {i.id for i in four}
    assert proposal.auto_escalated is True
    clusters.confirm(session, actor=ops, cluster_id=proposal.id, owner_id=ops.id, title="Production log access")
    [fifth] = _raise(session, [FIFTH], at=NOW)
    raised_at = fifth.level
    assert raised_at is Level.TEAM
    assert clusters.propose(session, now=NOW + timedelta(hours=1)) == []
    assert [c.id for c in _open_clusters(session)] == [proposal.id]
    assert _member_ids(proposal) == {i.id for i in [*four, fifth]}
    assert fifth.cluster_id == proposal.id
    assert fifth.level is Level.PRODUCT_OPS
    assert fifth.status is Status.ESCALATED
    assert fifth.events[-1].note == "Joined the cross-team problem “Production log access”, escalated with it."
    assert [c.id for c in clusters.list_(session, actor=ops)] == [proposal.id]
    [joined] = [entry for entry in cluster_actions.history(session, proposal) if entry.kind == "joined"]
    assert joined.impediment_id == fifth.id
    assert joined.note == "Reads like the 4 impediments already in this cluster."


def test_a_new_member_joins_an_open_proposal_instead_of_a_second_one(session: Session) -> None:
    four = _raise(session, LOGS)
    [proposal] = clusters.propose(session, now=NOW)
    [fifth] = _raise(session, [FIFTH], at=NOW)
    assert clusters.propose(session, now=NOW) == []
    assert _member_ids(proposal) == {i.id for i in [*four, fifth]}
    assert session.scalar(select(func.count()).select_from(Cluster)) == 1


def test_merge_keeps_both_histories_and_the_decision(session: Session, ops: User) -> None:
    logs = _raise(session, LOGS[:2])
    laptops = _raise(session, LAPTOPS[:2])
    proposals = sorted(clusters.propose(session, now=NOW), key=lambda c: c.id)
    assert [_member_ids(c) for c in proposals] == [{i.id for i in logs}, {i.id for i in laptops}]
    first, second = proposals
    merged = cluster_actions.merge(
        session, actor=ops, cluster_id=first.id, other_id=second.id, note="one access problem", now=NOW + timedelta(hours=2)
    )
    assert merged is first
    assert _member_ids(first) == {i.id for i in [*logs, *laptops]}
    assert (second.status, second.merged_into_id) == ("merged", first.id)
    assert [c.id for c in clusters.list_(session, actor=ops)] == [first.id]
    kinds = [(entry.cluster_id, entry.kind, entry.actor_name) for entry in cluster_actions.history(session, first)]
    assert kinds == [
        (first.id, "proposed", None),
        (second.id, "proposed", None),
        (second.id, "merged", ops.name),
        (first.id, "absorbed", ops.name),
        (first.id, "merged_in", ops.name),
        (first.id, "merged_in", ops.name),
    ]
    # The decision sticks: the next round keeps them together, as one cluster.
    assert clusters.propose(session, now=NOW + timedelta(hours=3)) == []
    assert [_member_ids(c) for c in _open_clusters(session)] == [{i.id for i in [*logs, *laptops]}]


def test_split_keeps_who_decided_and_is_not_undone(session: Session, ops: User) -> None:
    logs = _raise(session, LOGS[:3])
    [proposal] = clusters.propose(session, now=NOW)
    part = cluster_actions.split(
        session,
        actor=ops,
        cluster_id=proposal.id,
        impediment_ids=[logs[2].id],
        reason="Kibana is another system",
        now=NOW + timedelta(hours=1),
    )
    assert _member_ids(part) == {logs[2].id}
    assert _member_ids(proposal) == {logs[0].id, logs[1].id}
    [entry] = [e for e in cluster_actions.history(session, proposal) if e.kind == "split"]
    assert (entry.actor_name, entry.other_cluster_id, entry.note) == (
        ops.name,
        part.id,
        "1 impediments split off into “Can't see prod logging”: Kibana is another system",
    )
    verdicts = {(row.first_id, row.second_id): row.verdict for row in session.scalars(select(PairDecision))}
    assert verdicts == {
        (logs[0].id, logs[1].id): "same",
        (logs[0].id, logs[2].id): "different",
        (logs[1].id, logs[2].id): "different",
    }
    clusters.propose(session, now=NOW + timedelta(hours=2))
    assert _member_ids(proposal) == {logs[0].id, logs[1].id}


def test_moving_an_impediment_out_means_never_proposed_with_them_again(session: Session, ops: User) -> None:
    logs = _raise(session, LOGS[:3])
    [proposal] = clusters.propose(session, now=NOW)
    assert (
        cluster_actions.move(
            session,
            actor=ops,
            impediment_id=logs[0].id,
            from_cluster_id=proposal.id,
            to_cluster_id=None,
            reason="different system",
        )
        is None
    )
    clusters.propose(session, now=NOW + timedelta(hours=1))
    assert [_member_ids(c) for c in _open_clusters(session)] == [{logs[1].id, logs[2].id}]
    [moved] = [e for e in cluster_actions.history(session, proposal) if e.kind == "moved_out"]
    assert (moved.impediment_id, moved.actor_name, moved.note) == (logs[0].id, ops.name, "different system")


def test_a_rejected_pair_stays_apart_when_a_third_team_raises_it(session: Session, ops: User) -> None:
    logs = _raise(session, LOGS[:2])
    [proposal] = clusters.propose(session, now=NOW)
    clusters.reject(session, actor=ops, cluster_id=proposal.id, reason="two different log systems")
    _raise(session, [LOGS[2]], at=NOW)
    for cluster in clusters.propose(session, now=NOW + timedelta(hours=1)):
        assert not {logs[0].id, logs[1].id} <= _member_ids(cluster)


def test_decisions_need_product_ops_and_valid_choices(session: Session, ops: User) -> None:
    logs = _raise(session, LOGS[:2])
    [proposal] = clusters.propose(session, now=NOW)
    member = make_user(session, role=Role.MEMBER)
    with pytest.raises(PermissionDeniedError, match=re.escape("Only Product Ops decides about cross-team clusters.")):
        cluster_actions.split(session, actor=member, cluster_id=proposal.id, impediment_ids=[logs[0].id], reason="x")
    with pytest.raises(ValidationFailedError) as error:
        cluster_actions.split(session, actor=ops, cluster_id=proposal.id, impediment_ids=[i.id for i in logs], reason=" ")
    assert error.value.fields == {
        "impediment_ids": "Choose some of the impediments, not none or all.",
        "reason": "Say why these are a different problem.",
    }
    with pytest.raises(ValidationFailedError, match=re.escape("Choose another cluster to merge with.")):
        cluster_actions.merge(session, actor=ops, cluster_id=proposal.id, other_id=proposal.id)


def test_synonyms_are_for_admins_and_unique(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    decisions.add_synonym(session, actor=admin, term="CAB", meaning="change advisory board")
    with pytest.raises(PermissionDeniedError, match=re.escape("Only admins edit the organisation's synonyms.")):
        decisions.add_synonym(session, actor=make_user(session, role=Role.PRODUCT_OPS), term="DWH", meaning="data warehouse")
    with pytest.raises(ValidationFailedError) as error:
        decisions.add_synonym(session, actor=admin, term=" ", meaning="cab")
    assert error.value.fields == {"term": "Write the term as teams write it."}
    with pytest.raises(Exception, match=re.escape("“cab” is a synonym already.")):
        decisions.add_synonym(session, actor=admin, term="cab", meaning="taxi")
    assert [(s.term, s.meaning) for s in decisions.list_synonyms(session)] == [("CAB", "change advisory board")]


def test_a_term_with_capitals_outside_ascii_is_a_synonym_already_the_second_time(session: Session) -> None:
    # SQLite's lower() leaves "Å" as it is: the same term again must still be a conflict, not a database error.
    admin = make_user(session, role=Role.ADMIN)
    decisions.add_synonym(session, actor=admin, term="ÅRSBUDGET", meaning="annual budget")
    with pytest.raises(ConflictError, match=re.escape("“ÅRSBUDGET” is a synonym already.")):
        decisions.add_synonym(session, actor=admin, term="ÅRSBUDGET", meaning="the yearly budget")
    assert [s.term for s in decisions.list_synonyms(session)] == ["ÅRSBUDGET"]
