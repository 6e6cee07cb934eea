"""The leadership pack as the API, the CLI's ``--json`` and the pages read it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from deliveryops.cockpit.catalogue.schemas import RolloutResult
from deliveryops.cockpit.leadership import service as leadership
from deliveryops.dependencies.schemas import ChanceRead

__all__ = [
    "AdoptionRead",
    "ChartRead",
    "ChartRowRead",
    "ClusterRead",
    "DecisionUpdate",
    "EpicRead",
    "ExperimentRead",
    "HeadlineRead",
    "PackRead",
    "PackScope",
    "PackSectionRead",
    "QuestionCreate",
    "QuestionRead",
    "pack_read",
]


class HeadlineRead(BaseModel):
    """A headline number and its previous value."""

    key: str
    label: str
    unit: str
    value: float | None
    previous: float | None
    change: float | None
    verdict: str  # better/worse (up/down) for a signal; normal; not_enough; not_judged; "" when a value is missing
    verdict_text: str
    judged_by: str
    judgement_detail: str


class ClusterRead(BaseModel):
    """A cross-team impediment cluster."""

    cluster_id: int
    title: str
    status: str
    teams: list[str]
    open_impediments: int


class EpicRead(BaseModel):
    """An open epic's forecast."""

    team: str
    key: str
    title: str
    remaining: int
    total: int
    p50: date | None
    p85: date | None
    message: str | None
    allocation: str


class ExperimentRead(BaseModel):
    """A concluded experiment."""

    title: str
    team_id: int | None
    ended_at: datetime | None
    decision: str
    learnings: str


class AdoptionRead(BaseModel):
    """An adoption change."""

    team: str
    entry: str
    from_state: str | None
    to_state: str
    at: datetime


class QuestionRead(BaseModel):
    """A question for leadership."""

    id: int
    text: str
    context: str
    status: str
    decision: str


class PackSectionRead(BaseModel):
    """A section other capabilities put at the top of the pack (outcomes: key results, decisions, follow-ups)."""

    key: str
    title: str
    data: dict[str, Any]


class ChartRowRead(BaseModel):
    """One row of a chart: this period's value and the previous period's (None: no bar)."""

    label: str
    value: int | None
    previous: int | None


class ChartRead(BaseModel):
    """A chart of the pack's PDF, as data: paired bars per row, this period against the previous one."""

    key: str = Field(description="throughput_by_team or throughput_by_week")
    title: str
    row_axis: str
    value_axis: str = Field(description="The value axis's label, with its unit")
    series: list[str] = Field(description="The labels of this period and of the previous period")
    rows: list[ChartRowRead]
    definition: str = Field(description="The measure's definition, a path on the served address")
    note: str
    empty: str = Field(description="What the PDF says instead of the chart when there are no rows")


class PackRead(BaseModel):
    """The leadership pack."""

    scope: str
    period: str
    start: date
    end: date
    previous_period: str
    teams: list[str]
    headlines: list[HeadlineRead]
    clusters: list[ClusterRead]
    epics: list[EpicRead]
    experiments: list[ExperimentRead] | None
    adoption: list[AdoptionRead] | None
    questions: list[QuestionRead]
    dependencies_at_risk: list[ChanceRead] = Field(
        default_factory=list, description="Accepted dependencies of these teams whose chance of delivery is below the threshold"
    )
    rollouts: list[RolloutResult] = Field(
        default_factory=list,
        description="Rollouts touching these teams, with their measured effect (/definitions#rollout-effect)",
    )
    lead: list[PackSectionRead] = Field(
        default_factory=list, description="What the pack leads with: outcome progress, decisions waiting, follow-ups due"
    )
    charts: list[ChartRead] = Field(
        default_factory=list, description="The data behind each chart of the PDF: items finished by team and per week"
    )


def pack_read(pack: leadership.LeadershipPack, sections: list[leadership.PackSection] | None = None) -> PackRead:
    """The API shape of a pack, led by the registered sections."""
    experiments = (
        None
        if pack.experiments is None
        else [
            ExperimentRead(title=e.title, team_id=e.team_id, ended_at=e.ended_at, decision=e.decision, learnings=e.learnings)
            for e in pack.experiments
        ]
    )
    adoption = (
        None
        if pack.adoption is None
        else [
            AdoptionRead(team=a.team_name, entry=a.entry_name, from_state=a.from_state, to_state=a.to_state, at=a.at)
            for a in pack.adoption
        ]
    )
    return PackRead(
        lead=[PackSectionRead(key=x.key, title=x.title, data=x.data) for x in sections or []],
        scope=pack.scope,
        period=pack.period.label,
        start=pack.period.start,
        end=pack.period.end,
        previous_period=pack.previous.label,
        teams=[t.name for t in pack.teams],
        headlines=[
            HeadlineRead(
                key=h.key,
                label=h.label,
                unit=h.unit,
                value=h.value,
                previous=h.previous,
                change=h.change,
                verdict=h.verdict,
                verdict_text=h.verdict_text,
                judged_by=h.judgement.method if h.judgement else "",
                judgement_detail=h.judgement.detail if h.judgement else "",
            )
            for h in pack.headlines
        ],
        clusters=[
            ClusterRead(
                cluster_id=c.cluster_id, title=c.title, status=c.status, teams=c.teams, open_impediments=c.open_impediments
            )
            for c in pack.clusters
        ],
        epics=[
            EpicRead(
                team=e.team_name,
                key=e.key,
                title=e.title,
                remaining=e.remaining,
                total=e.total,
                p50=e.p50,
                p85=e.p85,
                message=e.message,
                allocation=e.allocation,
            )
            for e in pack.epics
        ],
        experiments=experiments,
        adoption=adoption,
        questions=[
            QuestionRead(id=q.id, text=q.text, context=q.context, status=q.status, decision=q.decision) for q in pack.questions
        ],
        dependencies_at_risk=pack.dependencies_at_risk,
        rollouts=list(pack.rollouts),
        charts=[
            ChartRead(
                key=c.key,
                title=c.title,
                row_axis=c.row_axis,
                value_axis=c.value_axis,
                series=list(c.legend),
                rows=[ChartRowRead(label=label, value=value, previous=previous) for label, value, previous in c.rows],
                definition=f"/definitions#{c.definition}",
                note=c.note,
                empty=c.empty,
            )
            for c in leadership.pack_charts(pack)
        ],
    )


class PackScope(BaseModel):
    """Which pack a page's form acts on: its period (2026-Q3, 2026-11 or 2026-07-01..2026-09-30) and group (a slug;
    empty: the organisation). Committing the pack's epic dates takes only this."""

    period: str = Field(default="", max_length=30)
    group: str = Field(default="", max_length=100)


class QuestionCreate(PackScope):
    """A question for leadership, added to a pack by Product Ops."""

    text: str = Field(default="", max_length=2000, title="Question")
    context: str = Field(default="", max_length=5000, title="Context and options")


class DecisionUpdate(BaseModel):
    """Leadership's decision on a question."""

    decision: str = Field(default="", max_length=5000)
