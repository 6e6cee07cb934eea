"""The DORA service, JSON API and pages: values, group roll-up, drill-downs and scope."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.connectors.base import DeploymentRecord
from deliveryops.dora import service
from deliveryops.dora.ingest import import_deployments
from deliveryops.dora.models import Deployment
from deliveryops.errors import PermissionDeniedError
from deliveryops.teams.models import TeamRole
from tests.dora.scenario import at
from tests.dora.test_ingest import load_examples
from tests.factories import csrf_from, join, login, make_group, make_team, make_user, token_headers
from tests.parity import api_error, page_errors

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
PERIOD = "start=2026-03-02&end=2026-03-15"


def test_team_summary_api(client: TestClient, session: Session) -> None:
    team = make_team(session)
    load_examples(session, team)
    member = make_user(session)
    join(session, team, member)
    answer = client.get(f"/api/v1/teams/{team.id}/dora?{PERIOD}&period=week", headers=token_headers(session, member))
    assert answer.status_code == 200
    body = answer.json()
    assert body["keys"] | {
        "lead_time_hours": round(body["keys"]["lead_time_hours"], 4),
        "change_failure_rate": round(body["keys"]["change_failure_rate"], 4),
        "deploy_hours": round(body["keys"]["deploy_hours"], 4),
        "rework_rate": round(body["keys"]["rework_rate"], 4),
    } == {
        "deployment_days_per_week": 3.0,
        "deployment_frequency_band": "high",
        "lead_time_hours": 23.4167,
        "lead_time_band": "elite",
        "change_failure_rate": 0.4286,
        "change_failure_rate_band": "low",
        "recovery_hours": 8.0,
        "recovery_band": "high",
        "deployments": 7,
        "changes": 8,
        "incidents": 4,
        "deployment_days": 6,
        "deployment_days_per_month": 6.0,
        "failed_deployments": 3,
        "coding_hours": 1.0,
        "pickup_hours": 1.0,
        "review_hours": 2.0,
        "deploy_hours": 3.8333,
        # d10 started (03-12 18:00) while incident 4 (17:00 to 08:30 next day, on shop) was open: 1 of 7.
        "rework_rate": 0.1429,
        "rework_deployments": 1,
    }
    assert [(p["period_start"], p["deployments"], p["changes"]) for p in body["series"]] == [
        ("2026-03-02", 3, 3),
        ("2026-03-09", 4, 5),
    ]
    assert body["production_environments"] == ["production", "prod"]


def test_drill_down_lists(client: TestClient, session: Session) -> None:
    team = make_team(session)
    load_examples(session, team)
    headers = token_headers(session, make_user(session, role=Role.LEADER))
    changes = client.get(f"/api/v1/teams/{team.id}/dora/changes?{PERIOD}", headers=headers).json()["items"]
    assert [(c["number"], c["lead_time_minutes"], c["coding_minutes"]) for c in changes] == [
        (8, 190, 30),
        (7, 550, 60),
        (6, 260, 60),
        (5, 1580, None),
        (4, 5850, 60),
        (2, 1880, 60),
        (3, 1290, 1140),
        (1, 1520, 180),
    ]
    incidents = client.get(f"/api/v1/teams/{team.id}/dora/incidents?{PERIOD}", headers=headers).json()["items"]
    assert [(i["external_id"], i["link"], i["recovery_minutes"]) for i in incidents] == [
        ("INC-4", "inferred", 960),
        ("INC-3", "explicit", 480),
        ("INC-2", "inferred", 130),
        ("INC-1", "none", None),
    ]
    deployments = client.get(f"/api/v1/teams/{team.id}/dora/deployments?{PERIOD}", headers=headers).json()["items"]
    assert [(d["external_id"], d["counted"]) for d in deployments] == [
        ("d10", True),
        ("d6", False),
        ("d9", True),
        ("d8", True),
        ("d7", True),
        ("d5", True),
        ("d4", True),
        ("d3", False),
        ("d2", False),
        ("d1", True),
    ]


def test_group_roll_up_pools_the_teams(client: TestClient, session: Session) -> None:
    group = make_group(session)
    first, second = make_team(session, group=group), make_team(session, group=group)
    load_examples(session, first)
    session.flush()
    # The second team deploys once on Friday 6 March: one more deployment day in the first week.
    import_deployments(
        session,
        team=second,
        deployments=[
            DeploymentRecord(
                source="other",
                external_id="x1",
                repository="api",
                environment="production",
                result="success",
                started_at=at(6, 9),
                finished_at=at(6, 9, 30),
                commit_sha=None,
            )
        ],
    )
    report = service.group_report(session=session, actor=None, group_id=group.id, start=date(2026, 3, 2), end=date(2026, 3, 15))
    # Days: week 1: 2, 3, 4, 6 March = 4; week 2: 3 -> median 3.5. Deployments 7 + 1 = 8; failed 3 -> 3/8.
    assert report.keys.deployment_days_per_week == 3.5
    assert (report.keys.deployments, report.keys.failed_deployments) == (8, 3)
    assert report.keys.change_failure_rate == 0.375
    assert [(team.name, keys.deployments) for team, keys in report.teams] == [(first.name, 7), (second.name, 1)]
    outsider = make_user(session)
    with pytest.raises(PermissionDeniedError):
        service.group_report(session=session, actor=outsider, group_id=group.id, start=date(2026, 3, 2), end=date(2026, 3, 15))
    answer = client.get(
        f"/api/v1/groups/{group.id}/dora?{PERIOD}", headers=token_headers(session, make_user(session, role=Role.PRODUCT_OPS))
    )
    assert [t["keys"]["deployments"] for t in answer.json()["teams"]] == [7, 1]


def test_group_page_links_only_the_teams_the_viewer_may_see(client: TestClient, session: Session) -> None:
    group = make_group(session)
    mine, theirs = make_team(session, group=group), make_team(session, group=group)
    load_examples(session, mine)
    member = make_user(session)
    join(session, mine, member)
    login(client, member.email)
    page = client.get(f"/groups/{group.slug}/dora?from=2026-03-02&to=2026-03-15")
    assert page.status_code == 200
    assert f'href="/teams/{mine.slug}/dora?' in page.text
    assert f'href="/teams/{theirs.slug}/dora' not in page.text
    assert theirs.name in page.text
    assert client.get(f"/teams/{theirs.slug}/dora").status_code == 403


def test_other_teams_cannot_see_a_teams_dora(client: TestClient, session: Session) -> None:
    team = make_team(session)
    other = make_user(session)
    join(session, make_team(session), other)
    answer = client.get(f"/api/v1/teams/{team.id}/dora", headers=token_headers(session, other))
    assert (answer.status_code, answer.json()["error"]["message"]) == (
        403,
        "You are not in this team, so you cannot see its data.",
    )


def test_bad_period_is_refused(client: TestClient, session: Session) -> None:
    team = make_team(session)
    headers = token_headers(session, make_user(session, role=Role.ADMIN))
    answer = client.get(f"/api/v1/teams/{team.id}/dora?start=2026-03-10&end=2026-03-01", headers=headers)
    assert (answer.status_code, answer.json()["error"]["details"]) == (
        422,
        {"fields": {"start": "Must be on or before the end."}},
    )
    wrong = client.get(f"/api/v1/teams/{team.id}/dora?period=fortnight", headers=headers)
    assert wrong.status_code == 422


def test_csv_upload_api_is_for_managers_and_all_or_nothing(client: TestClient, session: Session) -> None:
    team = make_team(session)
    dm, member = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    join(session, team, member)
    file = {"file": ("d.csv", (EXAMPLES / "dora-deployments.csv").read_bytes(), "text/csv")}
    denied = client.post(
        f"/api/v1/teams/{team.id}/dora/imports", files=file, data={"kind": "deployments"}, headers=token_headers(session, member)
    )
    assert (denied.status_code, denied.json()["error"]["message"]) == (
        403,
        "Only an admin or the team's delivery manager can upload DORA files.",
    )
    done = client.post(
        f"/api/v1/teams/{team.id}/dora/imports", files=file, data={"kind": "deployments"}, headers=token_headers(session, dm)
    )
    assert (done.status_code, done.json()) == (
        201,
        {
            "kind": "deployments",
            "written": 10,
            "unchanged": 0,
            "older": 0,
            "skipped": [],
            "moved": [],
            "message": "Imported 10 deployments.",
            "preview": False,
        },
    )
    bad = client.post(
        f"/api/v1/teams/{team.id}/dora/imports",
        data={"kind": "incidents"},
        files={"file": ("i.csv", b"id,title,created_at\nI-1,,2026-03-02\n", "text/csv")},
        headers=token_headers(session, dm),
    )
    assert bad.json()["error"]["message"] == ("i.csv: nothing was imported: line 2, column title: is empty; it is required")


def test_team_page_shows_keys_bands_thresholds_and_drill_downs(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Checkout")
    load_examples(session, team)
    member = make_user(session)
    join(session, team, member)
    session.flush()
    login(client, member.email)
    page = client.get(f"/teams/{team.slug}/dora?from=2026-03-02&to=2026-03-15&period=month&list=incidents")
    assert page.status_code == 200
    html = page.text
    for text in (
        "DORA of Checkout",
        "3.0",
        "23.4 h",
        "42.9%",
        "8.0 h",
        "≥ 5 deployment days per week",
        "&lt; 1 day ◀ this team",
        'href="/definitions#lead-time"',
        "INC-3",
        "named by the source",
        'id="chart-deployment-frequency"',
        '<option value="month" selected>',
    ):
        assert text in html, text
    assert "Upload CSV files" not in html  # a member cannot upload
    assert client.get(f"/teams/{team.slug}/dora/upload").status_code == 403
    bad = client.get(f"/teams/{team.slug}/dora?from=someday")
    assert bad.status_code == 422
    assert "From: expected a date like 2026-03-31, got &#39;someday&#39;." in bad.text


def test_empty_team_page_and_the_index(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Quiet")
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    session.flush()
    login(client, dm.email)
    page = client.get(f"/teams/{team.slug}/dora")
    assert "No deployments yet" in page.text
    assert f"/teams/{team.slug}/dora/upload" in page.text
    index = client.get("/dora")
    assert f'href="/teams/{team.slug}/dora"' in index.text
    assert "no data" in index.text


def test_upload_page_imports_a_file_and_reports_problems(client: TestClient, session: Session) -> None:
    team = make_team(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    session.flush()
    login(client, dm.email)
    csrf = csrf_from(client.get(f"/teams/{team.slug}/dora/upload").text)
    ok = client.post(
        f"/teams/{team.slug}/dora/upload",
        data={"kind": "deployments", "csrf_token": csrf},
        files={"file": ("d.csv", (EXAMPLES / "dora-deployments.csv").read_bytes(), "text/csv")},
    )
    assert "Imported 10 deployments from the file." in ok.text
    bad = client.post(
        f"/teams/{team.slug}/dora/upload",
        data={"kind": "deployments", "csrf_token": csrf},
        files={"file": ("e.csv", b"id,repository\n", "text/csv")},
    )
    assert bad.status_code == 422
    assert "e.csv: nothing was imported: line 1: missing column(s) environment, result, started_at" in bad.text
    csv_file = {"file": ("d.csv", (EXAMPLES / "dora-deployments.csv").read_bytes(), "text/csv")}
    for kind in ("logs", ""):
        api = client.post(
            f"/api/v1/teams/{team.id}/dora/imports", data={"kind": kind}, files=csv_file, headers=token_headers(session, dm)
        )
        page = client.post(f"/teams/{team.slug}/dora/upload", data={"kind": kind, "csrf_token": csrf}, files=csv_file)
        assert (api.status_code, page.status_code) == (422, 422)
        assert page_errors(page.text) == api_error(api)["details"]["fields"] == {"kind": "Use deployments, changes or incidents."}
    long_name = client.post(f"/teams/{team.slug}/dora/settings", data={"environments": "live, " + "x" * 101, "csrf_token": csrf})
    assert long_name.status_code == 422
    assert page_errors(long_name.text) == {"environments": "Use at most 100 characters each."}
    assert 'value="live, xxx' in long_name.text
    no_csrf = client.post(f"/teams/{team.slug}/dora/settings", data={"environments": "live"})
    assert no_csrf.status_code == 403
    saved = client.post(f"/teams/{team.slug}/dora/settings", data={"environments": "live, Prod-EU", "csrf_token": csrf})
    assert "Production environments: Prod-EU, live." in saved.text
    assert service.production_environments(session, team.id) == ("Prod-EU", "live")
    assert session.query(Deployment).count() == 10


def test_admin_creates_a_webhook_source_and_sees_the_token_once(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Payments")
    admin = make_user(session, role=Role.ADMIN)
    session.flush()
    login(client, admin.email)
    page = client.get("/admin/dora/webhooks")
    assert "No webhook sources yet." in page.text
    created = client.post(
        "/admin/dora/webhooks", data={"name": "Argo", "team_id": str(team.id), "csrf_token": csrf_from(page.text)}
    )
    assert created.status_code == 201
    assert 'id="new-token">dwh_' in created.text
    again = client.get("/admin/dora/webhooks")
    assert "new-token" not in again.text
    assert "Argo" in again.text
    assert "never" in again.text
    empty_name = client.post(
        "/admin/dora/webhooks", data={"name": " ", "team_id": str(team.id), "csrf_token": csrf_from(page.text)}
    )
    assert empty_name.status_code == 422
    assert "Give the webhook source a name." in empty_name.text
    no_team = client.post("/admin/dora/webhooks", data={"name": "Argo", "team_id": "", "csrf_token": csrf_from(page.text)})
    assert no_team.status_code == 422
    assert "Team is required." in no_team.text  # the API's words for the same input


def test_the_deployments_list_is_paginated(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Busy")
    member = make_user(session)
    join(session, team, member)
    records = [
        DeploymentRecord(
            source="other",
            external_id=f"d{n}",
            repository="api",
            environment="production",
            result="success",
            started_at=at(2 + n // 8, 8 + n % 8),
            finished_at=at(2 + n // 8, 8 + n % 8, 20),
            commit_sha=None,
        )
        for n in range(30)
    ]
    import_deployments(session, team=team, deployments=records)
    session.flush()
    login(client, member.email)
    first = client.get(f"/teams/{team.slug}/dora?from=2026-03-02&to=2026-03-15").text
    assert first.count(">api</td>") == 25
    assert "1–25 of 30, newest first" in first
    assert 'offset=25#items" rel="next">Older</a>' in first
    second = client.get(f"/teams/{team.slug}/dora?from=2026-03-02&to=2026-03-15&offset=25").text
    assert second.count(">api</td>") == 5
    assert "26–30 of 30" in second
    assert 'offset=0#items" rel="prev">Newer</a>' in second
    assert client.get(f"/teams/{team.slug}/dora?offset=-1").status_code == 422
