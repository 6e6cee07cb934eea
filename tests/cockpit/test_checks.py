"""Data checks that confirm (or refute) a declared practice (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from deliveryops.cockpit.adoption import checks
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.models import DataCheck
from deliveryops.experiments.models import Experiment, ExperimentStatus
from deliveryops.retros.models import FORMATS, Phase, Retro
from deliveryops.teams.models import Team
from deliveryops.work.importing import import_records
from deliveryops.work.records import StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord
from tests.factories import join, make_team, make_user

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WORKFLOW = [
    WorkflowStatus("Todo", StageCategory.BACKLOG, 0),
    WorkflowStatus("Doing", StageCategory.ACTIVE, 1),
    WorkflowStatus("Done", StageCategory.DONE, 2),
]


def retro(session: Session, team: Team, *, finished_days_ago: int | None) -> None:
    finished = NOW - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    session.add(
        Retro(
            team_id=team.id,
            title="Retro",
            format="start-stop-continue",
            columns=FORMATS["start-stop-continue"],
            phase=Phase.FINISHED if finished else Phase.REFLECT,
            finished_at=finished,
        )
    )
    session.flush()


def test_a_retro_in_the_last_four_weeks_confirms(session: Session) -> None:
    team = make_team(session)
    retro(session, team, finished_days_ago=40)
    retro(session, team, finished_days_ago=10)
    retro(session, team, finished_days_ago=None)  # still running: does not count
    result = checks.regular_retrospectives(session, team, now=NOW)
    assert result == checks.CheckResult(
        DataCheck.REGULAR_RETROSPECTIVES,
        True,
        "1 retro finished in the last 28 days; the last on 2026-11-16 (10 days ago).",
        f"/teams/{team.slug}/retros",
        "weak",
        "1 retro in 28 days",
        28,
    )
    assert result.certainty == "weak: 1 retro in 28 days"


def test_an_older_retro_or_none_refutes(session: Session) -> None:
    team = make_team(session)
    assert checks.regular_retrospectives(session, team, now=NOW).evidence == (
        "No retro has been finished in DeliveryOps or recorded as held."
    )
    retro(session, team, finished_days_ago=29)
    result = checks.regular_retrospectives(session, team, now=NOW)
    assert (result.confirmed, result.evidence) == (
        False,
        "No retro finished or recorded as held in the last 28 days; the last on 2026-10-28 (29 days ago).",
    )


def started_items(session: Session, team: Team, days_ago: list[int]) -> None:
    """Items started ``days_ago`` days before NOW (at 09:00 UTC) and never finished."""
    records = []
    for n, days in enumerate(days_ago):
        start = datetime.combine((NOW - timedelta(days=days)).date(), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
        records.append(
            WorkItemRecord(
                source="t",
                external_key=f"W-{n}",
                item_type="Story",
                title="x",
                created_at=start - timedelta(days=1),
                transitions=(TransitionRecord("Todo", start - timedelta(days=1)), TransitionRecord("Doing", start)),
            )
        )
    import_records(session=session, actor=None, team=team, records=records, import_format="t", workflow=WORKFLOW)


def flowing_items(session: Session, team: Team, *, days: int, cycle: int) -> None:
    """One item started each morning of the last ``days`` days, each finished ``cycle`` days later (if by NOW)."""
    records = []
    today = NOW.date()
    for n in range(days):
        start = datetime.combine(today - timedelta(days=days - 1 - n), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
        moves = [TransitionRecord("Todo", start - timedelta(days=1)), TransitionRecord("Doing", start)]
        if start + timedelta(days=cycle) <= NOW:
            moves.append(TransitionRecord("Done", start + timedelta(days=cycle)))
        records.append(
            WorkItemRecord(
                source="t",
                external_key=f"F-{n}",
                item_type="Story",
                title="x",
                created_at=start - timedelta(days=1),
                transitions=tuple(moves),
            )
        )
    import_records(session=session, actor=None, team=team, records=records, import_format="t", workflow=WORKFLOW)


def test_peak_wip_above_the_limit_is_a_mismatch_even_when_most_days_are_within(session: Session) -> None:
    # The old rule (80% of days within) would have confirmed this: 72 of 90 days within the limit of 2.
    team = make_team(session, time_zone="UTC")
    started_items(session, team, [200, 150, 17])
    adoption.set_wip_limit(session=session, actor=None, team_id=team.id, wip_limit=2)
    result = checks.wip_limits(session, team, now=NOW)
    assert result == checks.CheckResult(
        DataCheck.WIP_LIMITS,
        False,
        "Peak WIP 3 against a limit of 2 (18 of 90 days over it) from 2026-08-29 to 2026-11-26; Little's Law cannot "
        "size it (no item finished in the period); the team has 0 members.",
        f"/teams/{team.slug}/flow",
        "weak",
        "90 days of WIP, 0 items finished",
        90,
    )


def test_wip_limit_judged_against_littles_law_and_team_size(session: Session) -> None:
    team = make_team(session, time_zone="UTC")
    # One item a day for 120 days, each finished 3 days after it started: an end-of-day WIP of 3, and
    # the 90 items started 2026-08-26 ... 2026-11-23 finish in the window 2026-08-29 ... 2026-11-26.
    # Cycle time counts calendar days, both ends included: 4 days for every item, so the SLE is 4.
    # Little's Law: 90 / 90 per day × 4 days = 4 items; 2 × 4 = 8 is the loosest limit confirmed.
    flowing_items(session, team, days=120, cycle=3)
    expected_law = "Little's Law needs about 4 (90 items finished in 90 days × an SLE of 4 days)"

    adoption.set_wip_limit(session=session, actor=None, team_id=team.id, wip_limit=4)
    result = checks.wip_limits(session, team, now=NOW)
    assert (result.confirmed, result.strength) == (True, "strong")
    assert expected_law in result.evidence
    assert result.evidence.startswith("Peak WIP 3 against a limit of 4 (0 of 90 days over it)")

    adoption.set_wip_limit(session=session, actor=None, team_id=team.id, wip_limit=8)
    assert checks.wip_limits(session, team, now=NOW).confirmed is True

    adoption.set_wip_limit(session=session, actor=None, team_id=team.id, wip_limit=9)
    result = checks.wip_limits(session, team, now=NOW)
    assert result.confirmed is None
    assert result.evidence.endswith("The limit is more than 2 × what Little's Law needs, too loose to confirm.")

    adoption.set_wip_limit(session=session, actor=None, team_id=team.id, wip_limit=2)
    assert checks.wip_limits(session, team, now=NOW).confirmed is False

    # Two members: a limit of 5 is within Little's Law's 8 but above 2 × 2 people.
    join(session, team, make_user(session))
    join(session, team, make_user(session))
    adoption.set_wip_limit(session=session, actor=None, team_id=team.id, wip_limit=5)
    result = checks.wip_limits(session, team, now=NOW)
    assert result.confirmed is None
    assert "the team has 2 members." in result.evidence
    assert result.evidence.endswith("The limit is more than 2 × the team's size, too loose to confirm.")
    adoption.set_wip_limit(session=session, actor=None, team_id=team.id, wip_limit=4)
    assert checks.wip_limits(session, team, now=NOW).confirmed is True


def test_no_limit_or_no_data_gives_no_verdict(session: Session) -> None:
    team = make_team(session)
    result = checks.wip_limits(session, team, now=NOW)
    assert (result.confirmed, result.evidence, result.link) == (
        None,
        "No WIP limit is set for the team, so it cannot be checked.",
        f"/teams/{team.slug}/practices",
    )
    adoption.set_wip_limit(session=session, actor=None, team_id=team.id, wip_limit=4)
    assert checks.wip_limits(session, team, now=NOW).evidence == "The team has no flow data yet."


def experiment(session: Session, team: Team, key: str, *, started_days_ago: int | None, planned: bool) -> None:
    started = NOW - timedelta(days=started_days_ago) if started_days_ago is not None else None
    session.add(
        Experiment(
            key=key,
            team_id=team.id,
            title=key,
            status=ExperimentStatus.RUNNING if started else ExperimentStatus.DRAFT,
            started_at=started,
            created_at=NOW - timedelta(days=400),
            planned_sample_size=5000 if planned else None,
            sample_size_set_at=(started or NOW) - timedelta(days=2) if planned else None,
        )
    )
    session.flush()


def test_preregistration_share_confirms_at_80_percent(session: Session) -> None:
    team = make_team(session, time_zone="UTC")
    for n in range(4):
        experiment(session, team, f"pre-{n}", started_days_ago=30 + n, planned=True)
    experiment(session, team, "unplanned", started_days_ago=20, planned=False)
    experiment(session, team, "draft", started_days_ago=None, planned=False)  # never started: not counted
    result = checks.experiment_preregistration(session, team, now=NOW)
    assert result == checks.CheckResult(
        DataCheck.EXPERIMENT_PREREGISTRATION,
        True,
        "4 of 5 experiments started between 2025-11-27 and 2026-11-26 had a planned sample size before they started (80%).",
        f"/teams/{team.slug}/experiments",
        "strong",
        "5 experiments in 365 days",
        365,
    )


def test_preregistration_below_80_percent_refutes_and_none_gives_no_verdict(session: Session) -> None:
    team = make_team(session, time_zone="UTC")
    assert checks.experiment_preregistration(session, team, now=NOW).evidence == (
        "The team started no experiment between 2025-11-27 and 2026-11-26."
    )
    experiment(session, team, "a", started_days_ago=10, planned=True)
    experiment(session, team, "b", started_days_ago=12, planned=False)
    result = checks.run_check(session, team, DataCheck.EXPERIMENT_PREREGISTRATION, now=NOW)
    assert (result.confirmed, result.evidence) == (
        False,
        "1 of 2 experiments started between 2025-11-27 and 2026-11-26 had a planned sample size before they started (50%).",
    )
