"""Checks of tools and practices from the data DeliveryOps holds, each on synthetic data with a known answer
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.adoption import checks
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.models import DataCheck, HeldSession
from deliveryops.db import utcnow
from deliveryops.dora.models import Deployment
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.flow.models import Forecast
from deliveryops.health.models import HealthRound
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.teams.models import Team, TeamRole
from deliveryops.work.models import Change
from tests.factories import join, login, make_team, make_user, token_headers

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def deploy(session: Session, team: Team, days_ago: list[float], *, run: bool = False) -> None:
    for days in days_ago:
        at = NOW - timedelta(days=days)
        external = f"{'run' if run else 'deployment'}:{team.id}-{days}"
        session.add(
            Deployment(
                team_id=team.id,
                source="github",
                external_id=external,
                repository="acme/shop",
                environment="production",
                result="success",
                started_at=at,
                finished_at=at + timedelta(minutes=5),
                status_at=at,
            )
        )
    session.flush()


def test_deployments_in_4_of_8_weeks_confirm_with_strong_evidence(session: Session) -> None:
    team = make_team(session)
    # 12 deployments in weeks 0, 1, 2 and 5 back from now; one older than 8 weeks does not count.
    deploy(session, team, [0.5, 1, 2, 3, 8, 9, 10, 15, 16, 36, 37, 38, 60])
    result = checks.deployments(session, team, now=NOW)
    assert (result.confirmed, result.strength, result.window_days) == (True, "strong", 56)
    assert result.evidence == ("12 deployments in the last 8 weeks, in 4 of the 8 weeks (the last on 2026-11-26).")
    assert result.certainty == "strong: 12 deployments in 8 weeks"


def test_deployments_in_3_weeks_or_none_refute(session: Session) -> None:
    team = make_team(session)
    assert checks.deployments(session, team, now=NOW).confirmed is False
    deploy(session, team, [1, 8, 15])
    result = checks.deployments(session, team, now=NOW)
    assert (result.confirmed, result.strength) == (False, "weak")
    assert result.evidence.startswith("3 deployments in the last 8 weeks, in 3 of the 8 weeks")


def test_github_actions_counts_only_workflow_runs(session: Session) -> None:
    team = make_team(session)
    deploy(session, team, [1, 8, 15, 22, 29])  # Deployments API records: not Actions runs
    result = checks.github_actions(session, team, now=NOW)
    assert result.confirmed is None  # no run held: maybe no Actions, maybe not connected
    assert result.evidence.startswith("No GitHub Actions workflow runs recorded as deployments in the last 8 weeks.")
    deploy(session, team, [2, 9, 16, 23], run=True)
    result = checks.run_check(session, team, DataCheck.GITHUB_ACTIONS, now=NOW)
    assert (result.confirmed, result.basis) == (True, "4 GitHub Actions workflow runs recorded as deployments in 8 weeks")


def change(
    session: Session,
    team: Team,
    number: int,
    *,
    merged_days_ago: float | None,
    hours_open: float,
    reviewed_after_hours: float | None = None,
    first_commit_hours_before: float = 0.0,
) -> None:
    merged = NOW - timedelta(days=merged_days_ago) if merged_days_ago is not None else None
    opened = (merged or NOW) - timedelta(hours=hours_open)
    session.add(
        Change(
            team_id=team.id,
            source="github",
            repository="acme/shop",
            number=number,
            title=f"PR {number}",
            author="ana",
            opened_at=opened,
            first_commit_at=opened - timedelta(hours=first_commit_hours_before),
            first_review_at=opened + timedelta(hours=reviewed_after_hours) if reviewed_after_hours is not None else None,
            merged_at=merged,
        )
    )
    session.flush()


def test_code_review_share_counts_reviews_before_the_merge(session: Session) -> None:
    team = make_team(session)
    assert checks.code_review(session, team, now=NOW).confirmed is None
    for n in range(8):  # reviewed before the merge
        change(session, team, n, merged_days_ago=n + 1, hours_open=10, reviewed_after_hours=2)
    change(session, team, 8, merged_days_ago=3, hours_open=10, reviewed_after_hours=11)  # review after the merge
    change(session, team, 9, merged_days_ago=4, hours_open=10)  # never reviewed
    change(session, team, 10, merged_days_ago=None, hours_open=10)  # still open: not counted
    change(session, team, 11, merged_days_ago=91, hours_open=10)  # outside the 90 days
    result = checks.code_review(session, team, now=NOW)
    assert (result.confirmed, result.strength) == (True, "strong")
    assert result.evidence == (
        "8 of 10 pull requests merged in the last 90 days (80%) were reviewed by someone other than the author before the merge."
    )
    change(session, team, 12, merged_days_ago=5, hours_open=1)  # 8 of 11: 73%
    assert checks.code_review(session, team, now=NOW).confirmed is False


def test_trunk_based_uses_the_median_branch_lifetime(session: Session) -> None:
    team = make_team(session)
    assert checks.trunk_based(session, team, now=NOW).confirmed is None
    # Lifetimes from the first commit: 6, 10, 20 (opened 12 hours before merge, first commit 8 before that), 30, 50.
    change(session, team, 1, merged_days_ago=1, hours_open=6)
    change(session, team, 2, merged_days_ago=2, hours_open=10)
    change(session, team, 3, merged_days_ago=3, hours_open=12, first_commit_hours_before=8)
    change(session, team, 4, merged_days_ago=4, hours_open=30)
    change(session, team, 5, merged_days_ago=5, hours_open=50)
    result = checks.trunk_based(session, team, now=NOW)
    assert (result.confirmed, result.strength) == (True, "weak")
    assert result.evidence == (
        "The median lifetime (first commit to merge) of 5 pull requests merged in the last 90 days was 20.0 hours; "
        "3 lived at most 24 hours."
    )
    change(session, team, 6, merged_days_ago=6, hours_open=26)  # median of 6: (20 + 26) / 2 = 23
    change(session, team, 7, merged_days_ago=7, hours_open=40)  # median of 7: 26
    result = checks.trunk_based(session, team, now=NOW)
    assert (result.confirmed, "26.0 hours" in result.evidence) == (False, True)


def test_tracker_sync_needs_a_recent_successful_sync(session: Session) -> None:
    team = make_team(session)
    result = checks.tracker_sync(session, team, now=NOW)
    assert (result.confirmed, result.strength) == (None, "none")
    connection = Connection(name=f"jira-{team.id}", kind="jira", team_id=team.id, settings={}, secret_encrypted="x")
    session.add(connection)
    session.flush()
    session.add(
        SyncRun(
            connection_id=connection.id,
            status="succeeded",
            started_at=NOW - timedelta(days=9),
            finished_at=NOW - timedelta(days=9),
        )
    )
    session.add(
        SyncRun(
            connection_id=connection.id, status="failed", started_at=NOW - timedelta(days=1), finished_at=NOW - timedelta(days=1)
        )
    )
    session.flush()
    result = checks.tracker_sync(session, team, now=NOW)
    assert (result.confirmed, result.evidence) == (
        False,
        "0 successful syncs of the team's 1 connection in the last 7 days; the last on 2026-11-17.",
    )
    session.add(
        SyncRun(
            connection_id=connection.id,
            status="succeeded",
            started_at=NOW - timedelta(days=2),
            finished_at=NOW - timedelta(days=2),
        )
    )
    session.flush()
    assert checks.tracker_sync(session, team, now=NOW).confirmed is True


def forecast(session: Session, team: Team, *, days_ago: int, commitment: str | None, scored: bool = False) -> None:
    at = NOW - timedelta(days=days_ago)
    session.add(
        Forecast(
            team_id=team.id,
            kind="when",
            label="5 items",
            start_date=at.date(),
            window_start=at.date() - timedelta(days=90),
            window_end=at.date(),
            window_throughput=[1, 0],
            item_types=["Story"],
            trials=1000,
            seed=days_ago,
            remaining_items=5,
            item_keys=[],
            predicted={"85": at.date().isoformat()},
            created_at=at,
            commitment=commitment,
            commit_key=f"k{days_ago}" if commitment else None,
            committed_at=at if commitment else None,
            scored_at=NOW if scored else None,
        )
    )
    session.flush()


def test_forecasting_counts_commitments_not_what_ifs(session: Session) -> None:
    team = make_team(session)
    forecast(session, team, days_ago=10, commitment=None)  # a what-if
    forecast(session, team, days_ago=120, commitment="plan", scored=True)  # too old
    result = checks.forecasting(session, team, now=NOW)
    assert (result.confirmed, result.evidence) == (
        False,
        "0 forecasts committed in the last 90 days; 1 committed forecast scored against the outcome so far.",
    )
    forecast(session, team, days_ago=20, commitment="shared")
    assert checks.forecasting(session, team, now=NOW).confirmed is True


def test_health_checks_and_retros_held_outside_count(session: Session) -> None:
    team = make_team(session)
    assert checks.health_checks(session, team, now=NOW).confirmed is False
    session.add(
        HealthRound(
            team_id=team.id,
            title="Q3",
            template_name="Spotify",
            template_version=1,
            opened_at=NOW - timedelta(days=130),
            closed_at=NOW - timedelta(days=125),
        )
    )
    session.flush()
    assert checks.health_checks(session, team, now=NOW).confirmed is False  # closed 125 days ago
    adoption.record_held(
        session=session, actor=None, team_id=team.id, kind="health_check", held_on=date(2026, 10, 1), today=NOW.date()
    )
    result = checks.health_checks(session, team, now=NOW)
    assert (result.confirmed, result.evidence) == (
        True,
        "0 health checks closed in DeliveryOps and 1 recorded as held outside in the last 120 days.",
    )

    assert checks.regular_retrospectives(session, team, now=NOW).confirmed is False
    adoption.record_held(
        session=session,
        actor=None,
        team_id=team.id,
        kind="retro",
        held_on=date(2026, 11, 20),
        note="Whiteboard retro",
        today=NOW.date(),
    )
    result = checks.regular_retrospectives(session, team, now=NOW)
    assert (result.confirmed, result.evidence) == (
        True,
        "0 retros finished in the last 28 days and 1 recorded as held outside; the last on 2026-11-20 (6 days ago).",
    )


def test_recording_a_held_session_checks_its_input_and_who_records(session: Session) -> None:
    team = make_team(session)
    with pytest.raises(ValidationFailedError) as caught:
        adoption.record_held(
            session=session,
            actor=None,
            team_id=team.id,
            kind="party",
            held_on=date(2026, 12, 1),
            note="x" * 501,
            today=NOW.date(),
        )
    assert caught.value.fields == {
        "kind": "Choose retro or health_check.",
        "held_on": "The day it was held cannot be in the future.",
        "note": "Keep the note under 500 characters.",
    }
    with pytest.raises(ValidationFailedError) as caught:
        adoption.record_held(
            session=session, actor=None, team_id=team.id, kind="retro", held_on=date(2025, 11, 1), today=NOW.date()
        )
    assert caught.value.fields == {"held_on": "Record sessions held in the last year only."}
    member = make_user(session)
    join(session, team, member)
    with pytest.raises(PermissionDeniedError):
        adoption.record_held(session=session, actor=member, team_id=team.id, kind="retro", held_on=date(2026, 11, 20))
    assert session.scalar(select(func.count()).select_from(HeldSession)) == 0
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    row = adoption.record_held(
        session=session, actor=dm, team_id=team.id, kind="retro", held_on=date(2026, 11, 20), today=NOW.date()
    )
    assert [r.id for r in adoption.held_sessions(session=session, team_id=team.id)] == [row.id]


def test_not_observable_says_so_and_never_makes_a_mismatch(session: Session) -> None:
    team = make_team(session)
    result = checks.run_check(session, team, DataCheck.NOT_OBSERVABLE, now=NOW)
    assert (result.confirmed, result.strength, result.certainty) == (
        None,
        "not_observable",
        "cannot be observed from the data DeliveryOps holds",
    )
    assert DataCheck.NOT_OBSERVABLE.observable is False
    assert all(check.observable for check in DataCheck if check is not DataCheck.NOT_OBSERVABLE)


def test_api_lists_checks_with_evidence_and_records_held_retros(client: TestClient, session: Session) -> None:
    alpha, beta = make_team(session, name="Alpha"), make_team(session, name="Beta")
    retros = catalogue.create(
        session=session,
        actor=None,
        kind="practice",
        name="Regular retrospectives",
        category="learning",
        data_check="regular_retrospectives",
    )
    catalogue.create(
        session=session, actor=None, kind="tool", name="Slack", category="communication", data_check="not_observable"
    )
    catalogue.create(session=session, actor=None, kind="tool", name="Wiki", category="documentation")
    adoption.set_state(session=session, actor=None, team_id=alpha.id, entry_id=retros.id, state="adopted")
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, alpha, dm, TeamRole.DELIVERY_MANAGER)
    headers = token_headers(session, dm)

    rows = client.get("/api/v1/cockpit/catalogue/checks", headers=headers).json()["items"]
    assert [(r["team_name"], r["entry_name"], r["result"]["confirmed"], r["mismatch"]) for r in rows] == [
        ("Alpha", "Slack", None, False),  # tools first, then practices
        ("Alpha", "Regular retrospectives", False, True),
    ]
    assert (rows[0]["result"]["observable"], rows[0]["result"]["certainty"]) == (
        False,
        "cannot be observed from the data DeliveryOps holds",
    )

    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    held = client.post(
        f"/api/v1/teams/{alpha.id}/practices/held",
        headers=headers,
        json={"kind": "retro", "held_on": yesterday, "note": "On the wall"},
    )
    assert held.status_code == 201, held.text
    assert (held.json()["kind"], held.json()["held_on"]) == ("retro", yesterday)
    bad = client.post(
        f"/api/v1/teams/{alpha.id}/practices/held", headers=headers, json={"kind": "retro", "held_on": "2099-01-01"}
    )
    assert (bad.status_code, "held_on" in bad.text) == (422, True)
    refused = client.post(
        f"/api/v1/teams/{beta.id}/practices/held", headers=headers, json={"kind": "retro", "held_on": yesterday}
    )
    assert refused.status_code == 403

    rows = client.get(f"/api/v1/cockpit/catalogue/checks?entry_id={retros.id}&team_id={alpha.id}", headers=headers).json()[
        "items"
    ]
    assert [(r["result"]["confirmed"], r["mismatch"], r["result"]["window_days"]) for r in rows] == [(True, False, 28)]
    assert client.get(f"/api/v1/cockpit/catalogue/checks?team_id={beta.id}", headers=headers).status_code in (403, 404)
    listed = client.get(f"/api/v1/teams/{alpha.id}/practices/held", headers=headers).json()["items"]
    assert [h["note"] for h in listed] == ["On the wall"]


def test_practices_page_records_a_held_retro_and_names_a_bad_day(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Alpha")
    dm = make_user(session, role=Role.DELIVERY_MANAGER, email="dm-held@example.com")
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    session.commit()
    token = login(client, "dm-held@example.com")
    page = client.get(f"/teams/{team.slug}/practices")
    assert "Nothing recorded yet." in page.text
    bad = client.post(
        f"/teams/{team.slug}/practices/held", data={"csrf_token": token, "kind": "retro", "held_on": "20 Nov", "note": "x"}
    )
    assert bad.status_code == 422
    assert "expected a date like 2026-03-31, got &#39;20 Nov&#39;." in bad.text
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    done = client.post(
        f"/teams/{team.slug}/practices/held",
        data={"csrf_token": token, "kind": "retro", "held_on": yesterday, "note": "Whiteboard"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert f"{yesterday}: retrospective — Whiteboard" in client.get(f"/teams/{team.slug}/practices").text
