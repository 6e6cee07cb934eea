"""Teams' channels through the API and the CLI: `notify add|enable|disable --format json` print the API's
webhook, and a refused channel reads as the API's error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import Result

from deliveryops.accounts.models import Role
from deliveryops.cli.main import app as cli_app
from tests.factories import make_team, make_user
from tests.parity import Parity, api_error, cli_error

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def _add(parity: Parity, team: str, url: str, *options: str) -> Result:
    """`deliveryops notify add TEAM ...` answering the URL prompt with ``url``."""
    return parity.runner.invoke(
        cli_app,
        ["notify", "add", team, *options, "--format", "json", "--database", parity.url],
        input=f"{url}\n",
        env={"DELIVERYOPS_SECRET_KEY": parity.secret_key},
    )


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{") :])


def test_a_channel_added_and_switched_is_the_api_answer(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Notify JSON")
        admin = make_user(session, role=Role.ADMIN)
    headers = parity.sign_in_api(admin)
    url = "https://hooks.slack.com/services/T000/B000/cliParity42"
    added = _json(_add(parity, team.slug, url, "--kind", "slack", "--name", "#notify-json", "--event", "retro_finished"))
    listed = parity.api.get(f"/api/v1/teams/{team.id}/webhooks", headers=headers).json()
    assert listed["items"] == [added]
    assert (added["events"], added["enabled"], "cliParity42" in json.dumps(added)) == (["retro_finished"], True, False)

    off = _json(parity.cli("notify", "disable", str(added["id"]), "--format", "json"))
    assert off == {**added, "enabled": False}
    on = parity.api.patch(f"/api/v1/webhooks/{added['id']}", json={"enabled": True}, headers=headers)
    assert on.status_code == 200, on.text
    assert on.json() == _json(parity.cli("notify", "enable", str(added["id"]), "--format", "json"))


def test_a_bad_channel_is_refused_as_the_api_refuses_it(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Notify JSON Errors")
        admin = make_user(session, role=Role.ADMIN)
    headers = parity.sign_in_api(admin)
    cases: list[tuple[dict[str, Any], tuple[str, ...]]] = [
        ({"kind": "fax", "name": "#x", "url": "https://hooks.slack.com/services/x"}, ("--kind", "fax", "--name", "#x")),
        ({"kind": "slack", "name": "#x", "url": "http://hooks.slack.com/services/x"}, ("--kind", "slack", "--name", "#x")),
        (
            {"kind": "slack", "name": "#x", "url": "https://hooks.slack.com/services/x", "events": ["lunch"]},
            ("--kind", "slack", "--name", "#x", "--event", "lunch"),
        ),
    ]
    for body, options in cases:
        api = parity.api.post(f"/api/v1/teams/{team.id}/webhooks", json=body, headers=headers)
        assert api.status_code == 422, api.text
        assert cli_error(_add(parity, team.slug, str(body["url"]), *options)) == api_error(api)
    assert parity.api.get(f"/api/v1/teams/{team.id}/webhooks", headers=headers).json()["total"] == 0
