"""The cockpit through the API and the CLI: a rollout's effect and the weekly digest, the same answer and error."""

from __future__ import annotations

import pytest

from deliveryops.accounts.models import Role
from deliveryops.cockpit.catalogue import service as catalogue
from tests.actions.test_actions import weekly_team
from tests.factories import make_group, make_user
from tests.parity import Parity, api_error, cli_error, cli_json

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def test_a_rollout_effect_is_the_api_answer(parity: Parity) -> None:
    with parity.seed() as session:
        entry = catalogue.create(session=session, actor=None, kind="practice", name="Mobbing", category="flow")
        teams = [weekly_team(session, [3 + week % 2 for week in range(28)]) for _ in range(3)]
        admin = make_user(session, role=Role.ADMIN)
    headers = parity.sign_in_api(admin)
    adopted = parity.api.post(
        f"/api/v1/teams/{teams[0].id}/practices", json={"entry_id": entry.id, "state": "adopted"}, headers=headers
    )
    assert adopted.status_code == 201, adopted.text

    query = "&".join(f"team_id={team.id}" for team in teams)
    for metric in ("throughput", "cycle_time_p85"):
        api = parity.api.get(f"/api/v1/cockpit/catalogue/{entry.id}/rollout-effect?{query}&metric={metric}", headers=headers)
        assert api.status_code == 200, api.text
        options = [part for team in teams for part in ("--team", team.slug)]
        cli = cli_json(parity, "catalogue", "rollout-effect", "Mobbing", *options, "--metric", metric, "--format", "json")
        assert cli == api.json()
        assert (cli["entry_id"], cli["metric"], cli["outcome"]) == (entry.id, metric, "not_enough_evidence")

    every = parity.api.get(f"/api/v1/cockpit/catalogue/{entry.id}/rollout-effect", headers=headers)
    assert cli_json(parity, "catalogue", "rollout-effect", "Mobbing", "--format", "json") == every.json()


def test_a_rollout_effect_refuses_a_metric_as_the_api_does(parity: Parity) -> None:
    with parity.seed() as session:
        entry = catalogue.create(session=session, actor=None, kind="practice", name="Kanban", category="flow")
        team = weekly_team(session, [2] * 10)
        admin = make_user(session, role=Role.ADMIN)
    headers = parity.sign_in_api(admin)
    for metric, field in (("health_card", "Choose a flow metric."), ("speed", None)):
        api = parity.api.get(
            f"/api/v1/cockpit/catalogue/{entry.id}/rollout-effect?team_id={team.id}&metric={metric}", headers=headers
        )
        assert api.status_code == 422
        cli = parity.cli("catalogue", "rollout-effect", "Kanban", "--team", team.slug, "--metric", metric, "--format", "json")
        assert cli_error(cli) == api_error(api)
        if field is not None:
            assert api_error(api)["details"]["fields"] == {"metric": field}
        else:
            assert "throughput" in api_error(api)["details"]["fields"]["metric"]
    text = parity.cli("catalogue", "rollout-effect", "Kanban", "--team", team.slug, "--metric", "speed")
    assert text.exit_code == 1
    assert f"Error: {api_error(api)['message']}" in " ".join(text.output.split())


def test_a_digest_is_the_api_answer_for_that_person(parity: Parity) -> None:
    with parity.seed() as session:
        dm = make_user(session, role=Role.DELIVERY_MANAGER)
        member = make_user(session)
    api = parity.api.get("/api/v1/digest", headers=parity.sign_in_api(dm))
    assert api.status_code == 200, api.text
    cli = cli_json(parity, "report", "digest", "--to", dm.email, "--format", "json")
    moments = ("start", "end")  # the 7 days end when each is asked
    assert {k: v for k, v in cli.items() if k not in moments} == {k: v for k, v in api.json().items() if k not in moments}
    assert set(cli) == set(api.json())

    refused = parity.api.get("/api/v1/digest", headers=parity.sign_in_api(member))
    assert refused.status_code == 403
    text = parity.cli("report", "digest", "--to", member.email, "--format", "json")
    assert text.exit_code == 1
    assert "digests are for delivery managers, Product Ops and leaders" in " ".join(text.output.split())
    alone = parity.cli("report", "digest", "--format", "json")
    assert (alone.exit_code, "give --to EMAIL" in " ".join(alone.output.split())) == (1, True)


def test_a_leadership_pack_is_the_api_answer_and_a_bad_period_its_error(parity: Parity) -> None:
    with parity.seed() as session:
        group = make_group(session, name="Pack Parity")
        weekly_team(session, [2] * 6).group_id = group.id
        admin = make_user(session, role=Role.ADMIN)
    headers = parity.sign_in_api(admin)
    api = parity.api.get("/api/v1/cockpit/leadership", params={"group": group.slug, "period": "2026-Q3"}, headers=headers)
    assert api.status_code == 200, api.text
    cli = cli_json(parity, "report", "leadership", "--group", group.slug, "--period", "2026-Q3", "--format", "json")
    assert cli == api.json()

    bad = parity.api.get("/api/v1/cockpit/leadership", params={"group": group.slug, "period": "2026-Q7"}, headers=headers)
    assert bad.status_code == 422, bad.text
    refused = parity.cli("report", "leadership", "--group", group.slug, "--period", "2026-Q7", "--format", "json")
    assert cli_error(refused) == api_error(bad)
