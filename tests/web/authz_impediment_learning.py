"""Authorisation expectations for what Product Ops teaches the cross-team similarity (see ``authz_roles``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.impediments import clusters, decisions, service
from deliveryops.impediments.models import BlockerLink
from deliveryops.work.models import BlockedInterval, WorkItem
from tests.web.authz_roles import A_RAISERS, A_VIEWERS, ADMINS, CROSS_TEAM, OPS, OPS_ADMIN, Expectations, WorldBase

BLOCK_DECIDERS = A_RAISERS | {OPS}  # the team's people, Product Ops, admins; not leaders

EXPECTED: Expectations = {
    ("GET", "/impediments/clusters/{cluster_id}"): (CROSS_TEAM, None),
    ("POST", "/impediments/clusters/{cluster_id}/split"): (OPS_ADMIN, {"reason": "Walk"}),
    ("POST", "/impediments/clusters/{cluster_id}/merge"): (OPS_ADMIN, {"other_id": "{second_cluster_id}"}),
    ("POST", "/impediments/clusters/{cluster_id}/move"): (OPS_ADMIN, {"impediment_id": "1"}),
    ("GET", "/api/v1/impediment-clusters/{cluster_id}/history"): (CROSS_TEAM, None),
    ("POST", "/api/v1/impediment-clusters/{cluster_id}/split"): (OPS_ADMIN, {"impediment_ids": [1], "reason": "Walk"}),
    ("POST", "/api/v1/impediment-clusters/{cluster_id}/merge"): (OPS_ADMIN, {"other_id": "{second_cluster_id}"}),
    ("POST", "/api/v1/impediment-clusters/{cluster_id}/move"): (OPS_ADMIN, {"impediment_id": 1}),
    ("GET", "/admin/impediments/synonyms"): (ADMINS, None),
    ("POST", "/admin/impediments/synonyms"): (ADMINS, {"term": "DWH", "meaning": "data warehouse"}),
    ("POST", "/admin/impediments/synonyms/{synonym_id}/remove"): (ADMINS, {}),
    ("GET", "/api/v1/impediment-synonyms"): (ADMINS, None),
    ("POST", "/api/v1/impediment-synonyms"): (ADMINS, {"term": "SSO", "meaning": "single sign-on"}),
    ("DELETE", "/api/v1/impediment-synonyms/{synonym_id}"): (ADMINS, None),
    ("GET", "/api/v1/teams/{team_id}/blocker-links"): (A_VIEWERS, None),
    ("POST", "/teams/{slug}/impediments/blocker-links/{link_id}/link"): (BLOCK_DECIDERS, {}),
    ("POST", "/teams/{slug}/impediments/blocker-links/{link_id}/dismiss"): (BLOCK_DECIDERS, {}),
    ("POST", "/api/v1/blocker-links/{link_id}/decision"): (BLOCK_DECIDERS, {"accept": False}),
}
# The page removes the first synonym; the API deletes the second.
PATH_OVERRIDES = {("DELETE", "/api/v1/impediment-synonyms/{synonym_id}"): {"synonym_id": "second_synonym_id"}}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """A second cluster to merge, two synonyms, a proposed blocker link; their path placeholders."""
    service.raise_(session=session, actor=None, team_id=world.team_a.id, title="New developer still has no laptop")
    service.raise_(session=session, actor=None, team_id=world.team_b.id, title="Waiting on a MacBook for the new hire")
    [second] = clusters.propose(session)
    synonym = decisions.add_synonym(session, actor=None, term="CAB", meaning="change advisory board")
    other = decisions.add_synonym(session, actor=None, term="PO", meaning="product owner")
    interval_id = session.scalar(
        select(BlockedInterval.id)
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .where(WorkItem.team_id == world.team_a.id)
    )
    laptop = service.raise_(session=session, actor=None, team_id=world.team_a.id, title="Access to the wiki is pending")
    link = BlockerLink(interval_id=interval_id, impediment_id=laptop.id, status="proposed", similarity=0.4)
    session.add(link)
    session.flush()
    return {
        "second_cluster_id": str(second.id),
        "synonym_id": str(synonym.id),
        "second_synonym_id": str(other.id),
        "link_id": str(link.id),
    }
