"""Impediments: raising, the escalation ladder and its actors, the timeline, service levels, queues and
what blocked items cost, with values worked out by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import impact, service
from deliveryops.impediments.models import Cluster, Impediment, Level, Severity, Status
from deliveryops.teams.models import Team, TeamRole
from deliveryops.work.importing import import_records
from deliveryops.work.records import BlockedIntervalRecord, TransitionRecord, WorkItemRecord
from tests.factories import join, make_team, make_user


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


MONDAY = at(3, 2)  # 2 March 2026 is a Monday


@dataclass
class Cast:
    """A team with a member and its delivery manager, another team's people, Product Ops and a leader."""

    team: Team
    member: User
    dm: User
    other_dm: User
    outsider: User
    ops: User
    leader: User


def cast(session: Session) -> Cast:
    team, other = make_team(session, name="Lima"), make_team(session, name="Kilo")
    people = Cast(
        team=team,
        member=make_user(session),
        dm=make_user(session, role=Role.DELIVERY_MANAGER),
        other_dm=make_user(session, role=Role.DELIVERY_MANAGER),
        outsider=make_user(session),
        ops=make_user(session, role=Role.PRODUCT_OPS),
        leader=make_user(session, role=Role.LEADER),
    )
    join(session, team, people.member)
    join(session, team, people.dm, TeamRole.DELIVERY_MANAGER)
    join(session, other, people.other_dm, TeamRole.DELIVERY_MANAGER)
    join(session, other, people.outsider)
    return people


def record(key: str, *blocks: BlockedIntervalRecord) -> WorkItemRecord:
    return WorkItemRecord(
        source="test",
        external_key=key,
        item_type="Story",
        title=f"Item {key}",
        created_at=at(2, 20),
        transitions=(TransitionRecord("Doing", at(2, 21)),),
        blocked_intervals=blocks,
    )


def raise_one(
    session: Session,
    people: Cast,
    title: str = "Staging is down",
    *,
    now: datetime = MONDAY,
    severity: Severity = Severity.MEDIUM,
    category_id: int | None = None,
    work_item_keys: list[str] | None = None,
) -> Impediment:
    return service.raise_(
        session=session,
        actor=people.member,
        team_id=people.team.id,
        title=title,
        now=now,
        severity=severity,
        category_id=category_id,
        work_item_keys=work_item_keys,
    )


def test_raise_checks_every_field(session: Session) -> None:
    people = cast(session)
    import_records(session=session, actor=None, team=people.team, records=[record("L-1")], import_format="test")
    with pytest.raises(ValidationFailedError) as empty:
        raise_one(session, people, title="   ")
    assert empty.value.message == "Please correct the marked fields."
    assert empty.value.fields == {"title": "Give the impediment a title."}
    with pytest.raises(ValidationFailedError) as long:
        raise_one(session, people, title="x" * 201)
    assert long.value.fields == {"title": "Use at most 200 characters."}
    with pytest.raises(ValidationFailedError) as unknown:
        raise_one(session, people, category_id=999_999, work_item_keys=["L-1", "L-9"])
    assert unknown.value.fields == {"category_id": "Choose a category from the list.", "work_items": "Not items of Lima: L-9."}
    with pytest.raises(ValidationFailedError) as no_team:
        service.raise_(session=session, actor=people.member, team_id=999_999, title="Anything")
    assert no_team.value.message == "No team with id 999999."
    assert no_team.value.fields == {"team_id": "Choose an existing team."}
    with pytest.raises(PermissionDeniedError) as outsider:
        service.raise_(session=session, actor=people.outsider, team_id=people.team.id, title="Anything")
    assert outsider.value.message == "Only people in the team can raise its impediments."
    with pytest.raises(PermissionDeniedError):
        service.raise_(session=session, actor=people.ops, team_id=people.team.id, title="Anything")

    data_access = next(c for c in service.categories(session) if c.name == "Data access")
    impediment = raise_one(
        session,
        people,
        title="  No access to the warehouse ",
        category_id=data_access.id,
        severity=Severity.HIGH,
        work_item_keys=["L-1", " "],
    )
    assert (impediment.title, impediment.level, impediment.status, impediment.severity) == (
        "No access to the warehouse",
        Level.TEAM,
        Status.OPEN,
        Severity.HIGH,
    )
    assert impediment.created_at == impediment.level_entered_at == MONDAY
    assert len(impediment.items) == 1
    assert [(e.kind, e.actor_id, e.to_value) for e in impediment.events] == [("raised", people.member.id, "team")]


