"""The rollout pages and the admin-defined check form: plan a rollout, see its curve and effect, and the
result on the catalogue entry (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.catalogue import service as catalogue
from tests.cockpit.test_rollouts_stored import START, _world
from tests.factories import login, make_user


def test_plan_a_rollout_and_read_its_effect(client: TestClient, session: Session) -> None:
    entry, adopters, _ = _world(session, "Page pairing", lift=4)
    ops = make_user(session, role=Role.PRODUCT_OPS)
    session.commit()
    csrf = login(client, ops.email)
    empty = client.get("/cockpit/rollouts")
    assert empty.status_code == 200
    assert "No rollouts yet" in empty.text
    form = {"csrf_token": csrf, "entry_id": str(entry.id), "title": "Pairing on the page", "metric": "throughput"}
    rows = {}
    for k, team in enumerate(adopters):
        rows[f"teams.{k}.team_id"] = str(team.id)
        rows[f"teams.{k}.target_on"] = (START + timedelta(weeks=6)).isoformat()
    late = client.post("/cockpit/rollouts", data={**form, **rows, "starts_on": (START + timedelta(weeks=8)).isoformat()})
    assert late.status_code == 422
    assert "target date must be on or after the start" in late.text
    assert 'value="Pairing on the page"' in late.text  # what was typed stays
    made = client.post("/cockpit/rollouts", data={**form, **rows, "starts_on": START.isoformat()}, follow_redirects=False)
    assert made.status_code == 303, made.text
    page = client.get(made.headers["location"])
    assert page.status_code == 200
    assert "<strong>Higher:</strong>" in page.text
    assert "95% interval" in page.text
    assert 'href="/definitions#rollout-effect"' in page.text
    assert "Adoption curve" in page.text
    listed = client.get("/cockpit/rollouts")
    assert "Pairing on the page" in listed.text
    shown = client.get(f"/cockpit/catalogue/{entry.id}")
    assert "Rollouts and their effect" in shown.text
    assert "Pairing on the page</a>: higher" in shown.text


def test_define_a_check_from_a_signal_on_the_entry_page(client: TestClient, session: Session) -> None:
    entry = catalogue.create(session=session, actor=None, kind="tool", name="Page custom", category="other")
    ops = make_user(session, role=Role.PRODUCT_OPS)
    session.commit()
    csrf = login(client, ops.email)
    page = client.get(f"/cockpit/catalogue/{entry.id}")
    assert "Define a check" in page.text
    bad = client.post(
        f"/cockpit/catalogue/{entry.id}/custom-check",
        data={"csrf_token": csrf, "signal": "reviewed_share", "threshold": "120", "window_days": "30"},
    )
    assert bad.status_code == 422
    assert "Enter a threshold from 0 to 100" in bad.text
    good = client.post(
        f"/cockpit/catalogue/{entry.id}/custom-check",
        data={"csrf_token": csrf, "signal": "reviewed_share", "threshold": "80", "window_days": "30"},
        follow_redirects=True,
    )
    assert good.status_code == 200
    assert (
        "Share of merged pull requests reviewed by someone else before the merge (%), at least 80 % over the last 30 days"
        in good.text
    )
