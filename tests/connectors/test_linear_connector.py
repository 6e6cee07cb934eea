"""The Linear connector over real HTTP against the fake Linear, which executes every query against Linear's
published schema: test(), issue histories (paged), cycles, projects as epics, trashed and archived issues,
incidents, Relay pagination, RATELIMITED answers and resuming."""

from __future__ import annotations

from datetime import datetime

import graphql
import pytest
from pydantic import ValidationError

from deliveryops.connectors.base import ConnectorError, FetchPage, IncidentRecord, SyncRequest
from deliveryops.connectors.linear import (
    HISTORY_QUERY,
    ISSUES_QUERY,
    PROJECTS_QUERY,
    STATES_QUERY,
    TEAMS_QUERY,
    LinearConnector,
    LinearSettings,
)
from deliveryops.connectors.linear_mapping import parse_time
from deliveryops.connectors.registry import connector_class
from deliveryops.work.records import BlockedIntervalRecord, StageCategory, TransitionRecord, WorkItemRecord
from tests.connectors.fake_linear import FakeLinear, change, connect, cycle, issue, project, schema, state
from tests.connectors.fakeserver import FakeServer

CHECKOUT = project(
    "checkout-9a8b",
    "Checkout revamp",
    created="2024-02-20T09:00:00Z",
    updated="2024-03-10T17:00:00Z",
    status="completed",
    started="2024-03-02T09:00:00Z",
    completed="2024-03-10T17:00:00Z",
)


def utc(text: str) -> datetime:
    return parse_time(text)


def sample_workspace() -> FakeLinear:
    fake = FakeLinear(teams={"ENG": "Engineering", "OPS": "Operations"})
    fake.states += [state("Backlog", "backlog", 1, team="OPS")]
    fake.issues = [
        issue(
            "ENG-1",
            created="2024-03-01T09:00:00.000Z",
            updated="2024-03-07T16:00:00.000Z",
            state_name="Done",
            title="Pay by invoice",
            labels=("Frontend",),
            project=CHECKOUT,
            cycle=cycle(12, starts="2024-03-04T00:00:00.000Z", ends="2024-03-18T00:00:00.000Z"),
            estimate=3,
            completed="2024-03-07T16:00:00.000Z",
            history=[
                change("2024-03-01T09:00:00.000Z", None, "Backlog"),  # the creation
                change("2024-03-02T10:00:00.000Z", "Backlog", "Todo"),
                change("2024-03-03T10:00:00.000Z", "Todo", "In Progress"),
                change("2024-03-04T08:00:00.000Z", added=("Blocked",)),
                change("2024-03-05T09:00:00.000Z", removed=("Blocked",)),
                change("2024-03-06T11:00:00.000Z", "In Progress", "In Review"),
                change("2024-03-07T16:00:00.000Z", "In Review", "Done"),
            ],
        ),
        issue(
            "ENG-2",
            created="2024-03-01T10:00:00.000Z",
            updated="2024-03-09T12:00:00.000Z",
            state_name="In Progress",
            parent="ENG-1",
            history=[
                *[
                    change(f"2024-03-0{1 + n // 40}T{10 + (n % 40) // 4:02d}:{(n % 4) * 15:02d}:00.000Z", added=(f"note-{n}",))
                    for n in range(119)
                ],
                change("2024-03-09T12:00:00.000Z", "Todo", "In Progress"),
            ],
        ),  # on the third page of history
        issue("ENG-3", created="2024-02-01T08:00:00.000Z", updated="2024-02-01T08:00:00.000Z", state_name="Done"),
        issue(
            "ENG-4",
            created="2024-03-02T08:00:00.000Z",
            updated="2024-03-08T08:00:00.000Z",
            state_name="Canceled",
            history=[change("2024-03-03T08:00:00.000Z", "Todo", "In Progress")],
        ),
        issue("ENG-5", created="2024-03-02T08:00:00.000Z", updated="2024-03-08T09:00:00.000Z", state_name="Todo", trashed=True),
        issue(
            "ENG-6",
            created="2024-03-08T07:00:00.000Z",
            updated="2024-03-08T09:30:00.000Z",
            state_name="Done",
            title="Checkout returns 500",
            labels=("Incident",),
            priority="Urgent",
            completed="2024-03-08T09:30:00.000Z",
            history=[
                change("2024-03-08T07:05:00.000Z", "Triage", "In Progress"),
                change("2024-03-08T09:30:00.000Z", "In Progress", "Done"),
            ],
        ),
        issue(
            "ENG-7",
            created="2023-06-01T08:00:00.000Z",
            updated="2023-09-01T08:00:00.000Z",
            state_name="Done",
            archived="2023-09-01T08:00:00.000Z",
            completed="2023-06-20T08:00:00.000Z",
        ),
        issue(
            "OPS-1",
            created="2024-03-01T08:00:00.000Z",
            updated="2024-03-01T08:00:00.000Z",
            state_name="Backlog",
            states=fake.states,
        ),
    ]
    fake.projects = [
        CHECKOUT,
        project(
            "mobile-1c2d",
            "Mobile app",
            created="2024-01-10T09:00:00Z",
            updated="2024-02-15T09:00:00Z",
            status="canceled",
            started="2024-01-15T09:00:00Z",
            canceled="2024-02-15T09:00:00Z",
        ),
        project(
            "ops-77aa",
            "On-call",
            created="2024-01-01T09:00:00Z",
            updated="2024-01-01T09:00:00Z",
            status="backlog",
            teams=("OPS",),
        ),
    ]
    return fake


