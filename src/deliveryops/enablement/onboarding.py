"""Onboarding checklists for a new team, a new delivery manager and a new member, from templates Product Ops
keeps; a new team and a person joining a team get theirs automatically (see ``enablement.models``), and every
existing team gets the team checklist when Product Ops first keeps that template."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.db import utcnow
from deliveryops.enablement.access import is_ops, person_name, raise_if, require_ops
from deliveryops.enablement.models import (
    OnboardingChecklist,
    OnboardingItem,
    OnboardingKind,
    OnboardingTemplate,
    OnboardingTick,
)
from deliveryops.enablement.schemas import (
    ChecklistCreate,
    ChecklistFilter,
    ChecklistRead,
    ItemRead,
    OnboardingTemplateRead,
    OnboardingTemplateWrite,
    StepRead,
)
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError
from deliveryops.teams.models import Membership, Team
from deliveryops.teams.service import can_manage_team, can_view_team

__all__ = [
    "STANDARD_TEMPLATES",
    "can_read",
    "can_tick",
    "checklist_of",
    "create_checklist",
    "get_or_raise",
    "list_checklists",
    "read",
    "template",
    "template_read",
    "templates",
    "tick",
    "write_template",
]

STANDARD_TEMPLATES: dict[OnboardingKind, OnboardingTemplateWrite] = {
    OnboardingKind.TEAM: OnboardingTemplateWrite(
        title="A new team",
        items=[
            "Connect the team's tracker (or import its history) and map its workflow",
            "Link its repositories and production deployments for the DORA keys",
            "Set the team's calendar and WIP limit",
            "Hold a first retro and a first health check",
            "Declare where it stands with each catalogue entry",
        ],
    ),
    OnboardingKind.DELIVERY_MANAGER: OnboardingTemplateWrite(
        title="A new delivery manager",
        items=[
            "Read the metric definitions and the team's flow page",
            "Meet Product Ops and join a community of practice",
            "Read the playbooks of the practices the team uses",
            "Review the team's open impediments and improvement actions",
            "Facilitate a retro in DeliveryOps",
        ],
    ),
    OnboardingKind.MEMBER: OnboardingTemplateWrite(
        title="A new member",
        items=[
            "Sign in and look at the team's board of work in DeliveryOps",
            "Read the team's working agreements and WIP limit",
            "Raise an impediment when something blocks you",
            "Take part in the next retro",
        ],
    ),
}


def template(session: Session, kind: OnboardingKind) -> OnboardingTemplate | None:
    """The template of one kind, if Product Ops keeps one."""
    return session.scalar(select(OnboardingTemplate).where(OnboardingTemplate.kind == kind))


def _steps(row: OnboardingTemplate | None) -> list[OnboardingItem]:
    return [item for item in row.items if not item.retired] if row is not None else []


def template_read(row: OnboardingTemplate) -> OnboardingTemplateRead:
    """A template with its current steps."""
    return OnboardingTemplateRead(kind=row.kind, title=row.title, items=[ItemRead(id=i.id, text=i.text) for i in _steps(row)])


def templates(session: Session) -> list[OnboardingTemplateRead]:
    """Every template, in the order team, delivery manager, member."""
    return [template_read(row) for kind in OnboardingKind if (row := template(session, kind)) is not None]


def write_template(
    *, session: Session, actor: User | None, kind: OnboardingKind, body: OnboardingTemplateWrite
) -> OnboardingTemplate:
    """Set a template's title and steps (Product Ops, admins). A step whose text is kept keeps its ticks; a
    step left out is retired (its ticks stay, it no longer counts). When the team template is first kept,
    every existing team without one gets the team checklist (teams made later get it as they are made)."""
    require_ops(actor, "edit onboarding templates")
    row = template(session, kind)
    if row is None:
        row = OnboardingTemplate(kind=kind, title=body.title.strip())
        session.add(row)
        if kind is OnboardingKind.TEAM:
            _give_existing_teams(session)
    row.title = body.title.strip()
    row.updated_at = utcnow()
    current = {item.text: item for item in row.items if not item.retired}
    for item in current.values():
        item.retired = True
    for position, text in enumerate(dict.fromkeys(body.items)):
        kept = current.get(text)
        if kept is None:
            row.items.append(OnboardingItem(position=position, text=text))
        else:
            kept.retired, kept.position = False, position
    session.flush()
    return row


def _give_existing_teams(session: Session) -> None:
    have = set(
        session.scalars(
            select(OnboardingChecklist.team_id).where(
                OnboardingChecklist.kind == OnboardingKind.TEAM, OnboardingChecklist.user_id.is_(None)
            )
        )
    )
    session.add_all(
        OnboardingChecklist(kind=OnboardingKind.TEAM, team_id=team_id, user_id=None)
        for team_id in session.scalars(select(Team.id).order_by(Team.id))
        if team_id not in have
    )


def checklist_of(session: Session, kind: OnboardingKind, team_id: int, user_id: int | None = None) -> OnboardingChecklist | None:
    """The checklist of a kind for a team (``user_id`` None) or a person in it, if there is one."""
    user_filter = OnboardingChecklist.user_id.is_(None) if user_id is None else OnboardingChecklist.user_id == user_id
    return session.scalar(
        select(OnboardingChecklist).where(OnboardingChecklist.kind == kind, OnboardingChecklist.team_id == team_id, user_filter)
    )


def can_read(session: Session, actor: User | None, checklist: OnboardingChecklist) -> bool:
    """A team's checklist: whoever reads the team. A person's: the person, the team's delivery manager,
    Product Ops, admins."""
    if actor is None:
        return True
    team = session.get_one(Team, checklist.team_id)
    if checklist.user_id is None:
        return can_view_team(session, actor, team)
    return actor.id == checklist.user_id or is_ops(actor) or can_manage_team(session, actor, team)


def can_tick(session: Session, actor: User | None, checklist: OnboardingChecklist) -> bool:
    """A team's checklist: its delivery manager, Product Ops, admins. A person's: also the person."""
    if is_ops(actor):
        return True
    assert actor is not None
    team = session.get_one(Team, checklist.team_id)
    return can_manage_team(session, actor, team) or (checklist.user_id is not None and actor.id == checklist.user_id)


def create_checklist(*, session: Session, actor: User | None, body: ChecklistCreate) -> OnboardingChecklist:
    """Give a team or a person in it a checklist (the team's delivery manager, Product Ops, admins)."""
    team = session.get(Team, body.team_id)
    errors: dict[str, str] = {}
    if team is None:
        raise_if({"team_id": "Choose an existing team."})
    assert team is not None
    if not (is_ops(actor) or (actor is not None and can_manage_team(session, actor, team))):
        raise PermissionDeniedError("Only the team's delivery manager, Product Ops and admins give checklists.")
    if template(session, body.kind) is None:
        errors["kind"] = f"Product Ops keeps no checklist for {body.kind.label} yet."
    if body.kind is OnboardingKind.TEAM and body.user_id is not None:
        errors["user_id"] = "A team's checklist is the team's, not a person's."
    if body.kind is not OnboardingKind.TEAM:
        member = session.scalar(select(Membership.id).where(Membership.team_id == team.id, Membership.user_id == body.user_id))
        if body.user_id is None or member is None:
            errors["user_id"] = "Choose a person of the team."
    raise_if(errors)
    exists = checklist_of(session, body.kind, team.id, body.user_id)
    if exists is not None:
        raise ConflictError("That checklist exists already.", details={"checklist_id": exists.id})
    row = OnboardingChecklist(kind=body.kind, team_id=team.id, user_id=body.user_id)
    session.add(row)
    session.flush()
    return row


def get_or_raise(*, session: Session, actor: User | None, checklist_id: int) -> OnboardingChecklist:
    """One checklist, if the actor may read it."""
    row = session.get(OnboardingChecklist, checklist_id)
    if row is None:
        raise NotFoundError(f"No checklist with id {checklist_id}.")
    if not can_read(session, actor, row):
        raise PermissionDeniedError("A person's checklist is theirs, their delivery manager's and Product Ops'.")
    return row


def read(session: Session, row: OnboardingChecklist) -> ChecklistRead:
    """The checklist's steps (the template's current ones) and its progress."""
    ticks = {
        tick.item_id: tick.ticked_at
        for tick in session.scalars(select(OnboardingTick).where(OnboardingTick.checklist_id == row.id))
    }
    steps = [
        StepRead(item_id=item.id, text=item.text, done=item.id in ticks, done_at=ticks.get(item.id))
        for item in _steps(template(session, row.kind))
    ]
    done = sum(1 for step in steps if step.done)
    team = session.get_one(Team, row.team_id)
    return ChecklistRead(
        id=row.id,
        kind=row.kind,
        team_id=team.id,
        team=team.name,
        user_id=row.user_id,
        person=person_name(session, row.user_id),
        done=done,
        total=len(steps),
        progress=round(done / len(steps), 4) if steps else 0.0,
        steps=steps,
    )


def list_checklists(*, session: Session, actor: User | None, filters: ChecklistFilter | None = None) -> list[ChecklistRead]:
    """The checklists the actor may read, least progress first, then by team and person."""
    query = select(OnboardingChecklist).order_by(OnboardingChecklist.id)
    if filters is not None and filters.team_id is not None:
        query = query.where(OnboardingChecklist.team_id == filters.team_id)
    if filters is not None and filters.kind is not None:
        query = query.where(OnboardingChecklist.kind == filters.kind)
    rows = [read(session, row) for row in session.scalars(query) if can_read(session, actor, row)]
    if filters is not None and filters.open_only:
        rows = [row for row in rows if row.done < row.total]
    return sorted(rows, key=lambda r: (r.progress, r.team, r.person or "", r.id))


def tick(*, session: Session, actor: User | None, checklist_id: int, item_id: int, done: bool) -> OnboardingChecklist:
    """Tick or untick a step (see :func:`can_tick`)."""
    row = get_or_raise(session=session, actor=actor, checklist_id=checklist_id)
    if not can_tick(session, actor, row):
        raise PermissionDeniedError("Only the person, the team's delivery manager, Product Ops and admins tick it.")
    if item_id not in {item.id for item in _steps(template(session, row.kind))}:
        raise NotFoundError(f"The checklist has no step {item_id}.")
    existing = session.scalar(
        select(OnboardingTick).where(OnboardingTick.checklist_id == row.id, OnboardingTick.item_id == item_id)
    )
    if done and existing is None:
        session.add(OnboardingTick(checklist_id=row.id, item_id=item_id, ticked_by_id=actor.id if actor else None))
    elif not done and existing is not None:
        session.delete(existing)
    session.flush()
    return row
