"""The experiment detail, library and portfolio pages read the experiments schemas through the form adapter
(issue 17): a rule broken is named beside its field; a filter that breaks a rule is left out."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.experiments import service
from deliveryops.experiments.models import ExperimentStatus
from tests.experiments.builders import crew, running
from tests.factories import login


def test_review_request_changes_needs_a_note_and_keeps_it(client: TestClient, session: Session) -> None:
    c = crew(session)
    experiment = service.create(
        session=session, actor=c.member, team_id=c.team.id, design=service.design_of(running(session, c.member, c.team))
    )
    experiment.reviewer_required = True
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=ExperimentStatus.IN_REVIEW)
    csrf = login(client, c.ops.email)
    sent_back = client.post(f"/experiments/{experiment.id}/review", data={"approve": "false", "note": "", "csrf_token": csrf})
    assert sent_back.status_code == 422
    session.expire_all()
    assert experiment.approved is False
    too_long = client.post(
        f"/experiments/{experiment.id}/review", data={"approve": "false", "note": "n" * 5001, "csrf_token": csrf}
    )
    assert too_long.status_code == 422
    assert "Note has at most 5,000 characters." in too_long.text
    unknown = client.post(f"/experiments/{experiment.id}/transition", data={"to": "shipped", "csrf_token": csrf})
    assert unknown.status_code == 422
    assert 'id="problem"' in unknown.text


def test_learnings_and_upload_period_are_checked_beside_their_fields(client: TestClient, session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    csrf = login(client, c.member.email)
    saved = client.post(f"/experiments/{experiment.id}/learnings", data={"learnings": "Walkers read more", "csrf_token": csrf})
    assert saved.status_code == 303
    session.expire_all()
    assert experiment.learnings == "Walkers read more"
    assert experiment.cuped is False  # the other fields stay as they are
    too_long = client.post(f"/experiments/{experiment.id}/learnings", data={"learnings": "x" * 20001, "csrf_token": csrf})
    assert too_long.status_code == 422
    assert "Learnings has at most 20,000 characters." in too_long.text
    period = client.post(
        f"/experiments/{experiment.id}/statistics",
        data={"period": "hourly", "csrf_token": csrf},
        files={"file": ("stats.csv", b"date,metric\n", "text/csv")},
    )
    assert period.status_code == 422
    assert "Rows hold" in period.text


def test_a_broken_filter_is_left_out_and_the_others_apply(client: TestClient, session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    login(client, c.member.email)
    listed = client.get(f"/experiments?status=bogus&q={experiment.title.split()[0]}")
    assert listed.status_code == 200
    assert f"/experiments/{experiment.id}" in listed.text
    nothing = client.get(f"/experiments?status=draft&q={experiment.title.split()[0]}")
    assert f"/experiments/{experiment.id}" not in nothing.text
    detail = client.get(f"/experiments/{experiment.id}?method=bogus&correction=holm")
    assert detail.status_code == 200
