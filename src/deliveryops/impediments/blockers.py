"""Blockers that were never raised: blocked intervals linked to the impediments that describe them.

A blocked interval (from a Jira flag, a blocked status or an imported file) has a reason ("Waiting
for security approval"). Each round (:func:`propose_links`) compares the reasons of a team's recent
intervals with the team's impediments that were open around that time (blended similarity,
``analytics.similarity.blended``, the organisation's synonyms included):

* similarity at least ``AUTO_LINK_SIMILARITY`` with one impediment, ``AUTO_LINK_MARGIN`` above any
  other of the team's: **linked automatically** (the reason closely matches);
* at least ``PROPOSE_SIMILARITY``: **proposed**, for a person of the team to link or dismiss;
* below: nothing; a long block stays in "long-blocked items with no impediment", one click from
  raising an impediment of its own (which links it).

Linking an interval links its work item to the impediment, and the impediment's blocked days then
count that interval from its start, even if the impediment was raised later
(``impact.blocked_days``). A dismissed pair is never proposed again.

**Job hook**: call :func:`propose_links` after a sync or import brings blocked intervals and after
an impediment is raised; until a job queue runs it, the team's impediment page runs it for that team.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.analytics.similarity.blended import BlendedIndex
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import embeddings
from deliveryops.impediments.models import AffectedItem, BlockerLink, Impediment
from deliveryops.teams.service import team_ids_of
from deliveryops.work.models import BlockedInterval, WorkItem

__all__ = [
    "AUTO_LINK_MARGIN",
    "AUTO_LINK_SIMILARITY",
    "PROPOSE_SIMILARITY",
    "BlockProposal",
    "LinkRound",
    "decide",
    "link_interval",
    "proposals",
    "propose_links",
]

AUTO_LINK_SIMILARITY = 0.5
AUTO_LINK_MARGIN = 0.1
PROPOSE_SIMILARITY = 0.3
RECENT_DAYS = 90
# An impediment describes a block if it was open within this many days of the block.
WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class LinkRound:
    """What one round did."""

    linked: int
    proposed: int


def _can_decide(session: Session, actor: User | None, team_id: int) -> bool:
    if actor is None or actor.role in (Role.ADMIN, Role.PRODUCT_OPS):
        return True
    return team_id in team_ids_of(session, actor)


def link_interval(
    session: Session,
    *,
    actor: User | None,
    interval_id: int,
    impediment_id: int,
    automatic: bool = False,
    similarity: float = 0.0,
    now: datetime | None = None,
) -> BlockerLink:
    """Link a blocked interval to an impediment (and its work item), replacing a proposal or a dismissal."""
    moment = now or utcnow()
    row = session.scalar(
        select(BlockerLink).where(BlockerLink.interval_id == interval_id, BlockerLink.impediment_id == impediment_id)
    )
    if row is None:
        row = BlockerLink(interval_id=interval_id, impediment_id=impediment_id, similarity=similarity, created_at=moment)
        session.add(row)
    row.status, row.automatic = "linked", automatic
    row.decided_by_id, row.decided_at = (actor.id if actor else None), moment
    item_id = session.scalar(select(BlockedInterval.item_id).where(BlockedInterval.id == interval_id))
    if (
        item_id is not None
        and session.scalar(
            select(AffectedItem.id).where(AffectedItem.impediment_id == impediment_id, AffectedItem.work_item_id == item_id)
        )
        is None
    ):
        session.add(AffectedItem(impediment_id=impediment_id, work_item_id=item_id))
    session.flush()
    return row


def propose_links(session: Session, *, team_ids: set[int] | None = None, now: datetime | None = None) -> LinkRound:
    """One round for the given teams (all when ``None``); see the module docstring.

    Args:
        session: the unit of work.
        team_ids: the teams whose blocked intervals are read.
        now: the clock.

    Returns:
        How many intervals were linked automatically and how many proposals were made.
    """
    moment = now or utcnow()
    statement = (
        select(BlockedInterval, WorkItem.team_id)
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .where(
            BlockedInterval.reason != "",
            (BlockedInterval.end.is_(None)) | (BlockedInterval.end >= moment - timedelta(days=RECENT_DAYS)),
        )
    )
    if team_ids is not None:
        statement = statement.where(WorkItem.team_id.in_(team_ids))
    rows = session.execute(statement).all()
    if not rows:
        return LinkRound(0, 0)
    decided = {
        (link.interval_id, link.impediment_id): link.status
        for link in session.scalars(
            select(BlockerLink).where(BlockerLink.interval_id.in_([interval.id for interval, _team in rows]))
        )
    }
    settled = {interval_id for (interval_id, _impediment), status in decided.items() if status == "linked"}
    by_team: dict[int, list[BlockedInterval]] = defaultdict(list)
    for interval, team_id in rows:
        if interval.id not in settled:
            by_team[team_id].append(interval)
    synonyms = embeddings.organisation_synonyms(session)
    linked = proposed = 0
    for team_id, intervals in sorted(by_team.items()):
        impediments = list(session.scalars(select(Impediment).where(Impediment.team_id == team_id).order_by(Impediment.id)))
        if not impediments:
            continue
        texts = embeddings.impediment_texts(session, impediments, synonyms)
        reasons = sorted({embeddings.reason_text(interval.reason, synonyms) for interval in intervals})
        vectors = embeddings.vectors(session, [*texts, *reasons])
        index = BlendedIndex.fit(texts, None if vectors is None else vectors[: len(texts)])
        reason_vectors = {} if vectors is None else dict(zip(reasons, vectors[len(texts) :], strict=True))
        for interval in intervals:
            reason = embeddings.reason_text(interval.reason, synonyms)
            window_end = interval.end or moment
            scored = [
                (position, score)
                for position, score in index.query(reason, reason_vectors.get(reason), k=len(texts))
                if impediments[position].created_at - timedelta(days=WINDOW_DAYS) <= window_end
                and (impediments[position].resolved_at or moment) >= interval.start - timedelta(days=WINDOW_DAYS)
            ]
            if not scored or scored[0][1] < PROPOSE_SIMILARITY:
                continue
            position, score = scored[0]
            impediment = impediments[position]
            if (interval.id, impediment.id) in decided:
                continue
            runner_up = scored[1][1] if len(scored) > 1 else 0.0
            if score >= AUTO_LINK_SIMILARITY and score - runner_up >= AUTO_LINK_MARGIN:
                link_interval(
                    session,
                    actor=None,
                    interval_id=interval.id,
                    impediment_id=impediment.id,
                    automatic=True,
                    similarity=round(score, 3),
                    now=moment,
                )
                linked += 1
            else:
                session.add(
                    BlockerLink(
                        interval_id=interval.id,
                        impediment_id=impediment.id,
                        status="proposed",
                        similarity=round(score, 3),
                        created_at=moment,
                    )
                )
                proposed += 1
            decided[(interval.id, impediment.id)] = "proposed"
    session.flush()
    return LinkRound(linked, proposed)


def decide(session: Session, *, actor: User | None, link_id: int, accept: bool, now: datetime | None = None) -> BlockerLink:
    """A person links a proposed interval to its impediment, or dismisses the proposal for good."""
    link = session.get(BlockerLink, link_id)
    if link is None:
        raise NotFoundError(f"No blocker proposal with id {link_id}.")
    impediment = session.get(Impediment, link.impediment_id)
    if impediment is None or not _can_decide(session, actor, impediment.team_id):
        raise PermissionDeniedError("Only people in the team, Product Ops and admins decide about its blocked items.")
    if link.status != "proposed":
        raise ValidationFailedError(f"This proposal is {link.status} already.", fields={"status": link.status})
    moment = now or utcnow()
    if accept:
        return link_interval(
            session,
            actor=actor,
            interval_id=link.interval_id,
            impediment_id=link.impediment_id,
            similarity=link.similarity,
            now=moment,
        )
    link.status, link.decided_by_id, link.decided_at = "dismissed", actor.id if actor else None, moment
    session.flush()
    return link


@dataclass(frozen=True, slots=True)
class BlockProposal:
    """A proposed link, as the team page and the API show it."""

    link_id: int
    interval_id: int
    item_key: str
    item_title: str
    reason: str
    start: datetime
    end: datetime | None
    impediment_id: int
    impediment_title: str
    similarity: float


def proposals(session: Session, *, team_ids: set[int] | None) -> list[BlockProposal]:
    """Open proposals of the given teams (all when ``None``), most similar first."""
    statement = (
        select(BlockerLink, BlockedInterval, WorkItem, Impediment)
        .join(BlockedInterval, BlockedInterval.id == BlockerLink.interval_id)
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .join(Impediment, Impediment.id == BlockerLink.impediment_id)
        .where(BlockerLink.status == "proposed")
    )
    if team_ids is not None:
        statement = statement.where(WorkItem.team_id.in_(team_ids))
    found = [
        BlockProposal(
            link.id,
            interval.id,
            item.external_key,
            item.title,
            interval.reason,
            interval.start,
            interval.end,
            impediment.id,
            impediment.title,
            link.similarity,
        )
        for link, interval, item, impediment in session.execute(statement)
    ]
    return sorted(found, key=lambda proposal: (-proposal.similarity, proposal.link_id))
