"""Stored rollouts: plan, progress against targets, the adoption curve and the measured effect, through the
service, the API and the CLI (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.analytics.rollouts import RolloutOutcome
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.leadership import service as leadership
from deliveryops.cockpit.leadership.pdf import render_pdf
from deliveryops.cockpit.leadership.schemas import pack_read
from deliveryops.cockpit.models import AdoptionLevel, CatalogueEntry
from deliveryops.cockpit.rollouts import service as rollouts
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.teams.models import Team
from tests.actions.test_actions import FIRST_MONDAY, THIS_MONDAY, weekly_team
from tests.factories import make_user, token_headers
from tests.parity import Parity

ADOPTION_WEEK = 16
ADOPTED_AT = datetime.combine(FIRST_MONDAY + timedelta(weeks=ADOPTION_WEEK), datetime.min.time(), tzinfo=UTC)
START = ADOPTED_AT.date() - timedelta(weeks=4)


def _world(session: Session, name: str, *, lift: int) -> tuple[CatalogueEntry, list[Team], list[Team]]:
    """Three teams that adopt ``name`` in week 16 and finish ``lift`` more items a week after, and three that do not."""
    entry = catalogue.create(session=session, actor=None, kind="practice", name=name, category="flow")
    rhythm = [5 + week % 2 for week in range(28)]
    adopters = [
        weekly_team(session, [n + (lift if week >= ADOPTION_WEEK else 0) for week, n in enumerate(rhythm)]) for _ in range(3)
    ]
    others = [weekly_team(session, rhythm) for _ in range(3)]
    for k, team in enumerate(adopters):
        adoption.set_state(
            session=session,
            actor=None,
            team_id=team.id,
            entry_id=entry.id,
            state="trying",
            set_at=ADOPTED_AT - timedelta(weeks=2),
        )
        if k < 2:  # the third team has not adopted yet
            adoption.set_state(
                session=session,
                actor=None,
                team_id=team.id,
                entry_id=entry.id,
                state="adopted",
                set_at=ADOPTED_AT + timedelta(hours=k),
            )
    return entry, adopters, others


def _plan(session: Session, entry: CatalogueEntry, teams: list[Team]) -> int:
    targets = [(t.id, ADOPTED_AT.date() + timedelta(days=-3 if k == 0 else 10)) for k, t in enumerate(teams)]
    rollout = rollouts.create_rollout(
        session=session,
        actor=None,
        entry_id=entry.id,
        title=f"{entry.name} everywhere",
        metric="throughput",
        starts_on=START,
        teams=targets,
    )
    return rollout.id


def test_report_follows_targets_the_curve_and_measures_the_effect(session: Session) -> None:
    entry, adopters, _others = _world(session, "Stored pairing", lift=4)
    rollout = rollouts.get_rollout_or_raise(session=session, rollout_id=_plan(session, entry, adopters))
    result = rollouts.report(session, rollout, today=THIS_MONDAY + timedelta(days=2))
    # The first team adopted after its target (3 days before the adoption), the second on time, the third not yet.
    by_team = {p.team.id: (p.declared, p.on_time) for p in result.teams}
    assert [by_team[t.id] for t in adopters] == [
        (AdoptionLevel.ADOPTED, False),
        (AdoptionLevel.ADOPTED, True),
        (AdoptionLevel.TRYING, None),
    ]
    assert [p.check for p in result.teams] == [None, None, None]  # the entry has no data check
    # The curve: no team adopted at the start, two at the end; the check gives no count.
    assert (result.curve[0].day, result.curve[0].declared) == (START, 0)
    assert (result.curve[-1].declared, result.curve[-1].confirmed, result.curve[-1].teams) == (2, None, 3)
    assert len(result.curve) <= rollouts.CURVE_POINTS
    # Two declared adopters +4 a week against four not-yet-adopted teams, one of which (the third rollout
    # team, which works the new way without declaring it) also finishes 4 more: 4 - (4 + 0 + 0 + 0) / 4 = 3.
    assert result.effect.outcome is RolloutOutcome.HIGHER
    assert (result.effect.adopted_teams, result.effect.comparison_teams, result.comparison_teams) == (2, 4, 3)
    assert result.effect.effect == pytest.approx(3.0)


def test_no_effect_is_said_as_such(session: Session) -> None:
    entry, adopters, _ = _world(session, "Stored standups", lift=0)
    rollout = rollouts.get_rollout_or_raise(session=session, rollout_id=_plan(session, entry, adopters))
    result = rollouts.report(session, rollout, today=THIS_MONDAY + timedelta(days=2))
    assert result.effect.outcome is RolloutOutcome.NO_CLEAR_EFFECT
    assert result.effect.low is not None
    assert result.effect.high is not None
    assert result.effect.low <= 0 <= result.effect.high


def test_planning_rules(session: Session) -> None:
    entry = catalogue.create(session=session, actor=None, kind="tool", name="Stored tool", category="CI/CD")
    team = weekly_team(session, [1])
    leader = make_user(session, role=Role.LEADER)
    with pytest.raises(PermissionDeniedError):
        rollouts.create_rollout(
            session=session,
            actor=leader,
            entry_id=entry.id,
            title="x",
            metric="throughput",
            starts_on=START,
            teams=[(team.id, START)],
        )
    with pytest.raises(ValidationFailedError) as caught:
        rollouts.create_rollout(
            session=session,
            actor=None,
            entry_id=entry.id,
            title=" ",
            metric="health_card",
            starts_on=START,
            teams=[(team.id, START - timedelta(days=1))],
        )
    assert set(caught.value.fields) == {"title", "metric", "teams"}
    with pytest.raises(PermissionDeniedError):
        rollouts.require_reader(make_user(session, role=Role.MEMBER))
    rollouts.require_reader(leader)


def test_api_plan_list_and_report(session: Session, client: TestClient) -> None:
    entry, adopters, _ = _world(session, "API pairing", lift=4)
    ops, leader = make_user(session, role=Role.PRODUCT_OPS), make_user(session, role=Role.LEADER)
    session.commit()
    body = {
        "entry_id": entry.id,
        "title": "Pairing for the API",
        "metric": "throughput",
        "starts_on": START.isoformat(),
        "teams": [{"team_id": t.id, "target_on": (START + timedelta(weeks=6)).isoformat()} for t in adopters],
    }
    created = client.post("/api/v1/cockpit/rollouts", json=body, headers=token_headers(session, ops))
    assert created.status_code == 201, created.text
    rollout = created.json()
    assert (rollout["entry_name"], rollout["owner_id"], len(rollout["teams"])) == ("API pairing", ops.id, 3)
    refused = client.post("/api/v1/cockpit/rollouts", json=body, headers=token_headers(session, leader))
    assert refused.status_code == 403
    bad = client.post(
        "/api/v1/cockpit/rollouts", json={**body, "starts_on": date(2099, 1, 1).isoformat()}, headers=token_headers(session, ops)
    )
    assert bad.status_code == 422
    assert "teams" in bad.json()["error"]["details"]["fields"]
    listed = client.get("/api/v1/cockpit/rollouts", params={"entry_id": entry.id}, headers=token_headers(session, leader)).json()
    assert (listed["total"], listed["items"][0]["id"]) == (1, rollout["id"])
    detail = client.get(f"/api/v1/cockpit/rollouts/{rollout['id']}", headers=token_headers(session, leader))
    assert detail.status_code == 200, detail.text
    report = detail.json()
    assert report["effect"]["outcome"] == "higher"
    assert report["effect"]["definition"] == "/definitions#rollout-effect"
    assert [p["on_time"] for p in report["progress"]].count(None) == 1
    shown = client.get(f"/api/v1/cockpit/catalogue/{entry.id}", headers=token_headers(session, leader)).json()
    assert [(r["rollout_id"], r["outcome"]) for r in shown["rollouts"]] == [(rollout["id"], "higher")]


def test_cli_matches_the_api(parity: Parity) -> None:
    with parity.seed() as session:
        _entry, adopters, _ = _world(session, "CLI pairing", lift=4)
        ops = make_user(session, role=Role.PRODUCT_OPS)
        names = [t.name for t in adopters]
    target = (START + timedelta(weeks=6)).isoformat()
    created = parity.cli(
        "rollouts", "create", "--entry", "CLI pairing", "--title", "Pairing by CLI", "--starts-on", START.isoformat(),
        *[arg for name in names for arg in ("--team", f"{name}={target}")], "--format", "json",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    rollout_id = json.loads(created.output)["id"]
    headers = parity.sign_in_api(ops)
    api_list = parity.api.get("/api/v1/cockpit/rollouts", params={"limit": 1000}, headers=headers).json()
    cli_list = parity.cli("rollouts", "list", "--limit", "1000", "--format", "json")
    assert cli_list.exit_code == 0, cli_list.output
    assert json.loads(cli_list.output) == api_list
    api_show = parity.api.get(f"/api/v1/cockpit/rollouts/{rollout_id}", headers=headers).json()
    cli_show = parity.cli("rollouts", "show", str(rollout_id), "--format", "json")
    assert cli_show.exit_code == 0, cli_show.output
    assert json.loads(cli_show.output) == api_show
    assert api_show["effect"]["outcome"] == "higher"
    report_only = ("progress", "curve", "effect", "computed_at", "recomputing")
    assert json.loads(created.output) == {k: v for k, v in api_show.items() if k not in report_only}
    assert api_show["computed_at"] is not None  # the stored report, computed by its first reader
    table = parity.cli("rollouts", "show", str(rollout_id))
    assert table.exit_code == 0, table.output
    assert "Effect on throughput: higher" in table.output
    wrong = parity.cli(
        "rollouts",
        "create",
        "--entry",
        "CLI pairing",
        "--title",
        "x",
        "--starts-on",
        "2099-01-01",
        "--team",
        f"{names[0]}={target}",
    )
    assert wrong.exit_code == 1, wrong.output
    assert "target date" in wrong.output


def test_the_leadership_pack_shows_the_rollouts_of_its_teams(session: Session) -> None:
    entry, adopters, _ = _world(session, "Pack pairing", lift=4)
    _plan(session, entry, adopters)
    now = datetime.combine(THIS_MONDAY + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    pack = leadership.build_pack(session=session, actor=None, period=leadership.current_quarter(now.date()), now=now)
    assert [(r.title, r.outcome) for r in pack.rollouts] == [("Pack pairing everywhere", RolloutOutcome.HIGHER.value)]
    read = pack_read(pack).rollouts[0]
    assert (read.entry_name, read.teams, read.adopted, read.outcome) == ("Pack pairing", 3, 2, "higher")
    text = render_pdf(pack, base_url="https://delivery.example.org/", compress=False).decode("latin-1")
    assert "(Rollouts)" in text
    assert "Pack pairing everywhere \\(Pack pairing\\): 2 of 3 teams adopted; effect on throughput: higher: +3.00 a week" in text
