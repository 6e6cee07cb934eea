"""Communities of practice: members, events, and a feed of learnings gathered from retros (themes only, those
grouping cards of at least the minimum group size of writers), the experiments' learning library, resolved
impediment clusters and the rollouts of catalogue entries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.cockpit.models import AdoptionLevel, AdoptionState, CatalogueEntry
from deliveryops.enablement.access import check_entry, entry_name, is_ops, person_name, raise_if, require_ops
from deliveryops.enablement.models import Community, CommunityEvent, CommunityMember
from deliveryops.enablement.schemas import CommunityCreate, CommunityRead, EventCreate, EventRead, LearningRead
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError
from deliveryops.experiments.models import Experiment
from deliveryops.impediments.models import Cluster, ClusterMember, Impediment
from deliveryops.retros.models import Card, Retro, Theme
from deliveryops.teams.models import Team

__all__ = ["add_event", "create", "events", "feed", "get_or_raise", "is_member", "join", "leave", "list_", "read"]

_SHORT = 300


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHORT else text[: _SHORT - 1].rstrip() + "\u2026"


def create(*, session: Session, actor: User | None, body: CommunityCreate) -> Community:
    """Start a community of practice (Product Ops, admins); its creator is its first member."""
    require_ops(actor, "start communities of practice")
    errors: dict[str, str] = {}
    check_entry(session, body.entry_id, errors)
    name = body.name.strip()
    if session.scalar(select(Community.id).where(Community.name == name)) is not None:
        errors["name"] = f"A community named {name!r} exists already."
    raise_if(errors)
    row = Community(
        name=name,
        description=body.description.strip(),
        entry_id=body.entry_id,
        owner_id=actor.id if actor is not None else None,
    )
    session.add(row)
    session.flush()
    if actor is not None:
        session.add(CommunityMember(community_id=row.id, user_id=actor.id))
        session.flush()
    return row


def list_(*, session: Session) -> list[Community]:
    """Every community, by name (every signed-in person reads them and may join)."""
    return list(session.scalars(select(Community).order_by(Community.name)))


def get_or_raise(*, session: Session, community_id: int) -> Community:
    """One community."""
    row = session.get(Community, community_id)
    if row is None:
        raise NotFoundError(f"No community with id {community_id}.")
    return row


def is_member(session: Session, actor: User | None, community: Community) -> bool:
    """Whether the actor is a member."""
    if actor is None:
        return False
    found = session.scalar(
        select(CommunityMember.id).where(CommunityMember.community_id == community.id, CommunityMember.user_id == actor.id)
    )
    return found is not None


def join(*, session: Session, actor: User, community_id: int) -> Community:
    """Join a community (anyone signed in, for themselves)."""
    row = get_or_raise(session=session, community_id=community_id)
    if not is_member(session, actor, row):
        session.add(CommunityMember(community_id=row.id, user_id=actor.id))
        session.flush()
    return row


def leave(*, session: Session, actor: User, community_id: int) -> Community:
    """Leave a community."""
    row = get_or_raise(session=session, community_id=community_id)
    member = session.scalar(
        select(CommunityMember).where(CommunityMember.community_id == row.id, CommunityMember.user_id == actor.id)
    )
    if member is not None:
        session.delete(member)
        session.flush()
    return row


def read(session: Session, row: Community) -> CommunityRead:
    """The community with its members' names."""
    names = session.scalars(
        select(User.name)
        .join(CommunityMember, CommunityMember.user_id == User.id)
        .where(CommunityMember.community_id == row.id)
        .order_by(User.name)
    )
    return CommunityRead(
        id=row.id,
        name=row.name,
        description=row.description,
        entry_id=row.entry_id,
        entry=entry_name(session, row.entry_id),
        owner=person_name(session, row.owner_id),
        members=list(names),
    )


def add_event(*, session: Session, actor: User | None, community_id: int, body: EventCreate) -> CommunityEvent:
    """Record a meeting (its members, Product Ops, admins)."""
    row = get_or_raise(session=session, community_id=community_id)
    if not (is_ops(actor) or is_member(session, actor, row)):
        raise PermissionDeniedError("Only the community's members, Product Ops and admins record its events.")
    same = session.scalar(
        select(CommunityEvent.id).where(
            CommunityEvent.community_id == row.id, CommunityEvent.held_on == body.held_on, CommunityEvent.title == body.title
        )
    )
    if same is not None:
        raise ConflictError("That event is recorded already.", details={"event_id": same})
    event = CommunityEvent(community_id=row.id, title=body.title.strip(), held_on=body.held_on, notes=body.notes.strip())
    session.add(event)
    session.flush()
    return event