def test_escalation_ladder_and_who_may_act_at_each_level(session: Session) -> None:
    people = cast(session)
    impediment = raise_one(session, people)
    with pytest.raises(ValidationFailedError) as missing:
        service.escalate(session=session, actor=people.member, impediment_id=impediment.id, tried=" ", needed="")
    assert missing.value.message == "An escalation needs what was tried and what is needed."
    assert missing.value.fields == {
        "tried": "Say what the team tried already.",
        "needed": "Say what is needed from the next level.",
    }
    with pytest.raises(PermissionDeniedError) as ops_at_team:
        service.escalate(session=session, actor=people.ops, impediment_id=impediment.id, tried="a", needed="b")
    assert ops_at_team.value.message == "At the Team level, only the team can change this impediment."

    service.escalate(
        session=session, actor=people.member, impediment_id=impediment.id, tried="Asked twice", needed="A decision", now=at(3, 3)
    )
    assert (impediment.level, impediment.status, impediment.level_entered_at) == (
        Level.DELIVERY_MANAGER,
        Status.ESCALATED,
        at(3, 3),
    )
    for someone in (people.member, people.other_dm, people.ops):
        with pytest.raises(PermissionDeniedError) as denied:
            service.escalate(session=session, actor=someone, impediment_id=impediment.id, tried="a", needed="b")
    assert denied.value.message == "At the Delivery manager level, only Delivery manager can change this impediment."

    service.escalate(
        session=session,
        actor=people.dm,
        impediment_id=impediment.id,
        tried="Talked to their DM",
        needed="Cross-team priority",
        now=at(3, 4),
    )
    assert impediment.level is Level.PRODUCT_OPS
    for someone in (people.dm, people.leader):
        with pytest.raises(PermissionDeniedError) as denied:
            service.escalate(session=session, actor=someone, impediment_id=impediment.id, tried="a", needed="b")
    assert denied.value.message == "At the Product Ops level, only Product Ops can change this impediment."

    service.escalate(
        session=session, actor=people.ops, impediment_id=impediment.id, tried="Vendor call", needed="Budget", now=at(3, 5)
    )
    assert (impediment.level, impediment.status) == (Level.LEADERSHIP, Status.ESCALATED)
    with pytest.raises(ValidationFailedError) as top:
        service.escalate(session=session, actor=people.leader, impediment_id=impediment.id, tried="a", needed="b")
    assert top.value.message == "Leadership is the top of the ladder."


def test_hand_back_walks_down_the_ladder(session: Session) -> None:
    people = cast(session)
    impediment = raise_one(session, people)
    impediment.level = Level.LEADERSHIP
    impediment.status = Status.ESCALATED
    session.flush()
    with pytest.raises(ValidationFailedError) as no_reason:
        service.de_escalate(session=session, actor=people.leader, impediment_id=impediment.id, reason=" ")
    assert no_reason.value.fields == {"reason": "Say why it goes back."}
    service.de_escalate(session=session, actor=people.leader, impediment_id=impediment.id, reason="Ops can fix it", now=at(3, 4))
    assert (impediment.level, impediment.status, impediment.level_entered_at) == (Level.PRODUCT_OPS, Status.ESCALATED, at(3, 4))
    service.de_escalate(session=session, actor=people.ops, impediment_id=impediment.id, reason="Team decision")
    assert impediment.level is Level.DELIVERY_MANAGER
    service.de_escalate(session=session, actor=people.dm, impediment_id=impediment.id, reason="Workaround found")
    assert (impediment.level, impediment.status) == (Level.TEAM, Status.IN_PROGRESS)
    with pytest.raises(ValidationFailedError) as bottom:
        service.de_escalate(session=session, actor=people.member, impediment_id=impediment.id, reason="Again")
    assert bottom.value.message == "The impediment is with the team already."


