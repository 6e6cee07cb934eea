"""`deliveryops catalogue custom-checks define|list|delete`: an admin defines a check without code from the
command line; `--format json` prints what the API answers, and the API sees the same checks."""

from __future__ import annotations

import pytest

from deliveryops.accounts.models import Role
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.models import CatalogueEntry, DataCheck
from tests.factories import make_user
from tests.parity import Parity, cli_error, cli_json

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def test_an_admin_defines_lists_and_deletes_a_check_from_the_command_line(parity: Parity) -> None:
    with parity.seed() as session:
        admin = make_user(session, role=Role.ADMIN, email="checks.admin@example.com")
        member = make_user(session, email="checks.member@example.com")
        entry = catalogue.create(session=session, actor=None, kind="practice", name="Pair review", category="quality")
        entry_id, admin_email, member_email = entry.id, admin.email, member.email
    headers = parity.sign_in_api(admin)
    defined = cli_json(
        parity,
        *("catalogue", "custom-checks", "define", "Pair review", "--signal", "reviewed_share"),
        *("--threshold", "75", "--window-days", "30", "--as", admin_email, "--format", "json"),
    )
    assert (defined["entry_id"], defined["signal"], defined["threshold"], defined["window_days"]) == (
        entry_id,
        "reviewed_share",
        75.0,
        30,
    )
    assert "entry_name" not in defined  # the PUT's answer, field for field
    again = parity.api.put(
        f"/api/v1/cockpit/catalogue/{entry_id}/custom-check",
        json={"signal": "reviewed_share", "threshold": 75, "window_days": 30},
        headers=headers,
    ).json()
    assert set(again) == set(defined)
    listed = cli_json(parity, "catalogue", "custom-checks", "list", "--format", "json")
    api_page = parity.api.get("/api/v1/cockpit/custom-checks", headers=headers).json()
    assert listed == api_page
    assert [(row["entry_name"], row["signal"]) for row in listed["items"]] == [("Pair review", "reviewed_share")]
    # A member may not define one; a bad signal names the field.
    refused = parity.cli(
        *("catalogue", "custom-checks", "define", "Pair review", "--signal", "retros_held", "--threshold", "1"),
        *("--as", member_email, "--format", "json"),
    )
    assert cli_error(refused)["code"] == "permission_denied"
    bad = parity.cli(
        *("catalogue", "custom-checks", "define", "Pair review", "--signal", "juggling", "--threshold", "1"),
        *("--format", "json"),
    )
    assert "signal" in cli_error(bad)["details"]["fields"]
    deleted = parity.cli("catalogue", "custom-checks", "delete", "Pair review", "--as", admin_email)
    assert deleted.exit_code == 0, deleted.output
    assert "Pair review: its admin-defined check is removed." in deleted.output
    with parity.seed() as session:
        row = session.get(CatalogueEntry, entry_id)
        assert row is not None
        assert row.data_check is None
        assert catalogue.custom_check_of(session, entry_id) is None
    assert parity.api.get("/api/v1/cockpit/custom-checks", headers=headers).json()["items"] == []
    # Deleting again: nothing to delete, through the API too.
    assert parity.cli("catalogue", "custom-checks", "delete", "Pair review").exit_code == 1
    assert parity.api.delete(f"/api/v1/cockpit/catalogue/{entry_id}/custom-check", headers=headers).status_code == 404
    assert DataCheck.CUSTOM.value == "custom"
