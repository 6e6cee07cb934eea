"""JSON shapes of the roadmap, the what-if, a team's calendar and its plan; the CSV export of a roadmap."""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, Field, model_validator
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.roadmap import service
from deliveryops.roadmap.engine import Absence, Rule
from deliveryops.roadmap.service import Roadmap, TeamRoadmap, TeamWhatIf
from deliveryops.web.csv_export import SafeCsvWriter

__all__ = [
    "AbsenceCreate",
    "AbsenceRead",
    "CalendarRead",
    "CalendarUpdate",
    "EpicRead",
    "LaneRead",
    "PlanForm",
    "PlanRead",
    "PlanUpdate",
    "RoadmapRead",
    "TeamWhatIfBody",
    "WhatIfAbsence",
    "WhatIfBody",
    "WhatIfForm",
    "calendar_read",
    "csv_response",
    "plan_read",
    "roadmap_csv",
    "roadmap_read",
]

RuleName = Literal["priority", "even", "shares"]


class EpicRead(BaseModel):
    """One epic: its dates when sharing the team (by the rule) and alone with the team's whole throughput."""

    key: str
    title: str
    remaining: int = Field(description="Unfinished child items")
    total: int = Field(description="All child items")
    position: int = Field(description="Priority position, 0 first")
    share: int | None = Field(description="Stated share in percent (rule 'shares' only)")
    threshold: int = Field(description="The team's items finished by the time this epic is done")
    p50: date | None
    p85: date | None
    alone_p50: date | None = Field(description="50% date if the epic had the team's whole throughput")
    alone_p85: date | None = Field(description="85% date if the epic had the team's whole throughput")
    done_by_cut: float | None = Field(description="Share of trials done on or before the cut date")
    fits: bool | None = Field(description="Done by the cut date with at least 85% confidence")
    days_later_p85: int | None = Field(description="Days later at 85% because the epic shares the team")


class AbsenceRead(BaseModel):
    """Planned absence as a share of capacity."""

    start: date
    end: date
    percent: int


class LaneRead(BaseModel):
    """One team's lane."""

    team_id: int
    team: str
    team_slug: str
    time_zone: str
    today: date = Field(description="Today in the team's time zone; day 1 of the simulation is the next day")
    rule: RuleName
    country: str | None
    subdivision: str | None
    holidays: dict[date, str] = Field(description="Public holidays in the next six months")
    absences: list[AbsenceRead]
    changed: bool = Field(description="The what-if changed this team")
    message: str | None
    epics: list[EpicRead]


class RoadmapRead(BaseModel):
    """A group's roadmap; ``what_if`` is the same roadmap with the what-if applied (nothing stored)."""

    group_id: int
    group: str
    group_slug: str
    cut_date: date
    confidence: int = 85
    teams: list[LaneRead]
    what_if: list[LaneRead] | None = None


class WhatIfAbsence(BaseModel):
    """Extra planned absence for a what-if: ``percent`` of capacity away from ``start`` to ``end`` inclusive."""

    start: date
    end: date
    percent: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> WhatIfAbsence:
        if self.end < self.start:
            raise ValueError("end must be on or after start")
        if (self.end - self.start).days > 366:
            raise ValueError("plan at most a year at a time")
        return self


class TeamWhatIfBody(BaseModel):
    """Changes to one team's plan to try; omitted parts keep the stored plan."""

    team_id: int = Field(ge=1, le=2**31 - 1)
    rule: RuleName | None = None
    order: list[str] | None = Field(default=None, max_length=50, description="Epic keys, first priority first")
    shares: dict[str, int] | None = Field(default=None, description="Percent per epic (1-100) for the 'shares' rule")
    absences: list[WhatIfAbsence] = Field(default_factory=list, max_length=20, description="Extra planned absence")

    def to_what_if(self) -> TeamWhatIf:
        """The service's what-if."""
        return TeamWhatIf(
            rule=Rule(self.rule) if self.rule else None,
            order=tuple(self.order) if self.order is not None else None,
            shares=self.shares,
            absences=tuple(Absence(a.start, a.end, a.percent / 100) for a in self.absences),
        )


class WhatIfBody(BaseModel):
    """A what-if for some teams of the group; the answer shows it beside the stored plan and stores nothing."""

    cut_date: date | None = None
    teams: list[TeamWhatIfBody] = Field(min_length=1, max_length=30)


class CalendarRead(BaseModel):
    """Where a team's public holidays come from, the next ones, and its planned absences."""

    team_id: int
    time_zone: str
    country: str | None
    subdivision: str | None
    holidays: dict[date, str]
    absences: list[AbsenceItem]


class AbsenceItem(AbsenceRead):
    """A stored absence."""

    id: int
    note: str


class CalendarUpdate(BaseModel):
    """ISO 3166 country code and optional subdivision (e.g. DE and BY); empty for no public holidays."""

    country: str | None = Field(default=None, max_length=8)
    subdivision: str | None = Field(default=None, max_length=16)


class AbsenceCreate(BaseModel):
    """Plan an absence: ``percent`` of the team's capacity away from ``start`` to ``end`` inclusive."""

    start: date
    end: date
    percent: int = Field(ge=1, le=100)
    note: str = Field(default="", max_length=200)


class PlanRead(BaseModel):
    """How the team's open epics share its throughput."""

    team_id: int
    rule: RuleName
    order: list[str]
    shares: dict[str, int]


class PlanUpdate(BaseModel):
    """Set the rule, the priority order and (rule 'shares') a share per open epic."""

    rule: RuleName = "priority"
    order: list[str] = Field(default_factory=list, max_length=50)
    shares: dict[str, int] | None = None


