"""Jira Server / Data Center connector against a fake Jira (API v2, bearer token, startAt paging)."""

from __future__ import annotations

import dataclasses

import pytest

from deliveryops.connectors.base import ConnectorError, SyncRequest
from deliveryops.connectors.jira import JiraCloudConnector, JiraCloudSettings, JiraServerConnector, JiraServerSettings
from deliveryops.connectors.registry import connector_class
from tests.connectors.fake_jira import EMAIL, TOKEN, FakeJira, recorded_issues

SEARCH = "/rest/api/2/search"
PAGES = [["EE-13491", "EE-23", "EE-25"], ["EE-1", "EE-20", "EE-13954"], ["K5-2", "K5-4"]]


def connector(url: str, *, token: str = TOKEN) -> JiraServerConnector:
    """A Server connector named "Jira DC" for the fake at ``url``."""
    return JiraServerConnector(JiraServerSettings(base_url=url, projects=["EE", "K5"]), token, name="Jira DC")


def test_registered_under_its_kind() -> None:
    assert connector_class("jira-server") is JiraServerConnector
    assert JiraServerConnector.label == "Jira Server / Data Center"


def test_connection_test_with_a_personal_access_token() -> None:
    fake = FakeJira(recorded_issues(), flavour="server")
    with fake.serve() as server:
        message = connector(server.url).test()
    assert message == f"Connected to {server.url} as Ada Lovelace; projects EE (Enterprise Edition), K5 (Keon_5) found."
    assert {request.headers["authorization"] for request in fake.requests} == {f"Bearer {TOKEN}"}
    assert fake.paths()[:3] == ["/rest/api/2/myself", "/rest/api/2/project/EE", "/rest/api/2/project/K5"]
    # Then the issue types of each project, to check the one actions are created as.
    assert set(fake.paths()[3:]) == {f"/rest/api/2/issue/createmeta/{key}/issuetypes" for key in ("EE", "K5")}


def test_expired_token_is_named_in_the_error() -> None:
    with FakeJira(recorded_issues(), flavour="server").serve() as server, pytest.raises(ConnectorError) as raised:
        connector(server.url, token="expired").test()
    assert raised.value.message == (
        "Jira DC: the server refused the credentials (401 Unauthorized). "
        "The token may have expired or lack access: update it on the connection."
    )


def test_pages_with_start_at() -> None:
    fake = FakeJira(recorded_issues(), flavour="server", page_size=3)
    with fake.serve() as server:
        pages = list(connector(server.url).fetch(SyncRequest(full=True)))
    assert [[item.external_key for item in page.items] for page in pages] == PAGES
    searches = [request for request in fake.requests if request.path == SEARCH and request.param("expand") == "changelog"]
    assert [request.param("startAt") for request in searches] == ["0", "3", "6"]
    assert [page.cursor for page in pages] == [
        {"start_at": 3, "since": None},
        {"start_at": 6, "since": None},
        {"start_at": None, "since": None},
    ]
    assert pages[-1].existing_keys == ["EE-1", "EE-13491", "EE-13954", "EE-20", "EE-23", "EE-25", "K5-2", "K5-4"]
    assert {item.source for page in pages for item in page.items} == {"jira-server"}


def test_resume_from_start_at() -> None:
    fake = FakeJira(recorded_issues(), flavour="server", page_size=3)
    with fake.serve() as server:
        pages = list(connector(server.url).fetch(SyncRequest(cursor={"start_at": 3, "since": None})))
    assert [[item.external_key for item in page.items] for page in pages] == PAGES[1:]


def test_truncated_embedded_changelog_is_read_from_the_issue() -> None:
    fake = FakeJira(recorded_issues(), flavour="server", embedded_histories=10)
    with fake.serve() as server:
        items = {item.external_key: item for page in connector(server.url).fetch(SyncRequest()) for item in page.items}
    issue_reads = [
        (request.path, request.param("expand"), request.param("fields"))
        for request in fake.requests
        if request.path.startswith("/rest/api/2/issue/")
    ]
    # EE-1 (25 histories), EE-13491 (79), EE-13954 (100), EE-20 (14), EE-23 (20), EE-25 (17) embed more than 10.
    assert sorted(issue_reads) == [
        (f"/rest/api/2/issue/{key}", "changelog", "status") for key in ("EE-1", "EE-13491", "EE-13954", "EE-20", "EE-23", "EE-25")
    ]
    assert len(items["EE-13954"].transitions) == 6 + 1


def test_maps_the_same_as_cloud() -> None:
    with FakeJira(recorded_issues(), flavour="server").serve() as server:
        server_items = [item for page in connector(server.url).fetch(SyncRequest()) for item in page.items]
    with FakeJira(recorded_issues()).serve() as server:
        cloud = JiraCloudConnector(JiraCloudSettings(base_url=server.url, email=EMAIL, projects=["EE", "K5"]), TOKEN, name="x")
        cloud_items = [item for page in cloud.fetch(SyncRequest()) for item in page.items]
    assert [dataclasses.replace(item, source="jira-cloud", url=None) for item in server_items] == [
        dataclasses.replace(item, url=None) for item in cloud_items
    ]
