"""Improvement actions and their measured effect (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.actions import service
from deliveryops.actions.measure import VerdictOutcome
from deliveryops.actions.models import ActionStatus, TargetMetric
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.teams.models import Team
from deliveryops.work.importing import import_records
from deliveryops.work.records import StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord
from tests.factories import join, login, make_team, make_user, token_headers

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
    assert measured.values[:20] == [2.0, 3.0] * 10
    assert measured.divider_index == 20
    # Baseline mean 2.5, mean moving range 1: limits 2.5 ± 2.66 → upper 5.16; 7 a week is a signal.
    assert measured.chart.upper_limit == pytest.approx(5.16)
    assert measured.verdict.outcome is VerdictOutcome.IMPROVED


def test_no_change_is_no_signal_yet_and_no_metric_is_not_measured(session: Session) -> None:
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
    assert measured.verdict.outcome is VerdictOutcome.NO_SIGNAL_YET
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
    assert measured.verdict.outcome is VerdictOutcome.NOT_ENOUGH_DATA
    assert measured.verdict.points_needed > 0


def test_rules_and_follow_through(session: Session) -> None:
    team = weekly_team(session, [2, 3] * 10 + [7] * 8)
    outsider = make_user(session)
    with pytest.raises(PermissionDeniedError):
        service.create(session=session, actor=outsider, team_id=team.id, title="Not mine")
    with pytest.raises(ValidationFailedError) as bad:
        service.create(session=session, actor=None, team_id=team.id, title=" ", source="rumour")
    assert bad.value.fields == {"title": "Say what the team will do.", "source": "Choose retro, impediment, coaching or other."}
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
    assert "Expected a date like 2026-03-31, got &#39;soon&#39;." in bad.text
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
    assert 'id="chart-xmr"' in page.text
    api = client.get(f"/api/v1/teams/{team.id}/actions", headers=token_headers(session, dm)).json()
    assert api[0]["verdict"] == "improved"
    assert len(api[0]["weekly_values"]) == 28
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
