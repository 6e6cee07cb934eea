"""The catalogue entry (page and API) and the leadership pack read a rollout's stored report, not a fresh
computation: a stored report altered here shows through, with when it was computed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.leadership import service as leadership
from deliveryops.cockpit.leadership.pdf import render_pdf
from deliveryops.cockpit.leadership.schemas import pack_read
from deliveryops.cockpit.models import Rollout
from deliveryops.cockpit.rollouts import stored as rollout_stored
from deliveryops.cockpit.rollouts.schemas import RolloutDetail
from deliveryops.jobs.models import DerivedResult
from tests.actions.test_actions import THIS_MONDAY
from tests.cockpit.test_rollouts_stored import _plan, _world
from tests.factories import login, make_user, token_headers

STORED_AT = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)


def _alter_stored(session: Session, rollout: Rollout) -> None:
    """Compute and store the report, then change its stored effect and time (what a recomputation would undo)."""
    rollout_stored.read(session, rollout)
    row = session.scalars(select(DerivedResult).where(DerivedResult.kind == rollout_stored.KIND)).one()
    detail = RolloutDetail.model_validate_json(row.payload)
    effect = detail.effect.model_copy(update={"effect": 42.5, "low": 40.25, "high": 44.75})
    row.payload = detail.model_copy(update={"effect": effect}).model_dump_json().encode()
    row.computed_at = STORED_AT
    session.flush()


def _rows(session: Session) -> int:
    return int(session.scalar(select(func.count(DerivedResult.id)).where(DerivedResult.kind == rollout_stored.KIND)) or 0)


def test_the_entry_page_api_and_pack_page_show_the_stored_report(client: TestClient, session: Session) -> None:
    entry, adopters, _others = _world(session, "Entry stored", lift=3)
    rollout = session.get_one(Rollout, _plan(session, entry, adopters))
    _alter_stored(session, rollout)
    leader = make_user(session, role=Role.LEADER, email="entry.stored.leader@example.com")
    login(client, "entry.stored.leader@example.com")
    page = client.get(f"/cockpit/catalogue/{entry.id}").text
    assert "+42.50 a week on throughput, 95% interval +40.25 to +44.75" in page
    assert "Computed at 2026-03-04 05:06 UTC" in page
    api = client.get(f"/api/v1/cockpit/catalogue/{entry.id}", headers=token_headers(session, leader)).json()
    [result] = api["rollouts"]
    assert (result["effect"], result["low"], result["high"]) == (42.5, 40.25, 44.75)
    assert datetime.fromisoformat(result["computed_at"]) == STORED_AT
    pack_page = client.get("/cockpit/leadership").text
    rollouts_section = pack_page[pack_page.index('id="h-rollouts"') :]
    assert "higher, +42.50 a week (95% interval +40.25 to +44.75)" in rollouts_section
    assert "Computed at 2026-03-04 05:06 UTC" in rollouts_section
    assert _rows(session) == 1


def test_the_leadership_pack_shows_the_stored_report(session: Session) -> None:
    entry, adopters, _others = _world(session, "Pack stored", lift=3)
    rollout = session.get_one(Rollout, _plan(session, entry, adopters))
    _alter_stored(session, rollout)
    now = datetime.combine(THIS_MONDAY + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    pack = leadership.build_pack(session=session, actor=None, period=leadership.current_quarter(now.date()), now=now)
    [result] = pack.rollouts
    assert (result.title, result.effect, result.computed_at) == ("Pack stored everywhere", 42.5, STORED_AT)
    assert pack_read(pack).rollouts[0].effect == 42.5
    text = render_pdf(pack, base_url="https://delivery.example.org/", compress=False).decode("latin-1")
    assert "effect on throughput: higher: +42.50 a week" in text
    assert "(Computed at 2026-03-04 05:06 UTC.)" in text
    assert _rows(session) == 1  # read, not computed again (a refresh is only queued for the job)
