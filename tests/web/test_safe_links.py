"""Links from outside are stored and rendered only when they are http(s) addresses (issue 16, item 1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.connectors.base import DeploymentRecord, IncidentRecord
from deliveryops.connectors.github_changes import change
from deliveryops.dora import service
from deliveryops.dora.ingest import import_deployments, import_incidents
from deliveryops.dora.models import Deployment
from deliveryops.errors import ValidationFailedError, validation_failed
from deliveryops.schemas import WebUrl, check_web_url, is_web_url, web_url_or_none
from deliveryops.teams.models import TeamRole
from deliveryops.web.templating import templates
from deliveryops.work.importing import import_records
from deliveryops.work.models import WorkItem
from deliveryops.work.records import WorkItemRecord
from tests.factories import join, login, make_team, make_user, token_headers

BAD = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "/relative/path",
    "https://",
    "http:/missing-slash",
    "https://exa mple.com",
]
GOOD = ["https://ci.example/builds/42", "http://tracker.example/OPS-1?x=1#y", "HTTPS://EXAMPLE.COM/"]


@pytest.mark.parametrize("value", BAD)
def test_only_http_and_https_addresses_are_web_urls(value: str) -> None:
    assert not is_web_url(value)
    assert web_url_or_none(value) is None
    with pytest.raises(ValueError, match="must be a web address starting with http:// or https://"):
        check_web_url(value, label="The url")


@pytest.mark.parametrize("value", GOOD)
def test_web_urls_pass(value: str) -> None:
    assert is_web_url(value)
    assert check_web_url(value) == value
    assert web_url_or_none(value) == value


def test_the_pydantic_type_names_the_field() -> None:
    class Body(BaseModel):
        url: WebUrl = None

    assert Body(url="").url is None
    assert Body(url="https://a.example/").url == "https://a.example/"
    with pytest.raises(ValidationError) as caught:
        Body(url="javascript:alert(1)")
    error = validation_failed(caught.value.errors(), Body)
    assert error.fields == {"url": "Url must be a web address starting with http:// or https://; got 'javascript:alert(1)'."}


def test_webhooks_refuse_a_javascript_link_naming_the_field(client: TestClient, session: Session) -> None:
    team = make_team(session)
    admin = make_user(session, role=Role.ADMIN)
    _row, token = service.create_webhook_source(session=session, actor=admin, team_id=team.id, name="CI")
    session.flush()
    headers = {"Authorization": f"Bearer {token}"}
    deployment = {
        "id": "b-1",
        "repository": "shop",
        "environment": "production",
        "result": "in_progress",
        "started_at": "2026-03-02T10:00:00Z",
        "url": "javascript:alert(1)",
    }
    refused = client.post("/api/v1/webhooks/deployments", json=deployment, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == (
        "Invalid DeploymentEvent: url: must be a web address starting with http:// or https://; got 'javascript:alert(1)'"
    )
    incident = {"id": "I-1", "title": "Down", "created_at": "2026-03-02T11:00:00Z", "url": "data:text/html,x"}
    assert client.post("/api/v1/webhooks/incidents", json=incident, headers=headers).status_code == 422
    assert session.scalars(select(Deployment)).all() == []
    ok = client.post("/api/v1/webhooks/deployments", json={**deployment, "url": "https://ci.example/1"}, headers=headers)
    assert ok.status_code == 201, ok.text


def test_dora_csv_refuses_the_line_and_imports_nothing(client: TestClient, session: Session) -> None:
    team = make_team(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    content = (
        b"id,repository,environment,result,started_at,url\n"
        b"d1,shop,production,in_progress,2026-03-02T10:00:00Z,https://ci.example/d1\n"
        b"d2,shop,production,in_progress,2026-03-03T10:00:00Z,javascript:alert(1)\n"
    )
    answer = client.post(
        f"/api/v1/teams/{team.id}/dora/imports",
        data={"kind": "deployments"},
        files={"file": ("d.csv", content, "text/csv")},
        headers=token_headers(session, dm),
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == (
        "d.csv: nothing was imported: line 3, column url: must be a web address starting with http:// or https://; "
        "got 'javascript:alert(1)'"
    )
    assert session.scalars(select(Deployment)).all() == []


def test_work_csv_refuses_a_bad_link_on_its_line(client: TestClient, session: Session) -> None:
    team = make_team(session)
    admin = make_user(session, role=Role.ADMIN)
    content = (
        b"key,type,title,created_at,status,entered_at,url\n"
        b"A-1,Story,x,2026-01-01,Backlog,2026-01-01,https://tracker.example/A-1\n"
        b"A-2,Story,y,2026-01-01,Backlog,2026-01-01,javascript:alert(1)\n"
    )
    answer = client.post(
        f"/api/v1/teams/{team.id}/imports",
        files={"file": ("w.csv", content, "text/csv")},
        headers=token_headers(session, admin),
    )
    assert answer.status_code == 422
    problem = answer.json()["error"]["details"]["problems"][0]
    assert (problem["line"], problem["column"]) == (3, "url")
    assert "web address starting with http:// or https://" in problem["message"]
    stage_dates = b"ID,Link,Name,Backlog,Done\nOPS-1,javascript:alert(1),x,2026-03-02,2026-03-13\n"
    answer = client.post(
        f"/api/v1/teams/{team.id}/imports",
        files={"file": ("s.csv", stage_dates, "text/csv")},
        headers=token_headers(session, admin),
    )
    assert answer.status_code == 422
    problem = answer.json()["error"]["details"]["problems"][0]
    assert (problem["line"], problem["column"]) == (2, "Link"), answer.json()
    assert session.scalars(select(WorkItem)).all() == []


def test_every_source_meets_the_same_check_when_stored(session: Session) -> None:
    team = make_team(session)
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    deployment = DeploymentRecord("api", "d1", "shop", "production", "success", at, None, None, url="javascript:x")
    with pytest.raises(ValidationFailedError, match="Deployment 'd1''s url must be a web address"):
        import_deployments(session, team=team, deployments=[deployment])
    incident = IncidentRecord("api", "i1", "Down", at, None, url="vbscript:x")
    with pytest.raises(ValidationFailedError) as caught:
        import_incidents(session, team=team, incidents=[incident])
    assert set(caught.value.fields) == {"url"}
    item = WorkItemRecord("api", "A-1", "Story", "x", at, url="data:text/html,x")
    with pytest.raises(ValidationFailedError, match="Item 'A-1''s url"):
        import_records(session=session, actor=None, team=team, records=[item], import_format="api")


def test_a_connector_drops_a_link_that_is_not_a_web_address() -> None:
    pull = {
        "number": 7,
        "title": "Fix",
        "user": {"login": "ana"},
        "created_at": "2026-03-02T10:00:00Z",
        "merged_at": None,
        "closed_at": None,
        "merge_commit_sha": None,
        "base": {"ref": "main"},
        "html_url": "javascript:alert(1)",
    }
    assert change("shop", pull, [], []).url is None
    assert change("shop", {**pull, "html_url": "https://github.example/shop/pull/7"}, [], []).url is not None


def test_old_rows_with_bad_links_are_not_rendered_as_links(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Checkout")
    member = make_user(session)
    join(session, team, member)
    at = datetime(2026, 3, 3, 10, tzinfo=UTC)
    session.add(  # as an old database may hold it, written before the check
        Deployment(
            team_id=team.id,
            source="csv",
            external_id="old-1",
            repository="shop",
            environment="production",
            result="success",
            started_at=at,
            finished_at=at,
            status_at=at,
            url="javascript:alert(document.cookie)",
        )
    )
    session.flush()
    login(client, member.email)
    html = client.get(f"/teams/{team.slug}/dora?from=2026-03-02&to=2026-03-15&list=deployments").text
    assert "old-1" in html
    assert "javascript:" not in html
    rendered = templates.env.from_string('{% if u|web_url %}<a href="{{ u|web_url }}">x</a>{% endif %}')
    assert rendered.render(u="javascript:alert(1)") == ""
    assert rendered.render(u="https://a.example/?q=<b>") == '<a href="https://a.example/?q=&lt;b&gt;">x</a>'