def test_resolve_and_wont_fix(session: Session) -> None:
    people = cast(session)
    impediment = raise_one(session, people)
    with pytest.raises(PermissionDeniedError) as outsider:
        service.resolve(session=session, actor=people.outsider, impediment_id=impediment.id, note="Done")
    assert outsider.value.message == "This impediment belongs to a team you are not in."
    with pytest.raises(ValidationFailedError) as no_note:
        service.resolve(session=session, actor=people.member, impediment_id=impediment.id, note="  ")
    assert no_note.value.message == "Say how it was resolved."
    service.resolve(session=session, actor=people.member, impediment_id=impediment.id, note=" Access granted ", now=at(3, 6))
    assert (impediment.status, impediment.resolution_note, impediment.resolved_at) == (
        Status.RESOLVED,
        "Access granted",
        at(3, 6),
    )
    with pytest.raises(ValidationFailedError) as again:
        service.resolve(session=session, actor=people.member, impediment_id=impediment.id, note="Twice")
    assert again.value.message == "This impediment is resolved already."
    other = raise_one(session, people, title="Flaky CI")
    service.resolve(session=session, actor=people.dm, impediment_id=other.id, note="We live with it", wont_fix=True)
    assert other.status is Status.WONT_FIX
    assert other.status.label == "won't fix"


def test_a_member_of_a_confirmed_cluster_is_resolved_with_the_cluster(session: Session) -> None:
    people = cast(session)
    impediment = raise_one(session, people)
    cluster = Cluster(title="Shared staging is down", status="confirmed")
    session.add(cluster)
    session.flush()
    impediment.cluster_id = cluster.id
    session.flush()
    with pytest.raises(ValidationFailedError) as direct:
        service.resolve(session=session, actor=people.member, impediment_id=impediment.id, note="Fixed")
    assert direct.value.message == (
        "This impediment is part of a confirmed cross-team cluster: resolve the cluster, "
        "which resolves all of its teams' impediments."
    )
    assert impediment.status is Status.OPEN
    service.resolve(session=session, actor=None, impediment_id=impediment.id, note="Cluster fixed", via_cluster=True)
    assert (impediment.status, impediment.resolution_note) == (Status.RESOLVED, "Cluster fixed")


def test_the_timeline_records_who_did_what_and_why(session: Session) -> None:
    people = cast(session)
    impediment = raise_one(session, people)
    service.set_status(
        session=session, actor=people.member, impediment_id=impediment.id, status=Status.IN_PROGRESS, now=at(3, 2, 10)
    )
    service.comment(
        session=session, actor=people.ops, impediment_id=impediment.id, text=" Seen this in Kilo too ", now=at(3, 2, 11)
    )
    service.escalate(
        session=session,
        actor=people.member,
        impediment_id=impediment.id,
        tried="Restarted it",
        needed="Someone with admin rights",
        now=at(3, 3),
    )
    service.de_escalate(
        session=session, actor=people.dm, impediment_id=impediment.id, reason="I gave you the rights", now=at(3, 4)
    )
    service.resolve(
        session=session, actor=people.member, impediment_id=impediment.id, note="Restarted with rights", now=at(3, 4, 15)
    )
    session.expire(impediment)
    assert [(e.kind, e.actor_id, e.from_value, e.to_value, e.note, e.at) for e in impediment.events] == [
        ("raised", people.member.id, None, "team", "", MONDAY),
        ("status", people.member.id, "open", "in_progress", "", at(3, 2, 10)),
        ("comment", people.ops.id, None, None, "Seen this in Kilo too", at(3, 2, 11)),
        (
            "escalated",
            people.member.id,
            "team",
            "delivery_manager",
            "Tried: Restarted it\nNeeded: Someone with admin rights",
            at(3, 3),
        ),
        ("handed_back", people.dm.id, "delivery_manager", "team", "I gave you the rights", at(3, 4)),
        ("resolved", people.member.id, "in_progress", "resolved", "Restarted with rights", at(3, 4, 15)),
    ]


