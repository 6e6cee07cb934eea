"""Pages and JSON API for what Product Ops teaches the similarity: split, merge, move, history; synonyms; blocker links."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import ApiUser, PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import blockers, cluster_actions, clusters, decisions
from deliveryops.impediments.impact import blocked_days
from deliveryops.impediments.models import BlockerLink, Cluster
from deliveryops.impediments.schemas import (
    BlockProposalRead,
    ClusterRef,
    HistoryRead,
    LinkDecision,
    MergeCreate,
    MoveCreate,
    SplitCreate,
    SynonymCreate,
    SynonymRead,
)
from deliveryops.schemas import Page, paginate
from deliveryops.teams.models import Team
from deliveryops.teams.service import get_team_or_raise, team_ids_of
from deliveryops.web.errors import error_responses
from deliveryops.web.form_pages import submit_form
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import render
from deliveryops.work.models import BlockedInterval, WorkItem

M = TypeVar("M", bound=BaseModel)

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["impediments"], responses=error_responses(401, 403, 404, 422))
ClusterId = Annotated[int, Path(ge=1, le=2**31 - 1)]
SynonymId = Annotated[int, Path(ge=1, le=2**31 - 1)]
LinkId = Annotated[int, Path(ge=1, le=2**31 - 1)]
TeamId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _cluster_for_reader(session: Session, actor: User, cluster_id: int) -> Cluster:
    clusters.list_(session, actor=actor, status="proposed")  # the permission check: Product Ops, leaders, admins
    cluster = session.get(Cluster, cluster_id)
    if cluster is None:
        raise NotFoundError(f"No cluster with id {cluster_id}.")
    return cluster


# Pages.


@router.get("/impediments/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(request: Request, cluster_id: ClusterId, session: SessionDep, actor: PageUser) -> Response:
    """One cluster: its members, what they cost, its history (merged clusters' too) and the decisions on it."""
    cluster = _cluster_for_reader(session, actor, cluster_id)
    members = clusters.members_of(session, cluster)
    costs = blocked_days(session, members)
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.id.in_({m.team_id for m in members})))}
    others = [c for c in clusters.list_(session, actor=actor) if c.id != cluster.id and c.status in ("proposed", "confirmed")]
    return render(
        request,
        "impediments/cluster.html",
        {
            "cluster": cluster,
            "members": members,
            "costs": costs,
            "teams": teams,
            "others": others,
            "blocked_days": round(sum(costs.values()), 1),
            "history": cluster_actions.history(session, cluster),
            "merged_into": session.get(Cluster, cluster.merged_into_id) if cluster.merged_into_id else None,
            "can_decide": actor.role in (Role.PRODUCT_OPS, Role.ADMIN) and cluster.status in ("proposed", "confirmed"),
            "error": request.query_params.get("error"),
        },
    )


def _back(cluster_id: int, error: str | None = None) -> RedirectResponse:
    suffix = f"?error={quote(error)}" if error else ""
    return RedirectResponse(f"/impediments/clusters/{cluster_id}{suffix}", status_code=303)


def _checked(form: FormInput[M], actor: User) -> M:
    """The form's model, once ``actor`` may decide (who may not is refused before the input is judged).

    Raises:
        PermissionDeniedError: ``actor`` is not Product Ops or an admin.
        ValidationFailedError: the input broke a rule of the model (each message names its field).
    """
    cluster_actions.require_ops(actor)
    return form.validated()


def _message(error: ValidationFailedError) -> str:
    """The error's message followed by its fields' messages that it does not already say."""
    return " ".join([error.message, *(text for text in dict.fromkeys(error.fields.values()) if text not in error.message)])


@router.post("/impediments/clusters/{cluster_id}/split")
def split_page(
    cluster_id: ClusterId,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[SplitCreate], form_model(SplitCreate)],
) -> Response:
    """Split the ticked impediments off into a cluster of their own."""
    try:
        body = _checked(form, actor)
        part = cluster_actions.split(
            session, actor=actor, cluster_id=cluster_id, impediment_ids=body.impediment_ids, reason=body.reason, title=body.title
        )
    except ValidationFailedError as exc:
        session.rollback()
        return _back(cluster_id, _message(exc))
    return _back(part.id)


@router.post("/impediments/clusters/{cluster_id}/merge")
def merge_page(
    cluster_id: ClusterId,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[MergeCreate], form_model(MergeCreate)],
) -> Response:
    """Merge another cluster into this one."""
    try:
        body = _checked(form, actor)
        cluster_actions.merge(session, actor=actor, cluster_id=cluster_id, other_id=body.other_id, note=body.note)
    except ValidationFailedError as exc:
        session.rollback()
        return _back(cluster_id, _message(exc))
    return _back(cluster_id)


