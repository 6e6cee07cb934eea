"""Jira Cloud connector against a fake Jira over real HTTP (recorded issues, Chinese status names)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deliveryops.connectors.base import ConnectorError, FetchPage, SyncRequest
from deliveryops.connectors.jira import JiraCloudConnector, JiraCloudSettings
from deliveryops.connectors.registry import connector_class
from deliveryops.work.records import StageCategory, TransitionRecord
from tests.connectors.fake_jira import EMAIL, TOKEN, FakeJira, malformed, rate_limited, recorded_issues, server_error

SEARCH = "/rest/api/3/search/jql"
FIELDS = (
    "summary,issuetype,status,created,updated,resolution,resolutiondate,parent,labels,issuelinks,"
    "customfield_10021,customfield_10016"
)
ALL_KEYS = ["EE-1", "EE-13491", "EE-13954", "EE-20", "EE-23", "EE-25", "K5-2", "K5-4"]
PAGES = [["EE-13491", "EE-23", "EE-25"], ["EE-1", "EE-20", "EE-13954"], ["K5-2", "K5-4"]]  # updated ASC, key ASC


def connector(
    url: str,
    *,
    token: str = TOKEN,
    projects: tuple[str, ...] = ("EE", "K5"),
    waits: list[float] | None = None,
    **settings: object,
) -> JiraCloudConnector:
    """A Cloud connector named "Jira OPS" for the fake at ``url``."""
    config = JiraCloudSettings.model_validate({"base_url": url, "email": EMAIL, "projects": list(projects), **settings})
    return JiraCloudConnector(config, token, name="Jira OPS", sleep=(waits.append if waits is not None else lambda _: None))


def keys(pages: list[FetchPage]) -> list[list[str]]:
    """The keys of each page."""
    return [[item.external_key for item in page.items] for page in pages]


def at(text: str) -> datetime:
    """A UTC instant from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_registered_under_its_kind() -> None:
    assert connector_class("jira-cloud") is JiraCloudConnector
    assert JiraCloudConnector.label == "Jira Cloud"


def test_connection_test_names_user_and_projects() -> None:
    with FakeJira(recorded_issues()).serve() as server:
        message = connector(server.url).test()
    assert message == f"Connected to {server.url} as Ada Lovelace; projects EE (Enterprise Edition), K5 (Keon_5) found."


def test_connection_test_names_a_missing_project() -> None:
    with FakeJira(recorded_issues()).serve() as server, pytest.raises(ConnectorError) as raised:
        connector(server.url, projects=("EE", "NOPE")).test()
    assert raised.value.message == (
        f"Jira OPS: project NOPE was not found on {server.url}, or Ada Lovelace is not allowed to browse it."
    )


def test_expired_token_is_named_in_the_error() -> None:
    expected = (
        "Jira OPS: the server refused the credentials (401 Unauthorized). "
        "The token may have expired or lack access: update it on the connection."
    )
    with FakeJira(recorded_issues()).serve() as server:
        with pytest.raises(ConnectorError) as raised:
            connector(server.url, token="expired").test()
        assert raised.value.message == expected
        assert raised.value.retryable is False
        with pytest.raises(ConnectorError) as raised:
            list(connector(server.url, token="expired").fetch(SyncRequest()))
        assert raised.value.message == expected