def events(session: Session, row: Community) -> list[EventRead]:
    """Its events, newest first."""
    rows = session.scalars(
        select(CommunityEvent)
        .where(CommunityEvent.community_id == row.id)
        .order_by(CommunityEvent.held_on.desc(), CommunityEvent.id.desc())
    )
    return [EventRead(id=e.id, title=e.title, held_on=e.held_on, notes=e.notes) for e in rows]


def _retro_themes(session: Session, min_group_size: int) -> list[LearningRead]:
    """Themes of finished retros that group cards of at least ``min_group_size`` writers: the theme and its card
    count, never a card's text or its writer (a theme of one card, often titled by it, is never shown)."""
    cards = (
        select(
            Card.theme_id,
            func.count(Card.id).label("cards"),
            func.count(distinct(Card.writer_token)).label("writers"),
        )
        .where(Card.writer_token != "")
        .group_by(Card.theme_id)
        .subquery()
    )
    rows = session.execute(
        select(Theme.title, cards.c.cards, Retro.finished_at, Team.name)
        .join(Retro, Retro.id == Theme.retro_id)
        .join(Team, Team.id == Retro.team_id)
        .join(cards, cards.c.theme_id == Theme.id)
        .where(Retro.finished_at.is_not(None), cards.c.writers >= min_group_size)
    ).all()
    return [
        LearningRead(
            kind="retro_theme",
            on=finished.date(),
            title=title,
            text=f"A theme of {team}'s retro ({count} card{'s' if count != 1 else ''}).",
            team=team,
            link=None,
        )
        for title, count, finished, team in rows
    ]


def _experiments(session: Session) -> list[LearningRead]:
    rows = session.execute(
        select(Experiment.id, Experiment.title, Experiment.decided_at, Experiment.decision, Experiment.learnings, Team.name)
        .join(Team, Team.id == Experiment.team_id)
        .where(Experiment.decided_at.is_not(None), Experiment.decision.is_not(None))
    ).all()
    return [
        LearningRead(
            kind="experiment",
            on=decided.date() if decided else date.min,
            title=title,
            text=_short(f"Decision: {decision.value if decision else 'none'}. {learnings}".strip()),
            team=team,
            link=f"/experiments/{experiment_id}",
        )
        for experiment_id, title, decided, decision, learnings, team in rows
    ]


def _clusters(session: Session) -> list[LearningRead]:
    resolved = session.execute(
        select(Cluster.id, Cluster.title, Cluster.resolved_at, Cluster.note).where(
            Cluster.status == "resolved", Cluster.resolved_at.is_not(None)
        )
    ).all()
    out = []
    for cluster_id, title, resolved_at, note in resolved:
        teams = session.scalar(
            select(func.count(distinct(Impediment.team_id)))
            .join(ClusterMember, ClusterMember.impediment_id == Impediment.id)
            .where(ClusterMember.cluster_id == cluster_id)
        )
        text = f"A cross-team impediment of {teams or 0} teams, resolved." + (f" {note}" if note else "")
        out.append(
            LearningRead(
                kind="impediment_cluster",
                on=resolved_at.date() if resolved_at else date.min,
                title=title,
                text=_short(text),
                team=None,
                link=f"/impediments/clusters/{cluster_id}",
            )
        )
    return out


def _rollouts(session: Session, entry_id: int | None) -> list[LearningRead]:
    """Teams declaring a catalogue entry adopted (the community's entry, or every entry)."""
    query = (
        select(AdoptionState.set_at, AdoptionState.note, CatalogueEntry.id, CatalogueEntry.name, Team.name)
        .join(CatalogueEntry, CatalogueEntry.id == AdoptionState.entry_id)
        .join(Team, Team.id == AdoptionState.team_id)
        .where(AdoptionState.state == AdoptionLevel.ADOPTED)
    )
    if entry_id is not None:
        query = query.where(AdoptionState.entry_id == entry_id)
    return [
        LearningRead(
            kind="rollout",
            on=set_at.date(),
            title=f"{team} adopted {name}",
            text=_short(note or f"{team} declared {name} adopted."),
            team=team,
            link=f"/cockpit/catalogue/{entry}",
        )
        for set_at, note, entry, name, team in session.execute(query).all()
    ]


def feed(session: Session, row: Community, *, min_group_size: int, since: date | None = None) -> list[LearningRead]:
    """The community's feed of learnings, newest first."""
    items = [
        *_retro_themes(session, min_group_size),
        *_experiments(session),
        *_clusters(session),
        *_rollouts(session, row.entry_id),
    ]
    if since is not None:
        items = [item for item in items if item.on >= since]
    return sorted(items, key=lambda item: (item.on, item.kind, item.title), reverse=True)
