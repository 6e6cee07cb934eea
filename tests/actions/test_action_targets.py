"""Improvement actions aimed at DORA keys and health-check cards (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.actions import service
from deliveryops.actions.measure import Outcome
from deliveryops.actions.models import TargetMetric
from deliveryops.dora.csv_formats import import_csv
from deliveryops.errors import ValidationFailedError
from deliveryops.health import service as health
from deliveryops.health.models import Colour, Trend
from deliveryops.health.service import AnswerIn
from deliveryops.teams.models import Team, TeamRole
from tests.factories import join, login, make_team, make_user, token_headers

THIS_MONDAY = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday())
FIRST_MONDAY = THIS_MONDAY - timedelta(weeks=28)
ACTION_DAY = FIRST_MONDAY + timedelta(weeks=20)


def tuesday(week: int, hour: int = 10) -> datetime:
    """10:00 UTC (or ``hour``) on the Tuesday of week ``week`` (week 0 starts on FIRST_MONDAY)."""
    day = FIRST_MONDAY + timedelta(weeks=week, days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def dora_team(session: Session, deployments: list[tuple[str, datetime]], incidents: list[tuple[str, float]]) -> Team:
    """Production deployments that succeeded (id, finished at; started 10 minutes before) and incidents on
    some of them (deployment id, hours from the deployment's finish to the incident's resolution)."""
    team = make_team(session, time_zone="UTC")
    lines = ["id,repository,environment,result,started_at,finished_at"]
    finished = dict(deployments)
    lines += [f"{key},shop,production,success,{iso(at - timedelta(minutes=10))},{iso(at)}" for key, at in deployments]
    import_csv(session, team=team, kind="deployments", content="\n".join(lines) + "\n")
    if incidents:
        rows = ["id,title,created_at,resolved_at,deployment_id"]
        for n, (key, hours) in enumerate(incidents):
            at = finished[key]
            rows.append(f"i{n},Outage,{iso(at + timedelta(minutes=5))},{iso(at + timedelta(hours=hours))},{key}")
        import_csv(session, team=team, kind="incidents", content="\n".join(rows) + "\n")
    return team


def test_deployment_frequency_jump_is_an_improvement_and_lead_time_without_changes_is_not_enough_evidence(
    session: Session,
) -> None:
    deployments = []
    for week in range(28):
        count = 7 if week >= 20 else (2 if week % 2 == 0 else 3)
        deployments += [(f"d{week}-{n}", tuesday(week, 8 + n)) for n in range(count)]
    team = dora_team(session, deployments, [])
    action = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="Deploy every merge",
        started_on=ACTION_DAY,
        target_metric=TargetMetric.DEPLOYMENT_FREQUENCY,
    )
    measured = service.measurement(session, action)
    assert measured is not None
    # The same numbers as a throughput of 2, 3, 2, 3, ... then 7 a week (tests/actions/test_actions.py).
    assert measured.values == [2.0, 3.0] * 8 + [7.0] * 8
    verdict = measured.verdict
    assert (verdict.outcome, verdict.result.decided_at) == (Outcome.IMPROVED, 8)
    assert verdict.effect_text == (
        "deployment frequency 2.5 \u2192 7 deployments a week (+180%), 98% interval of the change 4.2 to 4.8 deployments a week"
    )
    assert verdict.reliability_text is not None
    assert verdict.reliability_text.startswith(
        "Measured reliability: on simulated teams deploying to production about 2 times a week, this rule called a change"
    )
    lead = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="Smaller pull requests",
        started_on=ACTION_DAY,
        target_metric=TargetMetric.LEAD_TIME,
    )
    measured_lead = service.measurement(session, lead)
    assert measured_lead is not None
    assert measured_lead.verdict.outcome is Outcome.NOT_ENOUGH_EVIDENCE
    assert measured_lead.verdict.needed_text == "The baseline (the 16 weeks before the action) needs at least 6 deployed changes."


def test_time_to_restore_is_judged_per_failed_deployment(session: Session) -> None:
    deployments = [(f"d{week}", tuesday(week)) for week in range(28)]
    # Baseline: a failure every other week (weeks 4, 6, ..., 18) restored in 4 h, 8 h, 4 h, ...;
    # after the action: a failure every week (20..27) restored in 1 h, 2 h, 1 h, ...
    failures = [(f"d{week}", 4.0 if n % 2 == 0 else 8.0) for n, week in enumerate(range(4, 20, 2))]
    failures += [(f"d{week}", 1.0 if n % 2 == 0 else 2.0) for n, week in enumerate(range(20, 28))]
    team = dora_team(session, deployments, failures)
    action = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="Runbooks and feature flags",
        started_on=ACTION_DAY,
        target_metric=TargetMetric.TIME_TO_RESTORE,
    )
    measured = service.measurement(session, action)
    assert measured is not None
    assert [hours for _day, hours in measured.items] == [4.0, 8.0] * 4 + [1.0, 2.0] * 4
    verdict = measured.verdict
    assert verdict.outcome is Outcome.IMPROVED
    effect = verdict.result.effect
    assert effect is not None
    # Hand-worked: the log values differ by log 2 within each side, so the ratio of geometric means is
    # sqrt(1 * 2) / sqrt(4 * 8) = 1/4; the baseline 85th percentile (7th of 8) is 8 h, after 8 / 4 = 2 h.
    # Each side's log variance is (log 2 / 2)^2 * 8/7 = 0.13727, the standard error sqrt(2 * 0.13727 / 8) =
    # 0.18525 with 14 degrees of freedom; t(0.99, 14) = 2.6245, so the ratio lies in exp(log 0.25 ± 0.48619)
    # = 0.15374 .. 0.40653 and the change in 8 × (ratio − 1) = −6.770 .. −4.748 hours.
    assert effect.before == 8.0
    assert effect.after == pytest.approx(2.0)
    assert effect.low == pytest.approx(-6.770, abs=0.002)
    assert effect.high == pytest.approx(-4.748, abs=0.002)
    # The change failure rate over the same weeks: 50% of the baseline weeks, then 100%.
    cfr = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="Same weeks, failure rate",
        started_on=ACTION_DAY,
        target_metric=TargetMetric.CHANGE_FAILURE_RATE,
    )
    measured_cfr = service.measurement(session, cfr)
    assert measured_cfr is not None
    assert measured_cfr.values == [100.0, 0.0] * 8 + [100.0] * 8
    assert measured_cfr.verdict.outcome is Outcome.WORSENED


def test_health_card_target_is_validated_and_sparse_rounds_say_what_is_needed(session: Session) -> None:
    team = make_team(session, time_zone="UTC")
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    members = [make_user(session) for _ in range(5)]
    for member in members:
        join(session, team, member)
    with pytest.raises(ValidationFailedError) as missing:
        service.create(session=session, actor=None, team_id=team.id, title="x", target_metric=TargetMetric.HEALTH_CARD)
    assert missing.value.fields == {"target_card": "Choose the health-check card the action should move."}
    with pytest.raises(ValidationFailedError) as unknown:
        service.create(
            session=session, actor=None, team_id=team.id, title="x", target_metric=TargetMetric.HEALTH_CARD, target_card="nope"
        )
    assert unknown.value.fields["target_card"].startswith("No health-check card with the key 'nope'; choose one of: ")
    assert "tech_quality" in unknown.value.fields["target_card"]
    with pytest.raises(ValidationFailedError) as stray:
        service.create(
            session=session, actor=None, team_id=team.id, title="x", target_metric=TargetMetric.THROUGHPUT, target_card="fun"
        )
    assert stray.value.fields == {"target_card": "A card is only chosen when the target metric is a health-check card."}
    # A round every four weeks (weeks 0, 4, ..., 24); in round k, k of the 5 people answer green and the rest red.
    for k, week in enumerate(range(0, 28, 4)):
        opened = tuesday(week, 9) - timedelta(days=1)
        health_round = health.open_round(session=session, actor=dm, team_id=team.id, now=opened)
        for n, member in enumerate(members):
            colour = Colour.GREEN if n < min(k, 5) else Colour.RED
            answers = {card.key: AnswerIn(colour, Trend.SAME) for card in health_round.cards}
            health.submit_answers(session=session, actor=member, round_id=health_round.id, answers=answers, now=opened)
        health.close_round(session=session, actor=dm, round_id=health_round.id, now=opened + timedelta(days=1))
    action = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="Pair on the legacy module",
        started_on=ACTION_DAY,
        target_metric=TargetMetric.HEALTH_CARD,
        target_card="tech_quality",
    )
    assert action.target_label == "Health check card \u201ctech_quality\u201d score (0\u2013100 per round)"
    measured = service.measurement(session, action)
    assert measured is not None
    # Rounds closed in weeks 4, 8, 12, 16 (baseline) and 20, 24 (after): 1, 2, 3, 4, 5, 5 of 5 green.
    assert measured.values == [20.0, 40.0, 60.0, 80.0, 100.0, 100.0]
    verdict = measured.verdict
    assert verdict.outcome is Outcome.NOT_ENOUGH_EVIDENCE
    assert verdict.needed_text == (
        "The baseline (the 16 weeks before the action) needs 2 more closed rounds with enough respondents (at least 6)."
    )


def test_definitions_page_publishes_the_rates_of_the_new_targets(client: TestClient, session: Session) -> None:
    make_user(session, email="reader@example.com")
    login(client, "reader@example.com")
    page = client.get("/definitions")
    assert page.status_code == 200
    for label in ("Deployment frequency (DORA)", "Lead time for changes (DORA)", "Time to restore (DORA)", "Health-check card"):
        assert label in page.text
    # Lead time at 10 deployments a week: 2.4% false, 88% of 30% improvements caught by week 8, 92% by week 26.
    assert '<td>Lead time for changes (DORA)</td><td class="num">10</td><td class="num">2.4%</td>' in page.text


def test_api_and_form_take_a_health_card_target(client: TestClient, session: Session) -> None:
    team = make_team(session, time_zone="UTC")
    member = make_user(session, email="member@example.com")
    join(session, team, member)
    headers = token_headers(session, member)
    missing = client.post(
        f"/api/v1/teams/{team.id}/actions", json={"title": "Pairing", "target_metric": "health_card"}, headers=headers
    )
    assert missing.status_code == 422
    assert "Choose the health-check card the action should move." in missing.text
    made = client.post(
        f"/api/v1/teams/{team.id}/actions",
        json={"title": "Pairing", "target_metric": "health_card", "target_card": "tech_quality"},
        headers=headers,
    )
    assert made.status_code == 201
    body = made.json()
    assert (body["target_metric"], body["target_card"]) == ("health_card", "tech_quality")
    # No rounds yet: the baseline has none of the 6 rounds it needs.
    assert body["verdict"] == "not_enough_evidence"
    assert "needs 6 more closed rounds with enough respondents" in body["explanation"]
    csrf = login(client, "member@example.com")
    form = client.post(
        f"/teams/{team.slug}/actions",
        data={"csrf_token": csrf, "title": "Pairing", "target_metric": "health_card", "target_card": ""},
    )
    assert form.status_code == 422
    assert 'id="a-card" name="target_card" aria-invalid="true"' in form.text
    assert "Choose the health-check card the action should move." in form.text
    assert '<option value="tech_quality">' in form.text
    listed = client.get(f"/teams/{team.slug}/actions")
    assert "DORA: lead time for changes (hours per change)" in listed.text
    assert "tech_quality" in listed.text


def test_fortnightly_health_rounds_give_a_verdict_on_the_card(session: Session) -> None:
    team = make_team(session, time_zone="UTC")
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    members = [make_user(session) for _ in range(5)]
    for member in members:
        join(session, team, member)
    # A round every other week; before the action 2 or 3 of the 5 answer green (40, 60, 40, ...), after it all 5.
    for week in range(0, 28, 2):
        greens = 5 if week >= 20 else (2 if week % 4 == 0 else 3)
        opened = tuesday(week, 9) - timedelta(days=1)
        health_round = health.open_round(session=session, actor=dm, team_id=team.id, now=opened)
        for n, member in enumerate(members):
            colour = Colour.GREEN if n < greens else Colour.RED
            answers = {card.key: AnswerIn(colour, Trend.SAME) for card in health_round.cards}
            health.submit_answers(session=session, actor=member, round_id=health_round.id, answers=answers, now=opened)
        health.close_round(session=session, actor=dm, round_id=health_round.id, now=opened + timedelta(days=1))
    action = service.create(
        session=session,
        actor=None,
        team_id=team.id,
        title="Fix the flaky test suite",
        started_on=ACTION_DAY,
        target_metric=TargetMetric.HEALTH_CARD,
        target_card="tech_quality",
    )
    measured = service.measurement(session, action)
    assert measured is not None
    # Baseline rounds in weeks 4..18 (8 of them), after in weeks 20..26 (4).
    assert measured.values == [40.0, 60.0] * 4 + [100.0] * 4
    verdict = measured.verdict
    assert (verdict.outcome, verdict.result.decided_at) == (Outcome.IMPROVED, 8)
    assert verdict.effect_text is not None
    assert verdict.effect_text.startswith("health card score 50 \u2192 100 points (of 100) (+100%)")
    assert verdict.reliability_text is not None
    # 5 answers a round is a team of about 5 / 0.85 = 5.9 people: the rates simulated for 6.
    assert "on simulated teams of about 6 people (85% of them answering each health-check round)" in verdict.reliability_text