def test_maps_a_recorded_issue_with_exact_transitions() -> None:
    with FakeJira(recorded_issues()).serve() as server:
        items = {item.external_key: item for page in connector(server.url).fetch(SyncRequest()) for item in page.items}
    item = items["EE-23"]
    # Status 3 was "In Development" when it was entered; it is named by id with its current name, "In Progress".
    assert item.transitions == (
        TransitionRecord("Open", at("2020-06-12T00:33:57.204"), None),
        TransitionRecord("In Progress", at("2020-06-12T01:27:39.141"), "Open"),
        TransitionRecord("Resolved", at("2020-06-12T01:27:50.404"), "In Progress"),
        TransitionRecord("To Do", at("2020-06-12T04:58:47.271"), "Resolved"),
        TransitionRecord("Open", at("2020-06-12T05:01:20.770"), "To Do"),
        TransitionRecord("To Do", at("2020-06-12T13:08:24.581"), "Open"),
        TransitionRecord("Open", at("2020-06-12T13:15:21.650"), "To Do"),
        TransitionRecord("Resolved", at("2020-06-15T09:07:56.858"), "Open"),
        TransitionRecord("Closed", at("2020-06-17T03:08:17.806"), "Resolved"),
        TransitionRecord("已完成", at("2021-03-28T08:05:57.097"), "Closed"),
    )
    assert (item.source, item.item_type, item.title, item.created_at) == (
        "jira-cloud",
        "缺陷",
        "\u200b批量删除事故",
        at("2020-06-12T00:33:57.204"),
    )
    assert (item.resolution, item.parent_key, item.labels, item.blocked_intervals, item.links, item.estimate) == (
        "完成",
        None,
        (),
        (),
        (),
        None,
    )
    assert item.url == f"{server.url}/browse/EE-23"
    assert item.extra == {"jira_id": "10085", "status_id": "10068"}
    assert (items["EE-25"].parent_key, items["EE-1"].labels) == ("EE-1", ("frontEnd", "Saas"))
    # Never changed status: the current status from creation.
    assert items["K5-4"].transitions == (TransitionRecord("To Do", at("2022-07-15T22:31:15.981"), None),)


def test_truncated_changelog_is_read_whole_from_the_changelog_endpoint() -> None:
    issues = [issue for issue in recorded_issues() if issue.key in ("EE-13954", "K5-2")]
    fake = FakeJira(issues, embedded_histories=10, changelog_page_size=40)
    with fake.serve() as server:
        pages = list(connector(server.url).fetch(SyncRequest()))
    changelog_requests = [request for request in fake.requests if request.path.endswith("/changelog")]
    assert [(request.path, request.param("startAt")) for request in changelog_requests] == [
        ("/rest/api/3/issue/13954/changelog", "0"),
        ("/rest/api/3/issue/13954/changelog", "40"),
        ("/rest/api/3/issue/13954/changelog", "80"),
    ]
    assert pages[0].requests == 3 + 1 + 3  # myself, field, status; one search; three changelog pages
    item = next(item for item in pages[0].items if item.external_key == "EE-13954")
    # The 10 embedded (newest) histories hold no status change; the full history holds 6.
    assert len(item.transitions) == 6 + 1
    assert [transition.to_status for transition in item.transitions] == [
        "Open",
        "开发中",
        "Code Review",
        "待测试",
        "测试中",
        "发布中",
        "已完成",
    ]


def test_pages_through_next_page_tokens() -> None:
    fake = FakeJira(recorded_issues(), page_size=3)
    with fake.serve() as server:
        pages = list(connector(server.url).fetch(SyncRequest()))
    assert keys(pages) == PAGES
    searches = [request for request in fake.requests if request.path == SEARCH]
    assert [request.param("nextPageToken") for request in searches] == [
        None,
        pages[0].cursor["next_page_token"],
        pages[1].cursor["next_page_token"],
    ]
    assert {
        (request.param("jql"), request.param("fields"), request.param("expand"), request.param("maxResults"))
        for request in searches
    } == {('project in ("EE", "K5") ORDER BY updated ASC, key ASC', FIELDS, "changelog", "100")}
    assert pages[2].cursor == {"next_page_token": None, "since": None}
    assert [page.watermark for page in pages] == [
        at("2021-03-28T08:05:57.189"),
        at("2022-03-28T07:30:08.266"),
        at("2022-07-15T22:31:38.598"),
    ]
    assert [page.existing_keys for page in pages] == [None, None, None]


