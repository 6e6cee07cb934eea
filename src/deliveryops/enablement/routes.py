"""JSON API: organisation-level actions, playbooks, onboarding templates and checklists, communities of practice."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.db import utcnow
from deliveryops.enablement import communities, onboarding, org_actions, playbooks
from deliveryops.enablement.models import OnboardingKind
from deliveryops.enablement.schemas import (
    ChecklistCreate,
    ChecklistFilter,
    ChecklistRead,
    CommunityCreate,
    CommunityRead,
    EventCreate,
    EventRead,
    LearningRead,
    OnboardingTemplateRead,
    OnboardingTemplateWrite,
    OrgActionCreate,
    OrgActionRead,
    OrgActionUpdate,
    PlaybookCreate,
    PlaybookFilter,
    PlaybookRead,
    TickWrite,
    VersionCreate,
    VersionRead,
)
from deliveryops.schemas import Page, paginate
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

api = APIRouter(tags=["enablement"], responses=error_responses(401, 403, 404, 422))

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
OptionalId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def min_group_size(request: Request) -> int:
    """The smallest group whose results are shown (the setting that hides small groups everywhere)."""
    return int(request.app.state.settings.min_group_size)


@api.get("/org-actions", response_model=Page[OrgActionRead])
def list_org_actions(request: Request, session: SessionDep, actor: ApiUser, page: Pagination) -> Page[OrgActionRead]:
    """Organisation-level actions, open ones first; each touched team's verdict you may read, and the pooled one."""
    rows = org_actions.list_(session=session)
    return paginate(rows, page).map(lambda row: org_actions.read(session, actor, row, min_group_size=min_group_size(request)))


@api.post("/org-actions", response_model=OrgActionRead, status_code=201)
def create_org_action(request: Request, body: OrgActionCreate, session: SessionDep, actor: ApiUser) -> OrgActionRead:
    """Run an improvement action across chosen teams (Product Ops, admins)."""
    row = org_actions.create(session=session, actor=actor, body=body, today=utcnow().date())
    return org_actions.read(session, actor, row, min_group_size=min_group_size(request))


@api.get("/org-actions/{org_action_id}", response_model=OrgActionRead)
def read_org_action(request: Request, session: SessionDep, actor: ApiUser, org_action_id: IdPath) -> OrgActionRead:
    """One organisation-level action with its teams' verdicts and the pooled verdict."""
    return org_actions.read(
        session, actor, org_actions.get_or_raise(session=session, action_id=org_action_id), min_group_size=min_group_size(request)
    )


@api.patch("/org-actions/{org_action_id}", response_model=OrgActionRead)
def update_org_action(
    request: Request, body: OrgActionUpdate, session: SessionDep, actor: ApiUser, org_action_id: IdPath
) -> OrgActionRead:
    """Change its status (Product Ops, admins)."""
    row = org_actions.update(session=session, actor=actor, action_id=org_action_id, body=body, today=utcnow().date())
    return org_actions.read(session, actor, row, min_group_size=min_group_size(request))


@api.get("/playbooks", response_model=Page[PlaybookRead])
def list_playbooks(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    entry_id: OptionalId = None,
    practice_key: Annotated[str | None, Query(max_length=60)] = None,
) -> Page[PlaybookRead]:
    """Playbooks by title; ``entry_id`` gives a catalogue entry's, ``practice_key`` a coaching practice's."""
    rows = playbooks.list_(session=session, filters=PlaybookFilter(entry_id=entry_id, practice_key=practice_key))
    return paginate(rows, page).map(lambda row: playbooks.read(session, row))


@api.post("/playbooks", response_model=PlaybookRead, status_code=201)
def create_playbook(body: PlaybookCreate, session: SessionDep, actor: ApiUser) -> PlaybookRead:
    """Write a playbook and its first version (Product Ops, admins)."""
    return playbooks.read(session, playbooks.create(session=session, actor=actor, body=body))


@api.get("/playbooks/{playbook_id}", response_model=PlaybookRead)
def read_playbook(session: SessionDep, actor: ApiUser, playbook_id: IdPath) -> PlaybookRead:
    """A playbook with its current version's text (Markdown)."""
    return playbooks.read(session, playbooks.get_or_raise(session=session, playbook_id=playbook_id))


@api.get("/playbooks/{playbook_id}/versions", response_model=Page[VersionRead])
def list_versions(session: SessionDep, actor: ApiUser, page: Pagination, playbook_id: IdPath) -> Page[VersionRead]:
    """Its versions, newest first."""
    playbook = playbooks.get_or_raise(session=session, playbook_id=playbook_id)
    return paginate(playbooks.versions(session, playbook), page)


@api.post("/playbooks/{playbook_id}/versions", response_model=VersionRead, status_code=201)
def add_version(body: VersionCreate, session: SessionDep, actor: ApiUser, playbook_id: IdPath) -> VersionRead:
    """Write a new version (its owner, Product Ops, admins)."""
    version = playbooks.add_version(session=session, actor=actor, playbook_id=playbook_id, body=body)
    return playbooks.version_or_raise(session, playbooks.get_or_raise(session=session, playbook_id=playbook_id), version.number)