def test_status_and_comment_rules(session: Session) -> None:
    people = cast(session)
    impediment = raise_one(session, people)
    with pytest.raises(ValidationFailedError) as wrong:
        service.set_status(session=session, actor=people.member, impediment_id=impediment.id, status=Status.ESCALATED)
    assert wrong.value.fields == {"status": "Choose open or in progress."}
    with pytest.raises(ValidationFailedError) as blank:
        service.comment(session=session, actor=people.leader, impediment_id=impediment.id, text=" ")
    assert blank.value.message == "Write a comment."
    with pytest.raises(PermissionDeniedError):
        service.comment(session=session, actor=people.outsider, impediment_id=impediment.id, text="Hello")


def test_working_days_at_level_and_overdue(session: Session) -> None:
    people = cast(session)
    impediment = raise_one(session, people)  # medium, raised on Monday 2 March
    levels = service.service_levels(session)
    assert levels[(Level.TEAM, Severity.MEDIUM)] == 5
    assert levels[(Level.PRODUCT_OPS, Severity.CRITICAL)] == 2
    assert service.working_days_at_level(impediment, now=at(3, 2, 17)) == 0
    assert service.working_days_at_level(impediment, now=at(3, 7)) == 5  # Saturday: Monday to Friday
    assert service.working_days_at_level(impediment, now=at(3, 9)) == 5
    assert not service.is_overdue(impediment, levels, now=at(3, 9))
    assert service.working_days_at_level(impediment, now=at(3, 10)) == 6
    assert service.is_overdue(impediment, levels, now=at(3, 10))
    service.escalate(session=session, actor=people.member, impediment_id=impediment.id, tried="a", needed="b", now=at(3, 10))
    assert service.working_days_at_level(impediment, now=at(3, 10, 17)) == 0
    assert not service.is_overdue(impediment, levels, now=at(3, 10, 17))
    service.resolve(session=session, actor=people.dm, impediment_id=impediment.id, note="Gone", now=at(3, 11))
    assert not service.is_overdue(impediment, levels, now=at(4, 30))


def test_queue_orders_by_impact(session: Session) -> None:
    people = cast(session)
    critical = raise_one(session, people, title="Critical, 5 days at Product Ops", severity=Severity.CRITICAL)
    low = raise_one(session, people, title="Low, long blocked", severity=Severity.LOW)
    fresh = raise_one(session, people, title="Medium, just arrived")
    closed = raise_one(session, people, title="Closed", severity=Severity.CRITICAL)
    above = raise_one(session, people, title="With leadership", severity=Severity.CRITICAL)
    for impediment in (critical, low, fresh, closed):
        impediment.level, impediment.level_entered_at = Level.PRODUCT_OPS, MONDAY
    fresh.level_entered_at = at(3, 9)
    closed.status = Status.RESOLVED
    above.level = Level.LEADERSHIP
    session.flush()
    entries = service.queue(
        session=session, actor=people.ops, level=Level.PRODUCT_OPS, now=at(3, 9, 12), blocked_days={low.id: 10.0}
    )
    # Severity weight × (1 + blocked days) × (1 + working days ÷ 5): 1 × 11 × 2, 8 × 1 × 2, 2 × 1 × 1.
    assert [(e.impediment.title, e.impact, e.blocked_days, e.working_days, e.overdue) for e in entries] == [
        ("Low, long blocked", 22.0, 10.0, 5, False),
        ("Critical, 5 days at Product Ops", 16.0, 0.0, 5, True),
        ("Medium, just arrived", 2.0, 0.0, 0, False),
    ]
    assert [e.team.name for e in entries] == ["Lima", "Lima", "Lima"]
    leadership = service.queue(session=session, actor=people.leader, level=Level.LEADERSHIP, now=at(3, 9, 12))
    assert [e.impediment.title for e in leadership] == ["With leadership"]
    with pytest.raises(PermissionDeniedError) as member:
        service.queue(session=session, actor=people.member, level=Level.PRODUCT_OPS)
    assert member.value.message == "The cross-team queues are for Product Ops and leaders."


