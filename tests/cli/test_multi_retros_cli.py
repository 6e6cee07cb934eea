"""`deliveryops multi-retros list|show --format json` print what `GET /api/v1/multi-retros[/{id}]` answers."""

from __future__ import annotations

from datetime import date

import pytest

from deliveryops.retros import multi
from deliveryops.retros.participants import MULTI_RETRO, vote_token
from tests.factories import make_user
from tests.parity import Parity, cli_error, cli_json
from tests.retros.test_multi_retros import breakout, organisation, run_breakout

pytestmark = pytest.mark.slow  # one throwaway database per database kind


def test_multi_retros_list_and_show_json_are_the_apis(parity: Parity) -> None:
    with parity.seed() as session:
        org = organisation(session)
        found = multi.create(session=session, actor=org.ops, title="PI 11", team_ids=[org.alpha.id, org.beta.id])
        run_breakout(session, breakout(session, found, org.alpha), org.al, ["Reviews wait", "PRs sit", "Standups"], "Reviews")
        run_breakout(session, breakout(session, found, org.beta), org.bea, ["Reviews slow", "No reviewer", "Flaky"], "Slow")
        multi.advance(session=session, actor=org.ops, multi_id=found.id)  # synthesis
        multi.advance(session=session, actor=org.ops, multi_id=found.id)  # vote
        theme_id = found.themes[0].id
        al_votes = vote_token(parity.secret_key, found.id, org.al.id, purpose=MULTI_RETRO)
        multi.vote(session=session, actor=org.al, multi_id=found.id, token=al_votes, theme_id=theme_id)
        multi.advance(session=session, actor=org.ops, multi_id=found.id)  # actions
        multi.add_action(
            session=session,
            actor=org.al,
            multi_id=found.id,
            title="Pair on reviews",
            team_id=org.beta.id,
            owner_id=org.bea.id,
            due_date=date(2026, 12, 21),
        )
        multi_id, al = found.id, org.al
        outsider = make_user(session, email="outsider@example.com")
    headers = {**parity.sign_in_api(al), "X-Retro-Token": "any-device"}  # the votes are the person's
    listed = cli_json(parity, "multi-retros", "list", "--as", al.email, "--format", "json")
    assert listed == parity.api.get("/api/v1/multi-retros", headers=headers).json()
    assert [(r["title"], r["teams"]) for r in listed["items"]] == [("PI 11", ["Alpha", "Beta"])]
    shown = cli_json(parity, "multi-retros", "show", str(multi_id), "--as", al.email, "--format", "json")
    assert shown == parity.api.get(f"/api/v1/multi-retros/{multi_id}", headers=headers).json()
    assert (shown["votes_left"], shown["actions"][0]["owner"], shown["actions"][0]["due_date"]) == (2, "Bea Member", "2026-12-21")
    refused = parity.cli("multi-retros", "show", str(multi_id), "--as", outsider.email, "--format", "json")
    assert refused.exit_code != 0
    api_refused = parity.api.get(f"/api/v1/multi-retros/{multi_id}", headers=parity.sign_in_api(outsider))
    assert cli_error(refused) == api_refused.json()["error"]
