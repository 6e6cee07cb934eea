"""Flow reports and forecasts through the API and the CLI: `--format json` prints the API's own answer."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from deliveryops.accounts.models import Role
from deliveryops.teams.models import Team
from deliveryops.work.importing import import_records
from deliveryops.work.records import BlockedIntervalRecord
from tests.factories import make_team, make_user
from tests.flow.test_flow_service import WORKFLOW, at, item, steady_team
from tests.parity import Parity, api_error, cli_error

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module

AS_OF = "2026-03-05"  # the history ends in March 2026: evaluate it there


@pytest.fixture(scope="module")
def world(parity: Parity) -> tuple[Team, dict[str, str]]:
    with parity.seed() as session:
        team = steady_team(session)
        admin = make_user(session, role=Role.ADMIN)
    return team, parity.sign_in_api(admin)


def _cli_json(parity: Parity, *args: str) -> Any:
    result = parity.cli(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _without_record(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in ("id", "created_at")}


def test_flow_report_as_of_a_past_day_with_daily_throughput(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    team, headers = world
    api = parity.api.get(f"/api/v1/teams/{team.id}/flow?from=2026-03-01&as_of={AS_OF}&freq=day", headers=headers)
    assert api.status_code == 200, api.text
    cli = _cli_json(parity, "flow", "report", "--team", team.slug, "--from", "2026-03-01", "--as-of", AS_OF, "--freq", "day")
    assert cli == api.json()
    assert cli["period"] == {"from": "2026-03-01", "to": AS_OF, "today": AS_OF}
    assert cli["throughput"]["bucket"] == "day"
    assert [row["finished"] for row in cli["throughput"]["rows"]] == [0, 1, 1, 0, 1]
    assert [item["key"] for item in cli["aging_wip"]] == ["M-4"]


def test_as_of_outside_the_history_names_the_field(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    team, headers = world
    for day, says in (("2099-01-01", "in the future"), ("2025-01-01", "before the team's history starts")):
        api = parity.api.get(f"/api/v1/teams/{team.id}/flow?as_of={day}", headers=headers)
        assert api.status_code == 422
        assert says in api_error(api)["details"]["fields"]["as_of"]
        cli = parity.cli("forecast", "when", "--team", team.slug, "--items", "3", "--as-of", day, "--format", "json")
        assert cli_error(cli)["details"]["fields"]["as_of"] == api_error(api)["details"]["fields"]["as_of"]


def test_forecast_when_as_of_with_a_target_date_is_the_api_answer(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    team, headers = world
    body = {"items": 10, "seed": 7, "window_days": 30, "target_date": "2026-03-20"}
    cli = _cli_json(
        parity,
        *("forecast", "when", "--team", team.slug, "--items", "10", "--seed", "7", "--window", "30"),
        *("--target-date", "2026-03-20", "--as-of", AS_OF),
    )
    api = parity.api.post(f"/api/v1/teams/{team.id}/forecasts/when?as_of={AS_OF}", json=body, headers=headers)
    assert api.status_code == 201, api.text
    assert _without_record(cli) == _without_record(api.json())
    assert cli["start_date"] == AS_OF
    assert cli["window_end"] == "2026-03-04"
    assert cli["probability_by_target"] is not None
    text = parity.cli(
        *("forecast", "when", "--team", team.slug, "--items", "10", "--seed", "7", "--window", "30"),
        *("--target-date", "2026-03-20", "--as-of", AS_OF, "--format", "text"),
    )
    assert text.exit_code == 0, text.output
    assert f"Chance of finishing by 2026-03-20: {cli['probability_by_target']:.0%}" in text.output
    assert "A what-if" in text.output
    committed = parity.cli("forecast", "when", "--team", team.slug, "--items", "10", "--as-of", AS_OF, "--commit")
    assert cli_error(committed)["details"]["fields"] == {
        "as_of": "A forecast as of an earlier day is a what-if: it cannot be committed."
    }


def test_forecast_how_many_as_of_is_the_api_answer(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    team, headers = world
    cli = _cli_json(
        parity,
        *("forecast", "how-many", "--team", team.slug, "--by", "2026-03-31"),
        *("--seed", "3", "--window", "30", "--as-of", AS_OF),
    )
    body = {"by": "2026-03-31", "seed": 3, "window_days": 30}
    api = parity.api.post(f"/api/v1/teams/{team.id}/forecasts/how-many?as_of={AS_OF}", json=body, headers=headers)
    assert api.status_code == 201, api.text
    assert _without_record(cli) == _without_record(api.json())
    assert int(cli["predicted"]["50"]) > 0


def test_teams_and_groups_lists_are_the_api_lists(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    _team, headers = world
    assert _cli_json(parity, "teams", "list", "--format", "json") == parity.api.get("/api/v1/teams", headers=headers).json()
    parity.cli("groups", "create", "Parity group")
    assert _cli_json(parity, "groups", "list", "--format", "json") == parity.api.get("/api/v1/groups", headers=headers).json()


@pytest.fixture(scope="module")
def blocked(parity: Parity) -> Team:
    """B-1 blocked twice with a 12-hour overlap (and once in the backlog), B-2 blocked since 5 March, B-3 never."""
    with parity.seed() as session:
        team = make_team(session, name="Blocked")
        one = replace(
            item("B-1", date(2026, 3, 1), date(2026, 3, 5)),
            blocked_intervals=(
                BlockedIntervalRecord(at(date(2026, 2, 28), 9), at(date(2026, 2, 28), 10), "in the backlog"),
                BlockedIntervalRecord(at(date(2026, 3, 2)), at(date(2026, 3, 3)), "waiting for API"),
                BlockedIntervalRecord(at(date(2026, 3, 2), 22), at(date(2026, 3, 3), 22), "review"),
            ),
        )
        two = replace(
            item("B-2", date(2026, 3, 4), None),
            blocked_intervals=(BlockedIntervalRecord(at(date(2026, 3, 5)), None, "vendor"),),
        )
        records = [one, two, item("B-3", date(2026, 3, 1), date(2026, 3, 2))]
        import_records(session=session, actor=None, team=team, records=records, import_format="test", workflow=WORKFLOW)
        return team


def test_blocked_time_per_item_is_the_same_in_the_api_and_the_cli(
    parity: Parity, world: tuple[Team, dict[str, str]], blocked: Team
) -> None:
    _steady, headers = world
    team = blocked
    api = parity.api.get(f"/api/v1/teams/{team.id}/flow/items?from=2026-03-01&as_of={AS_OF}", headers=headers)
    assert api.status_code == 200, api.text
    cli = _cli_json(parity, "flow", "items", "--team", team.slug, "--from", "2026-03-01", "--as-of", AS_OF, "--format", "json")
    assert cli == api.json()
    assert cli["total"] == 3
    by_key = {row["key"]: row for row in cli["items"]}
    assert [row["key"] for row in cli["items"]] == ["B-1", "B-2", "B-3"]  # most blocked first
    assert by_key["B-1"]["blocked_days"] == 1.5  # 24 h + 24 h overlapping by 12 h; the backlog block does not count
    assert [(i["reason"], i["days"]) for i in by_key["B-1"]["blocked_intervals"]] == [("waiting for API", 1.0), ("review", 1.0)]
    assert by_key["B-2"]["blocked_intervals"][0]["end"] is None  # still blocked at the end of the as_of day
    assert by_key["B-2"]["blocked_days"] == pytest.approx(14 / 24, abs=1e-4)
    assert (by_key["B-3"]["blocked_days"], by_key["B-3"]["blocked_intervals"]) == (0.0, [])
    table = parity.cli("flow", "items", "--team", team.slug, "--from", "2026-03-01", "--as-of", AS_OF, "--limit", "2")
    assert "Blocked" in table.output
    assert "1–2 of 3" in table.output


def test_the_flow_page_shows_blocked_days_of_items_in_progress(parity: Parity, blocked: Team) -> None:
    with parity.seed() as session:
        admin = make_user(session, role=Role.ADMIN)
    parity.sign_in_page(admin)
    page = parity.page.get(f"/teams/{blocked.slug}/flow?from=2026-03-01&to=2026-03-31")
    assert page.status_code == 200, page.text
    assert 'href="/definitions#item-blocked-time"' in page.text
    row = re.search(r"<tr><td>B-2 · Item B-2</td>(.*?)</tr>", page.text)
    assert row is not None
    days = [float(cell) for cell in re.findall(r'<td class="num">([\d.]+)</td>', row.group(1))]
    assert days[1] > 200  # blocked since 5 March 2026 and still blocked
