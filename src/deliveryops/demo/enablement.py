"""Demo data for enablement: an organisation-level action measured across three teams, playbooks for the
WIP limits and retrospectives entries (one with a second version), onboarding templates with each team's
checklist and a new member's, and a community of practice around WIP limits with two meetings."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.actions.models import TargetMetric
from deliveryops.cockpit.models import CatalogueEntry
from deliveryops.enablement import communities, onboarding, org_actions, playbooks
from deliveryops.enablement.models import OnboardingKind
from deliveryops.enablement.schemas import (
    ChecklistCreate,
    CommunityCreate,
    EventCreate,
    OrgActionCreate,
    PlaybookCreate,
    VersionCreate,
)
from deliveryops.teams.models import Membership, Team, TeamRole

WIP_PLAYBOOK = """# Why
A WIP limit makes the team finish work before starting more: cycle times shorten and become predictable.

# Start
1. Read the team's WIP and throughput on its [flow page](/flow); Little's Law says WIP ≈ throughput × cycle time.
2. Agree a limit near what that needs, write it on the board and set it on the team's Practices tab.
3. When the limit is reached, help finish or unblock an item instead of pulling a new one.

# See it work
- Average WIP falls within two weeks; the 85th percentile cycle time follows within a few more.
- DeliveryOps confirms the practice when peak WIP stays within the limit and the limit is not too loose.
"""

WIP_PLAYBOOK_V2 = (
    WIP_PLAYBOOK
    + """
# Pitfalls
- A limit far above today's WIP changes nothing: DeliveryOps calls a limit above twice what Little's Law needs *too loose*.
- Count waiting and blocked items too: they are work in progress.
"""
)

RETRO_PLAYBOOK = """# Why
A regular retro is where the team decides what to change; improvement actions with a target metric show whether it worked.

# Start
- Hold one every two to four weeks, in DeliveryOps or elsewhere (then record it as held on the Practices tab).
- End with at most two actions, each with an owner, a due date and, where it fits, a metric it should move.
"""


def _by_name(session: Session, model: type[Team] | type[CatalogueEntry], name: str) -> int:
    found = session.scalar(select(model.id).where(model.name == name))
    assert found is not None, name
    return found


def build_enablement(session: Session, *, now: datetime, seed: int) -> int:
    """Add the demo's enablement records (after the catalogue, the teams' history and the retros); returns how
    many organisation-level actions, playbooks, checklists and communities it made."""
    ops = session.scalars(select(User).where(User.role == Role.PRODUCT_OPS).order_by(User.id)).first()
    assert ops is not None
    today = now.date()
    action = org_actions.create(
        session=session,
        actor=ops,
        body=OrgActionCreate(
            title="Swarm on aging items before starting new ones",
            description="Across Discovery & Platform: each stand-up starts from the oldest item in progress.",
            team_ids=[_by_name(session, Team, name) for name in ("Search", "Mobile", "Data Platform")],
            started_on=today - timedelta(weeks=14),
            target_metric=TargetMetric.CYCLE_TIME_P85,
        ),
        today=today,
    )
    wip_entry = _by_name(session, CatalogueEntry, "WIP limits")
    wip = playbooks.create(
        session=session,
        actor=ops,
        body=PlaybookCreate(
            title="WIP limits: start, check, keep", entry_id=wip_entry, practice_key="wip_limits", body=WIP_PLAYBOOK
        ),
    )
    playbooks.add_version(
        session=session, actor=ops, playbook_id=wip.id, body=VersionCreate(body=WIP_PLAYBOOK_V2, note="Pitfalls")
    )
    playbooks.create(
        session=session,
        actor=ops,
        body=PlaybookCreate(
            title="Retrospectives that change something",
            entry_id=_by_name(session, CatalogueEntry, "Regular retrospectives"),
            body=RETRO_PLAYBOOK,
        ),
    )
    for kind, template in onboarding.STANDARD_TEMPLATES.items():
        onboarding.write_template(session=session, actor=ops, kind=kind, body=template)
    checklists = 0
    for team_id in session.scalars(select(Team.id).order_by(Team.id)):
        checklist = onboarding.checklist_of(session, OnboardingKind.TEAM, team_id)  # given with the template
        assert checklist is not None
        steps = onboarding.read(session, checklist).steps
        for step in steps[: 5 - checklists % 3]:  # most teams are through most of it
            onboarding.tick(session=session, actor=ops, checklist_id=checklist.id, item_id=step.item_id, done=True)
        checklists += 1
    growth = _by_name(session, Team, "Growth")
    newcomer = session.scalars(
        select(Membership.user_id)
        .where(Membership.team_id == growth, Membership.team_role == TeamRole.MEMBER)
        .order_by(Membership.id.desc())
    ).first()
    if newcomer is not None:
        checklist = onboarding.create_checklist(
            session=session, actor=ops, body=ChecklistCreate(kind=OnboardingKind.MEMBER, team_id=growth, user_id=newcomer)
        )
        first = onboarding.read(session, checklist).steps[0]
        onboarding.tick(session=session, actor=None, checklist_id=checklist.id, item_id=first.item_id, done=True)
        checklists += 1
    community = communities.create(
        session=session,
        actor=ops,
        body=CommunityCreate(
            name="Flow community",
            description="Delivery managers and anyone curious about WIP limits, aging work and forecasting.",
            entry_id=wip_entry,
        ),
    )
    for dm in session.scalars(select(User).where(User.role == Role.DELIVERY_MANAGER).order_by(User.id)):
        communities.join(session=session, actor=dm, community_id=community.id)
    for weeks_ago, title, notes in (
        (6, "WIP limits clinic", "Payments showed how its limit came from Little's Law; Checkout's limit was too loose."),
        (2, "Aging items show-and-tell", "Search swarms on the oldest item first at stand-up."),
    ):
        held_on = today - timedelta(weeks=weeks_ago)
        communities.add_event(
            session=session, actor=ops, community_id=community.id, body=EventCreate(title=title, held_on=held_on, notes=notes)
        )
    assert action.id is not None
    return 1 + 2 + checklists + 1