def shares_from_text(value: Any) -> Any:
    """Shares typed as ``A-1=60, A-2=40`` (commas or semicolons) as a dict of percent per epic; a dict passes."""
    if not isinstance(value, str):
        return value
    shares: dict[str, str] = {}
    for part in value.replace(";", ",").split(","):
        if not part.strip():
            continue
        key, _, number = part.partition("=")
        if not number.strip().isdecimal():
            raise ValueError("Write shares as KEY=percent, separated by commas, e.g. A-1=60, A-2=40.")
        shares[key.strip()] = number.strip()
    return shares


SharesText = Annotated[dict[str, int], BeforeValidator(shares_from_text)]


def keys_from_text(text: str) -> list[str]:
    """Epic keys from ``A-1, A-2 A-3`` (commas or spaces)."""
    return [key for key in text.replace(",", " ").split() if key]


class PlanForm(BaseModel):
    """The calendar page's plan form: :class:`PlanUpdate` with the order and the shares typed as text."""

    rule: RuleName = "priority"
    order: str = Field(default="", max_length=2000, description="Epic keys, separated by commas or spaces")
    shares: SharesText = Field(default_factory=dict, description="KEY=percent, separated by commas")


class WhatIfForm(BaseModel):
    """The roadmap page's what-if form (a GET form: nothing is stored); an absence needs all three of its fields."""

    cut: date | None = None
    team: str = Field(default="", max_length=400, description="The team's id or slug")
    rule: RuleName | None = None
    order: str = Field(default="", max_length=400)
    shares: SharesText = Field(default_factory=dict)
    away_from: date | None = None
    away_to: date | None = None
    away_percent: int | None = Field(default=None, ge=1, le=100, title="Capacity away")


CalendarRead.model_rebuild()


def _lane(lane: TeamRoadmap) -> LaneRead:
    return LaneRead(
        team_id=lane.team.id,
        team=lane.team.name,
        team_slug=lane.team.slug,
        time_zone=lane.team.time_zone,
        today=lane.today,
        rule=lane.rule.value,
        country=lane.country,
        subdivision=lane.subdivision,
        holidays=lane.holidays,
        absences=[AbsenceRead(start=a.start, end=a.end, percent=round(a.share * 100)) for a in lane.absences],
        changed=lane.changed,
        message=lane.message,
        epics=[
            EpicRead(
                key=e.key,
                title=e.title,
                remaining=e.remaining,
                total=e.total,
                position=e.position,
                share=e.share,
                threshold=e.threshold,
                p50=e.p50,
                p85=e.p85,
                alone_p50=e.alone_p50,
                alone_p85=e.alone_p85,
                done_by_cut=e.done_by_cut,
                fits=e.fits,
                days_later_p85=e.days_later_p85,
            )
            for e in lane.epics
        ],
    )


def roadmap_read(roadmap: Roadmap) -> RoadmapRead:
    """The JSON shape of a roadmap."""
    return RoadmapRead(
        group_id=roadmap.group.id,
        group=roadmap.group.name,
        group_slug=roadmap.group.slug,
        cut_date=roadmap.cut_date,
        teams=[_lane(lane) for lane in roadmap.teams],
        what_if=None if roadmap.what_if is None else [_lane(lane) for lane in roadmap.what_if],
    )


CSV_HEADER = (
    "plan",
    "team",
    "epic",
    "title",
    "rule",
    "position",
    "share_percent",
    "remaining",
    "p50",
    "p85",
    "alone_p50",
    "alone_p85",
    "done_by_cut_percent",
    "fits_by_cut",
    "cut_date",
)


def roadmap_csv(roadmap: Roadmap) -> str:
    """The roadmap as CSV, one row per epic (and per what-if epic, with plan "what-if")."""
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(CSV_HEADER)
    plans = [("stored", roadmap.teams)] + ([("what-if", roadmap.what_if)] if roadmap.what_if else [])
    for plan, lanes in plans:
        for lane in lanes:
            for e in lane.epics:
                writer.writerow(
                    (
                        plan,
                        lane.team.name,
                        e.key,
                        e.title,
                        lane.rule.value,
                        e.position + 1,
                        "" if e.share is None else e.share,
                        e.remaining,
                        e.p50 or "",
                        e.p85 or "",
                        e.alone_p50 or "",
                        e.alone_p85 or "",
                        "" if e.done_by_cut is None else round(e.done_by_cut * 100, 1),
                        "" if e.fits is None else ("yes" if e.fits else "no"),
                        roadmap.cut_date,
                    )
                )
    return out.getvalue()


def csv_response(roadmap: Roadmap) -> Response:
    """The roadmap's CSV as a download."""
    return Response(
        roadmap_csv(roadmap),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="roadmap-{roadmap.group.slug}.csv"'},
    )


def calendar_read(session: Session, actor: User | None, team_id: int) -> CalendarRead:
    """A team's calendar: country, the next six months' public holidays, planned absences still to come."""
    team = service.read_team(session, actor, team_id)
    country, subdivision, holidays, absences = service.calendar_view(session, team)
    return CalendarRead(
        team_id=team.id,
        time_zone=team.time_zone,
        country=country,
        subdivision=subdivision,
        holidays=holidays,
        absences=[AbsenceItem(id=a.id, start=a.start, end=a.end, percent=a.percent, note=a.note) for a in absences],
    )


def plan_read(session: Session, actor: User | None, team_id: int) -> PlanRead:
    """The team's stored plan."""
    team = service.read_team(session, actor, team_id)
    rule, epics = service.team_plan(session, team)
    ordered = sorted(epics.items(), key=lambda pair: pair[1][0])
    return PlanRead(
        team_id=team.id,
        rule=rule.value,
        order=[key for key, _ in ordered],
        shares={key: share for key, (_pos, share) in ordered if share is not None},
    )
