"""A rollout's report is read from what a job stored, not computed per request: the page shows when it was
computed, a change of the data queues a refresh (the older report shows meanwhile, saying so), and the job
computes it again."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import Role
from deliveryops.cockpit.models import Rollout
from deliveryops.cockpit.rollouts import service as rollouts
from deliveryops.cockpit.rollouts import stored as rollout_stored
from deliveryops.jobs import JobContext
from deliveryops.jobs.models import DerivedResult, Job
from deliveryops.settings import Settings
from tests.actions.test_actions import THIS_MONDAY
from tests.cockpit.test_rollouts_stored import _plan, _world
from tests.factories import login, make_user

TODAY = THIS_MONDAY + timedelta(days=2)


def _stored_rows(session: Session) -> int:
    return int(session.scalar(select(func.count(DerivedResult.id)).where(DerivedResult.kind == rollout_stored.KIND)) or 0)


def test_the_report_is_stored_read_again_and_refreshed_after_the_data_changes(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    entry, adopters, others = _world(session, "Stored reports", lift=3)
    rollout = session.get_one(Rollout, _plan(session, entry, adopters))
    first = rollout_stored.read(session, rollout, today=TODAY)  # never stored: computed once, here
    assert first.current
    assert first.detail.effect.outcome == rollouts.report(session, rollout, today=TODAY).effect.outcome
    assert first.detail.computed_at is not None
    assert _stored_rows(session) == 1
    again = rollout_stored.read(session, rollout, today=TODAY)
    assert again.current
    assert again.detail.model_dump(exclude={"computed_at"}) == first.detail.model_dump(exclude={"computed_at"})
    assert _stored_rows(session) == 1
    # New data for one team: the stored report shows, marked as older than the data, and a refresh is queued.
    adopters[0].data_version = (adopters[0].data_version or 0) + 1
    session.flush()
    stale = rollout_stored.read(session, rollout, today=TODAY)
    assert (stale.current, stale.detail.recomputing, stale.computed_at) == (False, True, again.computed_at)
    assert session.scalar(select(Job.id).where(Job.name == "cockpit.refresh_rollouts")) is not None
    context = JobContext(
        job_id=0, attempt=1, settings=settings, session_factory=session_factory, report=lambda _done, _total, _message: False
    )
    assert rollout_stored.refresh_rollouts.function(context) == "1 of 1 rollout report computed again."
    session.expire_all()
    fresh = rollout_stored.read(session, rollout)
    assert (fresh.current, fresh.detail.recomputing) == (True, False)
    assert _stored_rows(session) == 1  # the newer version replaced the older one
    assert others  # the comparison teams are part of the report's version too


def test_the_rollout_page_says_when_its_report_was_computed(client: TestClient, session: Session) -> None:
    entry, adopters, _others = _world(session, "Stored page", lift=2)
    rollout_id = _plan(session, entry, adopters)
    make_user(session, role=Role.LEADER, email="stored.leader@example.com")
    login(client, "stored.leader@example.com")
    page = client.get(f"/cockpit/rollouts/{rollout_id}").text
    assert 'id="computed-at">Computed at ' in page
    assert "a newer report is being computed" not in page