def test_blocked_days_come_from_the_linked_items_while_the_impediment_is_open(session: Session) -> None:
    people = cast(session)
    import_records(
        session=session,
        actor=None,
        team=people.team,
        import_format="test",
        records=[
            record(
                "P-1",
                BlockedIntervalRecord(at(3, 3), at(3, 5), "Waiting for data access"),
                BlockedIntervalRecord(at(3, 6), None, "Waiting again"),
            ),
            record("P-2", BlockedIntervalRecord(at(2, 25), at(3, 1), "Before the impediment")),
        ],
    )
    linked = service.raise_(
        session=session,
        actor=people.member,
        team_id=people.team.id,
        title="Data access",
        work_item_keys=["P-1", "P-2"],
        now=at(3, 4),
    )
    unlinked = raise_one(session, people, title="Nothing linked")
    # P-1: 4 March 09:00 (raised) → 5 March 09:00 = 1 day, then 6 March 09:00 → now = 1 day; P-2 ended before.
    assert impact.blocked_days(session, [linked, unlinked], now=at(3, 7)) == {linked.id: 2.0, unlinked.id: 0.0}
    service.resolve(session=session, actor=people.member, impediment_id=linked.id, note="Granted", now=at(3, 6, 21))
    assert impact.blocked_days(session, [linked], now=at(3, 20)) == {linked.id: 1.5}
    assert impact.blocked_days(session, []) == {}


def test_unraised_blocked_items(session: Session) -> None:
    people = cast(session)
    other = make_team(session, name="Mike")
    import_records(
        session=session,
        actor=None,
        team=people.team,
        import_format="test",
        records=[
            record("U-1", BlockedIntervalRecord(at(3, 1), None, "Waiting for the vendor")),
            record("U-2", BlockedIntervalRecord(at(3, 2), at(3, 5), "Test environment down")),
            record("U-3", BlockedIntervalRecord(at(3, 5, 12), at(3, 6), "Short")),
            record("U-4", BlockedIntervalRecord(at(1, 1), at(1, 10), "Long ago")),
            record("U-5", BlockedIntervalRecord(at(3, 1), None, "Raised already")),
        ],
    )
    import_records(
        session=session,
        actor=None,
        team=other,
        import_format="test",
        records=[
            record("M-1", BlockedIntervalRecord(at(3, 1), None, "Another team's")),
        ],
    )
    raise_one(session, people, title="Raised already", work_item_keys=["U-5"])
    blocks = impact.unraised_blocked_items(session, people.team, now=at(3, 7))
    assert [(b.item_key, b.item_title, b.reason, b.end, b.days) for b in blocks] == [
        ("U-1", "Item U-1", "Waiting for the vendor", None, 6.0),
        ("U-2", "Item U-2", "Test environment down", at(3, 5), 3.0),
    ]


def test_list_team_shows_open_ones_first(session: Session) -> None:
    people = cast(session)
    first = raise_one(session, people, title="First")
    raise_one(session, people, title="Second", now=at(3, 3))
    service.resolve(session=session, actor=people.member, impediment_id=first.id, note="Done")
    third = raise_one(session, people, title="Third", now=at(3, 4))
    assert [i.title for i in service.list_team(session=session, actor=people.ops, team_id=people.team.id)] == [
        "Third",
        "Second",
        "First",
    ]
    service.resolve(session=session, actor=people.member, impediment_id=third.id, note="Done")
    assert [i.title for i in service.list_team(session=session, actor=people.dm, team_id=people.team.id)] == [
        "Second",
        "Third",
        "First",
    ]
    assert [
        i.title for i in service.list_team(session=session, actor=people.member, team_id=people.team.id, include_closed=False)
    ] == ["Second"]
    with pytest.raises(PermissionDeniedError):
        service.list_team(session=session, actor=people.outsider, team_id=people.team.id)
