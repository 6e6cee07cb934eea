"""The demo organisation's objectives and key results, their KPI series, and a decision with its follow-up.

One key result is on track (weekly sign-ups climbing along the line), one off track (checkout conversion flat
while the line climbs), one within normal variation (support tickets wobbling around their baseline). A
decided question to leadership expected sign-ups to rise; its follow-up date has passed, so the demo shows
whether the effect appeared. Another expects Payments' deployment frequency (a team metric) to rise; its
follow-up is ahead. Payments also has a key result on a health-check card.
"""

from __future__ import annotations

import contextlib
import random
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.actions.models import ImprovementAction
from deliveryops.cockpit.digest.models import LeadershipQuestion
from deliveryops.cockpit.leadership.service import add_question, current_quarter, decide_question, parse_period
from deliveryops.dependencies.models import Dependency
from deliveryops.errors import ValidationFailedError
from deliveryops.experiments.models import Experiment
from deliveryops.flow import service as flow
from deliveryops.outcomes import decisions, service
from deliveryops.outcomes import series as kpi
from deliveryops.outcomes.models import KeyResult, LinkKind, Objective, SourceKind
from deliveryops.outcomes.schemas import (
    BriefUpdate,
    EvidenceCreate,
    KeyResultCreate,
    LinkCreate,
    ObjectiveCreate,
    SeriesCreate,
    ValueIn,
)
from deliveryops.teams.models import Group, Team
from deliveryops.work.models import WorkItem

BEFORE_WEEKS = 26
MIN_WEEKS_IN = 5  # before five weeks of a quarter have passed, the demo's objectives are last quarter's

# name, unit, group, baseline, noise sd, the move in the period as a share of (target - baseline) at its end
SERIES: dict[str, tuple[str, str, float, float]] = {
    "Weekly sign-ups": ("sign-ups per week", "Commerce", 1200.0, 30.0),
    "Checkout conversion": ("% of sessions", "Commerce", 3.1, 0.05),
    "Support tickets": ("tickets per week", "Discovery & Platform", 340.0, 25.0),
}


def _period(today: date) -> tuple[str, date, date]:
    period = parse_period(current_quarter(today))
    if (today - period.start).days < 7 * MIN_WEEKS_IN:
        period = period.previous()
    return period.label, period.start, period.end


