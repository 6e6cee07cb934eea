"""Teams through the API, the pages and the CLI: the same answer and the same error for the same input."""

from __future__ import annotations

import pytest

from deliveryops.accounts.models import Role
from tests.factories import make_user
from tests.parity import Parity, api_error, page_errors

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def test_an_unknown_time_zone_reads_the_same_everywhere(parity: Parity) -> None:
    with parity.seed() as session:
        admin = make_user(session, role=Role.ADMIN)
    field = {"time_zone": "Choose a time zone such as Europe/Berlin or America/New_York."}

    api = parity.api.post("/api/v1/teams", json={"name": "Zoneless", "time_zone": "Mars/Base"}, headers=parity.sign_in_api(admin))
    assert api.status_code == 422
    assert api_error(api) == {
        "code": "validation_failed",
        "message": "Unknown time zone 'Mars/Base'.",
        "details": {"fields": field},
    }

    csrf = parity.sign_in_page(admin)
    page = parity.page.post("/admin/teams", data={"name": "Zoneless", "time_zone": "Mars/Base", "csrf_token": csrf})
    assert page.status_code == 422
    assert page_errors(page.text) == field

    cli = parity.cli("teams", "create", "Zoneless", "--time-zone", "Mars/Base")
    assert cli.exit_code == 1
    assert " ".join(cli.output.split()) == f"Error: Unknown time zone 'Mars/Base'. (time_zone: {field['time_zone']})"
