"""Improvement actions and their measured effect (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.actions import service
from deliveryops.actions.measure import Outcome
from deliveryops.actions.models import ActionStatus, TargetMetric
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.teams.models import Team
from deliveryops.work.importing import import_records
from deliveryops.work.records import StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord
from tests.factories import join, login, make_team, make_user, token_headers
from tests.parity import api_error, page_errors

WORKFLOW = [
    WorkflowStatus("Todo", StageCategory.BACKLOG, 0),
    WorkflowStatus("Doing", StageCategory.ACTIVE, 1),
    WorkflowStatus("Done", StageCategory.DONE, 2),
]
THIS_MONDAY = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday())
FIRST_MONDAY = THIS_MONDAY - timedelta(weeks=28)


def weekly_team(session: Session, per_week: list[int]) -> Team:
    """Items finished on the Wednesday of each week (started the Monday before): ``per_week[i]`` in week i."""
    team = make_team(session, time_zone="UTC")
    records = []
    for week, count in enumerate(per_week):
        monday = FIRST_MONDAY + timedelta(weeks=week)
        for n in range(count):
            start = datetime.combine(monday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
            records.append(
                WorkItemRecord(
                    source="t",
                    external_key=f"W{week}-{n}",
                    item_type="Story",
                    title="x",
                    created_at=start,
                    transitions=(
                        TransitionRecord("Todo", start),
                        TransitionRecord("Doing", start + timedelta(hours=1)),
                        TransitionRecord("Done", start + timedelta(days=2)),
                    ),
                )
            )
    import_records(session=session, actor=None, team=team, records=records, import_format="t", workflow=WORKFLOW)
    return team


def test_throughput_jump_after_the_action_is_an_improvement(session: Session) -> None:
    team = weekly_team(session, [2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3] + [7] * 8)
    action = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="Stop starting, start finishing",
        started_on=FIRST_MONDAY + timedelta(weeks=20),
        target_metric=TargetMetric.THROUGHPUT,
    )
    measured = service.measurement(session, action)
    assert measured is not None
    # The 16 baseline weeks (weeks 4..19) and the 8 complete weeks after.
    assert measured.values == [2.0, 3.0] * 8 + [7.0] * 8
    assert measured.divider_index == 16
    verdict = measured.verdict
    assert verdict.outcome is Outcome.IMPROVED
    assert (verdict.result.final, verdict.result.decided_at) == (True, 8)
    effect = verdict.result.effect
    assert effect is not None
    # Before: mean 2.5, variance 4/15; after: 7 every week. Negative autocorrelation counts as none, so the
    # standard error is sqrt((4/15)/16) = 0.1291 with 15 degrees of freedom; t(0.99, 15) = 2.602.
    assert (effect.before, effect.after, effect.change) == (2.5, 7.0, 4.5)
    assert effect.low == pytest.approx(4.5 - 2.602 * 0.1291, abs=0.002)
    assert (
        verdict.effect_text == "throughput 2.5 \u2192 7 items a week (+180%), 98% interval of the change 4.2 to 4.8 items a week"
    )


def test_no_change_is_a_final_no_change_and_no_metric_is_not_measured(session: Session) -> None:
    team = weekly_team(session, [2, 3] * 14)
    action = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="Daily review of aging items",
        started_on=FIRST_MONDAY + timedelta(weeks=20),
        target_metric=TargetMetric.THROUGHPUT,
    )
    measured = service.measurement(session, action)
    assert measured is not None
    assert measured.verdict.outcome is Outcome.NO_CHANGE
    effect = measured.verdict.result.effect
    assert effect is not None
    assert effect.change == 0
    # The interval of the change lies within ±30% of the baseline mean 2.5: no change of 30% or more.
    assert -0.75 < effect.low < 0 < effect.high < 0.75
    plain = service.create(session=session, actor=None, team_id=team.id, title="Tidy the board")
    assert service.measurement(session, plain) is None


def test_too_little_history_says_how_much_more(session: Session) -> None:
    team = weekly_team(session, [0] * 25 + [2, 3, 2])
    action = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="New team habit",
        started_on=FIRST_MONDAY + timedelta(weeks=27),
        target_metric=TargetMetric.CYCLE_TIME_P85,
    )
    measured = service.measurement(session, action)
    assert measured is not None
    assert measured.verdict.outcome is Outcome.NOT_ENOUGH_EVIDENCE
    # Two weeks of history hold 5 finished items; the baseline needs 6.
    assert measured.verdict.result.reason == "baseline"
    assert measured.verdict.needed_text == "The baseline (the 16 weeks before the action) needs at least 6 finished items."


def test_a_spike_is_no_verdict_and_a_young_action_is_still_measuring(session: Session) -> None:
    team = weekly_team(session, [2, 3] * 10 + [9, 9, 9])
    action = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="Swarm",
        started_on=FIRST_MONDAY + timedelta(weeks=20),
        target_metric=TargetMetric.THROUGHPUT,
    )
    measured = service.measurement(session, action)
    assert measured is not None
    # Three weeks of 9, then five weeks of 0: a spike, not a sustained shift. The mean of the window (3.4 a
    # week against 2.5) has an interval far wider than ±30%, so the rule says so instead of "improved".
    assert measured.verdict.outcome is Outcome.NOT_ENOUGH_EVIDENCE
    assert measured.verdict.result.reason == "precision"
    young = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="Swarm later",
        started_on=THIS_MONDAY - timedelta(weeks=3),
        target_metric=TargetMetric.THROUGHPUT,
    )
    early = service.measurement(session, young)
    assert early is not None
    assert early.verdict.outcome is Outcome.MEASURING
    assert early.verdict.explanation.startswith("Measuring: 3 of 8 weeks after the action are complete.")


def test_rules_and_follow_through(session: Session) -> None:
    team = weekly_team(session, [2, 3] * 10 + [7] * 8)
    outsider = make_user(session)
    with pytest.raises(PermissionDeniedError):
        service.create(session=session, actor=outsider, team_id=team.id, title="Not mine")
    with pytest.raises(ValidationFailedError) as bad:
        service.create(session=session, actor=None, team_id=team.id, title=" ", source="rumour")
    assert bad.value.fields == {
        "title": "Say what the team will do.",
        "source": "Choose retro, standup, refinement, planning, impediment, coaching or other.",
    }
    member = make_user(session)
    join(session, team, member)
    action = service.create(
        session=session,
        actor=member,
        team_id=team.id,
        title="WIP limit",
        started_on=FIRST_MONDAY + timedelta(weeks=20),
        due_date=date(2099, 1, 1),
        target_metric=TargetMetric.THROUGHPUT,
    )
    service.update(session=session, actor=member, action_id=action.id, status=ActionStatus.DONE)
    follow = service.follow_through(session, team)
    assert (follow.actions, follow.done, follow.done_on_time, follow.measured, follow.improved) == (1, 1, 1, 1, 1)


def test_pages_and_api(client: TestClient, session: Session) -> None:
    team = weekly_team(session, [2, 3] * 10 + [7] * 8)
    make_user(session, email="dm@example.com", role=Role.DELIVERY_MANAGER)
    dm = make_user(session, email="m@example.com")
    join(session, team, dm)
    csrf = login(client, "m@example.com")
    bad = client.post(f"/teams/{team.slug}/actions", data={"csrf_token": csrf, "title": "", "due_date": "soon"})
    assert bad.status_code == 422
    assert "Due date: expected a date like 2026-03-31, got &#39;soon&#39;." in bad.text
    made = client.post(
        f"/teams/{team.slug}/actions",
        data={
            "csrf_token": csrf,
            "title": "WIP limit",
            "started_on": (FIRST_MONDAY + timedelta(weeks=20)).isoformat(),
            "target_metric": "throughput",
        },
    )
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert 'Verdict: <span class="verdict verdict-improved">improved</span>' in page.text
    assert "Throughput 2.5 \u2192 7 items a week (+180%), 98% interval of the change 4.2 to 4.8 items a week." in page.text
    assert "Measured reliability: on simulated teams finishing about 2 items a week" in page.text
    assert 'id="chart-effect"' in page.text
    api = client.get(f"/api/v1/teams/{team.id}/actions", headers=token_headers(session, dm)).json()["items"]
    assert api[0]["verdict"] == "improved"
    assert (api[0]["verdict_final"], api[0]["decided_at_week"]) == (True, 8)
    assert api[0]["effect"]["before"] == 2.5
    assert api[0]["effect"]["after"] == 7.0
    assert api[0]["effect"]["interval_low"] == pytest.approx(4.16, abs=0.01)
    assert api[0]["effect"]["unit"] == "items a week"
    assert api[0]["reliability"]["items_per_week"] == 2
    assert 0 <= api[0]["reliability"]["false_verdict_rate"] <= 0.05
    assert api[0]["needed_more"] is None
    assert len(api[0]["weekly_values"]) == 24
    action_url = made.headers["location"]
    wrong_api = client.patch(f"/api/v1{action_url}", json={"status": "finished"}, headers=token_headers(session, dm))
    wrong_page = client.post(f"{action_url}/status", data={"csrf_token": csrf, "status": "finished"})
    assert (wrong_api.status_code, wrong_page.status_code) == (422, 422)
    assert page_errors(wrong_page.text) == api_error(wrong_api)["details"]["fields"]
    assert list(page_errors(wrong_page.text)) == ["status"]
    assert client.post(f"{action_url}/status", data={"csrf_token": csrf, "status": "dropped"}).status_code == 303
    assert client.get(f"/api/v1{action_url}", headers=token_headers(session, dm)).json()["status"] == "dropped"
    other = make_user(session, email="o@example.com")
    join(session, make_team(session), other)
    client.cookies.clear()
    login(client, "o@example.com")
    assert client.get(made.headers["location"]).status_code == 403


def test_product_ops_sees_follow_through_not_cards(client: TestClient, session: Session) -> None:
    team = weekly_team(session, [2, 3] * 10 + [7] * 8)
    service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="WIP limit",
        started_on=FIRST_MONDAY + timedelta(weeks=20),
        target_metric=TargetMetric.THROUGHPUT,
    )
    make_user(session, email="ops@example.com", role=Role.PRODUCT_OPS)
    login(client, "ops@example.com")
    page = client.get("/actions")
    assert page.status_code == 200
    assert f"<td>{team.name}</td>" in page.text
    assert '<td class="num">1</td>' in page.text


def test_noisy_weeks_after_are_not_enough_evidence_and_say_what_it_would_take(session: Session) -> None:
    team = weekly_team(session, [2, 3] * 10 + [0, 9] * 4)
    action = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="Release on Fridays",
        started_on=FIRST_MONDAY + timedelta(weeks=20),
        target_metric=TargetMetric.THROUGHPUT,
    )
    measured = service.measurement(session, action)
    assert measured is not None
    verdict = measured.verdict
    assert verdict.outcome is Outcome.NOT_ENOUGH_EVIDENCE
    assert verdict.result.final
    # A 30% change of 2.5 items is 0.75; 80% power at a 98% interval needs a standard error of
    # 0.75 / (2.3263 + 0.8416) = 0.23675, squared 0.056048; the baseline uses (4/15)/16 = 0.016667 of it,
    # leaving 0.039381 for weeks whose variance is 162/7 = 23.143: 587.7, so 588 weeks.
    assert verdict.result.needed_weeks == 588
    assert verdict.needed_text == (
        "To tell a 30% change from routine variation, the data needs about 588 weeks after the action: 580 more weeks. "
        "That is beyond the 26-week window, so this verdict stays."
    )
