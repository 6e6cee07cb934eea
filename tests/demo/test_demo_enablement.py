"""The demo organisation's enablement: an organisation-level action judged in its three teams, playbooks linked
from their catalogue entry and coaching practice, every team's checklist and a community whose feed holds
retro themes (never cards) and rollouts. The run's shared demo organisation is only read."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.cockpit.models import CatalogueEntry
from deliveryops.enablement import communities, onboarding, org_actions, playbooks
from deliveryops.enablement.models import OnboardingKind
from deliveryops.retros.models import Card
from deliveryops.teams.models import Team

pytestmark = pytest.mark.slow


def test_the_demo_shows_enablement(demo_session: Session) -> None:
    [action] = org_actions.list_(session=demo_session)
    read = org_actions.read(demo_session, None, action, min_group_size=3)
    assert [t.team for t in read.teams] == ["Search", "Mobile", "Data Platform"]
    assert all(t.verdict is not None for t in read.teams)
    assert read.pooled is not None
    assert read.pooled.teams == 3
    assert read.pooled.reliability is not None
    entry = demo_session.scalars(select(CatalogueEntry).where(CatalogueEntry.name == "WIP limits")).one()
    wip = playbooks.for_entry(demo_session, entry.id)
    assert wip is not None
    assert playbooks.for_practice(demo_session, "wip_limits") is wip
    assert playbooks.read(demo_session, wip).versions == 2
    rows = onboarding.list_checklists(session=demo_session, actor=None)
    teams = set(demo_session.scalars(select(Team.id)))
    assert {r.team_id for r in rows if r.kind is OnboardingKind.TEAM} == teams
    assert any(r.kind is OnboardingKind.MEMBER and r.done == 1 for r in rows)
    [community] = communities.list_(session=demo_session)
    assert len(communities.events(demo_session, community)) == 2
    feed = communities.feed(demo_session, community, min_group_size=3)
    kinds = {item.kind for item in feed}
    assert {"retro_theme", "rollout", "experiment"} <= kinds
    cards = set(demo_session.scalars(select(Card.text)))
    assert [item for item in feed if item.text in cards or item.title in cards] == []
    assert all(item.title.endswith("adopted WIP limits") for item in feed if item.kind == "rollout")
