"""Enablement services on SQLite and PostgreSQL: organisation-level actions judged per team and pooled,
playbooks and their versions, onboarding checklists given automatically, communities and their feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.actions.models import TargetMetric
from deliveryops.cockpit.models import AdoptionLevel, AdoptionState, CatalogueEntry, EntryKind
from deliveryops.enablement import communities, onboarding, org_actions, playbooks
from deliveryops.enablement.models import OnboardingKind
from deliveryops.enablement.schemas import (
    ChecklistCreate,
    CommunityCreate,
    EventCreate,
    OnboardingTemplateWrite,
    OrgActionCreate,
    PlaybookCreate,
    VersionCreate,
)
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.experiments.models import Decision, Experiment, ExperimentStatus
from deliveryops.jobs.models import Job
from deliveryops.retros.models import Card, Retro, Theme
from deliveryops.teams.models import TeamRole
from tests.actions.test_actions import FIRST_MONDAY, weekly_team
from tests.factories import join, make_team, make_user


def test_an_org_action_is_judged_in_each_team_and_pooled(session: Session) -> None:
    improving = [2, 3] * 10 + [7] * 8
    teams = [weekly_team(session, improving), weekly_team(session, improving), weekly_team(session, [2, 3] * 14)]
    ops = make_user(session, role=Role.PRODUCT_OPS)
    body = OrgActionCreate(
        title="Stop starting, start finishing",
        team_ids=[t.id for t in teams],
        started_on=FIRST_MONDAY + timedelta(weeks=20),
        target_metric=TargetMetric.THROUGHPUT,
    )
    action = org_actions.create(session=session, actor=ops, body=body, today=date(2026, 12, 7))
    read = org_actions.read(session, ops, action, min_group_size=3)
    assert [t.verdict for t in read.teams] == ["improved", "improved", "no_change"]
    assert read.pooled is not None
    assert read.pooled.outcome == "improved"  # two of three improved, none worsened
    assert read.pooled.counts["improved"] == 2
    assert "3 teams: 2 improved, 1 no change" in read.pooled.text
    assert (read.pooled.left_out, read.pooled.privacy) == (0, None)
    # The team verdicts are stored: read again, they are not computed again until a team's data changes.
    assert (read.computed_at, read.recomputing) == (org_actions.read(session, ops, action, min_group_size=3).computed_at, False)
    teams[2].data_version = (teams[2].data_version or 0) + 1
    session.flush()
    stale = org_actions.read(session, ops, action, min_group_size=3)
    assert (stale.computed_at, stale.recomputing, stale.pooled) == (read.computed_at, True, read.pooled)
    assert session.scalar(select(Job.id).where(Job.name == "enablement.refresh_org_actions")) is not None
    # A member of the first team reads its verdict. The other two are fewer than the minimum group size of 3:
    # counting them would tell the member that one improved and one did not, so they are left out, and it says so.
    member = make_user(session)
    join(session, teams[0], member)
    mine = org_actions.read(session, member, action, min_group_size=3)
    assert ([t.team_id for t in mine.teams], mine.hidden_teams) == ([teams[0].id], 2)
    assert mine.pooled is not None
    assert (mine.pooled.teams, mine.pooled.counts["improved"], sum(mine.pooled.counts.values())) == (1, 1, 1)
    assert mine.pooled.left_out == 2
    assert mine.pooled.privacy == (
        "Pooled over the 1 team you see: the 2 other teams it touches are fewer than 3, "
        "so their results are left out to keep them private."
    )
    # With a minimum group size of 2 the two hidden teams form a large enough group: they are counted, not shown.
    counted = org_actions.read(session, member, action, min_group_size=2)
    assert counted.pooled is not None
    assert (counted.pooled.outcome, counted.pooled.counts, counted.pooled.left_out) == ("improved", read.pooled.counts, 0)
    with pytest.raises(PermissionDeniedError):
        org_actions.create(session=session, actor=member, body=body, today=date(2026, 12, 7))
    with pytest.raises(ValidationFailedError) as refused:
        org_actions.create(
            session=session, actor=ops, body=body.model_copy(update={"team_ids": [999_999]}), today=date(2026, 12, 7)
        )
    assert "team_ids" in refused.value.fields
    with pytest.raises(ValidationFailedError) as refused:
        org_actions.create(
            session=session,
            actor=ops,
            body=body.model_copy(update={"target_metric": TargetMetric.HEALTH_CARD}),
            today=date(2026, 12, 7),
        )
    assert "target_metric" in refused.value.fields


def test_playbooks_keep_their_versions_and_answer_for_their_entry_and_practice(session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    owner = make_user(session)
    entry = CatalogueEntry(kind=EntryKind.PRACTICE, name="WIP limits (walk)", category="flow")
    session.add(entry)
    session.flush()
    body = PlaybookCreate(title="WIP limits", entry_id=entry.id, practice_key="wip_limits", owner_id=owner.id, body="# Start")
    playbook = playbooks.create(session=session, actor=ops, body=body)
    playbooks.add_version(session=session, actor=owner, playbook_id=playbook.id, body=VersionCreate(body="# Better", note="v2"))
    read = playbooks.read(session, playbook)
    assert (read.version, read.versions, read.body, read.owner) == (2, 2, "# Better", owner.name)
    assert [v.number for v in playbooks.versions(session, playbook)] == [2, 1]
    assert playbooks.version_or_raise(session, playbook, 1).body == "# Start"
    assert playbooks.for_entry(session, entry.id) is playbook
    assert playbooks.for_practice(session, "wip_limits") is playbook
    stranger = make_user(session)
    with pytest.raises(PermissionDeniedError):
        playbooks.add_version(session=session, actor=stranger, playbook_id=playbook.id, body=VersionCreate(body="x"))
    with pytest.raises(ValidationFailedError) as refused:
        playbooks.create(session=session, actor=ops, body=body.model_copy(update={"practice_key": "juggling"}))
    assert "practice_key" in refused.value.fields


def test_new_teams_and_people_get_their_checklist_and_tick_their_own(session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    before = make_team(session)  # no template yet: no checklist until Product Ops keeps the team template
    assert onboarding.list_checklists(session=session, actor=None) == []
    for kind, template in onboarding.STANDARD_TEMPLATES.items():
        onboarding.write_template(session=session, actor=ops, kind=kind, body=template)
    existing = onboarding.checklist_of(session, OnboardingKind.TEAM, before.id)
    assert existing is not None  # the team made before the template got its checklist then
    team = make_team(session)
    dm, member, other = make_user(session), make_user(session), make_user(session)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    join(session, team, member)
    join(session, team, other)
    rows = onboarding.list_checklists(session=session, actor=None)
    assert {(r.kind, r.team_id, r.user_id) for r in rows} == {
        (OnboardingKind.TEAM, before.id, None),
        (OnboardingKind.TEAM, team.id, None),
        (OnboardingKind.DELIVERY_MANAGER, team.id, dm.id),
        (OnboardingKind.MEMBER, team.id, member.id),
        (OnboardingKind.MEMBER, team.id, other.id),
    }
    # Writing the team template again gives no second checklist.
    onboarding.write_template(
        session=session, actor=ops, kind=OnboardingKind.TEAM, body=onboarding.STANDARD_TEMPLATES[OnboardingKind.TEAM]
    )
    assert sum(1 for r in onboarding.list_checklists(session=session, actor=None) if r.team_id == before.id) == 1
    mine = next(r for r in rows if r.user_id == member.id)
    others = next(r for r in rows if r.user_id == other.id)
    team_list = next(r for r in rows if r.user_id is None and r.team_id == team.id)
    first = mine.steps[0].item_id
    onboarding.tick(session=session, actor=member, checklist_id=mine.id, item_id=first, done=True)
    assert onboarding.read(session, onboarding.get_or_raise(session=session, actor=member, checklist_id=mine.id)).done == 1
    with pytest.raises(PermissionDeniedError):
        onboarding.tick(session=session, actor=member, checklist_id=others.id, item_id=first, done=True)
    with pytest.raises(PermissionDeniedError):  # a team's checklist is its delivery manager's to tick
        onboarding.tick(session=session, actor=member, checklist_id=team_list.id, item_id=team_list.steps[0].item_id, done=True)
    onboarding.tick(session=session, actor=dm, checklist_id=team_list.id, item_id=team_list.steps[0].item_id, done=True)
    # The member reads the team's checklist and their own, not a colleague's.
    visible = {r.id for r in onboarding.list_checklists(session=session, actor=member)}
    assert visible == {mine.id, team_list.id}
    # Product Ops rewrites the member template: the kept step keeps its tick, a dropped one stops counting.
    kept = onboarding.STANDARD_TEMPLATES[OnboardingKind.MEMBER].items[0]
    onboarding.write_template(
        session=session,
        actor=ops,
        kind=OnboardingKind.MEMBER,
        body=OnboardingTemplateWrite(title="New member", items=[kept, "Pair"]),
    )
    again = onboarding.read(session, onboarding.get_or_raise(session=session, actor=None, checklist_id=mine.id))
    assert [(s.text, s.done) for s in again.steps] == [(kept, True), ("Pair", False)]
    assert (again.done, again.total, again.progress) == (1, 2, 0.5)
    with pytest.raises(PermissionDeniedError):
        onboarding.write_template(
            session=session, actor=dm, kind=OnboardingKind.MEMBER, body=OnboardingTemplateWrite(title="x", items=["y"])
        )
    with pytest.raises(ValidationFailedError):  # exists already, and an outsider is not of the team
        onboarding.create_checklist(
            session=session, actor=dm, body=ChecklistCreate(kind=OnboardingKind.MEMBER, team_id=team.id, user_id=ops.id)
        )


def _retro(session: Session, team_id: int, writers: int, theme: str) -> None:
    retro = Retro(
        team_id=team_id, title="R", format="start_stop", columns=["Start"], finished_at=datetime(2026, 11, 20, tzinfo=UTC)
    )
    session.add(retro)
    session.flush()
    row = Theme(retro_id=retro.id, title=theme)
    session.add(row)
    session.flush()
    for n in range(writers):
        session.add(Card(retro_id=retro.id, column="Start", text=f"secret card {n}", writer_token=f"w{n}", theme_id=row.id))
    session.flush()


def test_the_feed_gathers_themes_of_large_enough_retros_experiments_and_rollouts(session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    team = make_team(session, name="Feed team")
    _retro(session, team.id, writers=3, theme="Reviews wait too long")
    _retro(session, team.id, writers=2, theme="Small retro theme")
    entry = CatalogueEntry(kind=EntryKind.PRACTICE, name="Pairing (feed)", category="quality")
    session.add(entry)
    session.flush()
    session.add(
        AdoptionState(team_id=team.id, entry_id=entry.id, state=AdoptionLevel.ADOPTED, set_at=datetime(2026, 11, 1, tzinfo=UTC))
    )
    session.add(
        Experiment(
            key="feed-exp",
            team_id=team.id,
            title="Shorter onboarding email",
            status=ExperimentStatus.DECIDED,
            decision=Decision.SHIP,
            decided_at=datetime(2026, 11, 10, tzinfo=UTC),
            learnings="Shorter is better.",
        )
    )
    session.flush()
    community = communities.create(session=session, actor=ops, body=CommunityCreate(name="Quality guild", entry_id=entry.id))
    feed = communities.feed(session, community, min_group_size=3)
    assert [(item.kind, item.title) for item in feed] == [
        ("retro_theme", "Reviews wait too long"),
        ("experiment", "Shorter onboarding email"),
        ("rollout", "Feed team adopted Pairing (feed)"),
    ]
    assert all("secret" not in item.text for item in feed)
    assert (feed[0].link, feed[0].text) == (None, "A theme of Feed team's retro (3 cards).")
    # Members join themselves and record events; others do not record them.
    member = make_user(session)
    with pytest.raises(PermissionDeniedError):
        communities.add_event(
            session=session, actor=member, community_id=community.id, body=EventCreate(title="Talk", held_on=date(2026, 12, 1))
        )
    communities.join(session=session, actor=member, community_id=community.id)
    communities.add_event(
        session=session, actor=member, community_id=community.id, body=EventCreate(title="Talk", held_on=date(2026, 12, 1))
    )
    read = communities.read(session, community)
    assert communities.is_member(session, member, community)
    assert sorted(read.members) == sorted([ops.name, member.name])
    assert [e.title for e in communities.events(session, community)] == ["Talk"]
    communities.leave(session=session, actor=member, community_id=community.id)
    assert not communities.is_member(session, member, community)
