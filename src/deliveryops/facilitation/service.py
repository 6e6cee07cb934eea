"""Use cases of stand-ups, refinements and plannings. Every change bumps ``LiveSession.version``; the live
page follows it (``deliveryops.web.live``), like the retro board.

The agenda is fixed when the session is scheduled: the stand-up walks the board right to left (the stage
nearest done first; within a stage blocked items first, then the oldest), refinement and planning take the
items not started yet, oldest first. What the agenda shows about each item (age, blocked, right-size) is
read from the team's data each time, so a participant always sees the data as it is now.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.actions import service as actions
from deliveryops.actions.models import ImprovementAction
from deliveryops.analytics.right_size import FinishedItem, RightSize, right_size
from deliveryops.db import utcnow
from deliveryops.dependencies import service as dependencies
from deliveryops.errors import NotFoundError, ValidationFailedError
from deliveryops.facilitation import access
from deliveryops.facilitation.models import DECISIONS, ItemNote, Kind, LiveSession
from deliveryops.facilitation.schemas import (
    ItemImpedimentRead,
    PlanDependencyRead,
    PlanningGuideRead,
    PlanningRead,
    PlanningStateRead,
    RefinementItemRead,
    RefinementStateRead,
    RightSizeRead,
    SessionActionRead,
    SessionStateRead,
    SessionSummary,
    SinceYesterdayRead,
    StandupItemRead,
    StandupStateRead,
)
from deliveryops.flow import service as flow
from deliveryops.flow.data import load_team_data
from deliveryops.flow.models import Forecast
from deliveryops.impediments import service as impediments
from deliveryops.impediments.models import AffectedItem, Impediment
from deliveryops.notify import service as notify
from deliveryops.roadmap.service import calendar_of
from deliveryops.teams.models import Team
from deliveryops.work.models import WorkItem

__all__ = [
    "AGENDA_LIMIT",
    "RIGHT_SIZE_HISTORY_DAYS",
    "TeamBoard",
    "add_action",
    "can_facilitate",
    "commit_plan",
    "escalate",
    "finish",
    "forecast",
    "get_or_raise",
    "list_team",
    "move_focus",
    "note_item",
    "previous_working_day",
    "raise_impediment",
    "schedule",
    "set_timer",
    "state",
    "summaries",
    "summary",
    "swarm",
    "team_board",
]

AGENDA_LIMIT = 40  # items a session walks at most
RIGHT_SIZE_HISTORY_DAYS = 180  # the finished items refinement judges against
DEFAULT_PLANNING_DAYS = 14
WHAT = "Team sessions"


def _team_person(session: Session, user: User | None, team_id: int) -> None:
    """Refused unless the user is one of the team's people (None is the trusted local caller: the CLI)."""
    if user is not None:
        access.require_team_person(session, user, team_id, WHAT)


def _touch(live: LiveSession) -> None:
    live.version = (live.version or 0) + 1


def previous_working_day(today: date, days_off: Container[date] = frozenset()) -> date:
    """The last working day before ``today``: Monday to Friday and not one of ``days_off`` (public holidays).

    A Monday's stand-up looks back to Friday; the day after a holiday to the working day before it.
    """
    day = today - timedelta(days=1)
    for _ in range(31):  # a month without a working day: fall back to yesterday
        if day.weekday() < 5 and day not in days_off:
            return day
        day -= timedelta(days=1)
    return today - timedelta(days=1)


def _last_working_day(session: Session, team: Team, today: date) -> date:
    """The team's previous working day: weekends and the public holidays of its calendar skipped."""
    first = today - timedelta(days=31)
    return previous_working_day(today, calendar_of(session, team, first=first, last=today).holidays)


@dataclass(frozen=True)
class TeamBoard:
    """The team's data a session reads: work in progress with age and blocked state, items not started,
    the SLE, the right-size history and what changed since the start of the previous working day."""

    today: date
    sle_days: int | None
    wip: list[dict[str, Any]]  # board order for the stand-up walk
    candidates: list[dict[str, Any]]  # not started, oldest first
    right_size: RightSize
    since: dict[str, Any]


