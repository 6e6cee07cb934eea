"""Admin-defined checks (a signal, a threshold, a window), each signal on synthetic data with a known answer,
through the service and the API (SQLite and PostgreSQL); their error rates on simulated teams."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.analytics.signal_checks import SignalKind, judge, simulate_signal_check
from deliveryops.cockpit.adoption import checks
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.models import CatalogueEntry, DataCheck, Signal
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.teams.models import Team
from tests.cockpit.test_checks_signals import NOW, change, deploy
from tests.factories import make_team, make_user, token_headers


def _entry(session: Session, signal: Signal, threshold: float, window_days: int) -> CatalogueEntry:
    entry = catalogue.create(session=session, actor=None, kind="practice", name=f"Custom {signal.value}", category="other")
    catalogue.set_custom_check(
        session=session, actor=None, entry_id=entry.id, signal=signal.value, threshold=threshold, window_days=window_days
    )
    return entry


def _run(session: Session, team: Team, entry: CatalogueEntry) -> checks.CheckResult:
    return checks.run_check(session, team, DataCheck.CUSTOM, now=NOW, entry_id=entry.id)


def test_deployments_a_week_against_the_threshold(session: Session) -> None:
    team = make_team(session)
    # 12 deployments in the last 28 days (3 a week) and 5 older ones outside the window.
    deploy(session, team, [1, 2, 3, 5, 8, 9, 12, 15, 18, 20, 24, 27, 30, 31, 40, 50, 60])
    entry = _entry(session, Signal.DEPLOYMENTS_PER_WEEK, 3, 28)
    assert entry.data_check is DataCheck.CUSTOM
    result = _run(session, team, entry)
    assert (result.confirmed, result.strength, result.window_days) == (True, "strong", 28)
    assert result.evidence == (
        "Deployments per week (any source): 3 over the last 28 days (12 deployments); the check asks for at least 3 per week."
    )
    catalogue.set_custom_check(
        session=session, actor=None, entry_id=entry.id, signal="deployments_per_week", threshold=3.5, window_days=28
    )
    assert _run(session, team, entry).confirmed is False
    # A longer window takes in the older deployments: 17 in 63 days, 1.9 a week.
    catalogue.set_custom_check(
        session=session, actor=None, entry_id=entry.id, signal="deployments_per_week", threshold=1.8, window_days=63
    )
    assert "1.9 over the last 63 days (17 deployments)" in _run(session, team, entry).evidence


def test_pull_request_signals_need_merged_pull_requests(session: Session) -> None:
    team = make_team(session)
    lifetime = _entry(session, Signal.PR_LIFETIME_HOURS, 24, 30)
    reviewed = _entry(session, Signal.REVIEWED_SHARE, 75, 30)
    empty = _run(session, team, lifetime)
    assert (empty.confirmed, empty.strength) == (None, "none")
    # Lifetimes 10, 20, 30 and 40 hours (median 25); 3 of 4 reviewed before the merge (75%).
    for number, hours in enumerate([10, 20, 30, 40], start=1):
        change(session, team, number, merged_days_ago=2, hours_open=hours, reviewed_after_hours=1 if number < 4 else None)
    change(session, team, 9, merged_days_ago=45, hours_open=1)  # outside the window
    result = _run(session, team, lifetime)
    assert (result.confirmed, result.strength) == (False, "weak")  # kept low: 25 hours is above 24
    assert "25 over the last 30 days (4 merged pull requests); the check asks for at most 24 hours" in result.evidence
    assert _run(session, team, reviewed).confirmed is True
    assert "75 over the last 30 days" in _run(session, team, reviewed).evidence


def test_counts_of_retros_held_outside(session: Session) -> None:
    team = make_team(session)
    entry = _entry(session, Signal.RETROS_HELD, 2, 28)
    assert _run(session, team, entry).confirmed is False
    for days in (3, 17, 40):
        adoption.record_held(
            session=session,
            actor=None,
            team_id=team.id,
            kind="retro",
            held_on=(NOW - timedelta(days=days)).date(),
            today=NOW.date(),
        )
    result = _run(session, team, entry)
    assert (result.confirmed, result.basis) == (True, "2 retros in 28 days")


def test_an_entry_marked_custom_without_a_rule_gives_no_verdict(session: Session) -> None:
    team = make_team(session)
    entry = catalogue.create(
        session=session, actor=None, kind="tool", name="Custom, no rule", category="other", data_check="custom"
    )
    result = _run(session, team, entry)
    assert result.confirmed is None
    assert result.evidence.startswith("No signal, threshold and window are defined")


def test_defining_a_check_checks_its_input_and_who_defines_it(session: Session) -> None:
    entry = catalogue.create(session=session, actor=None, kind="tool", name="Custom rules", category="other")
    with pytest.raises(PermissionDeniedError):
        catalogue.set_custom_check(
            session=session,
            actor=make_user(session, role=Role.LEADER),
            entry_id=entry.id,
            signal="retros_held",
            threshold=1,
            window_days=28,
        )
    with pytest.raises(ValidationFailedError) as caught:
        catalogue.set_custom_check(
            session=session, actor=None, entry_id=entry.id, signal="reviewed_share", threshold=120, window_days=3
        )
    assert set(caught.value.fields) == {"threshold", "window_days"}
    with pytest.raises(ValidationFailedError) as caught:
        catalogue.set_custom_check(session=session, actor=None, entry_id=entry.id, signal="pr_size", threshold=1, window_days=30)
    assert set(caught.value.fields) == {"signal"}


def test_api_defines_a_check_and_the_matrix_runs_it(client: TestClient, session: Session) -> None:
    entry = catalogue.create(session=session, actor=None, kind="tool", name="Custom via API", category="other")
    team = make_team(session)
    deploy(session, team, [1, 2])
    ops = make_user(session, role=Role.PRODUCT_OPS)
    session.commit()
    headers = token_headers(session, ops)
    signals = client.get("/api/v1/cockpit/catalogue/signals", headers=headers).json()
    assert signals["total"] == len(Signal)
    assert {"signal": "pr_lifetime_hours", "label": Signal.PR_LIFETIME_HOURS.label, "unit": "hours", "at_most": True} in signals[
        "items"
    ]
    body = {"signal": "deployments_per_week", "threshold": 1, "window_days": 14}
    answer = client.put(f"/api/v1/cockpit/catalogue/{entry.id}/custom-check", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["signal"] == "deployments_per_week"
    bad = client.put(f"/api/v1/cockpit/catalogue/{entry.id}/custom-check", json={**body, "window_days": 3}, headers=headers)
    assert bad.status_code == 422
    detail = client.get(f"/api/v1/cockpit/catalogue/{entry.id}", headers=headers).json()
    assert (detail["data_check"], detail["custom_check"]["threshold"]) == ("custom", 1.0)
    rows = client.get(
        "/api/v1/cockpit/catalogue/checks", params={"entry_id": entry.id, "team_id": team.id}, headers=headers
    ).json()
    assert [(r["result"]["check"], r["result"]["confirmed"]) for r in rows["items"]] == [("custom", True)]


def test_judge_and_the_simulated_error_rates() -> None:
    assert judge(None, 1, at_most=False) is None
    assert (judge(1.0, 1, at_most=False), judge(1.0, 1, at_most=True), judge(0.5, 1, at_most=False)) == (True, True, False)
    # A longer window misjudges fewer teams; teams far from the threshold are misjudged less often.
    short = simulate_signal_check(SignalKind.RATE, threshold=1, window_days=28, runs=400, seed=7)
    long = simulate_signal_check(SignalKind.RATE, threshold=1, window_days=90, runs=400, seed=7)
    assert long["error"] < short["error"]
    assert short["error_far"] < short["error"]
    # One week of 3 pull requests a week: e^-3, about 5% of teams merge none and get no verdict.
    week = simulate_signal_check(SignalKind.MEDIAN, threshold=24, window_days=7, at_most=True, runs=400, seed=7)
    assert 0.02 < week["no_verdict"] < 0.08