def fetch_all(
    fake: FakeLinear,
    request: SyncRequest | None = None,
    *,
    incident_labels: list[str] | None = None,
    incidents_as_work_items: bool = True,
) -> tuple[list[FetchPage], FakeServer]:
    """Every page of a sync of ``fake``."""
    with fake.serve() as server:
        connector = connect(server, incident_labels=incident_labels or [], incidents_as_work_items=incidents_as_work_items)
        pages = list(connector.fetch(request or SyncRequest(full=True)))
    return pages, server


def items(pages: list[FetchPage]) -> dict[str, WorkItemRecord]:
    return {item.external_key: item for page in pages for item in page.items}


@pytest.mark.parametrize("query", [ISSUES_QUERY, HISTORY_QUERY, PROJECTS_QUERY, TEAMS_QUERY, STATES_QUERY])
def test_every_query_is_valid_against_linears_schema(query: str) -> None:
    assert [error.message for error in graphql.validate(schema(), graphql.parse(query))] == []


def test_registered_with_settings_that_name_the_wrong_field() -> None:
    assert connector_class("linear") is LinearConnector
    with pytest.raises(ValidationError) as caught:
        LinearSettings(base_url="api.linear.app", teams=["eng-team"])
    assert {error["loc"][0]: error["msg"] for error in caught.value.errors()} == {
        "base_url": "Value error, must be a web address with a host name, starting with https:// "
        "(e.g. https://api.linear.app); got 'api.linear.app'",
        "teams": "Value error, 'ENG-TEAM' is not a Linear team key (letters and digits, e.g. ENG)",
    }
    assert LinearSettings(teams=[" eng "]).teams == ["ENG"]


def test_test_names_the_user_and_teams_and_sends_the_key_as_is() -> None:
    fake = sample_workspace()
    with fake.serve() as server:
        sentence = connect(server, teams=["ENG", "OPS"]).test()
        with pytest.raises(ConnectorError) as missing:
            connect(server, teams=["ENG", "WEB"]).test()
        connect(server, token_kind="oauth").test()

    assert sentence == "Connected to Linear as Ada Lovelace; teams ENG (Engineering), OPS (Operations) found."
    assert missing.value.message == ("Linear (ENG): team WEB was not found, or the API key cannot see it (teams found: ENG).")
    assert [r.headers["authorization"] for r in server.requests] == [
        "lin_api_test_key",
        "lin_api_test_key",
        "Bearer lin_api_test_key",
    ]


def test_a_refused_key_is_named() -> None:
    with sample_workspace().serve() as server, pytest.raises(ConnectorError) as caught:
        connect(server, secret="lin_api_revoked").test()

    assert caught.value.message == (
        "Linear (ENG): Linear refused the API key (Authentication required, not authenticated). Create a new key "
        "under Settings → Security & access and update the connection."
    )
    assert caught.value.status == 401


