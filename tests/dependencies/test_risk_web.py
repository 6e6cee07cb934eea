"""The chance of delivery through the API and pages, the timeline, and at-risk dependencies raised as impediments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import Role
from deliveryops.cockpit.digest.service import build_digest
from deliveryops.db import utcnow
from deliveryops.dependencies import risk, service
from deliveryops.dependencies.models import Dependency, DependencyRisk
from deliveryops.dependencies.risk_jobs import request_risk_refresh
from deliveryops.dependencies.schemas import DependencyCreate, DependencyTransition
from deliveryops.impediments.models import Impediment, Level
from deliveryops.jobs import JobRuntime
from deliveryops.settings import Settings
from deliveryops.teams.models import TeamRole
from deliveryops.work.importing import import_records
from tests.dependencies.test_risk import WORKFLOW, _item
from tests.factories import csrf_from, join, login, make_team, make_user, token_headers


def _world(session: Session, needed_in: int, prefix: str = "") -> tuple[Dependency, dict[str, Any]]:
    """Payments finished one item a day for 90 days; 5 items in progress ahead of the linked one."""
    today = utcnow().date()
    app, payments = make_team(session, name=f"{prefix}App"), make_team(session, name=f"{prefix}Payments")
    records = [_item(f"{prefix}PAY-{n}", today - timedelta(days=n), today - timedelta(days=n)) for n in range(1, 91)]
    records += [_item(f"{prefix}PAY-W{n}", today - timedelta(days=2), None) for n in range(5)]
    import_records(session=session, actor=None, team=payments, records=records, import_format="test", workflow=WORKFLOW)
    app_dm, pay_dm = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, app, app_dm, TeamRole.DELIVERY_MANAGER)
    join(session, payments, pay_dm, TeamRole.DELIVERY_MANAGER)
    body = DependencyCreate(
        requester_team_id=app.id, provider_team_id=payments.id, title="Refund API", needed_by=today + timedelta(days=needed_in)
    )
    dependency = service.create(session=session, actor=app_dm, body=body)
    accept = DependencyTransition.model_validate({"action": "accept", "committed_on": body.needed_by, "provider_keys": "PAY-NEW"})
    service.transition(session=session, actor=pay_dm, dependency_id=dependency.id, body=accept)
    return dependency, {"app": app, "payments": payments, "app_dm": app_dm, "pay_dm": pay_dm}


def test_api_chance_threshold_and_at_risk_list(client: TestClient, session: Session) -> None:
    # One item a day, 6 to finish (5 ahead + the linked one): done on day 6 in every trial.
    dependency, world = _world(session, needed_in=3)
    requester, provider = token_headers(session, world["app_dm"]), token_headers(session, world["pay_dm"])
    chance = client.get(f"/api/v1/dependencies/{dependency.id}/chance", headers=requester).json()
    assert (chance["chance_needed"], chance["remaining_items"], chance["ahead_items"], chance["at_risk"]) == (0.0, 6, 5, True)
    listed = client.get("/api/v1/dependencies/risk?at_risk=true", headers=provider).json()["items"]
    assert [r["dependency"]["id"] for r in listed] == [dependency.id]
    refused = client.put(f"/api/v1/dependencies/{dependency.id}/threshold", json={"threshold": 50}, headers=provider)
    assert refused.status_code == 403
    invalid = client.put(f"/api/v1/dependencies/{dependency.id}/threshold", json={"threshold": 0}, headers=requester)
    assert invalid.status_code == 422
    changed = client.put(f"/api/v1/dependencies/{dependency.id}/threshold", json={"threshold": 50}, headers=requester)
    assert changed.json()["threshold"] == 50


def test_pages_show_the_chance_and_the_timeline(client: TestClient, session: Session) -> None:
    dependency, world = _world(session, needed_in=10)  # day 6 < day 10: 100%
    login(client, world["app_dm"].email)
    page = client.get(f"/dependencies/{dependency.id}")
    assert "Chance of delivery" in page.text
    assert "<strong>100%</strong> by the needed-by date" in page.text
    set_it = client.post(f"/dependencies/{dependency.id}/threshold", data={"threshold": "80", "csrf_token": csrf_from(page.text)})
    assert set_it.status_code == 303
    assert 'value="80"' in client.get(f"/dependencies/{dependency.id}").text
    assert "100%" in client.get("/dependencies").text
    timeline = client.get("/dependencies/timeline")
    assert timeline.status_code == 200
    assert "Timeline of needed-by dates" in timeline.text
    assert 'href="/definitions#dependency-chance"' in timeline.text


def test_at_risk_dependency_becomes_an_impediment_at_product_ops_once(session: Session) -> None:
    _dependency, world = _world(session, needed_in=3)
    assert risk.refresh_all(session) == 1
    assert risk.escalate_at_risk(session) == 1
    impediment = session.scalar(select(Impediment).where(Impediment.team_id == world["app"].id))
    assert impediment is not None
    assert impediment.level is Level.PRODUCT_OPS
    assert impediment.title == "Waiting on Payments: Refund API"
    assert "Payments delivers 'Refund API'" in impediment.events[-1].note
    assert risk.escalate_at_risk(session) == 0  # remembered


def test_team_page_home_and_portfolio_show_dependencies_at_risk(client: TestClient, session: Session) -> None:
    dependency, world = _world(session, needed_in=3)
    login(client, world["app_dm"].email)
    for url in ("/", f"/teams/{world['app'].slug}"):  # the requester's delivery manager
        page = client.get(url)
        assert "Dependencies at risk" in page.text, url
        assert f'href="/dependencies/{dependency.id}"' in page.text, url
    ops = make_user(session, role=Role.PRODUCT_OPS)
    client.cookies.clear()
    login(client, ops.email)
    portfolio = client.get("/cockpit")
    assert "Dependencies at risk" in portfolio.text
    assert '0% <a href="/definitions#dependency-chance">chance</a>' in portfolio.text


def test_leadership_pack_lists_dependencies_at_risk(client: TestClient, session: Session) -> None:
    dependency, _ = _world(session, needed_in=3)
    leader = make_user(session, role=Role.LEADER)
    pack = client.get("/api/v1/cockpit/leadership", headers=token_headers(session, leader)).json()
    assert [(r["dependency"]["id"], r["chance_needed"]) for r in pack["dependencies_at_risk"]] == [(dependency.id, 0.0)]
    login(client, leader.email)
    page = client.get("/cockpit/leadership")
    assert "Dependencies at risk" in page.text
    assert f'href="/dependencies/{dependency.id}"' in page.text
    pdf = client.get("/cockpit/leadership.pdf")
    assert pdf.status_code == 200


def test_weekly_digest_has_the_weeks_dependency_steps_and_those_at_risk(session: Session) -> None:
    dependency, world = _world(session, needed_in=3)
    digest = build_digest(session=session, user=world["app_dm"], now=utcnow() + timedelta(minutes=1))
    changed = {s.key: s for s in digest.changed}["dependencies"]
    needed = dependency.needed_by.isoformat()
    assert [line.text for line in changed.lines] == [
        f"App ← Payments: Refund API requested ({needed})",
        f"App ← Payments: Refund API accepted ({needed})",
    ]
    attention = {s.key: s for s in digest.attention}["dependencies_at_risk"]
    assert [line.href for line in attention.lines] == [f"/dependencies/{dependency.id}"]
    assert "0% chance" in attention.lines[0].text


def test_the_refresh_job_computes_stale_chances_and_raises_impediments(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    dependency, _ = _world(session, needed_in=3)
    session.commit()
    runtime = JobRuntime(Settings(database_url="sqlite://", secret_key="d" * 48), session_factory)
    with session_factory() as writer:
        job_id = request_risk_refresh(writer).id
        writer.commit()
    done = runtime.run(job_id)
    assert done is not None
    assert (done.state, done.result) == ("succeeded", "1 chance computed again; 1 dependency raised as impediments.")
    session.expire_all()
    row = session.scalar(select(DependencyRisk).where(DependencyRisk.dependency_id == dependency.id))
    assert row is not None
    assert row.chance_needed == 0.0
    assert row.impediment_id is not None
    with session_factory() as writer:
        again = request_risk_refresh(writer).id
        writer.commit()
    rerun = runtime.run(again)
    assert rerun is not None
    assert rerun.result == "0 chances computed again; 0 dependencies raised as impediments."