@router.post("/impediments/clusters/{cluster_id}/move")
def move_page(
    cluster_id: ClusterId,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[MoveCreate], form_model(MoveCreate)],
) -> Response:
    """Move an impediment out of this cluster (into another one, or into none)."""
    try:
        body = _checked(form, actor)
        cluster_actions.move(
            session,
            actor=actor,
            impediment_id=body.impediment_id,
            from_cluster_id=cluster_id,
            to_cluster_id=body.to_cluster_id,
            reason=body.reason,
        )
    except ValidationFailedError as exc:
        session.rollback()
        return _back(cluster_id, _message(exc))
    return _back(cluster_id)


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDeniedError("Only admins edit the organisation's synonyms.")


def _synonyms(request: Request, session: Session, values: dict[str, Any], errors: dict[str, str], status: int) -> Response:
    """The synonyms page; a term already held (a conflict) is shown beside the term."""
    if "form" in errors:
        errors = {"term": errors["form"], **{k: v for k, v in errors.items() if k != "form"}}
    return render(
        request,
        "impediments/synonyms.html",
        {
            "synonyms": decisions.list_synonyms(session),
            "errors": errors,
            "values": values,
            # Messages of the form's own fields are shown beside them; anything else goes in the alert above.
            "message": " ".join(dict.fromkeys(v for k, v in errors.items() if k not in ("term", "meaning"))) or None,
        },
        status_code=status,
    )


@router.get("/admin/impediments/synonyms", response_class=HTMLResponse)
def synonyms_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """The organisation's terms that the cross-team similarity reads (admins)."""
    _require_admin(actor)
    return _synonyms(request, session, {}, {}, 200)


@router.post("/admin/impediments/synonyms", response_class=HTMLResponse)
def add_synonym_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[SynonymCreate], form_model(SynonymCreate)],
) -> Response:
    """Add a synonym; the form comes back with a message next to each bad field."""
    _require_admin(actor)
    return submit_form(
        session,
        form,
        lambda body: decisions.add_synonym(session, actor=actor, term=body.term, meaning=body.meaning),
        done="/admin/impediments/synonyms",
        again=lambda values, errors, status: _synonyms(request, session, values, errors, status),
        conflict_status=422,
    )