def _mondays(first: date, last: date) -> list[date]:
    start = first - timedelta(days=first.weekday())
    return [start + timedelta(weeks=i) for i in range((last - start).days // 7 + 1) if start + timedelta(weeks=i) >= first]


def _values(rng: random.Random, *, start: date, end: date, last: date, baseline: float, sd: float, move: float) -> list[ValueIn]:
    """Weekly values: noise around the baseline before ``start``; from then on, ``move`` spread along the period."""
    days = (end - start).days + 1
    out = []
    for monday in _mondays(start - timedelta(weeks=BEFORE_WEEKS), last):
        share = max(0.0, ((monday - start).days + 1) / days) if monday >= start else 0.0
        out.append(ValueIn(on=monday, value=round(baseline + move * share + rng.gauss(0, sd), 3)))
    return out


def build_outcomes(session: Session, *, now: datetime, seed: int) -> int:
    """Create the demo's KPI series, objectives, key results, links and a followed-up decision; returns the count of
    key results (deterministic for a seed)."""
    rng = random.Random(seed)
    today = now.date()
    label, start, end = _period(today)
    last = today - timedelta(days=today.weekday() + 7)  # the Monday of the last complete week
    groups = {g.name: g for g in session.scalars(select(Group))}
    teams = {t.name: t for t in session.scalars(select(Team))}
    if "Commerce" not in groups or "Discovery & Platform" not in groups:
        return 0
    leader = session.scalar(select(User).where(User.role == Role.LEADER).order_by(User.id))
    ops = session.scalar(select(User).where(User.role == Role.PRODUCT_OPS).order_by(User.id))
    moves = {"Weekly sign-ups": 330.0, "Checkout conversion": 0.0, "Support tickets": -8.0}
    series_ids: dict[str, int] = {}
    for name, (unit, group, baseline, sd) in SERIES.items():
        row, _token = kpi.create(session=session, actor=None, body=SeriesCreate(name=name, unit=unit, group_id=groups[group].id))
        kpi.write_values(session, row, _values(rng, start=start, end=end, last=last, baseline=baseline, sd=sd, move=moves[name]))
        series_ids[name] = row.id

    def objective(title: str, *, group: str | None = None, team: str | None = None, why: str = "") -> int:
        body = ObjectiveCreate(
            title=title,
            description=why,
            group_id=groups[group].id if group else None,
            team_id=teams[team].id if team else None,
            period=label,
            owner_id=leader.id if leader and group else None,
        )
        return service.create_objective(session=session, actor=None, body=body, today=today).id

    def key_result(objective_id: int, title: str, **fields: object) -> int:
        row = session.get(Objective, objective_id)
        assert row is not None
        body = KeyResultCreate.model_validate({"title": title, **fields})
        return service.add_key_result(session=session, actor=None, objective=row, body=body).id

    commerce = objective(
        "New shoppers get to a first order faster", group="Commerce", why="Activation is where Commerce loses most shoppers."
    )
    discovery = objective("Fewer shoppers need help to find things", group="Discovery & Platform")
    payments = objective("Payments ships smaller changes more often", team="Payments")
    # objective, title, series, baseline, target, direction
    kpi_results = [
        (commerce, "Weekly sign-ups from 1,200 to 1,500", "Weekly sign-ups", 1200, 1500, "increase"),
        (commerce, "Checkout conversion from 3.1% to 3.6%", "Checkout conversion", 3.1, 3.6, "increase"),
        (discovery, "Support tickets from 340 to 300 a week", "Support tickets", 340, 300, "decrease"),
    ]
    created = [
        key_result(owner, title, source=SourceKind.KPI, series_id=series_ids[name], baseline=low, target=high, direction=way)
        for owner, title, name, low, high, way in kpi_results
    ]
    signups = created[0]
    throughput_id = key_result(
        payments,
        "Throughput up by a third",
        source=SourceKind.METRIC,
        metric="throughput",
        metric_team_id=teams["Payments"].id,
        baseline=1,
        target=2,
        direction="increase",
    )
    # The baseline is the team's own: the mean weekly throughput of the 13 weeks before the period.
    throughput = session.get(KeyResult, throughput_id)
    assert throughput is not None
    before = [value for on, value in service.measure(session, throughput, today=today).points if on < start][-13:]
    if before and sum(before) > 0:
        throughput.baseline = round(sum(before) / len(before), 1)
        throughput.target = round(throughput.baseline * 4 / 3, 1)
        throughput.title = f"Throughput from {throughput.baseline:g} to {throughput.target:g} items a week"
    # A health-check card as a source: five rounds over the last months are too few to judge yet ("not enough data").
    key_result(
        payments,
        "Easy to release card from 50 to 75 points",
        source=SourceKind.METRIC,
        metric="health_card",
        metric_team_id=teams["Payments"].id,
        metric_card="easy_to_release",
        baseline=50,
        target=75,
        direction="increase",
    )
    _link(session, signups, teams, now)
    _decision(session, now=now, start=start, series_id=series_ids["Weekly sign-ups"], ops=ops, group=groups["Commerce"])
    _team_metric_decision(session, now=now, start=start, team=teams["Payments"], group=groups.get("Commerce"))
    session.flush()
    return 5


def _link(session: Session, key_result_id: int, teams: dict[str, Team], now: datetime) -> None:
    """Link the sign-ups key result to an epic of Checkout (with a stored forecast), Growth's experiment, an
    improvement action and a dependency."""
    key_result = session.get(KeyResult, key_result_id)
    assert key_result is not None
    links: list[tuple[LinkKind, int]] = []
    checkout = teams.get("Checkout")
    if checkout is not None:
        epic = session.scalar(
            select(WorkItem)
            .where(WorkItem.team_id == checkout.id, WorkItem.item_type == "Epic")
            .order_by(WorkItem.created_at.desc())
        )
        if epic is not None:
            links.append((LinkKind.EPIC, epic.id))
            # An epic whose team has no throughput window gets no forecast: the page says so.
            with contextlib.suppress(ValidationFailedError):
                flow.forecast_epics(
                    session=session, actor=None, team_id=checkout.id, epic_keys=[epic.external_key], seed=2112, now=now
                )
        action = session.scalar(
            select(ImprovementAction).where(ImprovementAction.team_id == checkout.id).order_by(ImprovementAction.id)
        )
        if action is not None:
            links.append((LinkKind.ACTION, action.id))
    growth = teams.get("Growth")
    experiment = (
        session.scalar(select(Experiment).where(Experiment.team_id == growth.id).order_by(Experiment.id)) if growth else None
    )
    if experiment is not None:
        links.append((LinkKind.EXPERIMENT, experiment.id))
    dependency = session.scalar(select(Dependency).order_by(Dependency.id))
    if dependency is not None:
        links.append((LinkKind.DEPENDENCY, dependency.id))
    for kind, target_id in links:
        service.add_link(session=session, actor=None, key_result=key_result, body=LinkCreate(kind=kind, target_id=target_id))


def _decided(
    session: Session,
    *,
    now: datetime,
    start: date,
    asked: int,
    decided: int,
    group_id: int | None,
    text: str,
    context: str,
    decision: str,
    brief: BriefUpdate,
) -> LeadershipQuestion:
    """A question asked ``asked`` days and decided ``decided`` days before ``start``, with its brief."""
    question = add_question(
        session=session, actor=None, period=current_quarter(start), text=text, context=context, group_id=group_id
    )
    question.created_at = datetime.combine(start - timedelta(days=asked), now.timetz())
    decide_question(
        session=session,
        actor=None,
        question_id=question.id,
        decision=decision,
        now=datetime.combine(start - timedelta(days=decided), now.timetz()),
    )
    decisions.update_brief(session=session, actor=None, question_id=question.id, body=brief)
    return question


def _team_metric_decision(session: Session, *, now: datetime, start: date, team: Team | None, group: Group | None) -> None:
    """A decided question whose expected effect is on a team metric (Payments' deployment frequency); its
    follow-up date is three weeks ahead, so the brief says when it will be judged."""
    if team is None:
        return
    _decided(
        session,
        now=now,
        start=start,
        asked=5,
        decided=0,
        group_id=team.group_id if team.group_id is not None else (group.id if group else None),
        text="Give Payments two weeks to automate its release checklist?",
        context="Payments deploys about once a week; each release needs a manual checklist.",
        decision="Yes: two weeks without feature work for Payments.",
        brief=BriefUpdate(
            options="Automate the checklist now\nKeep the manual checklist",
            recommendation="Automate it: it is the longest wait before each deployment.",
            effect_team_metric="deployment_frequency",
            effect_team_id=team.id,
            effect_direction="increase",
            effect_size=1,
            decided_on=start,
            follow_up_on=now.date() + timedelta(days=21),
        ),
    )


def _decision(session: Session, *, now: datetime, start: date, series_id: int, ops: User | None, group: Group) -> None:
    """A decided question whose expected effect on sign-ups is followed up, and a brief for an open question."""
    question = _decided(
        session,
        now=now,
        start=start,
        asked=10,
        decided=3,
        group_id=group.id,
        text="Launch the referral programme this quarter instead of the loyalty redesign?",
        context="Sign-ups have been flat at about 1,200 a week for two quarters; referral tests in Growth looked promising.",
        decision="Launch the referral programme; the loyalty redesign moves to next quarter.",
        brief=BriefUpdate(
            options="Launch the referral programme\nRedesign the loyalty programme\nDo both at half pace",
            recommendation="Launch the referral programme: its test lifted sign-ups, and it needs one team for six weeks.",
            effect_series_id=series_id,
            effect_direction="increase",
            effect_size=100,
            decided_on=start,
            follow_up_on=now.date() - timedelta(days=3),
        ),
    )
    decisions.add_evidence(
        session=session,
        actor=ops,
        question_id=question.id,
        body=EvidenceCreate(
            label="Growth's experiments",
            url="/teams/growth/experiments",
            snapshot="The referral test lifted sign-ups by about 8%.",
        ),
    )
    staging = session.scalar(select(LeadershipQuestion).where(LeadershipQuestion.text.startswith("Fund a shared staging")))
    if staging is not None:
        decisions.update_brief(
            session=session,
            actor=None,
            question_id=staging.id,
            body=BriefUpdate(
                options="One shared staging environment (about two engineer-months)\n"
                "Ephemeral environments per team (about five)\nKeep the status quo",
                recommendation="One shared staging environment now; revisit ephemeral environments next year.",
            ),
        )
        decisions.add_evidence(
            session=session,
            actor=ops,
            question_id=staging.id,
            body=EvidenceCreate(
                label="Impediment clusters", url="/impediments/clusters", snapshot="Environment waits hit four teams."
            ),
        )
