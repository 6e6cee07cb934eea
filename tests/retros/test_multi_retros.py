"""Multi-team retros: breakouts scoped to their team, the synthesis carrying themes (never cards or
authors), votes across teams, team-owned actions in the same ledger, and who may do what."""

from __future__ import annotations

import json
from typing import NamedTuple

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.actions.models import ImprovementAction
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.retros import multi, themes
from deliveryops.retros import service as retros
from deliveryops.retros.models import Phase, Retro
from deliveryops.retros.multi_models import MultiPhase, MultiRetro
from deliveryops.teams.models import Group, Team, TeamRole
from tests.factories import join, login, make_group, make_team, make_user, token_headers


class Org(NamedTuple):
    group: Group
    alpha: Team
    beta: Team
    ops: User
    dm: User
    al: User
    bea: User


def organisation(session: Session) -> Org:
    group = make_group(session, name="Commerce")
    alpha, beta = make_team(session, name="Alpha", group=group), make_team(session, name="Beta", group=group)
    ops = make_user(session, role=Role.PRODUCT_OPS, name="Otto Ops")
    dm = make_user(session, role=Role.DELIVERY_MANAGER, name="Dora Manager")
    al, bea = make_user(session, name="Al Member"), make_user(session, name="Bea Member")
    join(session, alpha, dm, TeamRole.DELIVERY_MANAGER)
    join(session, alpha, al)
    join(session, beta, bea)
    return Org(group, alpha, beta, ops, dm, al, bea)


def breakout(session: Session, found: MultiRetro, team: Team) -> Retro:
    retro_id = next(b.retro_id for b in found.breakouts if b.team_id == team.id)
    retro = session.get(Retro, retro_id)
    assert retro is not None
    return retro


def run_breakout(session: Session, retro: Retro, person: User, cards: list[str], theme: str) -> None:
    """The team writes ``cards`` (anonymous), groups the first two under ``theme``, votes for it twice and
    moves on to discussing it."""
    retros.move_on(session, retro)  # reflect
    for index, text in enumerate(cards):
        retros.add_card(session=session, actor=person, retro_id=retro.id, token=f"device-{index}", column="Stop", text=text)
    retros.move_on(session, retro)  # group
    retros.create_theme(session=session, actor=person, retro_id=retro.id, title=theme, card_ids=[c.id for c in retro.cards[:2]])
    retros.move_on(session, retro)  # vote
    grouped = next(t for t in retro.themes if t.title == theme)
    for voter in ("v1", "v2"):
        retros.vote(session=session, actor=person, retro_id=retro.id, token=voter, theme_id=grouped.id)
    retros.move_on(session, retro)  # discuss


def test_who_creates_and_a_breakout_per_team_seen_only_by_its_team(session: Session) -> None:
    org = organisation(session)
    _group, alpha, beta, ops, dm, al, bea = org
    with pytest.raises(PermissionDeniedError):  # Dora manages Alpha only
        multi.create(session=session, actor=dm, title="PI 7", team_ids=[alpha.id, beta.id])
    with pytest.raises(PermissionDeniedError):
        multi.create(session=session, actor=al, title="PI 7", team_ids=[alpha.id, beta.id])
    with pytest.raises(ValidationFailedError) as refused:
        multi.create(session=session, actor=ops, title="PI 7", team_ids=[alpha.id])
    assert refused.value.fields == {"team_ids": "Choose 2 to 12 teams."}
    found = multi.create(session=session, actor=ops, title="PI 7", group_id=org.group.id)
    assert {b.team_id for b in found.breakouts} == {alpha.id, beta.id}
    alpha_breakout, beta_breakout = breakout(session, found, alpha), breakout(session, found, beta)
    assert alpha_breakout.title == "PI 7 · Alpha breakout"
    assert alpha_breakout.phase is Phase.REVIEW
    # Each breakout is the team's own retro: a member of Alpha cannot open Beta's.
    assert retros.get_or_raise(session=session, actor=al, retro_id=alpha_breakout.id) is alpha_breakout
    with pytest.raises(PermissionDeniedError):
        retros.get_or_raise(session=session, actor=al, retro_id=beta_breakout.id)
    # On the synthesis, each sees a link to their own team's breakout only.
    seen = {
        b["team"]: b["retro_id"] for b in multi.state(session, found, actor=al, token="t").model_dump(mode="json")["breakouts"]
    }
    assert seen == {"Alpha": alpha_breakout.id, "Beta": None}
    assert {b["retro_id"] for b in multi.state(session, found, actor=ops, token="t").model_dump(mode="json")["breakouts"]} == {
        None
    }
    outsider = make_user(session)
    with pytest.raises(PermissionDeniedError):
        multi.get_or_raise(session=session, actor=outsider, multi_id=found.id)
    assert multi.list_visible(session=session, actor=outsider) == []
    assert multi.list_visible(session=session, actor=bea) == [found]