def test_workflow_from_state_types_in_position_order() -> None:
    with sample_workspace().serve() as server:
        statuses = connect(server).workflow()

    assert [(s.name, s.category) for s in statuses] == [
        ("Triage", StageCategory.BACKLOG),
        ("Backlog", StageCategory.BACKLOG),
        ("Todo", StageCategory.BACKLOG),
        ("In Progress", StageCategory.ACTIVE),
        ("In Review", StageCategory.ACTIVE),
        ("Done", StageCategory.DONE),
        ("Canceled", StageCategory.DISCARDED),
        ("Duplicate", StageCategory.DISCARDED),
    ]


def test_issue_histories_cycles_and_projects_map_exactly() -> None:
    fake = sample_workspace()
    pages, _ = fetch_all(fake)
    found = items(pages)

    assert found["ENG-1"] == WorkItemRecord(
        source="linear",
        external_key="ENG-1",
        item_type="Issue",
        title="Pay by invoice",
        created_at=utc("2024-03-01T09:00:00Z"),
        transitions=(
            TransitionRecord("Backlog", utc("2024-03-01T09:00:00Z")),
            TransitionRecord("Todo", utc("2024-03-02T10:00:00Z"), "Backlog"),
            TransitionRecord("In Progress", utc("2024-03-03T10:00:00Z"), "Todo"),
            TransitionRecord("In Review", utc("2024-03-06T11:00:00Z"), "In Progress"),
            TransitionRecord("Done", utc("2024-03-07T16:00:00Z"), "In Review"),
        ),
        blocked_intervals=(
            BlockedIntervalRecord(utc("2024-03-04T08:00:00Z"), utc("2024-03-05T09:00:00Z"), "label: Blocked", "flag"),
        ),
        parent_key="project:checkout-9a8b",
        labels=("Frontend", "Cycle 12"),
        estimate=3.0,
        resolution="completed",
        url="https://linear.app/acme/issue/eng-1",
    )
    # 120 history entries: the state change on the third page is read.
    assert found["ENG-2"].transitions == (
        TransitionRecord("Todo", utc("2024-03-01T10:00:00Z")),
        TransitionRecord("In Progress", utc("2024-03-09T12:00:00Z"), "Todo"),
    )
    assert found["ENG-2"].parent_key == "ENG-1"
    assert [variables["after"] is not None for name, variables in fake.operations if name == "IssueHistory"] == [True, True]
    assert (found["ENG-3"].transitions, found["ENG-3"].history_is_estimated) == (
        (TransitionRecord("Done", utc("2024-02-01T08:00:00Z")),),
        False,
    )
    # The history does not end in the current state: it is appended at updatedAt.
    assert (found["ENG-4"].transitions, found["ENG-4"].history_is_estimated) == (
        (
            TransitionRecord("Todo", utc("2024-03-02T08:00:00Z")),
            TransitionRecord("In Progress", utc("2024-03-03T08:00:00Z"), "Todo"),
            TransitionRecord("Canceled", utc("2024-03-08T08:00:00Z"), "In Progress"),
        ),
        True,
    )
    assert found["project:checkout-9a8b"] == WorkItemRecord(
        source="linear",
        external_key="project:checkout-9a8b",
        item_type="Epic",
        title="Checkout revamp",
        created_at=utc("2024-02-20T09:00:00Z"),
        transitions=(
            TransitionRecord("Backlog", utc("2024-02-20T09:00:00Z")),
            TransitionRecord("In Progress", utc("2024-03-02T09:00:00Z"), "Backlog"),
            TransitionRecord("Done", utc("2024-03-10T17:00:00Z"), "In Progress"),
        ),
        resolution="completed",
        url="https://linear.app/acme/project/checkout-9a8b",
        history_is_estimated=True,
    )
    assert [t.to_status for t in found["project:mobile-1c2d"].transitions] == ["Backlog", "In Progress", "Canceled"]