def team_board(session: Session, team: Team, *, now: datetime | None = None) -> TeamBoard:
    """Read the team's board from its data (no permission check: callers checked the viewer)."""
    now = now or utcnow()
    today = flow.today_in(team, now)
    since_day = _last_working_day(session, team, today)
    loaded = load_team_data(session, team) if team.data_version else None
    if loaded is None or loaded.transitions.is_empty() or not loaded.workflow:
        nothing: dict[str, Any] = {
            "since": since_day.isoformat(),
            "weekday": since_day.strftime("%A"),
            "moved": [],
            "finished": [],
            "newly_blocked": [],
        }
        return TeamBoard(today, None, [], [], right_size([], None), nothing)
    _team, _query, summary, data = flow.team_flow(
        session=session,
        actor=None,
        team_id=team.id,
        start=today - timedelta(days=RIGHT_SIZE_HISTORY_DAYS - 1),
        end=today,
        now=now,
    )
    estimates = dict(session.execute(select(WorkItem.id, WorkItem.estimate).where(WorkItem.team_id == team.id)).all())
    open_blocks = {row["item_id"]: row["reason"] or "Blocked" for row in data.blocked.filter(pl.col("end").is_null()).to_dicts()}
    wip = [
        {
            "key": row["key"],
            "title": row.get("title") or "",
            "item_type": row.get("item_type"),
            "status": row["current_status"],
            "position": row["current_position"],
            "age_days": row["age_days"],
            "band": row.get("band"),
            "blocked": row["item_id"] in open_blocks,
            "blocked_reason": open_blocks.get(row["item_id"]),
        }
        for row in summary.aging.items.to_dicts()
    ]
    # Right to left: the stage nearest done first; within it blocked first, then the oldest.
    wip.sort(key=lambda r: (-(r["position"] or 0), not r["blocked"], -r["age_days"], r["key"]))
    timeline = summary.timeline
    waiting = timeline.filter(
        pl.col("started_at").is_null() & pl.col("finished_at").is_null() & pl.col("discarded_at").is_null()
    ).sort("item_id")
    candidates = [
        {
            "key": row["key"],
            "title": row.get("title") or "",
            "item_type": row.get("item_type"),
            "status": row["current_status"],
            "estimate": estimates.get(row["item_id"]),
        }
        for row in waiting.to_dicts()
    ]
    finished = timeline.filter(pl.col("finished_date").is_not_null() & (pl.col("finished_date") >= summary.start))
    history = [
        FinishedItem(row.get("item_type") or "", estimates.get(row["item_id"]), int(row["cycle_time_days"]))
        for row in finished.select("item_id", "item_type", "cycle_time_days").to_dicts()
    ]
    return TeamBoard(
        today=today,
        sle_days=summary.sle_days,
        wip=wip,
        candidates=candidates,
        right_size=right_size(history, summary.sle_days),
        since=_since(data.transitions, data.blocked, timeline, team, since_day),
    )


def _since(
    transitions: pl.DataFrame, blocked: pl.DataFrame, timeline: pl.DataFrame, team: Team, since_day: date
) -> dict[str, Any]:
    """Items moved, finished and newly blocked since the start of ``since_day`` (the team's time zone)."""
    start = datetime.combine(since_day, time(0), tzinfo=team.zone).astimezone(UTC)
    keys = dict(zip(timeline["item_id"].to_list(), timeline["key"].to_list(), strict=True)) if "key" in timeline.columns else {}

    def named(ids: list[int]) -> list[str]:
        return sorted({keys[i] for i in ids if i in keys})

    moved = named(transitions.filter(pl.col("at") >= start)["item_id"].to_list())
    finished = named(timeline.filter(pl.col("finished_at") >= start)["item_id"].to_list())
    newly_blocked = named(blocked.filter(pl.col("start") >= start)["item_id"].to_list())
    return {
        "since": since_day.isoformat(),
        "weekday": since_day.strftime("%A"),
        "moved": moved,
        "finished": finished,
        "newly_blocked": newly_blocked,
    }


def schedule(
    *,
    session: Session,
    actor: User,
    team_id: int,
    kind: Kind,
    title: str = "",
    by_date: date | None = None,
    now: datetime | None = None,
) -> LiveSession:
    """Schedule a session of the team (its people; the one who schedules it facilitates) and fix its agenda.

    Args:
        session: the unit of work.
        actor: who facilitates.
        team_id: the team.
        kind: stand-up, refinement or planning.
        title: default "<Kind> <date>".
        by_date: planning's "how many by this date" (default two weeks ahead).
        now: the current instant (tests pass it).

    Returns:
        The session, focused on the first item of its agenda.
    """
    _team_person(session, actor, team_id)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    board = team_board(session, team, now=now)
    agenda = [r["key"] for r in (board.wip if kind is Kind.STANDUP else board.candidates)]
    if kind is Kind.PLANNING:
        by_date = by_date or board.today + timedelta(days=DEFAULT_PLANNING_DAYS)
        if by_date <= board.today:
            raise ValidationFailedError("Choose a date after today.", fields={"by_date": "Choose a date after today."})
    live = LiveSession(
        team_id=team_id,
        kind=kind,
        title=(title.strip() or f"{kind.label} {board.today.isoformat()}")[:200],
        facilitator_id=actor.id,
        agenda=agenda[:AGENDA_LIMIT],
        focus=0,
        by_date=by_date if kind is Kind.PLANNING else None,
        outcome="",
        version=0,
    )
    session.add(live)
    session.flush()
    return live