@router.post("/admin/impediments/synonyms/{synonym_id}/remove")
def remove_synonym_page(synonym_id: SynonymId, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Remove a synonym."""
    decisions.remove_synonym(session, actor=actor, synonym_id=synonym_id)
    return RedirectResponse("/admin/impediments/synonyms", status_code=303)


def _team_link(session: Session, team: Team, link_id: int) -> BlockerLink:
    link = session.scalar(
        select(BlockerLink)
        .join(BlockedInterval, BlockedInterval.id == BlockerLink.interval_id)
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .where(BlockerLink.id == link_id, WorkItem.team_id == team.id)
    )
    if link is None:
        raise NotFoundError(f"No blocker link {link_id} in {team.name}.")
    return link


@router.post("/teams/{slug}/impediments/blocker-links/{link_id}/link")
def link_page(slug: str, link_id: LinkId, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Link a proposed blocked item to the impediment that describes it."""
    return _decide_page(slug, link_id, session, actor, accept=True)


@router.post("/teams/{slug}/impediments/blocker-links/{link_id}/dismiss")
def dismiss_page(slug: str, link_id: LinkId, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Dismiss a proposed link for good."""
    return _decide_page(slug, link_id, session, actor, accept=False)


def _decide_page(slug: str, link_id: int, session: Session, actor: User, *, accept: bool) -> Response:
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    _team_link(session, team, link_id)
    try:
        blockers.decide(session, actor=actor, link_id=link_id, accept=accept)
    except ValidationFailedError:
        session.rollback()  # decided already (another tab): the page shows the current state
    return RedirectResponse(f"/teams/{slug}/impediments#links-title", status_code=303)


# JSON API.


def _ref(cluster: Cluster) -> ClusterRef:
    return ClusterRef(
        id=cluster.id,
        status=cluster.status,
        title=cluster.title,
        impediment_ids=sorted(link.impediment_id for link in cluster.members),
    )


@api.get("/impediment-clusters/{cluster_id}/history", response_model=Page[HistoryRead])
def api_history(session: SessionDep, actor: ApiUser, page: Pagination, cluster_id: ClusterId) -> Page[HistoryRead]:
    """A cluster's history, with the clusters merged into it (Product Ops, leaders, admins)."""
    cluster = _cluster_for_reader(session, actor, cluster_id)
    return paginate(
        [
            HistoryRead(
                at=entry.at.isoformat(),
                kind=entry.kind,
                cluster_id=entry.cluster_id,
                actor_name=entry.actor_name,
                impediment_id=entry.impediment_id,
                other_cluster_id=entry.other_cluster_id,
                note=entry.note,
            )
            for entry in cluster_actions.history(session, cluster)
        ],
        page,
    )


@api.post("/impediment-clusters/{cluster_id}/split", response_model=ClusterRef, status_code=201)
def api_split(body: SplitCreate, session: SessionDep, actor: ApiUser, cluster_id: ClusterId) -> ClusterRef:
    """Split impediments off into a new cluster; returns the new cluster."""
    return _ref(
        cluster_actions.split(
            session, actor=actor, cluster_id=cluster_id, impediment_ids=body.impediment_ids, reason=body.reason, title=body.title
        )
    )


@api.post("/impediment-clusters/{cluster_id}/merge", response_model=ClusterRef)
def api_merge(body: MergeCreate, session: SessionDep, actor: ApiUser, cluster_id: ClusterId) -> ClusterRef:
    """Merge another cluster into this one; returns this cluster."""
    return _ref(cluster_actions.merge(session, actor=actor, cluster_id=cluster_id, other_id=body.other_id, note=body.note))


@api.post("/impediment-clusters/{cluster_id}/move", response_model=ClusterRef | None)
def api_move(body: MoveCreate, session: SessionDep, actor: ApiUser, cluster_id: ClusterId) -> ClusterRef | None:
    """Move an impediment out of this cluster; returns the cluster it went to (null: none)."""
    target = cluster_actions.move(
        session,
        actor=actor,
        impediment_id=body.impediment_id,
        from_cluster_id=cluster_id,
        to_cluster_id=body.to_cluster_id,
        reason=body.reason,
    )
    return _ref(target) if target is not None else None


@api.get("/impediment-synonyms", response_model=Page[SynonymRead])
def api_synonyms(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[SynonymRead]:
    """The organisation's synonyms (admins)."""
    _require_admin(actor)
    return paginate([SynonymRead(id=s.id, term=s.term, meaning=s.meaning) for s in decisions.list_synonyms(session)], page)


@api.post("/impediment-synonyms", response_model=SynonymRead, status_code=201)
def api_add_synonym(body: SynonymCreate, session: SessionDep, actor: ApiUser) -> SynonymRead:
    """Add a synonym (admins)."""
    synonym = decisions.add_synonym(session, actor=actor, term=body.term, meaning=body.meaning)
    return SynonymRead(id=synonym.id, term=synonym.term, meaning=synonym.meaning)


@api.delete("/impediment-synonyms/{synonym_id}", status_code=204)
def api_remove_synonym(session: SessionDep, actor: ApiUser, synonym_id: SynonymId) -> Response:
    """Remove a synonym (admins)."""
    decisions.remove_synonym(session, actor=actor, synonym_id=synonym_id)
    return Response(status_code=204)


@api.get("/teams/{team_id}/blocker-links", response_model=Page[BlockProposalRead])
def api_block_proposals(session: SessionDep, actor: ApiUser, page: Pagination, team_id: TeamId) -> Page[BlockProposalRead]:
    """The team's blocked items whose reason reads like one of its impediments, waiting for a decision."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    blockers.propose_links(session, team_ids={team.id})
    return paginate(
        [
            BlockProposalRead(
                link_id=p.link_id,
                interval_id=p.interval_id,
                item_key=p.item_key,
                reason=p.reason,
                impediment_id=p.impediment_id,
                impediment_title=p.impediment_title,
                similarity=p.similarity,
            )
            for p in blockers.proposals(session, team_ids={team.id})
        ],
        page,
    )


@api.post("/blocker-links/{link_id}/decision", status_code=204)
def api_decide_link(body: LinkDecision, session: SessionDep, actor: ApiUser, link_id: LinkId) -> Response:
    """Link a proposed blocked item to its impediment (accept) or dismiss the proposal for good."""
    link = session.get(BlockerLink, link_id)
    team_id = (
        session.scalar(
            select(WorkItem.team_id)
            .join(BlockedInterval, BlockedInterval.item_id == WorkItem.id)
            .where(BlockedInterval.id == link.interval_id)
        )
        if link
        else None
    )
    if (
        link is None
        or team_id is None
        or (actor.role not in (Role.ADMIN, Role.PRODUCT_OPS, Role.LEADER) and team_id not in team_ids_of(session, actor))
    ):
        raise NotFoundError(f"No blocker link with id {link_id}.")
    blockers.decide(session, actor=actor, link_id=link_id, accept=body.accept)
    return Response(status_code=204)
