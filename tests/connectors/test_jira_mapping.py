"""Blocked intervals, links, estimates and synthetic issues, read through the Jira connectors over HTTP."""

from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime

import pytest

from deliveryops.connectors.base import ConnectorError, SyncRequest
from deliveryops.connectors.jira import JiraCloudConnector, JiraCloudSettings, JiraServerConnector, JiraServerSettings
from deliveryops.work.records import BlockedIntervalRecord, LinkRecord, TransitionRecord, WorkItemRecord
from tests.connectors.fake_jira import EMAIL, FLAGGED_FIELD, TOKEN, FakeIssue, FakeJira, make_issue, synthetic_issues

OPEN, BUILD, HOLD, DONE = "10134", "10074", "10104", "10068"  # 打开, 开发中, 挂起中, 已完成


def at(text: str) -> datetime:
    """A UTC instant from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def blocked_issue() -> FakeIssue:
    """An issue put on hold once, flagged twice (still flagged), blocking one issue and blocked by another."""
    issue = make_issue(
        "OPS-7",
        created=at("2024-03-04T09:00"),
        moves=[
            (at("2024-03-04T10:00"), BUILD),
            (at("2024-03-05T10:00"), HOLD),
            (at("2024-03-06T10:00"), BUILD),
            (at("2024-03-07T10:00"), DONE),
        ],
        flags=[(at("2024-03-04T12:00"), True), (at("2024-03-04T18:00"), False), (at("2024-03-06T12:00"), True)],
        links=[("blocks", "OPS-8"), ("is_blocked_by", "OPS-2")],
        story_points=5.0,
        labels=["api"],
    )
    relates = {"id": "30000", "type": {"id": "10003", "name": "Relates"}, "outwardIssue": {"key": "OPS-9"}}
    issue.fields["issuelinks"].append(relates)  # not a "Blocks" link, without phrases: read by its type name
    return issue


def cloud_items(issues: list[FakeIssue], **settings: object) -> dict[str, WorkItemRecord]:
    """Every item a Cloud sync of ``issues`` yields, by key."""
    with FakeJira(issues).serve() as server:
        config = JiraCloudSettings.model_validate({"base_url": server.url, "email": EMAIL, "projects": ["OPS"], **settings})
        pages = list(JiraCloudConnector(config, TOKEN, name="Jira OPS").fetch(SyncRequest()))
    return {item.external_key: item for page in pages for item in page.items}


def test_flags_blocked_statuses_links_and_story_points() -> None:
    item = cloud_items([blocked_issue()], blocked_statuses=["挂起中"])["OPS-7"]
    assert item.transitions == (
        TransitionRecord("打开", at("2024-03-04T09:00"), None),
        TransitionRecord("开发中", at("2024-03-04T10:00"), "打开"),
        TransitionRecord("挂起中", at("2024-03-05T10:00"), "开发中"),
        TransitionRecord("开发中", at("2024-03-06T10:00"), "挂起中"),
        TransitionRecord("已完成", at("2024-03-07T10:00"), "开发中"),
    )
    assert item.blocked_intervals == (
        BlockedIntervalRecord(at("2024-03-04T12:00"), at("2024-03-04T18:00"), "Impediment", "flag"),
        BlockedIntervalRecord(at("2024-03-05T10:00"), at("2024-03-06T10:00"), "挂起中", "status"),
        BlockedIntervalRecord(at("2024-03-06T12:00"), None, "Impediment", "flag"),
    )
    assert item.links == (
        LinkRecord("blocks", "OPS-8"),
        LinkRecord("is_blocked_by", "OPS-2"),
        LinkRecord("outward", "OPS-9", "Relates"),
    )
    assert (item.estimate, item.labels, item.resolution) == (5.0, ("api",), "Done")


def test_blocked_status_by_id_and_still_blocked() -> None:
    issue = make_issue("OPS-3", created=at("2024-03-04T09:00"), moves=[(at("2024-03-04T10:00"), HOLD)])
    item = cloud_items([issue], blocked_statuses=[HOLD])["OPS-3"]
    assert item.blocked_intervals == (BlockedIntervalRecord(at("2024-03-04T10:00"), None, "挂起中", "status"),)


def test_flagged_when_created_has_no_history_item() -> None:
    issue = make_issue("OPS-4", created=at("2024-03-04T09:00"))
    issue.fields[FLAGGED_FIELD] = [{"id": "10019", "value": "Impediment"}]
    item = cloud_items([issue])["OPS-4"]
    assert item.blocked_intervals == (BlockedIntervalRecord(at("2024-03-04T09:00"), None, "Impediment", "flag"),)


def test_configured_story_points_field_wins_over_detection() -> None:
    issue = make_issue("OPS-5", created=at("2024-03-04T09:00"), story_points=3.0)
    issue.fields["customfield_10024"] = 8
    assert cloud_items([issue])["OPS-5"].estimate == 3.0  # detected: Jira Software's story points field
    assert cloud_items([issue], story_points_field="customfield_10024")["OPS-5"].estimate == 8.0


def test_server_changelog_names_the_flagged_field_instead_of_its_id() -> None:
    issue = blocked_issue()
    for history in issue.histories:
        for item in history["items"]:
            item.pop("fieldId", None)  # Jira Server's changelog items carry no fieldId
    with FakeJira([issue], flavour="server").serve() as server:
        config = JiraServerSettings(base_url=server.url, projects=["OPS"])
        pages = list(JiraServerConnector(config, TOKEN, name="Jira DC").fetch(SyncRequest()))
    assert [interval.origin for interval in pages[0].items[0].blocked_intervals] == ["flag", "flag"]
    assert pages[0].items[0].blocked_intervals[0].end == at("2024-03-04T18:00")


def test_an_unreadable_issue_is_named() -> None:
    issue = make_issue("OPS-6", created=at("2024-03-04T09:00"))
    issue.fields["created"] = "04/03/2024 09:00"
    with FakeJira([issue]).serve() as server:
        config = JiraCloudSettings(base_url=server.url, email=EMAIL, projects=["OPS"])
        with JiraCloudConnector(config, TOKEN, name="Jira OPS") as connector, pytest.raises(ConnectorError) as raised:
            list(connector.fetch(SyncRequest()))
    assert raised.value.message == (
        "Jira OPS: issue OPS-6 could not be read (ValueError: Invalid isoformat string: "
        "'04/03/2024 09:00'); the sync stopped before it."
    )


def test_synthetic_issues_are_reproducible_and_read_whole() -> None:
    issues = synthetic_issues(2000, seed=3)
    again = synthetic_issues(2000, seed=3)
    assert json.dumps([(issue.key, issue.fields, issue.histories) for issue in issues]) == json.dumps(
        [(issue.key, issue.fields, issue.histories) for issue in again]
    )
    changes = {
        issue.key: sum(item["field"] == "status" for history in issue.histories for item in history["items"]) for issue in issues
    }
    assert 11 <= statistics.mean(changes.values()) <= 13
    fake = FakeJira(issues)
    fake.precompute()
    with fake.serve() as server:
        config = JiraCloudSettings(base_url=server.url, email=EMAIL, projects=["OPS"])
        pages = list(JiraCloudConnector(config, TOKEN, name="Jira OPS").fetch(SyncRequest()))
    assert len(pages) == 20
    items = [item for page in pages for item in page.items]
    assert sorted(item.external_key for item in items) == sorted(changes)
    assert all(len(item.transitions) == changes[item.external_key] + 1 for item in items)
    assert sum(bool(item.blocked_intervals) for item in items) > 0
    assert sum(bool(item.links) for item in items) > 0


def test_other_link_types_keep_the_phrase_read_from_the_issue() -> None:
    issue = make_issue(
        "OPS-4",
        created=at("2024-03-04T09:00"),
        links=[("depends_on", "PAY-1"), ("is_depended_on_by", "WEB-2"), ("relates_to", "OPS-9"), ("is_blocked_by", "OPS-2")],
    )
    item = cloud_items([issue])["OPS-4"]
    assert item.links == (
        LinkRecord("outward", "PAY-1", "depends on"),
        LinkRecord("inward", "WEB-2", "is depended on by"),
        LinkRecord("outward", "OPS-9", "relates to"),
        LinkRecord("is_blocked_by", "OPS-2"),
    )