def list_team(*, session: Session, actor: User | None, team_id: int, kind: Kind | None = None) -> list[LiveSession]:
    """The team's sessions, newest first (optionally of one kind)."""
    _team_person(session, actor, team_id)
    query = select(LiveSession).where(LiveSession.team_id == team_id)
    if kind is not None:
        query = query.where(LiveSession.kind == kind)
    return list(session.scalars(query.order_by(LiveSession.created_at.desc(), LiveSession.id.desc())))


def summary(live_session: LiveSession) -> SessionSummary:
    """A session as lists show it."""
    return SessionSummary(
        id=live_session.id,
        kind=live_session.kind,
        title=live_session.title,
        items=len(live_session.agenda),
        created_at=live_session.created_at,
        finished_at=live_session.finished_at,
        outcome=live_session.outcome,
    )


def summaries(session: Session, actor: User | None, team_id: int, kind: Kind | None) -> list[SessionSummary]:
    """The team's sessions, newest first (the API and the CLI list the same)."""
    return [summary(s) for s in list_team(session=session, actor=actor, team_id=team_id, kind=kind)]


def get_or_raise(*, session: Session, actor: User | None, session_id: int) -> LiveSession:
    """A session, if the actor is one of its team's people."""
    live = session.get(LiveSession, session_id)
    if live is None:
        raise NotFoundError(f"No session with id {session_id}.")
    _team_person(session, actor, live.team_id)
    return live


def can_facilitate(session: Session, actor: User, live: LiveSession) -> bool:
    """Whether the actor runs this session."""
    return access.can_facilitate(session, actor, live.team_id, live.facilitator_id)


def _running(session: Session, actor: User, session_id: int, *, facilitator: bool = False) -> LiveSession:
    live = get_or_raise(session=session, actor=actor, session_id=session_id)
    if facilitator:
        access.require_facilitator(session, actor, live.team_id, live.facilitator_id, live.kind.label.lower())
    if live.finished_at is not None:
        raise ValidationFailedError("This session is finished: it is read-only.", fields={"session": "finished"})
    return live


def _note(live: LiveSession, key: str) -> ItemNote:
    if key not in live.agenda:
        raise ValidationFailedError(f"{key!r} is not on this session's agenda.", fields={"key": "not on the agenda"})
    found = next((n for n in live.notes if n.item_key == key), None)
    if found is None:
        found = ItemNote(item_key=key, helper_ids=[], escalated=False, acceptance_criteria="", decision="")
        live.notes.append(found)
    return found


def move_focus(*, session: Session, actor: User, session_id: int, step: int = 1, index: int | None = None) -> LiveSession:
    """Move the focus to the next (or previous, ``step`` -1) item, or to ``index`` (facilitator)."""
    live = _running(session, actor, session_id, facilitator=True)
    target = live.focus + step if index is None else index
    live.focus = max(0, min(target, max(len(live.agenda) - 1, 0)))
    _touch(live)
    session.flush()
    return live


def set_timer(*, session: Session, actor: User, session_id: int, minutes: int, now: datetime | None = None) -> LiveSession:
    """Start a countdown (facilitator); 0 stops it."""
    live = _running(session, actor, session_id, facilitator=True)
    live.timer_ends_at = (now or utcnow()) + timedelta(minutes=minutes) if minutes > 0 else None
    _touch(live)
    session.flush()
    return live


def swarm(*, session: Session, actor: User, session_id: int, key: str, helper_id: int | None = None) -> LiveSession:
    """Note who helps finish an item (the caller by default); naming a helper again takes them off."""
    live = _running(session, actor, session_id)
    helper = actor.id if helper_id is None else helper_id
    person = session.get(User, helper)
    if person is None or access.membership(session, person, live.team_id) is None:
        raise ValidationFailedError("A helper must be one of the team's people.", fields={"helper_id": "not in the team"})
    note = _note(live, key)
    helpers = list(note.helper_ids or [])
    note.helper_ids = [h for h in helpers if h != helper] if helper in helpers else [*helpers, helper]
    _touch(live)
    session.flush()
    return live


