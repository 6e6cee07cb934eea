"""The contracts of stored rollouts: what is planned, and the report of a rollout (progress, curve, effect)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.actions.models import TargetMetric
from deliveryops.analytics.rollouts import RolloutEffect, RolloutOutcome
from deliveryops.cockpit.catalogue.schemas import CheckRead, RolloutResult, check_read
from deliveryops.cockpit.models import AdoptionLevel, CatalogueEntry, Rollout
from deliveryops.cockpit.rollouts.service import RolloutReport, create_rollout, rollout_teams

__all__ = [
    "CurvePointRead",
    "EffectRead",
    "RolloutCreate",
    "RolloutDetail",
    "RolloutEffectRead",
    "RolloutRead",
    "RolloutTeamRead",
    "RolloutTeamWrite",
    "TeamProgressRead",
    "create_from",
    "detail_of",
    "effect_read",
    "read_of",
    "result_of",
]


class RolloutTeamWrite(BaseModel):
    """A team of a new rollout and the day it should have adopted by."""

    team_id: int = Field(ge=1, le=2**31 - 1)
    target_on: date


class RolloutCreate(BaseModel):
    """A new rollout of a catalogue entry across teams (Product Ops and admins)."""

    entry_id: int = Field(ge=1, le=2**31 - 1)
    title: str = Field(max_length=200)
    metric: TargetMetric = TargetMetric.THROUGHPUT
    starts_on: date
    teams: list[RolloutTeamWrite] = Field(min_length=1, max_length=200)
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    notes: str = Field(default="", max_length=5000)


class RolloutTeamRead(BaseModel):
    """A team of a rollout."""

    team_id: int
    team_name: str
    target_on: date


class RolloutRead(BaseModel):
    """A planned rollout."""

    id: int
    entry_id: int
    entry_name: str
    title: str
    owner_id: int | None
    metric: TargetMetric
    starts_on: date
    notes: str
    teams: list[RolloutTeamRead]
    created_at: datetime


class TeamProgressRead(BaseModel):
    """One team of a rollout: declared state, when it adopted, on time or not, and its data check."""

    team_id: int
    team_name: str
    team_slug: str = ""
    target_on: date
    declared: AdoptionLevel
    adopted_on: date | None
    on_time: bool | None
    check: CheckRead | None


class CurvePointRead(BaseModel):
    """The adoption curve at the end of a day: teams declared adopted and teams their data check confirms."""

    day: date
    declared: int
    confirmed: int | None
    teams: int


class EffectRead(BaseModel):
    """The measured effect on the rollout's metric: outcome units a week with its 95% interval."""

    outcome: RolloutOutcome
    effect: float | None
    low: float | None
    high: float | None
    adopted_teams: int
    comparison_teams: int
    detail: str
    definition: str = "/definitions#rollout-effect"


class RolloutEffectRead(EffectRead):
    """A rollout's effect: outcome units a week, its 95% interval, and the teams it used."""

    entry_id: int
    metric: TargetMetric


class RolloutDetail(RolloutRead):
    """A rollout with its progress per team, its adoption curve and its measured effect."""

    progress: list[TeamProgressRead]
    curve: list[CurvePointRead]
    effect: EffectRead
    computed_at: datetime | None = Field(default=None, description="when the stored report was computed")
    recomputing: bool = Field(default=False, description="the data changed since: a newer report is being computed")


def read_of(session: Session, rollout: Rollout) -> RolloutRead:
    """The API's view of a rollout."""
    entry = session.get(CatalogueEntry, rollout.entry_id)
    return RolloutRead(
        id=rollout.id,
        entry_id=rollout.entry_id,
        entry_name=entry.name if entry else "",
        title=rollout.title,
        owner_id=rollout.owner_id,
        metric=TargetMetric(rollout.metric),
        starts_on=rollout.starts_on,
        notes=rollout.notes,
        teams=[
            RolloutTeamRead(team_id=team.id, team_name=team.name, target_on=target)
            for team, target in rollout_teams(session, rollout)
        ],
        created_at=rollout.created_at,
    )


def detail_of(session: Session, result: RolloutReport) -> RolloutDetail:
    """The API's view of a rollout's report."""
    return RolloutDetail(
        **read_of(session, result.rollout).model_dump(),
        progress=[
            TeamProgressRead(
                team_id=p.team.id,
                team_name=p.team.name,
                team_slug=p.team.slug,
                target_on=p.target_on,
                declared=p.declared,
                adopted_on=p.adopted_on,
                on_time=p.on_time,
                check=check_read(p.check),
            )
            for p in result.teams
        ],
        curve=[CurvePointRead(day=c.day, declared=c.declared, confirmed=c.confirmed, teams=c.teams) for c in result.curve],
        effect=effect_read(result.effect),
    )


def effect_read(effect: RolloutEffect) -> EffectRead:
    """The API's view of a measured effect."""
    return EffectRead(
        outcome=effect.outcome,
        effect=effect.effect,
        low=effect.low,
        high=effect.high,
        adopted_teams=effect.adopted_teams,
        comparison_teams=effect.comparison_teams,
        detail=effect.detail,
    )


def create_from(session: Session, actor: User | None, body: RolloutCreate) -> Rollout:
    """Plan the rollout a request (API or CLI) describes (:func:`deliveryops.cockpit.rollouts.service.create_rollout`)."""
    return create_rollout(
        session=session,
        actor=actor,
        entry_id=body.entry_id,
        title=body.title,
        metric=body.metric.value,
        starts_on=body.starts_on,
        teams=[(t.team_id, t.target_on) for t in body.teams],
        owner_id=body.owner_id,
        notes=body.notes,
    )


def result_of(detail: RolloutDetail) -> RolloutResult:
    """A rollout's result in a line, from its (stored) report: for the catalogue entry and the leadership pack."""
    effect = detail.effect
    return RolloutResult(
        rollout_id=detail.id,
        title=detail.title,
        entry_name=detail.entry_name,
        teams=len(detail.progress),
        adopted=sum(1 for p in detail.progress if p.declared is AdoptionLevel.ADOPTED),
        metric=detail.metric.value,
        outcome=effect.outcome.value,
        effect=effect.effect,
        low=effect.low,
        high=effect.high,
        detail=effect.detail,
        computed_at=detail.computed_at,
        recomputing=detail.recomputing,
    )
