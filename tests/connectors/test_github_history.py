"""Issue histories read over HTTP from the fake GitHub: state, labels, project columns, blocked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deliveryops.connectors.base import SyncRequest
from deliveryops.connectors.github_history import parse_time
from deliveryops.work.records import BlockedIntervalRecord, TransitionRecord, WorkItemRecord
from tests.connectors.fake_github import REPO, FakeGitHub, Repo, connect, event, issue, sample_repo


def utc(text: str) -> datetime:
    return parse_time(text)


def items(repo: Repo, **settings: Any) -> dict[str, WorkItemRecord]:
    """Every work item of one full sync of ``repo``, by key."""
    with FakeGitHub({REPO: repo}).serve() as server:
        pages = list(connect(server, **settings).fetch(SyncRequest(full=True)))
    return {item.external_key: item for page in pages for item in page.items}


def steps(item: WorkItemRecord) -> list[tuple[str | None, str, str]]:
    return [(t.from_status, t.to_status, t.at.strftime("%Y-%m-%dT%H:%M:%SZ")) for t in item.transitions]


def test_recorded_closed_issue_by_state() -> None:
    item = items(sample_repo())[f"{REPO}#5"]

    assert steps(item) == [(None, "Open", "2018-08-02T03:09:57Z"), ("Open", "Closed", "2018-08-03T15:32:00Z")]
    assert item.source == "github"
    assert item.item_type == "Issue"
    assert item.labels == ("question",)
    assert item.created_at == utc("2018-08-02T03:09:57Z")
    assert item.url == "https://github.com/panjf2000/ants/issues/5"
    assert item.resolution == "completed"
    assert item.history_is_estimated is False


def test_recorded_issue_220_by_labels() -> None:
    # Recorded: created with "question" and "help wanted", "waiting for response" added 3 days later, closed.
    item = items(sample_repo(), workflow_by="labels", status_labels=["help wanted", "waiting for response"])[f"{REPO}#220"]

    assert steps(item) == [
        (None, "help wanted", "2022-04-21T01:11:58Z"),
        ("help wanted", "waiting for response", "2022-04-24T15:19:07Z"),
        ("waiting for response", "Closed", "2022-05-07T11:29:32Z"),
    ]
    assert item.labels == ("help wanted", "question", "waiting for response")


def test_reopened_issue_is_open_again_then_closed() -> None:
    repo = Repo(
        issues=[issue(7, created="2024-03-01T09:00:00Z", state="closed", closed="2024-03-09T16:00:00Z")],
        events={
            7: [
                event("closed", "2024-03-04T10:00:00Z"),
                event("reopened", "2024-03-05T11:30:00Z"),
                event("closed", "2024-03-09T16:00:00Z", state_reason="completed"),
            ]
        },
    )

    item = items(repo)[f"{REPO}#7"]

    assert steps(item) == [
        (None, "Open", "2024-03-01T09:00:00Z"),
        ("Open", "Closed", "2024-03-04T10:00:00Z"),
        ("Closed", "Open", "2024-03-05T11:30:00Z"),
        ("Open", "Closed", "2024-03-09T16:00:00Z"),
    ]


def test_closed_as_not_planned_is_its_own_status() -> None:
    repo = Repo(
        issues=[
            issue(8, created="2024-03-01T09:00:00Z", state="closed", closed="2024-03-02T09:00:00Z", state_reason="not_planned")
        ],
        events={8: [event("closed", "2024-03-02T09:00:00Z", state_reason="not_planned")]},
    )

    item = items(repo)[f"{REPO}#8"]

    assert steps(item) == [(None, "Open", "2024-03-01T09:00:00Z"), ("Open", "Not planned", "2024-03-02T09:00:00Z")]
    assert item.resolution == "not_planned"


def test_status_labels_swaps_in_either_order_and_closing_overrides_labels() -> None:
    labels = ["status: ready", "status: in progress", "status: review"]
    events = [
        event("labeled", "2024-03-01T09:00:00Z", label="bug"),  # not a status label: no transition
        event("labeled", "2024-03-02T09:00:00Z", label="status: ready"),
        # A swap recorded "added" before "removed" in the same second:
        event("labeled", "2024-03-03T09:00:00Z", label="status: in progress"),
        event("unlabeled", "2024-03-03T09:00:00Z", label="status: ready"),
        # and one recorded "removed" before "added":
        event("unlabeled", "2024-03-05T14:00:00Z", label="status: in progress"),
        event("labeled", "2024-03-05T14:00:00Z", label="Status: Review"),  # GitHub labels ignore case
        event("closed", "2024-03-06T10:00:00Z"),
        event("unlabeled", "2024-03-06T10:05:00Z", label="status: review"),  # tidy-up after closing: still Closed
        event("reopened", "2024-03-07T08:00:00Z"),  # no status label left: back to Open
        event("labeled", "2024-03-07T09:00:00Z", label="status: in progress"),
        event("labeled", "2024-03-08T09:00:00Z", label="status: review"),
        event("unlabeled", "2024-03-08T12:00:00Z", label="status: review"),  # back to the label still carried
    ]
    repo = Repo(
        issues=[issue(9, created="2024-03-01T08:00:00Z", updated="2024-03-08T12:00:00Z", labels=("bug", "status: in progress"))],
        events={9: events},
    )

    item = items(repo, workflow_by="labels", status_labels=labels)[f"{REPO}#9"]

    assert steps(item) == [
        (None, "Open", "2024-03-01T08:00:00Z"),
        ("Open", "status: ready", "2024-03-02T09:00:00Z"),
        ("status: ready", "status: in progress", "2024-03-03T09:00:00Z"),
        ("status: in progress", "status: review", "2024-03-05T14:00:00Z"),
        ("status: review", "Closed", "2024-03-06T10:00:00Z"),
        ("Closed", "Open", "2024-03-07T08:00:00Z"),
        ("Open", "status: in progress", "2024-03-07T09:00:00Z"),
        ("status: in progress", "status: review", "2024-03-08T09:00:00Z"),
        ("status: review", "status: in progress", "2024-03-08T12:00:00Z"),
    ]
    assert item.resolution is None


def test_project_columns_history() -> None:
    events = [
        event("added_to_project", "2024-04-01T10:00:00Z", column="To do"),
        event("moved_columns_in_project", "2024-04-02T10:00:00Z", column="In progress"),
        event("moved_columns_in_project", "2024-04-03T10:00:00Z", column="Icebox"),  # not followed: Open
        event("moved_columns_in_project", "2024-04-04T10:00:00Z", column="in progress"),
        event("moved_columns_in_project", "2024-04-05T10:00:00Z", column="Done"),
        event("closed", "2024-04-05T10:00:01Z"),
    ]
    repo = Repo(
        issues=[issue(10, created="2024-04-01T09:00:00Z", state="closed", closed="2024-04-05T10:00:01Z")], events={10: events}
    )

    item = items(repo, workflow_by="project_columns", project_columns=["To do", "In progress", "Done"])[f"{REPO}#10"]

    assert steps(item) == [
        (None, "Open", "2024-04-01T09:00:00Z"),
        ("Open", "To do", "2024-04-01T10:00:00Z"),
        ("To do", "In progress", "2024-04-02T10:00:00Z"),
        ("In progress", "Open", "2024-04-03T10:00:00Z"),
        ("Open", "In progress", "2024-04-04T10:00:00Z"),
        ("In progress", "Done", "2024-04-05T10:00:00Z"),
        ("Done", "Closed", "2024-04-05T10:00:01Z"),
    ]


def test_blocked_label_gives_blocked_intervals() -> None:
    events = [
        event("labeled", "2024-05-02T09:00:00Z", label="blocked"),
        event("labeled", "2024-05-02T10:00:00Z", label="blocked"),  # labelled twice: one interval
        event("unlabeled", "2024-05-03T15:30:00Z", label="blocked"),
        event("labeled", "2024-05-06T08:00:00Z", label="Blocked"),
    ]
    repo = Repo(issues=[issue(11, created="2024-05-01T09:00:00Z", labels=("Blocked",))], events={11: events})

    item = items(repo)[f"{REPO}#11"]

    assert item.blocked_intervals == (
        BlockedIntervalRecord(
            start=utc("2024-05-02T09:00:00Z"), end=utc("2024-05-03T15:30:00Z"), reason="label: blocked", origin="flag"
        ),
        BlockedIntervalRecord(start=utc("2024-05-06T08:00:00Z"), end=None, reason="label: blocked", origin="flag"),
    )
    assert item.transitions == (TransitionRecord(to_status="Open", at=utc("2024-05-01T09:00:00Z")),)


def test_item_type_from_labels_in_settings_order() -> None:
    repo = Repo(
        issues=[
            issue(12, created="2024-05-01T09:00:00Z", labels=("enhancement", "bug")),
            issue(13, created="2024-05-01T09:00:00Z", labels=("documentation",)),
        ],
        events={12: [], 13: []},
    )

    found = items(repo, issue_types_by_label={"BUG": "Bug", "enhancement": "Feature"})

    assert found[f"{REPO}#12"].item_type == "Bug"
    assert found[f"{REPO}#13"].item_type == "Issue"


def test_closed_issue_without_closed_event_is_closed_at_closed_at_and_estimated() -> None:
    repo = Repo(
        issues=[issue(14, created="2024-05-01T09:00:00Z", state="closed", closed="2024-05-04T12:00:00Z")], events={14: []}
    )

    item = items(repo)[f"{REPO}#14"]

    assert steps(item) == [(None, "Open", "2024-05-01T09:00:00Z"), ("Open", "Closed", "2024-05-04T12:00:00Z")]
    assert item.history_is_estimated is True


def test_every_column_is_followed_when_none_are_listed_and_removal_means_open() -> None:
    events = [
        event("added_to_project", "2024-04-01T10:00:00Z", column="Icebox"),
        event("moved_columns_in_project", "2024-04-02T10:00:00Z", column="Doing"),
        event("removed_from_project", "2024-04-03T10:00:00Z"),
    ]
    repo = Repo(issues=[issue(15, created="2024-04-01T09:00:00Z")], events={15: events})

    item = items(repo, workflow_by="project_columns")[f"{REPO}#15"]

    assert steps(item) == [
        (None, "Open", "2024-04-01T09:00:00Z"),
        ("Open", "Icebox", "2024-04-01T10:00:00Z"),
        ("Icebox", "Doing", "2024-04-02T10:00:00Z"),
        ("Doing", "Open", "2024-04-03T10:00:00Z"),
    ]