def _item_title(session: Session, team_id: int, key: str) -> str:
    return session.scalar(select(WorkItem.title).where(WorkItem.team_id == team_id, WorkItem.external_key == key)) or key


def raise_impediment(
    *, session: Session, actor: User, session_id: int, key: str, title: str = "", now: datetime | None = None
) -> Impediment:
    """Raise an impediment for an item in one click: titled after the item's blocker (or ``title``)."""
    live = _running(session, actor, session_id)
    note = _note(live, key)
    if note.impediment_id is not None:
        raise ValidationFailedError("An impediment is already raised for this item.", fields={"key": "already raised"})
    reason = title.strip() or f"{key} blocked: {_item_title(session, live.team_id, key)}"
    impediment = impediments.raise_(
        session=session,
        actor=actor,
        team_id=live.team_id,
        title=reason[:200],
        description=f"Raised at {live.title}.",
        work_item_keys=[key],
        now=now,
    )
    note.impediment_id = impediment.id
    _touch(live)
    session.flush()
    return impediment


def escalate(
    *, session: Session, actor: User, session_id: int, key: str, tried: str = "", needed: str = "", now: datetime | None = None
) -> Impediment:
    """Escalate the item's impediment one level up (raising it first when there is none)."""
    live = _running(session, actor, session_id)
    note = _note(live, key)
    impediment_id = (
        note.impediment_id or raise_impediment(session=session, actor=actor, session_id=session_id, key=key, now=now).id
    )
    helpers = [u.name for h in note.helper_ids or [] if (u := session.get(User, h)) is not None]
    tried = tried.strip() or (f"Swarmed at {live.title}: {', '.join(helpers)}." if helpers else f"Discussed at {live.title}.")
    needed = needed.strip() or f"Help to unblock {key}."
    escalated = impediments.escalate(
        session=session, actor=actor, impediment_id=impediment_id, tried=tried, needed=needed, now=now
    )
    note.escalated = True
    _touch(live)
    session.flush()
    return escalated


def note_item(
    *,
    session: Session,
    actor: User,
    session_id: int,
    key: str,
    acceptance_criteria: str | None = None,
    estimate: float | None = None,
    clear_estimate: bool = False,
    decision: str | None = None,
) -> LiveSession:
    """Note acceptance criteria, an estimate and a decision for an item (each optional; None leaves it)."""
    live = _running(session, actor, session_id)
    if decision is not None and decision not in DECISIONS:
        raise ValidationFailedError(f"Decide one of: {', '.join(d for d in DECISIONS if d)}.", fields={"decision": "unknown"})
    note = _note(live, key)
    if acceptance_criteria is not None:
        note.acceptance_criteria = acceptance_criteria.strip()[:5000]
    if estimate is not None or clear_estimate:
        note.estimate = estimate
    if decision is not None:
        note.decision = decision
    _touch(live)
    session.flush()
    return live


def forecast(*, session: Session, actor: User, session_id: int, by_date: date, now: datetime | None = None) -> LiveSession:
    """Planning: forecast how many items the team finishes by ``by_date`` (a what-if until committed)."""
    live = _running(session, actor, session_id, facilitator=True)
    if live.kind is not Kind.PLANNING:
        raise ValidationFailedError("Only a planning forecasts.", fields={"kind": live.kind.value})
    row, _result = flow.create_how_many(
        session=session, actor=actor, team_id=live.team_id, by_date=by_date, now=now, seed=live.id
    )
    live.by_date = by_date
    live.forecast_id = row.id
    _touch(live)
    session.flush()
    return live


def commit_plan(*, session: Session, actor: User, session_id: int, now: datetime | None = None) -> LiveSession:
    """Planning: commit the session's forecast as the team's plan (the existing forecast record, scored later)."""
    live = _running(session, actor, session_id, facilitator=True)
    if live.kind is not Kind.PLANNING:
        raise ValidationFailedError("Only a planning commits a plan.", fields={"kind": live.kind.value})
    if live.forecast_id is None and live.by_date is not None:
        forecast(session=session, actor=actor, session_id=session_id, by_date=live.by_date, now=now)
    if live.forecast_id is None:
        raise ValidationFailedError("Forecast first.", fields={"forecast": "none"})
    flow.commit_forecast(session=session, actor=actor, forecast_id=live.forecast_id, commitment="plan", now=now)
    _touch(live)
    session.flush()
    return live


