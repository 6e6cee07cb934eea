"""`deliveryops roadmap` validates what it is given as the API does: the same bad input, the same error."""

from __future__ import annotations

import pytest

from deliveryops.accounts.models import Role
from deliveryops.cli.common import domain_error_text
from deliveryops.errors import ValidationFailedError
from tests.factories import make_group, make_team, make_user
from tests.parity import Parity, api_error

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def _said(response: object) -> str:
    """What the CLI prints (without ``Error:``) for the API's error body."""
    body = api_error(response)
    return f"Error: {domain_error_text(ValidationFailedError(body['message'], fields=body['details']['fields']))}"


def _output(text: str) -> str:
    return " ".join(text.split())


def test_bad_absences_and_shares_read_as_the_api_says(parity: Parity) -> None:
    with parity.seed() as session:
        group = make_group(session, name="Parity Roadmap")
        team = make_team(session, name="Parity Lane", group=group)
        ops = make_user(session, role=Role.PRODUCT_OPS)
    headers = parity.sign_in_api(ops)

    api = parity.api.post(
        f"/api/v1/teams/{team.id}/absences", json={"start": "2027-01-04", "end": "2027-01-08", "percent": 0}, headers=headers
    )
    assert api.status_code == 422
    assert list(api_error(api)["details"]["fields"]) == ["percent"]
    cli = parity.cli(
        "roadmap", "absence", "--team", "Parity Lane", "--start", "2027-01-04", "--end", "2027-01-08", "--percent", "0"
    )
    assert cli.exit_code == 1
    assert _output(cli.output) == _output(_said(api))

    api = parity.api.put(
        f"/api/v1/teams/{team.id}/roadmap-plan", json={"rule": "shares", "shares": {"A-1": "sixty"}}, headers=headers
    )
    assert api.status_code == 422
    cli = parity.cli("roadmap", "plan", "--team", "Parity Lane", "--rule", "shares", "--shares", "A-1=sixty")
    assert cli.exit_code == 1
    assert _output(cli.output) == _output(_said(api))

    what_if = {"team_id": team.id, "absences": [{"start": "2027-01-04", "end": "2027-01-08", "percent": 150}]}
    api = parity.api.post(
        f"/api/v1/groups/{group.id}/roadmap/what-if", json={"cut_date": "2027-02-30", "teams": [what_if]}, headers=headers
    )
    assert api.status_code == 422
    assert sorted(api_error(api)["details"]["fields"]) == ["cut_date", "teams.0.absences.0.percent"]
    what_if_options = ("--what-if-team", "Parity Lane", "--absence", "2027-01-04:2027-01-08:150", "--cut-date", "2027-02-30")
    cli = parity.cli("roadmap", "show", "--group", "parity-roadmap", *what_if_options)
    assert cli.exit_code == 1
    assert _output(cli.output) == _output(_said(api))
