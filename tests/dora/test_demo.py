"""The DORA demo data: deterministic, and clearly different profiles per team."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.analytics.dora import Band
from deliveryops.demo.dora import build_dora
from deliveryops.dora import service
from deliveryops.dora.models import Deployment
from tests.factories import make_team

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MADE = 6006


def test_demo_teams_have_distinct_profiles_and_the_data_is_deterministic(session: Session) -> None:
    payments, mobile = make_team(session, name="Payments"), make_team(session, name="Mobile")
    made = build_dora(session, now=NOW, seed=3)
    assert made == MADE  # the same seed always builds the same records
    elite = service.team_keys(session, team_id=payments.id, start=date(2026, 8, 28), end=date(2026, 11, 26))
    low = service.team_keys(session, team_id=mobile.id, start=date(2026, 5, 30), end=date(2026, 11, 26))
    assert (elite.deployment_frequency_band, elite.lead_time_band) == (Band.ELITE, Band.ELITE)
    assert (low.deployment_frequency_band, low.lead_time_band) == (Band.LOW, Band.LOW)
    # A deployment made while one of Payments' incidents was open is rework (1 of 238 with this seed).
    assert (elite.rework_deployments, elite.deployments) == (1, 238)
    assert elite.rework_rate == 1 / 238
    first_ids = session.scalars(select(Deployment.external_id).order_by(Deployment.id).limit(5)).all()
    assert first_ids == ["mobile-1", "mobile-2", "mobile-3", "mobile-4", "mobile-5"]
