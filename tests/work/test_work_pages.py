"""Upload with preview, confirmation, the workflow board and the work API (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.teams.models import TeamRole
from deliveryops.work.models import WorkItem
from tests.factories import join, login, make_team, make_user, token_headers
from tests.parity import api_error, page_errors

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


def _upload(name: str, content: bytes | None = None) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, content if content is not None else (EXAMPLES / name).read_bytes(), "text/csv")}


def _items(session: Session, team_id: int) -> int:
    return session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.team_id == team_id)) or 0


def test_preview_then_confirm(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Lima", time_zone="Europe/Berlin")
    dm = make_user(session, email="dm@example.com", role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    csrf = login(client, "dm@example.com")
    preview = client.post("/teams/lima/import", data={"csrf_token": csrf}, files=_upload("stage-dates.csv"))
    assert preview.status_code == 200
    assert "Format: <strong>stage-dates</strong>" in preview.text
    assert "Dates read as day-first" in preview.text
    assert _items(session, team.id) == 0  # a preview writes no items
    token = re.search(r'name="token" value="([^"]+)"', preview.text)
    assert token
    done = client.post("/teams/lima/import/confirm", data={"csrf_token": csrf, "token": token.group(1)})
    assert done.status_code == 200
    assert "items created" in done.text
    assert _items(session, team.id) > 0
    again = client.post("/teams/lima/import/confirm", data={"csrf_token": csrf, "token": token.group(1)})
    assert again.status_code == 410
    assert "That upload expired; choose the file again." in again.text
    team_page = client.get("/teams/lima")
    assert "status changes; last import" in team_page.text


def test_bad_file_shows_line_and_column(client: TestClient, session: Session) -> None:
    make_team(session, name="Kilo")
    make_user(session, email="admin@example.com", role=Role.ADMIN)
    csrf = login(client, "admin@example.com")
    bad = (EXAMPLES / "full-history.csv").read_bytes().replace(b"2026-03-10 16:30", b"yesterday")
    response = client.post("/teams/kilo/import", data={"csrf_token": csrf}, files=_upload("bad.csv", bad))
    assert response.status_code == 422
    assert "line 4, column &#34;entered_at&#34;" in response.text or 'line 4, column "entered_at"' in response.text


def test_workflow_board_saves_order_and_categories(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Juliet")
    make_user(session, email="admin@example.com", role=Role.ADMIN)
    csrf = login(client, "admin@example.com")
    client.post(f"/api/v1/teams/{team.id}/imports", files=_upload("full-history.csv"), headers={"X-CSRF-Token": csrf})
    page = client.get("/teams/juliet/workflow")
    assert "5 statuses to map" in page.text
    # The board names its inputs statuses.<n>.name|category|position, as the API's WorkflowWrite rows.
    rows = dict(re.findall(r'name="statuses\.(\d+)\.name" value="([^"]+)"', page.text))
    assert sorted(rows.values()) == ["Backlog", "Development", "Discarded", "Done", "Review"]
    chosen = {"Backlog": ("backlog", "0"), "Development": ("active", "2"), "Review": ("waiting", "1"), "Done": ("done", "3")}
    chosen["Discarded"] = ("discarded", "4")
    form = {"csrf_token": csrf}
    for index, name in rows.items():
        category, position = chosen[name]
        form |= {f"statuses.{index}.name": name, f"statuses.{index}.category": category, f"statuses.{index}.position": position}
    development = next(index for index, name in rows.items() if name == "Development")
    api_wrong = client.put(
        f"/api/v1/teams/{team.id}/workflow",
        json={"statuses": [{"name": n, "category": "started" if n == "Development" else chosen[n][0]} for n in rows.values()]},
        headers={"X-CSRF-Token": csrf},
    )
    wrong = client.post("/teams/juliet/workflow", data={**form, f"statuses.{development}.category": "started"})
    assert (api_wrong.status_code, wrong.status_code) == (422, 422)
    assert page_errors(wrong.text) == api_error(api_wrong)["details"]["fields"]
    assert list(page_errors(wrong.text)) == [f"statuses.{development}.category"]
    assert '<option value="waiting" selected' in wrong.text  # the other columns keep what was chosen
    saved = client.post("/teams/juliet/workflow", data=form)
    assert saved.status_code == 303
    board = client.get(saved.headers["location"])
    assert "Saved. Every metric now uses this workflow." in board.text
    names = re.findall(r'<h3 class="status-name">([^<]+)</h3>', board.text)
    assert names == ["Backlog", "Review", "Development", "Done", "Discarded"]
    api = client.get(f"/api/v1/teams/{team.id}/workflow").json()
    assert api["total"] == len(api["items"]) == len(names)
    assert [(s["name"], s["category"]) for s in api["items"]][:3] == [
        ("Backlog", "backlog"),
        ("Review", "waiting"),
        ("Development", "active"),
    ]


def test_a_format_the_api_refuses_is_named_beside_its_field(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Hotel")
    make_user(session, email="admin@example.com", role=Role.ADMIN)
    csrf = login(client, "admin@example.com")
    fields = {"format": "excel", "date_order": "year_first"}
    api = client.post(
        f"/api/v1/teams/{team.id}/imports", data=fields, files=_upload("stage-dates.csv"), headers={"X-CSRF-Token": csrf}
    )
    page = client.post("/teams/hotel/import", data={**fields, "csrf_token": csrf}, files=_upload("stage-dates.csv"))
    assert (api.status_code, page.status_code) == (422, 422)
    assert page_errors(page.text) == {"format": api_error(api)["details"]["fields"]["format"]}
    assert "Date order has the wrong form." in page.text
    confirm = client.post("/teams/hotel/import/confirm", data={**fields, "token": "x", "csrf_token": csrf})
    assert confirm.status_code == 422
    assert _items(session, team.id) == 0


def test_member_sees_workflow_read_only_and_cannot_import(client: TestClient, session: Session) -> None:
    team = make_team(session, name="India")
    member = make_user(session, email="m@example.com")
    join(session, team, member)
    login(client, "m@example.com")
    board = client.get("/teams/india/workflow").text
    assert "No workflow yet" in board
    assert "Save workflow" not in board
    assert client.get("/teams/india/import").status_code == 403


def test_import_api_reports_problems(client: TestClient, session: Session) -> None:
    team = make_team(session)
    admin = make_user(session, role=Role.ADMIN)
    headers = token_headers(session, admin)
    bad = b"key,type,title,created_at,status,entered_at\nA-1,Story,x,2026-01-01,Backlog,not a date\n"
    response = client.post(f"/api/v1/teams/{team.id}/imports", files=_upload("bad.csv", bad), headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    assert error["details"]["problems"][0]["line"] == 2
    assert error["details"]["problems"][0]["column"] == "entered_at"
    ok = client.post(f"/api/v1/teams/{team.id}/imports", files=_upload("full-history.csv"), headers=headers)
    assert ok.status_code == 201
    assert ok.json()["created"] == 6
    items = client.get(f"/api/v1/teams/{team.id}/items?limit=2", headers=headers).json()
    assert items["total"] == 6
    assert len(items["items"]) == 2
