"""JSON API: a team's impediments, one impediment's timeline and actions, the cross-team queues, the report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Path, Query

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.db import utcnow
from deliveryops.impediments import impact, service
from deliveryops.impediments.impact import ReportRow
from deliveryops.impediments.models import Level
from deliveryops.impediments.queries import open_at_level, report_period, visible_team_ids
from deliveryops.impediments.reads import event_read, impediment_detail, impediment_reads
from deliveryops.impediments.schemas import (
    CommentCreate,
    EscalationCreate,
    EventRead,
    HandBackCreate,
    ImpedimentCreate,
    ImpedimentDetailRead,
    ImpedimentRead,
    LevelMedianRead,
    QueueEntryRead,
    ReportRead,
    ReportRowRead,
    ResolutionCreate,
    StatusUpdate,
    WeekOpenRead,
)
from deliveryops.schemas import Page, paginate
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

router = APIRouter(tags=["impediments"], responses=error_responses(401, 403, 404, 422))

TeamId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ImpedimentId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/teams/{team_id}/impediments", response_model=Page[ImpedimentRead])
def list_team_impediments(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    team_id: TeamId,
    include_closed: Annotated[bool, Query(description="Also resolved and won't-fix ones")] = True,
) -> Page[ImpedimentRead]:
    """The team's impediments, open ones first, newest first."""
    rows = service.list_team(session=session, actor=actor, team_id=team_id, include_closed=include_closed)
    return paginate(impediment_reads(session, rows, now=utcnow()), page)


@router.post("/teams/{team_id}/impediments", response_model=ImpedimentDetailRead, status_code=201)
def raise_impediment(body: ImpedimentCreate, session: SessionDep, actor: ApiUser, team_id: TeamId) -> ImpedimentDetailRead:
    """Raise an impediment (people in the team, its delivery manager, admins)."""
    impediment = service.raise_(
        session=session,
        actor=actor,
        team_id=team_id,
        title=body.title,
        description=body.description,
        category_id=body.category_id,
        severity=body.severity,
        needed_by=body.needed_by,
        work_item_keys=body.work_item_keys,
    )
    return impediment_detail(session, impediment)


# Declared before /impediments/{impediment_id}, which would otherwise match these paths.


@router.get("/impediments/queue", response_model=Page[QueueEntryRead])
def read_queue(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    level: Annotated[Literal["product_ops", "leadership"], Query(description="Which cross-team queue")] = "product_ops",
) -> Page[QueueEntryRead]:
    """Open impediments escalated to Product Ops or leadership, most impact first (Product Ops, leaders, admins)."""
    now = utcnow()
    wanted = Level(level)
    costs = impact.blocked_days(session, open_at_level(session, wanted), now=now)
    entries = service.queue(session=session, actor=actor, level=wanted, now=now, blocked_days=costs)
    reads = impediment_reads(session, [entry.impediment for entry in entries], now=now)
    return paginate(
        [
            QueueEntryRead(impediment=read, team_name=entry.team.name, impact=entry.impact)
            for entry, read in zip(entries, reads, strict=True)
        ],
        page,
    )


@router.get("/impediments/report", response_model=ReportRead)
def read_report(
    session: SessionDep,
    actor: ApiUser,
    start: Annotated[date | None, Query(alias="from", description="First day; default 89 days before the end")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, inclusive; default today (UTC)")] = None,
) -> ReportRead:
    """Impediments raised in a period by category, time at each level, open ones per week (your teams, or all)."""
    now = utcnow()
    start, end = report_period(start, end, today=now.date())
    data = impact.report(session, team_ids=visible_team_ids(session, actor), start=start, end=end, now=now)
    rows = cast(list[ReportRow], data["rows"])
    by_level = cast(dict[str, float | None], data["by_level"])
    weeks = cast(list[dict[str, object]], data["open_by_week"])
    return ReportRead(
        start=start,
        end=end,
        impediments=cast(int, data["impediments"]),
        rows=[ReportRowRead(**vars(row)) for row in rows],
        by_level=[
            LevelMedianRead(level=level, median_working_days=by_level[level.value]) for level in Level if level.value in by_level
        ],
        open_by_week=[WeekOpenRead.model_validate(week) for week in weeks],
    )


@router.get("/impediments/{impediment_id}", response_model=ImpedimentDetailRead)
def read_impediment(session: SessionDep, actor: ApiUser, impediment_id: ImpedimentId) -> ImpedimentDetailRead:
    """One impediment with its timeline."""
    return impediment_detail(session, service.get_or_raise(session=session, actor=actor, impediment_id=impediment_id))


@router.patch("/impediments/{impediment_id}/status", response_model=ImpedimentDetailRead)
def update_status(body: StatusUpdate, session: SessionDep, actor: ApiUser, impediment_id: ImpedimentId) -> ImpedimentDetailRead:
    """Move between open and in progress (whoever may act at its level)."""
    return impediment_detail(
        session, service.set_status(session=session, actor=actor, impediment_id=impediment_id, status=body.status)
    )


@router.post("/impediments/{impediment_id}/escalate", response_model=ImpedimentDetailRead)
def escalate(body: EscalationCreate, session: SessionDep, actor: ApiUser, impediment_id: ImpedimentId) -> ImpedimentDetailRead:
    """Move up the ladder, to the next level or the one in `to`, saying what was tried and what is needed."""
    return impediment_detail(
        session,
        service.escalate(
            session=session, actor=actor, impediment_id=impediment_id, tried=body.tried, needed=body.needed, to=body.to
        ),
    )


@router.post("/impediments/{impediment_id}/hand-back", response_model=ImpedimentDetailRead)
def hand_back(body: HandBackCreate, session: SessionDep, actor: ApiUser, impediment_id: ImpedimentId) -> ImpedimentDetailRead:
    """Hand back one level down, with a reason (whoever may act at its level)."""
    return impediment_detail(
        session, service.de_escalate(session=session, actor=actor, impediment_id=impediment_id, reason=body.reason)
    )


@router.post("/impediments/{impediment_id}/resolve", response_model=ImpedimentDetailRead)
def resolve(body: ResolutionCreate, session: SessionDep, actor: ApiUser, impediment_id: ImpedimentId) -> ImpedimentDetailRead:
    """Resolve or close as won't fix, with a note (whoever may act at its level; not a confirmed cluster's member)."""
    return impediment_detail(
        session,
        service.resolve(session=session, actor=actor, impediment_id=impediment_id, note=body.note, wont_fix=body.wont_fix),
    )


@router.post("/impediments/{impediment_id}/comments", response_model=EventRead, status_code=201)
def add_comment(body: CommentCreate, session: SessionDep, actor: ApiUser, impediment_id: ImpedimentId) -> EventRead:
    """Add a comment to the timeline (anyone who can see the impediment)."""
    impediment = service.comment(session=session, actor=actor, impediment_id=impediment_id, text=body.text)
    return event_read(impediment.events[-1], {actor.id: actor.name})
