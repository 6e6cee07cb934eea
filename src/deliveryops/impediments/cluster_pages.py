"""HTML pages and JSON API for cross-team clusters (Product Ops confirms, rejects and resolves them)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from deliveryops.accounts.dependencies import ApiUser, PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.analytics.similarity.blended import HELD_OUT_RATES
from deliveryops.errors import ValidationFailedError
from deliveryops.impediments import cluster_actions, clusters
from deliveryops.impediments.impact import blocked_days
from deliveryops.impediments.jobs import request_cluster_proposals
from deliveryops.impediments.models import Cluster
from deliveryops.impediments.reads import cross_team_cluster_read
from deliveryops.impediments.schemas import ClusterConfirm, ClusterNote, CrossTeamClusterRead
from deliveryops.schemas import Page, paginate
from deliveryops.teams.models import Team
from deliveryops.web.errors import error_responses
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["impediments"], responses=error_responses(401, 403, 404, 422))
ClusterId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _view(session: SessionDep, cluster: Cluster) -> dict[str, object]:
    members = clusters.members_of(session, cluster)
    costs = blocked_days(session, members)
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.id.in_({m.team_id for m in members})))}
    return {
        "cluster": cluster,
        "members": members,
        "teams": teams,
        "costs": costs,
        "blocked_days": round(sum(costs.values()), 1),
        "item_count": sum(len(m.items) for m in members),
        "owner": session.get(User, cluster.owner_id) if cluster.owner_id else None,
    }


@router.get("/impediments/clusters", response_class=HTMLResponse)
def clusters_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Proposed, confirmed and past cross-team clusters (a job looks for new ones whenever an impediment is raised)."""
    views = [_view(session, c) for c in clusters.list_(session, actor=actor)]
    owners = list(
        session.scalars(
            select(User).where(User.role.in_([Role.PRODUCT_OPS, Role.ADMIN]), User.is_active.is_(True)).order_by(User.name)
        )
    )
    return render(
        request,
        "impediments/clusters.html",
        {
            "views": views,
            "owners": owners,
            "escalation_teams": request.app.state.settings.cluster_escalation_teams,
            "rates": HELD_OUT_RATES,
            "error": request.query_params.get("error"),
            "looking": request.query_params.get("looking") == "1",
        },
    )


@router.post("/impediments/clusters/propose")
def propose_now(request: Request, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Queue a look for new cross-team clusters now (a job also does so whenever an impediment is raised)."""
    clusters.list_(session, actor=actor)  # the same permission as reading them
    request_cluster_proposals(session, requested_by=actor.email)
    return RedirectResponse("/impediments/clusters?looking=1", status_code=303)


def _decide(
    action: str,
    cluster_id: int,
    session: SessionDep,
    actor: PageUser,
    form: FormInput[ClusterConfirm] | FormInput[ClusterNote],
) -> Response:
    try:
        cluster_actions.require_ops(actor)  # who may not decide is refused before the input is judged
        body = form.validated()
        if isinstance(body, ClusterConfirm):
            clusters.confirm(session, actor=actor, cluster_id=cluster_id, owner_id=body.owner_id, title=body.title)
        elif action == "reject":
            clusters.reject(session, actor=actor, cluster_id=cluster_id, reason=body.text)
        else:
            clusters.resolve_cluster(session, actor=actor, cluster_id=cluster_id, note=body.text)
    except ValidationFailedError as exc:
        session.rollback()
        return RedirectResponse(f"/impediments/clusters?error={quote(exc.message)}#cluster-{cluster_id}", status_code=303)
    return RedirectResponse(f"/impediments/clusters#cluster-{cluster_id}", status_code=303)


@router.post("/impediments/clusters/{cluster_id}/confirm")
def confirm_cluster(
    cluster_id: int,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[ClusterConfirm], form_model(ClusterConfirm)],
) -> Response:
    """Confirm a proposal with an owner."""
    return _decide("confirm", cluster_id, session, actor, form)


NoteForm = Annotated[FormInput[ClusterNote], form_model(ClusterNote)]


@router.post("/impediments/clusters/{cluster_id}/reject")
def reject_cluster(cluster_id: int, session: SessionDep, actor: PageUser, form: NoteForm) -> Response:
    """Reject a proposal: these are different problems (the form's ``text``: why)."""
    return _decide("reject", cluster_id, session, actor, form)


@router.post("/impediments/clusters/{cluster_id}/resolve")
def resolve_cluster(cluster_id: int, session: SessionDep, actor: PageUser, form: NoteForm) -> Response:
    """Resolve a confirmed cluster and all its teams' impediments (the form's ``text``: how)."""
    return _decide("resolve", cluster_id, session, actor, form)


def _read(session: SessionDep, cluster: Cluster) -> CrossTeamClusterRead:
    return cross_team_cluster_read(session, cluster)


@api.get("/impediment-clusters", response_model=Page[CrossTeamClusterRead])
def list_clusters(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[CrossTeamClusterRead]:
    """Cross-team clusters (Product Ops, leaders, admins)."""
    return paginate([_read(session, c) for c in clusters.list_(session, actor=actor)], page)


@api.post("/impediment-clusters/{cluster_id}/confirm", response_model=CrossTeamClusterRead)
def api_confirm(body: ClusterConfirm, session: SessionDep, actor: ApiUser, cluster_id: ClusterId) -> CrossTeamClusterRead:
    """Confirm a proposed cluster with an owner."""
    return _read(session, clusters.confirm(session, actor=actor, cluster_id=cluster_id, owner_id=body.owner_id, title=body.title))


@api.post("/impediment-clusters/{cluster_id}/reject", response_model=CrossTeamClusterRead)
def api_reject(body: ClusterNote, session: SessionDep, actor: ApiUser, cluster_id: ClusterId) -> CrossTeamClusterRead:
    """Reject a proposed cluster."""
    return _read(session, clusters.reject(session, actor=actor, cluster_id=cluster_id, reason=body.text))


@api.post("/impediment-clusters/{cluster_id}/resolve", response_model=CrossTeamClusterRead)
def api_resolve(body: ClusterNote, session: SessionDep, actor: ApiUser, cluster_id: ClusterId) -> CrossTeamClusterRead:
    """Resolve a confirmed cluster and its members."""
    return _read(session, clusters.resolve_cluster(session, actor=actor, cluster_id=cluster_id, note=body.text))