def test_resume_from_a_cursor_yields_the_remaining_pages_only() -> None:
    fake = FakeJira(recorded_issues(), page_size=3)
    with fake.serve() as server:
        first = next(iter(connector(server.url).fetch(SyncRequest())))
        before = len(fake.requests)
        resumed = list(connector(server.url).fetch(SyncRequest(cursor=first.cursor)))
        searches = [request for request in fake.requests[before:] if request.path == SEARCH]
    assert keys(resumed) == PAGES[1:]
    assert [request.param("nextPageToken") for request in searches] == [
        first.cursor["next_page_token"],
        resumed[0].cursor["next_page_token"],
    ]


def test_stale_page_token_restarts_the_query_from_since() -> None:
    fake = FakeJira(recorded_issues(), page_size=3)
    since = datetime(2021, 3, 28, 8, 6, 30, tzinfo=UTC)
    with fake.serve() as server:
        first = next(iter(connector(server.url).fetch(SyncRequest(since=since))))
        fake.expire_page_tokens()
        before = len(fake.requests)
        resumed = list(connector(server.url).fetch(SyncRequest(cursor=first.cursor)))
        searches = [request for request in fake.requests[before:] if request.path == SEARCH]
    assert keys(resumed) == [["EE-1", "EE-20", "EE-13954"], ["K5-2", "K5-4"]]
    assert [request.param("nextPageToken") is None for request in searches] == [False, True, False]
    assert resumed[-1].cursor == {"next_page_token": None, "since": "2021-03-28T08:06:30+00:00"}


def test_incremental_sync_writes_since_in_the_users_time_zone() -> None:
    fake = FakeJira(recorded_issues())  # the user's zone is Asia/Shanghai (UTC+8)
    with fake.serve() as server:
        pages = list(connector(server.url).fetch(SyncRequest(since=datetime(2021, 3, 28, 8, 6, 30, tzinfo=UTC))))
    jql = next(request for request in fake.requests if request.path == SEARCH).param("jql")
    assert jql == 'project in ("EE", "K5") AND updated >= "2021/03/28 16:06" ORDER BY updated ASC, key ASC'
    # EE-1 (updated 08:06:08) is read again: the minute is rounded down, never up.
    assert keys(pages) == [["EE-1", "EE-20", "EE-13954", "K5-2", "K5-4"]]
    assert pages[0].cursor == {"next_page_token": None, "since": "2021-03-28T08:06:30+00:00"}
    assert pages[0].watermark == at("2022-07-15T22:31:38.598")


def test_unknown_user_time_zone_overlaps_by_twelve_hours() -> None:
    fake = FakeJira(recorded_issues(), time_zone=None)  # /myself without timeZone; the fake reads JQL dates in UTC
    with fake.serve() as server:
        pages = list(connector(server.url).fetch(SyncRequest(since=datetime(2021, 3, 28, 8, 6, 30, tzinfo=UTC))))
    jql = next(request for request in fake.requests if request.path == SEARCH).param("jql")
    assert jql == 'project in ("EE", "K5") AND updated >= "2021/03/27 20:06" ORDER BY updated ASC, key ASC'
    assert keys(pages) == [["EE-23", "EE-25", "EE-1", "EE-20", "EE-13954", "K5-2", "K5-4"]]


def test_extra_jql_is_anded() -> None:
    fake = FakeJira(recorded_issues())
    with fake.serve() as server:
        pages = list(connector(server.url, jql_extra="issuetype = 缺陷").fetch(SyncRequest()))
    jql = next(request for request in fake.requests if request.path == SEARCH).param("jql")
    assert jql == 'project in ("EE", "K5") AND (issuetype = 缺陷) ORDER BY updated ASC, key ASC'
    assert keys(pages) == [["EE-13491", "EE-23", "EE-13954"]]