def test_synthesis_carries_themes_votes_and_teams_then_actions_join_the_owning_teams_ledger(session: Session) -> None:
    org = organisation(session)
    _group, alpha, beta, ops, _dm, al, bea = org
    found = multi.create(session=session, actor=ops, title="PI 7", team_ids=[alpha.id, beta.id])
    alpha_cards = ["Reviews wait for days", "Pull requests sit unreviewed", "Standups run long"]
    run_breakout(session, breakout(session, found, alpha), al, alpha_cards, "Slow code reviews")
    with pytest.raises(ValidationFailedError, match="Still to vote in their breakout: Beta"):
        multi.advance(session=session, actor=ops, multi_id=found.id)
    with pytest.raises(PermissionDeniedError):  # only the facilitator moves the breakouts
        multi.advance_breakouts(session=session, actor=bea, multi_id=found.id)
    beta_retro = breakout(session, found, beta)
    beta_retro.phase = Phase.REFLECT
    for index, text in enumerate(["Code review takes too long", "Waiting on reviewers", "Flaky tests"]):
        retros.add_card(session=session, actor=bea, retro_id=beta_retro.id, token=f"b{index}", column="Stop", text=text)
    multi.advance_breakouts(session=session, actor=ops, multi_id=found.id)  # Beta: reflect → group
    paired = [c.id for c in beta_retro.cards[:2]]
    retros.create_theme(session=session, actor=bea, retro_id=beta_retro.id, title="Reviews too slow", card_ids=paired)
    multi.advance_breakouts(session=session, actor=ops, multi_id=found.id)  # → vote ("Flaky tests" becomes a theme)
    multi.advance_breakouts(session=session, actor=ops, multi_id=found.id)  # → discuss
    assert beta_retro.phase is Phase.DISCUSS
    multi.advance(session=session, actor=ops, multi_id=found.id)
    assert found.phase is MultiPhase.SYNTHESIS
    view = multi.state(session, found, actor=bea, token="bea").model_dump(mode="json")
    carried = {t["title"]: (t["teams"], t["breakout_votes"]) for t in view["themes"]}
    assert carried["Slow code reviews"] == (["Alpha"], 2)
    assert carried["Reviews too slow"] == (["Beta"], 0)
    assert view["themes"][0]["title"] == "Slow code reviews"  # most voted first
    # Never a card, never an author (nor the breakouts' loose cards, which became themes of their own).
    text = json.dumps(view)
    for card in ["Reviews wait for days", "Pull requests sit unreviewed", "Code review takes too long"]:
        assert card not in text
    assert "Standups run long" not in text
    assert "Flaky tests" not in text
    assert {b["team"]: b["private_themes"] for b in view["breakouts"]} == {"Alpha": 1, "Beta": 1}
    assert "Al Member" not in text
    assert "Bea Member" not in text
    reviews = next(t for t in found.themes if t.title == "Reviews too slow")
    slow = next(t for t in found.themes if t.title == "Slow code reviews")
    with pytest.raises(PermissionDeniedError):
        multi.merge_themes(session=session, actor=al, multi_id=found.id, theme_id=reviews.id, into_id=slow.id)
    multi.merge_themes(session=session, actor=ops, multi_id=found.id, theme_id=reviews.id, into_id=slow.id)
    multi.rename_theme(session=session, actor=ops, multi_id=found.id, theme_id=slow.id, title="Code reviews wait")
    merged = next(
        t for t in multi.state(session, found, actor=al, token="al").model_dump(mode="json")["themes"] if t["id"] == slow.id
    )
    assert merged["teams"] == ["Alpha", "Beta"]
    assert merged["breakout_votes"] == 2
    multi.advance(session=session, actor=ops, multi_id=found.id)  # vote
    for person, token in ((al, "al"), (bea, "bea")):
        multi.vote(session=session, actor=person, multi_id=found.id, token=token, theme_id=slow.id)
    assert (
        multi.state(session, found, actor=al, token="al").model_dump(mode="json")["themes"][0]["votes"] is None
    )  # hidden while voting
    outsider = make_user(session, role=Role.LEADER)
    with pytest.raises(PermissionDeniedError):
        multi.vote(session=session, actor=outsider, multi_id=found.id, token="x", theme_id=slow.id)
    multi.advance(session=session, actor=ops, multi_id=found.id)  # actions
    top = multi.state(session, found, actor=al, token="al").model_dump(mode="json")["themes"][0]
    assert (top["title"], top["votes"]) == ("Code reviews wait", 2)
    with pytest.raises(ValidationFailedError):  # Al is not one of Beta's people
        multi.add_action(session=session, actor=ops, multi_id=found.id, title="Review first", team_id=beta.id, owner_id=al.id)
    action = multi.add_action(
        session=session, actor=al, multi_id=found.id, title="Review before starting new work", team_id=beta.id, owner_id=bea.id
    )
    assert (action.team_id, action.retro_id, action.source) == (beta.id, beta_retro.id, "retro")
    ledger = session.scalars(select(ImprovementAction).where(ImprovementAction.team_id == beta.id)).all()
    assert [a.title for a in ledger] == ["Review before starting new work"]
    decided = multi.state(session, found, actor=bea, token="bea").model_dump(mode="json")["actions"]
    assert [(a["title"], a["team"], a["owner"]) for a in decided] == [("Review before starting new work", "Beta", "Bea Member")]
    multi.advance(session=session, actor=ops, multi_id=found.id)
    assert found.phase.value == "finished"
    assert found.finished_at is not None
    assert beta_retro.phase.value == "finished"
    with pytest.raises(ValidationFailedError):
        multi.advance(session=session, actor=ops, multi_id=found.id)


