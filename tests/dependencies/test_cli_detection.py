"""`deliveryops dependencies detect` and `export` agree with the API on one committed database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from deliveryops.accounts.models import Role
from deliveryops.work.importing import import_records
from deliveryops.work.records import LinkRecord, WorkItemRecord
from tests.factories import make_team, make_user
from tests.parity import Parity

CREATED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _item(key: str, *links: LinkRecord) -> WorkItemRecord:
    return WorkItemRecord(
        source="test", external_key=key, item_type="Story", title=f"Work on {key}", created_at=CREATED, links=links
    )


def test_cli_detects_like_the_api_and_exports_the_same_file(parity: Parity) -> None:
    with parity.seed() as session:
        app, payments = make_team(session, name="CLI Detect App"), make_team(session, name="CLI Detect Payments")
        import_records(
            session=session,
            actor=None,
            team=app,
            import_format="test",
            records=[
                _item("CDA-1", LinkRecord("is_blocked_by", "CDP-1")),
                _item("CDA-2", LinkRecord("outward", "CDP-2", "depends on")),
            ],
        )
        import_records(session=session, actor=None, team=payments, import_format="test", records=[_item("CDP-1"), _item("CDP-2")])
        ops = make_user(session, role=Role.PRODUCT_OPS)

    detected = parity.cli("dependencies", "detect", "--format", "json")
    assert detected.exit_code == 0, detected.output
    assert json.loads(detected.output) == {"proposed": 2, "already_known": 0, "covered": 0}
    headers = parity.sign_in_api(ops)
    again = parity.api.post("/api/v1/dependency-proposals/detect", headers=headers)
    assert again.json() == {"proposed": 0, "already_known": 2, "covered": 0}
    proposals = parity.api.get("/api/v1/dependency-proposals", headers=headers).json()["items"]
    for proposal in proposals:
        confirmed = parity.api.post(
            f"/api/v1/dependency-proposals/{proposal['id']}/confirm", json={"needed_by": "2027-03-01"}, headers=headers
        )
        assert confirmed.status_code == 201, confirmed.text

    for file_format in ("csv", "json"):
        cli = parity.cli("dependencies", "export", "--team", "CLI Detect App", "--format", file_format)
        assert cli.exit_code == 0, cli.output
        api = parity.api.get("/api/v1/dependencies/export", params={"team_id": app.id, "format": file_format}, headers=headers)
        assert cli.output.splitlines() == api.text.splitlines()  # the terminal's line ends, the file's
    rows = json.loads(parity.cli("dependencies", "export", "--format", "json").output)
    assert sorted((r["requester_keys"], r["provider_keys"]) for r in rows if r["requester_team"] == "CLI Detect App") == [
        (["CDA-1"], ["CDP-1"]),
        (["CDA-2"], ["CDP-2"]),
    ]
    wrong = parity.cli("dependencies", "export", "--format", "xml")
    assert wrong.exit_code != 0
    assert "csv or json" in wrong.output