def add_action(
    *,
    session: Session,
    actor: User,
    session_id: int,
    title: str,
    owner_id: int | None = None,
    due_date: date | None = None,
) -> ImprovementAction:
    """An improvement action decided in the session; it joins the team's ledger (source: the session's kind)."""
    live = _running(session, actor, session_id)
    if owner_id is not None:
        owner = session.get(User, owner_id)
        if owner is None or access.membership(session, owner, live.team_id) is None:
            raise ValidationFailedError("The owner must be one of the team's people.", fields={"owner_id": "not in the team"})
    action = actions.create(
        session=session,
        actor=actor,
        team_id=live.team_id,
        title=title,
        source=live.kind.value,
        owner_id=owner_id,
        due_date=due_date or (utcnow() + timedelta(days=14)).date(),
    )
    action.session_id = live.id
    _touch(live)
    session.flush()
    return action


def finish(*, session: Session, actor: User, session_id: int, outcome: str = "", now: datetime | None = None) -> LiveSession:
    """End the session (facilitator) and record its outcome; the page becomes read-only for everyone."""
    live = _running(session, actor, session_id, facilitator=True)
    live.outcome = outcome.strip()[:5000] or _default_outcome(session, live)
    live.finished_at = now or utcnow()
    live.timer_ends_at = None
    _touch(live)
    session.flush()
    _announce_finished(session, live)
    return live


def _announce_finished(session: Session, live: LiveSession) -> None:
    """Post the outcome, the actions decided and (planning) the committed plan to the team's channels."""
    lines = [f"Outcome: {live.outcome}"]
    if live.kind is Kind.PLANNING and live.forecast_id is not None:
        row = session.get(Forecast, live.forecast_id)
        counts = {f"{float(level):g}": value for level, value in (row.predicted or {}).items()} if row is not None else {}
        if row is not None and row.commitment is not None and counts.get("85") is not None and row.by_date is not None:
            lines.append(f"Plan committed: at least {counts['85']} items by {row.by_date.isoformat()} (85% confidence).")
    decided = session.scalars(
        select(ImprovementAction).where(ImprovementAction.session_id == live.id).order_by(ImprovementAction.id)
    )
    lines += [f"Action: {action.title}" for action in decided]
    title, link = f"{live.kind.label} finished: {live.title}", f"/sessions/{live.id}"
    notify.announce(session, team_id=live.team_id, event="session_finished", title=title, lines=lines, link=link)


def _default_outcome(session: Session, live: LiveSession) -> str:
    """The outcome in one line, from what was noted."""
    notes = live.notes
    parts = [f"{len(live.agenda)} items walked"]
    swarmed = sum(1 for n in notes if n.helper_ids)
    raised = sum(1 for n in notes if n.impediment_id)
    if live.kind is Kind.STANDUP:
        parts += [f"{swarmed} swarmed", f"{raised} impediments raised", f"{sum(1 for n in notes if n.escalated)} escalated"]
    else:
        for decision in ("ready", "split", "planned"):
            count = sum(1 for n in notes if n.decision == decision)
            if count:
                parts.append(f"{count} {decision}")
    actions_count = len(list(session.scalars(select(ImprovementAction.id).where(ImprovementAction.session_id == live.id))))
    parts.append(f"{actions_count} actions")
    return "; ".join(parts) + "."


def _open_impediments(session: Session, team_id: int) -> dict[str, Impediment]:
    """The team's open impediments by the work item key they block."""
    found: dict[str, Impediment] = {}
    rows = session.execute(
        select(WorkItem.external_key, Impediment)
        .join(AffectedItem, AffectedItem.work_item_id == WorkItem.id)
        .join(Impediment, Impediment.id == AffectedItem.impediment_id)
        .where(Impediment.team_id == team_id)
        .order_by(Impediment.id)
    ).all()
    for key, impediment in rows:
        if not impediment.status.is_closed:
            found.setdefault(key, impediment)
    return found


