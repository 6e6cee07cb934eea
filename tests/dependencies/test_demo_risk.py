"""The demo's chances of delivery: one dependency at risk on its provider's own data, raised to Product Ops."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.demo.dependencies import AT_RISK_TITLE
from deliveryops.dependencies import risk
from deliveryops.impediments.models import Impediment, Level
from deliveryops.risks.models import Risk

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_demo_has_an_at_risk_dependency_and_a_register(demo_session: Session) -> None:
    session = demo_session
    today = NOW.date()
    at_risk = {r.dependency.title: r for r in risk.at_risk(session, actor=None, today=today)}
    referral = at_risk[AT_RISK_TITLE]
    assert referral.chance_needed is not None
    assert 0.0 < referral.chance_needed < 0.6
    assert referral.dependency.provider_keys  # Checkout's own backlog items
    raised = {i.title: i for i in session.scalars(select(Impediment).where(Impediment.description.startswith("Dependency ")))}
    assert f"Waiting on Checkout: {AT_RISK_TITLE}" in raised
    assert "Waiting on Search: Search suggestions endpoint for the apps" in raised  # the overdue one
    assert {i.level for i in raised.values()} == {Level.PRODUCT_OPS}
    risks = list(session.scalars(select(Risk)))
    assert len(risks) == 3
    assert sum(r.review_on is not None and r.review_on < today for r in risks) == 1
