"""Jira (Cloud and Server / Data Center) as a DORA incident source, against the fake Jira over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from deliveryops.connectors.base import ConnectorError, FetchPage, IncidentRecord, SyncRequest
from deliveryops.connectors.jira import JiraCloudConnector, JiraCloudSettings, JiraServerConnector, JiraServerSettings
from deliveryops.connectors.jira_common import JiraConnectorBase
from tests.connectors.fake_jira import EMAIL, SEVERITY_FIELD, TOKEN, FakeIssue, FakeJira, make_issue


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def issues() -> list[FakeIssue]:
    return [
        make_issue(
            "OPS-1",
            created=at("2024-03-01T09:00:00"),
            issue_type="Incident",
            priority="Highest",
            summary="Checkout is down",
            severity="SEV1",
            moves=[(at("2024-03-01T09:20:00"), "10074"), (at("2024-03-01T11:00:00"), "10068")],
        ),
        make_issue(
            "OPS-2",
            created=at("2024-03-02T10:00:00"),
            labels=["incident", "payments"],
            priority="Medium",
            summary="Refunds are slow",
        ),
        make_issue("OPS-3", created=at("2024-03-03T10:00:00"), summary="A story"),
        make_issue("OPS-4", created=at("2024-03-04T10:00:00"), issue_type="Bug", labels=["postmortem"]),
    ]


def cloud(url: str, **settings: Any) -> JiraCloudConnector:
    config = JiraCloudSettings.model_validate({"base_url": url, "email": EMAIL, "projects": ["OPS"], **settings})
    return JiraCloudConnector(config, TOKEN, name="Jira OPS", sleep=lambda _s: None)


def server_connector(url: str, **settings: Any) -> JiraServerConnector:
    config = JiraServerSettings.model_validate({"base_url": url, "projects": ["OPS"], **settings})
    return JiraServerConnector(config, TOKEN, name="Jira DC", sleep=lambda _s: None)


def incidents(pages: list[FetchPage]) -> list[IncidentRecord]:
    return [incident for page in pages for incident in page.incidents]


def item_keys(pages: list[FetchPage]) -> list[str]:
    return [item.external_key for page in pages for item in page.items]


INCIDENT_SETTINGS = {"incident_issue_types": ["incident"], "incident_labels": ["Incident"]}


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_issues_of_the_type_or_with_the_label_are_incidents(flavour: str) -> None:
    fake = FakeJira(issues(), flavour="cloud" if flavour == "cloud" else "server")
    with fake.serve() as server:
        connector: JiraConnectorBase[Any] = (cloud if flavour == "cloud" else server_connector)(server.url, **INCIDENT_SETTINGS)
        pages = list(connector.fetch(SyncRequest()))
        search = next(r for r in fake.requests if r.path.endswith(("/search/jql", "/search")))

    source = "jira-cloud" if flavour == "cloud" else "jira-server"
    assert incidents(pages) == [
        IncidentRecord(
            source=source,
            external_id="OPS-1",
            title="Checkout is down",
            created_at=at("2024-03-01T09:00:00"),
            resolved_at=at("2024-03-01T11:00:00"),
            severity="Highest",
            url=f"{server.url}/browse/OPS-1",
        ),
        IncidentRecord(
            source=source,
            external_id="OPS-2",
            title="Refunds are slow",
            created_at=at("2024-03-02T10:00:00"),
            resolved_at=None,
            severity="Medium",
            url=f"{server.url}/browse/OPS-2",
        ),
    ]
    assert item_keys(pages) == ["OPS-1", "OPS-2", "OPS-3", "OPS-4"]  # incidents stay work items by default
    assert (search.param("fields") or "").split(",")[-1] == "priority"


def test_severity_from_a_configured_field_and_incidents_only() -> None:
    fake = FakeJira(issues())
    with fake.serve() as server:
        pages = list(
            cloud(
                server.url,
                incident_issue_types=["Incident"],
                incident_severity_field=SEVERITY_FIELD,
                incidents_as_work_items=False,
            ).fetch(SyncRequest(full=True))
        )
        search = next(r for r in fake.requests if r.path.endswith("/search/jql"))

    assert [(i.external_id, i.severity) for i in incidents(pages)] == [("OPS-1", "SEV1")]
    assert item_keys(pages) == ["OPS-2", "OPS-3", "OPS-4"]
    assert (search.param("fields") or "").split(",")[-1] == SEVERITY_FIELD
    assert pages[-1].watermark == at("2024-03-04T10:00:00")


def test_without_incident_settings_nothing_changes() -> None:
    fake = FakeJira(issues())
    with fake.serve() as server:
        pages = list(cloud(server.url).fetch(SyncRequest()))
        search = next(r for r in fake.requests if r.path.endswith("/search/jql"))

    assert incidents(pages) == []
    assert "priority" not in (search.param("fields") or "").split(",")


def test_a_resolution_before_creation_is_read_as_restored_at_once() -> None:
    odd = make_issue("OPS-9", created=at("2024-03-05T10:00:00"), issue_type="Incident", resolved=at("2024-03-05T09:00:00"))
    with FakeJira([odd]).serve() as server:
        found = incidents(list(cloud(server.url, incident_issue_types=["Incident"]).fetch(SyncRequest())))

    assert [(i.created_at, i.resolved_at) for i in found] == [(at("2024-03-05T10:00:00"), at("2024-03-05T10:00:00"))]


def test_a_severity_field_the_site_does_not_have_is_named() -> None:
    with FakeJira(issues()).serve() as server, pytest.raises(ConnectorError) as caught:
        list(cloud(server.url, incident_labels=["incident"], incident_severity_field="customfield_99999").fetch(SyncRequest()))

    assert caught.value.message == (
        f"Jira OPS: field customfield_99999 does not exist on {server.url}; "
        "correct the incident severity field of the connection."
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"incident_severity_field": "Severity level"},
            "'Severity level' is not a Jira field id (e.g. priority or customfield_10050)",
        ),
        ({"incident_labels": ['in"cident']}, "'in\"cident': a name cannot contain double quotes"),
    ],
)
def test_incident_settings_are_validated_naming_the_field(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        JiraServerSettings.model_validate({"base_url": "https://jira.example.com", "projects": ["OPS"], **settings})

    errors = caught.value.errors()
    assert [(error["loc"][0], error["msg"].removeprefix("Value error, ")) for error in errors] == [
        (next(iter(settings)), message)
    ]


def test_incident_settings_are_cleaned() -> None:
    settings = JiraCloudSettings.model_validate(
        {
            "base_url": "https://x.atlassian.net",
            "email": EMAIL,
            "projects": ["OPS"],
            "incident_issue_types": [" Incident ", "", "Incident"],
            "incident_severity_field": "  ",
        }
    )
    assert (settings.incident_issue_types, settings.incident_severity_field, settings.incidents_as_work_items) == (
        ["Incident"],
        None,
        True,
    )
    assert settings.reads_incidents() is True