def _agenda_item(
    live: LiveSession,
    position: int,
    key: str,
    row: dict[str, Any],
    note: ItemNote | None,
    impediment: Impediment | None,
    board: TeamBoard,
    *,
    names: dict[int, str],
    on_board: bool,
) -> StandupItemRead | RefinementItemRead:
    """One item of the agenda as participants see it: the board's data and what the session noted."""
    common: dict[str, Any] = {
        "position": position,
        "key": key,
        "title": row.get("title") or "",
        "item_type": row.get("item_type"),
        "status": row.get("status"),
        "still_on_board": on_board,
        "helpers": [names.get(h, "former member") for h in (note.helper_ids if note else [])],
        "helper_ids": list(note.helper_ids) if note else [],
        "impediment": ItemImpedimentRead(id=impediment.id, title=impediment.title, level=impediment.level.value)
        if impediment
        else None,
        "escalated": bool(note and note.escalated),
    }
    if live.kind is Kind.STANDUP:
        return StandupItemRead(
            **common,
            age_days=row.get("age_days"),
            band=row.get("band"),
            blocked=bool(row.get("blocked")),
            blocked_reason=row.get("blocked_reason"),
        )
    estimate = note.estimate if note and note.estimate is not None else row.get("estimate")
    judged = board.right_size.judge(row.get("item_type") or "", estimate)
    return RefinementItemRead(
        **common,
        estimate=estimate,
        acceptance_criteria=note.acceptance_criteria if note else "",
        decision=note.decision if note else "",
        right_size=RightSizeRead(verdict=judged.verdict, peers=judged.peers, exceeded=judged.exceeded, basis=judged.basis),
    )


def state(session: Session, live: LiveSession, *, now: datetime | None = None) -> SessionStateRead:
    """What every participant sees now: the API's, the live page's and the CLI's one contract."""
    team = session.get(Team, live.team_id)
    assert team is not None
    board = team_board(session, team, now=now)
    by_key = {r["key"]: r for r in [*board.wip, *board.candidates]}
    notes = {n.item_key: n for n in live.notes}
    names = {u.id: u.name for u in access.team_people(session, live.team_id)}
    blocking = _open_impediments(session, live.team_id)
    items = []
    for position, key in enumerate(live.agenda):
        row = by_key.get(key, {"key": key, "title": _item_title(session, live.team_id, key), "status": None})
        note = notes.get(key)
        impediment = (session.get(Impediment, note.impediment_id) if note and note.impediment_id else None) or blocking.get(key)
        items.append(_agenda_item(live, position, key, row, note, impediment, board, names=names, on_board=key in by_key))
    common: dict[str, Any] = {
        "id": live.id,
        "kind_label": live.kind.label,
        "title": live.title,
        "version": live.version,
        "finished": live.finished_at is not None,
        "outcome": live.outcome,
        "focus": live.focus,
        "timer_ends_at": live.timer_ends_at,
        "sle_days": board.sle_days,
        "today": board.today,
        "items": items,
        "actions": [
            SessionActionRead(id=a.id, title=a.title, status=a.status.value, owner=names.get(a.owner_id) if a.owner_id else None)
            for a in session.scalars(select(ImprovementAction).where(ImprovementAction.session_id == live.id))
        ],
    }
    if live.kind is Kind.STANDUP:
        return StandupStateRead(kind=Kind.STANDUP, **common, since_yesterday=SinceYesterdayRead(**board.since))
    if live.kind is Kind.PLANNING:
        return PlanningStateRead(kind=Kind.PLANNING, **common, planning=_planning(session, team, live, board))
    return RefinementStateRead(kind=Kind.REFINEMENT, **common)


def _planning(session: Session, team: Team, live: LiveSession, board: TeamBoard) -> PlanningRead:
    """The capacity guide (the forecast), the items planned, and the dependencies the plan needs."""
    row = session.get(Forecast, live.forecast_id) if live.forecast_id else None
    planned = [n.item_key for n in live.notes if n.decision == "planned"]
    view = dependencies.team_view(session=session, team=team, today=board.today)
    needed = [
        PlanDependencyRead(
            id=dep.id,
            title=dep.title,
            state=dep.state.value,
            needed_by=dep.needed_by,
            provider=dep.provider,
            for_planned=sorted(set(dep.requester_keys) & set(planned)),
            before_plan_ends=live.by_date is None or dep.needed_by <= live.by_date,
        )
        for dep in view.waits_for
        if dep.state.is_open
    ]
    counts = {f"{float(level):g}": value for level, value in (row.predicted or {}).items()} if row is not None else {}
    guide = (
        PlanningGuideRead(
            forecast_id=row.id, by_date=row.by_date, counts=counts, committed=row.commitment is not None, message=row.message
        )
        if row is not None
        else None
    )
    likely = counts.get("85")
    return PlanningRead(
        by_date=live.by_date,
        guide=guide,
        planned=planned,
        over_capacity=likely is not None and len(planned) > int(likely),
        dependencies=needed,
    )