def test_full_sync_lists_existing_keys_and_a_deleted_issue_is_absent() -> None:
    fake = FakeJira(recorded_issues(), page_size=3)
    with fake.serve() as server:
        first = list(connector(server.url).fetch(SyncRequest(full=True)))
        fake.delete("EE-20")
        second = list(connector(server.url).fetch(SyncRequest(full=True)))
    assert [page.existing_keys for page in first] == [None, None, ALL_KEYS]
    assert second[-1].existing_keys == [key for key in ALL_KEYS if key != "EE-20"]
    assert "EE-20" not in [key for page_keys in keys(second) for key in page_keys]
    listing = [request for request in fake.requests if request.path == SEARCH and request.param("fields") == "key"]
    assert {(request.param("jql"), request.param("maxResults"), request.param("expand")) for request in listing} == {
        ('project in ("EE", "K5") ORDER BY key ASC', "5000", None)
    }


def test_rate_limit_waits_exactly_retry_after() -> None:
    fake = FakeJira(recorded_issues(), page_size=3)
    fake.fail(rate_limited(7), nth=2, path=SEARCH)
    waits: list[float] = []
    with fake.serve() as server:
        pages = list(connector(server.url, waits=waits).fetch(SyncRequest()))
    assert waits == [7.0]
    assert keys(pages) == PAGES
    assert [page.requests for page in pages] == [3 + 1, 2, 1]  # the 429 counts as a request of page 2


def test_server_error_once_is_retried() -> None:
    fake = FakeJira(recorded_issues(), page_size=3)
    fake.fail(server_error(), nth=2, path=SEARCH)
    waits: list[float] = []
    with fake.serve() as server:
        pages = list(connector(server.url, waits=waits).fetch(SyncRequest()))
    assert keys(pages) == PAGES
    assert len(waits) == 1
    assert 0.0 <= waits[0] <= 1.0  # full jitter below the first backoff step


def test_malformed_json_names_the_connection() -> None:
    fake = FakeJira(recorded_issues(), page_size=3)
    fake.fail(malformed(), nth=2, path=SEARCH)
    received: list[FetchPage] = []
    with fake.serve() as server, pytest.raises(ConnectorError) as raised:
        received.extend(connector(server.url).fetch(SyncRequest()))
    assert raised.value.message == (
        "Jira OPS: the server's answer to /rest/api/3/search/jql is not valid JSON "
        """(it starts with '{"issues": [{"id": "10063", "key": "EE-')."""
    )
    assert keys(received) == PAGES[:1]  # the first page was delivered; its cursor is where to resume


def test_unknown_configured_field_is_named() -> None:
    with FakeJira(recorded_issues()).serve() as server, pytest.raises(ConnectorError) as raised:
        list(connector(server.url, flagged_field="customfield_99999").fetch(SyncRequest()))
    assert raised.value.message == (
        f"Jira OPS: field customfield_99999 does not exist on {server.url}; "
        "correct the Flagged or story points field of the connection."
    )


def test_workflow_maps_non_english_statuses_by_category() -> None:
    with FakeJira(recorded_issues()).serve() as server:
        workflow = connector(server.url).workflow()
    by_category = {category: [status.name for status in workflow if status.category == category] for category in StageCategory}
    assert by_category == {
        StageCategory.BACKLOG: [
            "Open",
            "To Do",
            "Backlog",
            "Under review",
            "Suggestion",
            "Selected for Development",
            "打开",
            "待评分",
            "已初筛",
            "细化中",
            "概设中",
            "重新打开",
            "开发自测",
            "发布中",
            "代码评审",
            "分析中",
        ],
        StageCategory.ACTIVE: [
            "In Progress",
            "缺陷",
            "技术开发中",
            "QUESTION",
            "故事",
            "开发中",
            "设计中",
            "测试中",
            "待发布",
            "挂起中",
            "需求挂起中",
            "处理中",
            "已解决",
            "无效的",
            "Review",
            "Blocked / On Hold",
        ],
        StageCategory.WAITING: [],
        StageCategory.DONE: ["Closed", "Done", "已完成", "已发布", "已关闭", "暂不修改"],
        StageCategory.DISCARDED: [],
    }
    assert [status.position for status in workflow] == list(range(38))
    assert [status.category for status in workflow] == sorted(
        (status.category for status in workflow), key=[StageCategory.BACKLOG, StageCategory.ACTIVE, StageCategory.DONE].index
    )