@api.get("/onboarding/templates", response_model=Page[OnboardingTemplateRead])
def list_templates(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[OnboardingTemplateRead]:
    """The checklist templates Product Ops keeps (a new team, a new delivery manager, a new member)."""
    return paginate(onboarding.templates(session), page)


@api.put("/onboarding/templates/{kind}", response_model=OnboardingTemplateRead)
def write_template(
    body: OnboardingTemplateWrite, session: SessionDep, actor: ApiUser, kind: OnboardingKind
) -> OnboardingTemplateRead:
    """Set a template's steps (Product Ops, admins); kept steps keep their ticks."""
    return onboarding.template_read(onboarding.write_template(session=session, actor=actor, kind=kind, body=body))


@api.get("/onboarding/checklists", response_model=Page[ChecklistRead])
def list_checklists(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    team_id: OptionalId = None,
    kind: OnboardingKind | None = None,
    open_only: bool = False,
) -> Page[ChecklistRead]:
    """The checklists you may read, least progress first."""
    filters = ChecklistFilter(team_id=team_id, kind=kind, open_only=open_only)
    return paginate(onboarding.list_checklists(session=session, actor=actor, filters=filters), page)


@api.post("/onboarding/checklists", response_model=ChecklistRead, status_code=201)
def create_checklist(body: ChecklistCreate, session: SessionDep, actor: ApiUser) -> ChecklistRead:
    """Give a team or a person of it a checklist (the team's delivery manager, Product Ops, admins)."""
    return onboarding.read(session, onboarding.create_checklist(session=session, actor=actor, body=body))


@api.get("/onboarding/checklists/{checklist_id}", response_model=ChecklistRead)
def read_checklist(session: SessionDep, actor: ApiUser, checklist_id: IdPath) -> ChecklistRead:
    """One checklist and its progress."""
    return onboarding.read(session, onboarding.get_or_raise(session=session, actor=actor, checklist_id=checklist_id))


@api.put("/onboarding/checklists/{checklist_id}/steps/{step_id}", response_model=ChecklistRead)
def tick_step(body: TickWrite, session: SessionDep, actor: ApiUser, checklist_id: IdPath, step_id: IdPath) -> ChecklistRead:
    """Tick or untick a step: the person their own, the team's delivery manager, Product Ops, admins."""
    row = onboarding.tick(session=session, actor=actor, checklist_id=checklist_id, item_id=step_id, done=body.done)
    return onboarding.read(session, row)


@api.get("/communities", response_model=Page[CommunityRead])
def list_communities(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[CommunityRead]:
    """Communities of practice, by name."""
    return paginate(communities.list_(session=session), page).map(lambda row: communities.read(session, row))


@api.post("/communities", response_model=CommunityRead, status_code=201)
def create_community(body: CommunityCreate, session: SessionDep, actor: ApiUser) -> CommunityRead:
    """Start a community of practice (Product Ops, admins)."""
    return communities.read(session, communities.create(session=session, actor=actor, body=body))


@api.get("/communities/{community_id}", response_model=CommunityRead)
def read_community(session: SessionDep, actor: ApiUser, community_id: IdPath) -> CommunityRead:
    """One community and its members."""
    return communities.read(session, communities.get_or_raise(session=session, community_id=community_id))


@api.post("/communities/{community_id}/join", response_model=CommunityRead)
def join_community(session: SessionDep, actor: ApiUser, community_id: IdPath) -> CommunityRead:
    """Join a community (yourself)."""
    return communities.read(session, communities.join(session=session, actor=actor, community_id=community_id))


@api.post("/communities/{community_id}/leave", response_model=CommunityRead)
def leave_community(session: SessionDep, actor: ApiUser, community_id: IdPath) -> CommunityRead:
    """Leave a community (yourself)."""
    return communities.read(session, communities.leave(session=session, actor=actor, community_id=community_id))


@api.get("/communities/{community_id}/meetings", response_model=Page[EventRead])
def list_events(session: SessionDep, actor: ApiUser, page: Pagination, community_id: IdPath) -> Page[EventRead]:
    """Its events, newest first."""
    return paginate(communities.events(session, communities.get_or_raise(session=session, community_id=community_id)), page)


@api.post("/communities/{community_id}/meetings", response_model=EventRead, status_code=201)
def add_event(body: EventCreate, session: SessionDep, actor: ApiUser, community_id: IdPath) -> EventRead:
    """Record a meeting (its members, Product Ops, admins)."""
    event = communities.add_event(session=session, actor=actor, community_id=community_id, body=body)
    return EventRead(id=event.id, title=event.title, held_on=event.held_on, notes=event.notes)


@api.get("/communities/{community_id}/feed", response_model=Page[LearningRead])
def feed(
    request: Request, session: SessionDep, actor: ApiUser, page: Pagination, community_id: IdPath, since: date | None = None
) -> Page[LearningRead]:
    """Learnings, newest first: retro themes (never cards or writers; retros with fewer writers than the minimum
    group size are left out), decided experiments, resolved impediment clusters and teams adopting the entry."""
    row = communities.get_or_raise(session=session, community_id=community_id)
    return paginate(communities.feed(session, row, min_group_size=min_group_size(request), since=since), page)