def test_api_creates_lists_and_refuses_other_people(client: TestClient, session: Session) -> None:
    org = organisation(session)
    _group, alpha, beta, ops, _dm, al, _bea = org
    created = client.post(
        "/api/v1/multi-retros", json={"title": "PI 8", "team_ids": [alpha.id, beta.id]}, headers=token_headers(session, ops)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["phase"] == "breakouts"
    assert body["facilitating"] is True
    assert [b["team"] for b in body["breakouts"]] == ["Alpha", "Beta"]
    listed = client.get("/api/v1/multi-retros", headers=token_headers(session, al)).json()
    assert listed["total"] == 1
    assert listed["items"][0]["teams"] == ["Alpha", "Beta"]
    seen = client.get(f"/api/v1/multi-retros/{body['id']}", headers=token_headers(session, al)).json()
    assert seen["facilitating"] is False
    assert seen["taking_part"] is True
    outsider = make_user(session)
    assert client.get(f"/api/v1/multi-retros/{body['id']}", headers=token_headers(session, outsider)).status_code == 403
    refused = client.post(f"/api/v1/multi-retros/{body['id']}/advance", headers=token_headers(session, al))
    assert refused.status_code == 403


@pytest.mark.slow
def test_the_demo_has_a_finished_multi_team_retro_and_a_recurring_theme(demo_session: Session) -> None:
    found = demo_session.scalars(select(MultiRetro).where(MultiRetro.title == "Q4 cross-team retro")).one()
    assert found.phase is MultiPhase.FINISHED
    breakouts = [demo_session.get(Retro, b.retro_id) for b in found.breakouts]
    assert [r.phase for r in breakouts if r is not None] == [Phase.FINISHED] * 3
    ops = demo_session.get(User, found.facilitator_id)
    assert ops is not None
    view = multi.state(demo_session, found, actor=ops, token="demo").model_dump(mode="json")
    top = view["themes"][0]
    assert (top["title"], top["teams"], top["votes"]) == ("Code reviews wait across teams", ["Checkout", "Payments", "Search"], 3)
    assert [(a["title"], a["team"]) for a in view["actions"]] == [("Two reviewers for ranking changes", "Search")]
    cards = [c.text for r in breakouts if r is not None for c in r.cards]
    assert not [c for c in cards if c in json.dumps(view)]
    day = found.scheduled_for.date()
    recurring = themes.recurring_themes(session=demo_session, actor=None, start=day, end=day, min_group_size=3)
    assert [(t.retros, t.teams) for t in recurring] == [(3, ["Checkout", "Payments", "Search"])]


def test_pages_create_with_field_errors_and_show_the_board(client: TestClient, session: Session) -> None:
    org = organisation(session)
    csrf = login(client, org.ops.email)
    listed = client.get("/multi-retros")
    assert "Create a multi-team retro" in listed.text
    refused = client.post("/multi-retros", data={"title": "PI 10", "team_ids": str(org.alpha.id), "csrf_token": csrf})
    assert refused.status_code == 422
    assert "Choose 2 to 12 teams." in refused.text
    assert 'value="PI 10"' in refused.text
    created = client.post(
        "/multi-retros",
        data={"title": "PI 10", "team_ids": [str(org.alpha.id), str(org.beta.id)], "group_id": "", "csrf_token": csrf},
    )
    assert created.status_code == 303
    board = client.get(created.headers["location"])
    assert "Next phase in the breakouts" in board.text
    themes_page = client.get("/retro-themes?start=2026-01-01&end=2026-02-01")
    assert themes_page.status_code == 200
    assert "No recurring theme" in themes_page.text
    assert client.get("/retro-themes?start=not-a-date").status_code == 422
    csrf = login(client, org.al.email)
    member_board = client.get(created.headers["location"])
    assert member_board.status_code == 200
    assert "Next phase in the breakouts" not in member_board.text
    assert "Create a multi-team retro" not in client.get("/multi-retros").text
    assert client.get("/retro-themes").status_code == 403