def test_trashed_issues_are_deleted_archived_ones_kept_and_other_teams_left_out() -> None:
    pages, _ = fetch_all(sample_workspace())

    assert [key for page in pages for key in page.deleted_keys] == ["ENG-5"]
    assert pages[-1].existing_keys == [
        "ENG-1",
        "ENG-2",
        "ENG-3",
        "ENG-4",
        "ENG-6",
        "ENG-7",
        "project:checkout-9a8b",
        "project:mobile-1c2d",
    ]


def test_labelled_issues_are_incidents() -> None:
    pages, _ = fetch_all(sample_workspace(), incident_labels=["incident"], incidents_as_work_items=False)

    assert [i for page in pages for i in page.incidents] == [
        IncidentRecord(
            source="linear",
            external_id="ENG-6",
            title="Checkout returns 500",
            created_at=utc("2024-03-08T07:00:00Z"),
            resolved_at=utc("2024-03-08T09:30:00Z"),
            severity="Urgent",
            url="https://linear.app/acme/issue/eng-6",
        )
    ]
    assert "ENG-6" not in items(pages)


def test_relay_pagination_and_an_incremental_filter() -> None:
    fake = sample_workspace()
    fake.issues += [
        issue(f"ENG-{n}", created="2024-04-01T08:00:00.000Z", updated=f"2024-04-01T08:{n - 100:02d}:00.000Z", state_name="Todo")
        for n in range(100, 150)
    ]
    pages, _ = fetch_all(fake)
    issue_calls = [variables for name, variables in fake.operations if name == "Issues"]

    assert len(items(pages)) == 58  # 6 issues and 50 new ones of ENG, 2 projects
    assert [(v["first"], v["after"] is None) for v in issue_calls] == [(25, True), (25, False), (25, False)]
    assert [p.cursor["phase"] for p in pages] == ["issues", "issues", "projects", "done"]

    fake.operations.clear()
    fetch_all(fake, SyncRequest(since=utc("2024-03-08T00:00:00Z")))
    # ENG-2, 4, 5, 6 and the 50 new issues changed since: three pages, then the projects.
    assert [v["filter"] for name, v in fake.operations if name in ("Issues", "Projects")] == [
        {"team": {"key": {"eq": "ENG"}}, "updatedAt": {"gte": "2024-03-08T00:00:00.000Z"}}
    ] * 3 + [{"accessibleTeams": {"some": {"key": {"eq": "ENG"}}}, "updatedAt": {"gte": "2024-03-08T00:00:00.000Z"}}]


def test_ratelimited_answers_wait_for_the_spent_budget_to_refill() -> None:
    fake = sample_workspace()
    fake.limited.append(("Issues", "complexity"))
    fake.spent.append("States")
    sleeps: list[float] = []
    with fake.serve() as server:
        pages = list(connect(server, sleeps=sleeps).fetch(SyncRequest(full=True)))

    # 42 s until X-RateLimit-Requests-Reset after "States" spent the budget; 42 s until the complexity budget
    # refills after the RATELIMITED answer (HTTP 400).
    assert sleeps == [42.0, 42.0]
    assert [name for name, _variables in fake.operations].count("Issues") == 2  # the limited one, then again
    assert len(server.requests) == len(fake.operations)
    assert len(items(pages)) == 8


def test_a_sync_resumed_from_any_page_reads_the_rest_exactly_once() -> None:
    fake = sample_workspace()
    fake.issues += [
        issue(f"ENG-{n}", created="2024-04-01T08:00:00.000Z", updated=f"2024-04-01T08:{n - 100:02d}:00.000Z", state_name="Todo")
        for n in range(100, 130)
    ]
    with fake.serve() as server:
        whole = list(connect(server, teams=["ENG", "OPS"]).fetch(SyncRequest()))
        for stop in range(1, len(whole)):
            rest = list(connect(server, teams=["ENG", "OPS"]).fetch(SyncRequest(cursor=whole[stop - 1].cursor)))
            assert [p.cursor for p in rest] == [p.cursor for p in whole[stop:]]
            assert [p.items for p in rest] == [p.items for p in whole[stop:]]
    assert [p.cursor["phase"] for p in whole] == ["issues", "projects", "issues", "projects", "done"]
    assert [p.cursor["team"] for p in whole] == ["ENG", "ENG", "OPS", "OPS", None]
