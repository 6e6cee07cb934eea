"""The experiment registry's rules: validation, the status machine, pre-launch checks, review, decision,
statistics import, analysis warnings, library search, portfolio and scope (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.analytics.experiments import Method
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError, validation_failed
from deliveryops.experiments import analysis, service, statistics
from deliveryops.experiments.models import Decision, Experiment, ExperimentStatus, MetricSnapshot
from deliveryops.experiments.schemas import ExperimentDesign, ExperimentFilter, MetricIn
from deliveryops.experiments.statistics import StatRow
from deliveryops.work.importing import import_records
from deliveryops.work.records import WorkItemRecord
from tests.experiments.builders import DAY, complete_fields, crew, rows, running, with_statistics

S = ExperimentStatus


def test_the_design_names_each_bad_field(session: Session) -> None:
    with pytest.raises(ValidationError) as info:
        ExperimentDesign.model_validate(
            {
                "title": " ",
                "variations": [{"name": "control", "is_control": True}, {"name": "Control"}],
                "metrics": [{"name": "a", "kind": "median", "role": "primary"}],
                "planned_sample_size": 0,
                "mde": -1.0,
                "planned_start": DAY,
                "planned_end": DAY - timedelta(days=1),
                "alpha": 0.7,
            }
        )
    assert validation_failed(info.value.errors(), ExperimentDesign).fields == {
        "title": "Give the experiment a title.",
        "variations": "Variation 2: the name 'Control' is used twice.",
        "metrics.0.kind": "Metric 1's kind: choose 'mean', 'proportion' or 'ratio'; got 'median'.",
        "planned_sample_size": "The planned sample size must be at least 1.",
        "mde": "The minimum detectable effect must be above 0.",
        "planned_end": "The planned end is on or after the planned start.",
        "alpha": "The significance level must be below 0.5.",
    }
    with pytest.raises(ValidationError) as dates:
        ExperimentDesign(title="Dates", planned_start=DAY, planned_end=DAY - timedelta(days=1))
    assert validation_failed(dates.value.errors(), ExperimentDesign).fields == {
        "planned_end": "The planned end is on or after the planned start."
    }


def test_create_names_unknown_work_items_and_reviewers_and_stores_nothing(session: Session) -> None:
    c = crew(session)
    design = ExperimentDesign(title="Linked", work_items=["NOPE-1"], reviewer_id=2**31 - 1)
    with pytest.raises(ValidationFailedError) as info:
        service.create(session=session, actor=c.member, team_id=c.team.id, design=design)
    assert info.value.fields == {
        "reviewer_id": "Choose an active person as the reviewer.",
        "work_items": f"No work item NOPE-1 in {c.team.name}.",
    }
    assert session.scalars(select(Experiment)).all() == []


def test_create_cleans_tags_makes_a_unique_key_and_links_work_items(session: Session) -> None:
    c = crew(session)
    import_records(
        session=session,
        actor=None,
        team=c.team,
        import_format="test",
        records=[
            WorkItemRecord(
                source="test",
                external_key="SHOP-7",
                item_type="Story",
                title="Build one-page checkout",
                created_at=datetime(2026, 10, 1, tzinfo=UTC),
            )
        ],
    )
    first = service.create(
        session=session,
        actor=c.member,
        team_id=c.team.id,
        design=complete_fields(tags=["Checkout", " checkout ", "Mobile web"], work_items=["SHOP-7"]),
    )
    second = service.create(session=session, actor=c.ops, team_id=c.team.id, design=complete_fields())
    assert (first.key, second.key) == ("shorter-checkout", "shorter-checkout-2")
    assert first.tag_names == ["checkout", "mobile-web"]
    assert [(w.key, w.title) for w in first.work_items] == [("SHOP-7", "Build one-page checkout")]
    assert [(v.name, v.is_control) for v in first.variations] == [("control", True), ("one-page", False)]
    assert [(h.from_status, h.to_status, h.actor_id) for h in first.history] == [(None, S.DRAFT, c.member.id)]
    assert first.hypothesis == (
        "Because we saw half of the carts are abandoned at the address step, we believe "
        "a one-page checkout will result in more completed orders, measured by checkout "
        "conversion."
    )


def test_who_may_read_and_edit(session: Session) -> None:
    c = crew(session)
    experiment = service.create(session=session, actor=c.dm, team_id=c.team.id, design=complete_fields())
    for reader in (c.member, c.ops, c.leader):
        assert service.get_or_raise(session=session, actor=reader, experiment_id=experiment.id) is experiment
    with pytest.raises(PermissionDeniedError):
        service.get_or_raise(session=session, actor=c.outsider, experiment_id=experiment.id)
    with pytest.raises(PermissionDeniedError) as info:
        service.update(session=session, actor=c.leader, experiment_id=experiment.id, change=complete_fields())
    assert info.value.message == "Only the team's people, Product Ops and admins change its experiments."
    with pytest.raises(PermissionDeniedError):
        service.create(session=session, actor=c.outsider, team_id=c.team.id, design=complete_fields())
    with pytest.raises(NotFoundError) as missing:
        service.get_or_raise(session=session, actor=c.ops, experiment_id=999_999)
    assert missing.value.message == "No experiment 999999."


def test_the_state_machine_allows_only_its_moves(session: Session) -> None:
    c = crew(session)
    experiment = service.create(session=session, actor=c.member, team_id=c.team.id, design=complete_fields())
    with pytest.raises(ValidationFailedError) as info:
        service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.RUNNING)
    assert info.value.message == "An experiment that is draft can move to in review, not to running."
    assert info.value.fields == {"status": "not allowed: draft → running"}
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.IN_REVIEW)
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.DRAFT, note="rework")
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.IN_REVIEW)
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.RUNNING)
    assert experiment.started_at is not None
    with pytest.raises(ValidationFailedError):
        service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.DRAFT)
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.ANALYSING)
    assert experiment.ended_at is not None
    with pytest.raises(ValidationFailedError) as deciding:
        service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.DECIDED)
    assert deciding.value.fields == {"decision": "Choose ship, iterate or stop and give the rationale."}
    service.decide(
        session=session,
        actor=c.member,
        experiment_id=experiment.id,
        decision=Decision.SHIP,
        rationale="Conversion +30%, guardrails flat.",
        learnings="Fewer steps beat prettier steps.",
    )
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.ARCHIVED)
    with pytest.raises(ValidationFailedError) as final:
        service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.DRAFT)
    assert final.value.message == ("An experiment that is archived can move to nothing (archived is final), not to draft.")
    assert [(h.from_status, h.to_status) for h in experiment.history] == [
        (None, S.DRAFT),
        (S.DRAFT, S.IN_REVIEW),
        (S.IN_REVIEW, S.DRAFT),
        (S.DRAFT, S.IN_REVIEW),
        (S.IN_REVIEW, S.RUNNING),
        (S.RUNNING, S.ANALYSING),
        (S.ANALYSING, S.DECIDED),
        (S.DECIDED, S.ARCHIVED),
    ]
    assert experiment.history[2].note == "rework"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"observation": ""}, "hypothesis", "The hypothesis lacks: 'because we saw'."),
        ({"belief": " ", "measure": ""}, "hypothesis", "The hypothesis lacks: 'we believe', 'measured by'."),
        (
            {"metrics": [MetricIn(name="conversion", kind="proportion", role="secondary")]},
            "primary_metric",
            "Add one metric with the role 'primary': the one the decision rests on.",
        ),
        ({"metrics": []}, "primary_metric", "Add one metric with the role 'primary': the one the decision rests on."),
        (
            {"planned_sample_size": None},
            "planned_sample_size",
            "Set the planned sample size per variation (the power calculator gives it from the MDE).",
        ),
    ],
)
def test_each_prelaunch_check_blocks_running(session: Session, change: dict[str, Any], field: str, message: str) -> None:
    c = crew(session)
    experiment = service.create(session=session, actor=c.member, team_id=c.team.id, design=complete_fields(**change))
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.IN_REVIEW)
    with pytest.raises(ValidationFailedError) as info:
        service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.RUNNING)
    assert info.value.fields == {field: message}
    assert experiment.status is S.IN_REVIEW
    assert experiment.started_at is None


def test_all_failing_checks_are_named_at_once(session: Session) -> None:
    c = crew(session)
    experiment = service.create(
        session=session, actor=c.member, team_id=c.team.id, design=ExperimentDesign(title="Bare", reviewer_required=True)
    )
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.IN_REVIEW)
    with pytest.raises(ValidationFailedError) as info:
        service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.RUNNING)
    assert info.value.message == (
        "It cannot run yet: a hypothesis in four parts is missing; a primary metric is "
        "missing; a planned sample size is missing; approved by a reviewer is missing."
    )
    assert sorted(info.value.fields) == ["hypothesis", "planned_sample_size", "primary_metric", "review"]


def test_a_required_reviewer_other_than_the_creator_must_approve(session: Session) -> None:
    c = crew(session)
    experiment = service.create(
        session=session, actor=c.member, team_id=c.team.id, design=complete_fields(reviewer_required=True, reviewer_id=c.dm.id)
    )
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.IN_REVIEW)
    with pytest.raises(PermissionDeniedError) as own:
        service.review(session=session, actor=c.member, experiment_id=experiment.id, approve=True)
    assert own.value.message == "Product Ops or the named reviewer approves, and never the experiment's creator."
    with pytest.raises(PermissionDeniedError):
        service.review(session=session, actor=c.leader, experiment_id=experiment.id, approve=True)
    with pytest.raises(ValidationFailedError) as blocked:
        service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.RUNNING)
    assert blocked.value.fields == {
        "review": "A reviewer other than the creator must approve it (Product Ops or the named reviewer)."
    }
    with pytest.raises(ValidationFailedError) as no_note:
        service.review(session=session, actor=c.ops, experiment_id=experiment.id, approve=False)
    assert no_note.value.fields == {"note": "Say what should change."}
    service.review(session=session, actor=c.ops, experiment_id=experiment.id, approve=False, note="Add a guardrail")
    assert experiment.status is S.DRAFT
    assert experiment.review_note == "Add a guardrail"
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.IN_REVIEW)
    service.review(session=session, actor=c.dm, experiment_id=experiment.id, approve=True, note="Looks sound")
    assert (experiment.approved, experiment.approved_by_id) == (True, c.dm.id)
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.RUNNING)
    assert experiment.status is S.RUNNING  # type: ignore[comparison-overlap]  # narrowed by the assertion above


def test_editing_the_design_in_review_withdraws_approval_and_locks_after_launch(session: Session) -> None:
    c = crew(session)
    experiment = service.create(
        session=session, actor=c.member, team_id=c.team.id, design=complete_fields(reviewer_required=True)
    )
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.IN_REVIEW)
    service.review(session=session, actor=c.ops, experiment_id=experiment.id, approve=True)
    service.update(
        session=session,
        actor=c.member,
        experiment_id=experiment.id,
        change=complete_fields(planned_sample_size=2000, reviewer_required=True),
    )
    assert experiment.approved is False
    assert experiment.review_note == "Approval withdrawn: the design changed after the review."
    service.review(session=session, actor=c.ops, experiment_id=experiment.id, approve=True)
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.RUNNING)
    with pytest.raises(ValidationFailedError) as info:
        service.update(
            session=session,
            actor=c.member,
            experiment_id=experiment.id,
            change=complete_fields(planned_sample_size=500, reviewer_required=True),
        )
    assert info.value.fields == {
        "planned_sample_size": "The design is locked once the experiment runs (it is "
        "running); register a new experiment to change it."
    }
    changed = service.update(
        session=session,
        actor=c.member,
        experiment_id=experiment.id,
        change=complete_fields(planned_sample_size=2000, reviewer_required=True, tags=["late-tag"], learnings="So far so good"),
    )
    assert (changed.tag_names, changed.learnings) == (["late-tag"], "So far so good")


def test_only_drafts_are_deleted(session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    with pytest.raises(ValidationFailedError) as info:
        service.delete(session=session, actor=c.member, experiment_id=experiment.id)
    assert info.value.message == "Only a draft can be deleted; archive the experiment instead."
    draft = service.create(session=session, actor=c.member, team_id=c.team.id, design=complete_fields())
    service.delete(session=session, actor=c.member, experiment_id=draft.id)
    assert session.get(Experiment, draft.id) is None


def test_decision_needs_a_rationale(session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    with pytest.raises(ValidationFailedError) as early:
        service.decide(session=session, actor=c.member, experiment_id=experiment.id, decision=Decision.SHIP, rationale="")
    assert early.value.fields == {
        "status": "Decide once the experiment is analysing; it is running.",
        "rationale": "Give the rationale: what in the results, and what else, led to the decision.",
    }
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=S.ANALYSING)
    service.decide(
        session=session,
        actor=c.member,
        experiment_id=experiment.id,
        decision=Decision.STOP,
        rationale="No effect at the planned power.",
    )
    assert (experiment.status, experiment.decision, experiment.rationale) == (
        S.DECIDED,
        Decision.STOP,
        "No effect at the planned power.",
    )


# --- statistics import ---------------------------------------------------------------------------------


def _error(
    session: Session, experiment: Experiment, actor: User, data: list[StatRow], *, cumulative: bool = True
) -> ValidationFailedError:
    with pytest.raises(ValidationFailedError) as info:
        statistics.import_statistics(
            session=session,
            actor=actor,
            experiment_id=experiment.id,
            rows=data,
            cumulative=cumulative,
        )
    return info.value


def test_statistics_import_errors_name_the_line_and_column_and_import_nothing(session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    with_statistics(session, c.member, experiment, rows())
    base: dict[str, Any] = {"day": DAY, "variation": "control", "n": 10, "sum": 1.0, "sum_squares": 1.0}
    cases = [
        (
            StatRow(metric="revenue", line=4, **base),
            "Line 4, column metric: no metric 'revenue' in this experiment (it has: conversion, errors, order value). "
            "Nothing was imported.",
        ),
        (
            StatRow(metric="conversion", line=5, **{**base, "variation": "B"}),
            "Line 5, column variation: no variation 'B' in this experiment (it has: control, one-page). Nothing was imported.",
        ),
        (
            StatRow(metric="conversion", line=6, **{**base, "sum": 11.0}),
            "Line 6, column sum: a proportion's sum counts converted units, between 0 and n (10); got 11. Nothing was imported.",
        ),
        (
            StatRow(metric="order value", line=7, **{**base, "n": -1}),
            "Line 7, column n: n must be 0 or more, got -1. Nothing was imported.",
        ),
        (
            StatRow(metric="order value", line=8, **{**base, "sum_squares": -2.0}),
            "Line 8, column sum_squares: a sum of squares cannot be negative, got -2. Nothing was imported.",
        ),
    ]
    for row, message in cases:
        assert _error(session, experiment, c.member, [*rows(), row]).message == message
    duplicate = _error(
        session,
        experiment,
        c.member,
        [
            StatRow(metric="conversion", line=2, **base),
            StatRow(metric="conversion", line=3, **base),
        ],
    )
    assert duplicate.message == (
        "Line 3, column day: conversion / control on 2026-11-02 appears twice (first on line 2). Nothing was imported."
    )
    falling = _error(
        session,
        experiment,
        c.member,
        [
            StatRow(metric="conversion", line=2, **base),
            StatRow(metric="conversion", line=3, **{**base, "day": DAY + timedelta(days=1), "n": 5}),
        ],
    )
    assert falling.message == (
        "Line 3, column n: cumulative n falls from 10 on 2026-11-02 to 5 on 2026-11-03; were "
        "these daily rows? Nothing was imported."
    )
    assert _error(session, experiment, c.member, []).fields == {"file": "no rows"}
    # The earlier good import is untouched.
    assert len(session.scalars(select(MetricSnapshot).where(MetricSnapshot.experiment_id == experiment.id)).all()) == 6


def test_daily_rows_are_summed_into_cumulative_snapshots(session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    daily = [
        StatRow(day=DAY + timedelta(days=d), metric="conversion", variation=v, n=100, sum=10.0 + d, sum_squares=10.0 + d)
        for d in range(3)
        for v in ("control", "one-page")
    ]
    summary = statistics.import_statistics(
        session=session, actor=c.member, experiment_id=experiment.id, rows=daily, cumulative=False
    )
    assert (summary.rows, summary.days, summary.first_day, summary.last_day, summary.snapshots) == (
        6,
        3,
        DAY,
        DAY + timedelta(days=2),
        6,
    )
    stored = statistics.snapshot_rows(session, experiment)
    assert [(r.day.day, r.variation, r.n, r.sum) for r in stored if r.variation == "control"] == [
        (2, "control", 100, 10.0),
        (3, "control", 200, 21.0),
        (4, "control", 300, 33.0),
    ]


def test_statistics_only_while_running_or_analysing(session: Session) -> None:
    c = crew(session)
    draft = service.create(session=session, actor=c.member, team_id=c.team.id, design=complete_fields())
    error = _error(session, draft, c.member, rows())
    assert error.message == "Statistics are imported while the experiment runs or is analysed; it is draft."
    experiment = running(session, c.member, c.team)
    with pytest.raises(PermissionDeniedError):
        statistics.import_statistics(session=session, actor=c.leader, experiment_id=experiment.id, rows=rows(), cumulative=True)


# --- analysis ------------------------------------------------------------------------------------------


def test_results_and_no_warnings_for_a_clean_winner(session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team, planned_end=date(2026, 11, 10))
    with_statistics(session, c.member, experiment, rows())
    result = analysis.analyse_experiment(session=session, actor=c.leader, experiment_id=experiment.id, today=date(2026, 11, 20))
    assert [w.code for w in result.warnings] == []
    conversion = next(r for r in result.results if r.metric == "conversion")
    assert (conversion.variation, round(conversion.lift or 0, 4), conversion.significant) == ("one-page", 0.3, True)
    assert result.units == {"control": 4000, "one-page": 4000}
    assert experiment.peeked is False


def test_warnings_srm_underpowered_guardrail_and_peeking(session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team, planned_sample_size=5000, planned_end=date(2026, 12, 31))
    with_statistics(session, c.member, experiment, rows(control=(1000, 100), treatment=(800, 104), errors=(10, 60)))
    result = analysis.analyse_experiment(session=session, actor=c.member, experiment_id=experiment.id, today=date(2026, 11, 20))
    assert [w.code for w in result.warnings] == ["srm", "underpowered", "peeking", "guardrail"]
    messages = {w.code: w.message for w in result.warnings}
    assert messages["underpowered"] == (
        "Underpowered: one-page has 800 of the planned 5,000 units per variation "
        "(16%). Intervals are wider than planned and a non-significant result is "
        "not evidence of no effect."
    )
    assert messages["guardrail"].startswith("Guardrail breached: errors got worse in one-page (+")
    assert experiment.peeked is True
    assert experiment.last_warnings == ["srm", "underpowered", "peeking", "guardrail"]
    sequential = analysis.analyse_experiment(
        session=session, actor=c.member, experiment_id=experiment.id, method=Method.SEQUENTIAL, today=date(2026, 11, 20)
    )
    assert "peeking" not in [w.code for w in sequential.warnings]


def test_no_planned_sample_size_is_warned_and_no_statistics_is_a_note(session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    experiment.planned_sample_size = None  # as if registered before checks existed
    empty = analysis.results_of(session, experiment)
    assert (empty.analysis, empty.notes) == (None, ["No statistics yet: upload them as CSV or through the API."])
    with_statistics(session, c.member, experiment, rows())
    assert [w.code for w in analysis.results_of(session, experiment).warnings] == ["not_planned"]


def test_lift_over_time_has_one_point_per_day(session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    with_statistics(
        session, c.member, experiment, rows(DAY, control=(500, 50), treatment=(500, 60)) + rows(DAY + timedelta(days=1))
    )
    result = analysis.results_of(session, experiment)
    series = {(s.metric, s.variation): s for s in result.over_time}
    assert sorted(series) == [("conversion", "one-page"), ("errors", "one-page")]
    conversion = series[("conversion", "one-page")]
    assert conversion.days == [DAY, DAY + timedelta(days=1)]
    assert [round(v or 0, 4) for v in conversion.lift] == [0.2, 0.3]


# --- library and portfolio -----------------------------------------------------------------------------


def test_library_search_by_text_metric_team_tag_and_learning(session: Session) -> None:
    c = crew(session)
    checkout = running(session, c.member, c.team)
    service.transition(session=session, actor=c.member, experiment_id=checkout.id, to=S.ANALYSING)
    service.decide(
        session=session,
        actor=c.member,
        experiment_id=checkout.id,
        decision=Decision.SHIP,
        rationale="Clear win",
        learnings="Fewer form fields lift mobile conversion",
    )
    onboarding = service.create(
        session=session,
        actor=c.member,
        team_id=c.team.id,
        design=complete_fields(
            "Guided onboarding", observation="new users stall", metrics=[MetricIn(name="activation_rate")], tags=["onboarding"]
        ),
    )
    other = service.create(
        session=session, actor=c.outsider, team_id=c.other_team.id, design=complete_fields("Outsider's test", tags=["checkout"])
    )

    def keys(actor: User = c.ops, **filters: Any) -> list[str]:
        rows, total = service.search(session=session, actor=actor, filters=ExperimentFilter(**filters))
        assert total == len(rows)
        return [e.key for e in rows]

    assert keys(q="MOBILE conversion") == [checkout.key]  # learnings, both words, any case
    assert keys(q="stall") == [onboarding.key]
    assert keys(q="activation_rate") == [onboarding.key]  # a metric name; "_" is not a wildcard
    assert keys(q="activation%") == []
    assert keys(metric="ACTIVATION") == [onboarding.key]
    assert keys(tag="checkout") == [other.key, checkout.key]
    assert keys(tag="checkout", team_id=c.team.id) == [checkout.key]
    assert keys(status=S.DECIDED) == [checkout.key]
    assert keys(decision=Decision.SHIP) == [checkout.key]
    assert keys(actor=c.member) == [onboarding.key, checkout.key]  # not the other team's
    assert keys(actor=c.outsider) == [other.key]
    assert service.all_tags(session=session, actor=c.member) == ["checkout", "growth", "onboarding"]


def _backdate(
    experiment: Experiment, *, created: date, started: date | None = None, ended: date | None = None, sized: date | None = None
) -> None:
    def moment(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)

    experiment.created_at = moment(created)
    experiment.started_at = moment(started) if started else None
    experiment.ended_at = moment(ended) if ended else None
    experiment.sample_size_set_at = moment(sized) if sized else None


def test_portfolio_exact_figures(session: Session) -> None:
    c = crew(session)
    d = date(2026, 10, 1)
    shipped = running(session, c.member, c.team)
    service.transition(session=session, actor=c.member, experiment_id=shipped.id, to=S.ANALYSING)
    service.decide(session=session, actor=c.member, experiment_id=shipped.id, decision=Decision.SHIP, rationale="won")
    _backdate(shipped, created=d, started=d + timedelta(days=2), ended=d + timedelta(days=16), sized=d)
    stopped = running(session, c.member, c.team)
    service.transition(session=session, actor=c.member, experiment_id=stopped.id, to=S.ANALYSING)
    service.decide(session=session, actor=c.member, experiment_id=stopped.id, decision=Decision.STOP, rationale="flat")
    # Sized only after it started: not pre-registered.
    _backdate(stopped, created=d, started=d + timedelta(days=3), ended=d + timedelta(days=24), sized=d + timedelta(days=5))
    live = running(session, c.member, c.team)
    _backdate(live, created=d + timedelta(days=20), started=d + timedelta(days=21), sized=d + timedelta(days=20))
    draft = service.create(session=session, actor=c.member, team_id=c.team.id, design=complete_fields())
    _backdate(draft, created=d + timedelta(days=30))
    elsewhere = service.create(session=session, actor=c.outsider, team_id=c.other_team.id, design=complete_fields())
    _backdate(elsewhere, created=d + timedelta(days=1))
    session.flush()

    result = service.portfolio(session)
    mine = next(r for r in result.rows if r.team_id == c.team.id)
    assert (mine.total, mine.running, mine.started, mine.decided, mine.shipped) == (4, 1, 3, 2, 1)
    assert mine.by_status == {"draft": 1, "in_review": 0, "running": 1, "analysing": 0, "decided": 2, "archived": 0}
    assert (mine.preregistered_share, mine.decided_share, mine.win_rate) == (2 / 3, 2 / 3, 0.5)
    assert mine.median_duration_days == 17.5  # 14 and 21 days
    assert (result.totals.total, result.totals.started) == (5, 3)
    theirs = next(r for r in result.rows if r.team_id == c.other_team.id)
    assert (theirs.total, theirs.preregistered_share, theirs.win_rate, theirs.median_duration_days) == (1, None, None, None)

    only_mine = service.portfolio(session, team_ids=[c.team.id], start=d + timedelta(days=24), end=d + timedelta(days=40))
    # The shipped one ended before the period; the stopped one ended inside it.
    assert [r.team_id for r in only_mine.rows] == [c.team.id]
    assert (only_mine.totals.total, only_mine.totals.by_status["decided"]) == (3, 1)
    early = service.portfolio(session, team_ids=[c.team.id], end=d + timedelta(days=10))
    assert early.totals.total == 2
