"""The GitLab connector over real HTTP against the fake GitLab: test(), issue histories, merge requests,
deployments and incidents, both kinds of paging, rate limits, errors, the host restriction and resuming."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from deliveryops.connectors.base import ChangeRecord, ConnectorError, DeploymentRecord, FetchPage, IncidentRecord, SyncRequest
from deliveryops.connectors.gitlab import GitLabConnector, GitLabSettings
from deliveryops.connectors.gitlab_mapping import parse_time
from deliveryops.connectors.registry import connector_class
from deliveryops.work.records import BlockedIntervalRecord, StageCategory, TransitionRecord, WorkItemRecord
from tests.connectors.fake_gitlab import (
    PROJECT,
    RECORDED,
    FakeGitLab,
    Project,
    commit,
    connect,
    deployment,
    environment,
    issue,
    label_event,
    merge_request,
    note,
    recorded_project,
    state_event,
)
from tests.connectors.fakeserver import FakeServer

TODO, DOING, REVIEW = "workflow::to do", "workflow::doing", "workflow::review"
STATUS_LABELS = [TODO, DOING, REVIEW]
SHA_A, SHA_B, SHA_C = "a" * 40, "b" * 40, "c" * 40
MERGE_10, SQUASH_11 = "1" * 40, "2" * 40


def utc(text: str) -> datetime:
    return parse_time(text)


def sample_project() -> Project:
    """A project with the cases the mapping rules name: label swaps, blocked, legacy, reopened, incident..."""
    project = Project()
    project.issues = [
        issue(
            1,
            created="2024-03-01T09:00:00Z",
            state="closed",
            closed="2024-03-08T16:30:00Z",
            labels=(REVIEW, "frontend"),
            weight=3,
            title="Checkout button misaligned",
        ),
        issue(2, created="2024-03-02T10:00:00Z", updated="2024-03-02T10:00:00Z"),
        issue(3, created="2023-01-10T08:00:00Z", state="closed", closed="2023-01-20T17:00:00Z"),
        issue(
            4,
            created="2024-03-09T07:00:00Z",
            state="closed",
            closed="2024-03-09T09:15:00Z",
            issue_type="incident",
            severity="high",
            title="Payments down",
            labels=("incident",),
        ),
        issue(5, created="2024-03-03T08:00:00Z", updated="2024-03-06T09:00:00Z", labels=(DOING,)),
    ]
    project.label_events = {
        1: [
            label_event("2024-03-01T09:00:01Z", TODO, iid=1),
            label_event("2024-03-01T09:00:01Z", "frontend", iid=1),
            # A scoped label swap: GitLab removes the old label of the scope in the same instant.
            label_event("2024-03-04T10:00:00Z", TODO, "remove", iid=1),
            label_event("2024-03-04T10:00:00Z", DOING, iid=1),
            label_event("2024-03-05T08:00:00Z", "blocked", iid=1),
            label_event("2024-03-06T12:00:00Z", "blocked", "remove", iid=1),
            label_event("2024-03-06T13:00:00Z", None, iid=1),  # a label deleted since
            label_event("2024-03-07T15:00:00Z", REVIEW, iid=1),
            label_event("2024-03-07T15:00:00Z", DOING, "remove", iid=1),
        ],
        5: [label_event("2024-03-04T08:00:00Z", DOING, iid=5), label_event("2024-03-05T08:00:00Z", "blocked", iid=5)],
    }
    project.state_events = {
        1: [state_event("2024-03-08T16:30:00Z", "closed", iid=1)],
        4: [state_event("2024-03-09T09:15:00Z", "closed", iid=4)],
        5: [state_event("2024-03-05T10:00:00Z", "closed", iid=5), state_event("2024-03-06T09:00:00Z", "reopened", iid=5)],
    }
    project.merge_requests = [
        merge_request(
            10,
            created="2024-03-04T11:00:00Z",
            author="alice",
            state="merged",
            merged="2024-03-05T16:00:00Z",
            merge_commit=MERGE_10,
            title="Align the checkout button",
        ),
        merge_request(
            11,
            created="2024-03-06T09:00:00Z",
            author="bob",
            state="merged",
            merged="2024-03-06T15:00:00Z",
            squash_commit=SQUASH_11,
        ),
        merge_request(12, created="2024-03-07T09:00:00Z", author="alice"),
        merge_request(13, created="2024-03-07T10:00:00Z", author="carol", state="closed", closed="2024-03-07T12:00:00Z"),
    ]
    project.commits = {
        10: [
            commit("d" * 40, authored="2024-03-04T08:30:00Z", committed="2024-03-04T10:55:00Z"),
            commit("e" * 40, authored="2024-03-05T09:00:00Z"),
        ],
        11: [commit("f" * 40, authored="2024-03-06T08:40:00Z")],
    }
    project.notes = {
        10: [
            note("2024-03-04T11:05:00Z", "alice", "Ready for review", iid=10),
            note("2024-03-04T11:06:00Z", "sast-bot", "No vulnerabilities found", iid=10),
            note("2024-03-04T11:07:00Z", "project_3_bot_5f2e", "Pipeline passed", iid=10),
            note("2024-03-04T11:08:00Z", "renovate", "Automerge off", bot=True, iid=10),
            note("2024-03-04T12:00:00Z", "dave", "added 1 commit", system=True, iid=10),
            note("2024-03-05T09:30:00Z", "dave", "approved this merge request", system=True, iid=10),
            note("2024-03-05T10:00:00Z", "erin", "Nit: rename the class", iid=10),
        ],
        11: [
            note("2024-03-06T10:00:00Z", "bob", "requested review from @carol", system=True, iid=11),
            note("2024-03-06T14:00:00Z", "carol", "requested changes", system=True, iid=11),
        ],
    }
    project.environments = [
        environment(9, "production"),
        environment(10, "staging", tier="staging"),
        environment(11, "review/feature-x", tier="development"),
    ]
    project.deployments = [
        deployment(
            41, sha=SHA_A, created="2024-03-05T17:00:00Z", finished="2024-03-05T17:06:00Z", job_started="2024-03-05T17:00:30Z"
        ),
        deployment(42, sha=SHA_B, created="2024-03-06T16:00:00Z", status="failed", finished="2024-03-06T16:03:00Z"),
        deployment(43, sha=SHA_C, created="2024-03-07T16:00:00Z", status="running"),
        deployment(44, sha=SHA_C, created="2024-03-07T17:00:00Z", status="skipped", updated="2024-03-07T17:00:00Z"),
        deployment(50, sha=SHA_C, created="2024-03-07T18:00:00Z", environment_name="staging", env_id=10),
    ]
    project.deployed = {41: [10, 11]}
    return project


def items(pages: list[FetchPage]) -> dict[str, WorkItemRecord]:
    return {item.external_key: item for page in pages for item in page.items}


def paths(server: FakeServer) -> list[str]:
    return [request.path.removeprefix("/api/v4") for request in server.requests]


def fetch_all(
    fake: FakeGitLab,
    request: SyncRequest | None = None,
    *,
    status_labels: list[str] | None = None,
    deployment_environments: list[str] | None = None,
    incidents_as_work_items: bool = True,
) -> tuple[list[FetchPage], FakeServer]:
    """Every page of a sync of ``fake``; ``status_labels`` defaults to :data:`STATUS_LABELS`."""
    with fake.serve() as server:
        connector = connect(
            server,
            status_labels=STATUS_LABELS if status_labels is None else status_labels,
            deployment_environments=deployment_environments or [],
            incidents_as_work_items=incidents_as_work_items,
        )
        pages = list(connector.fetch(request or SyncRequest(full=True)))
    return pages, server


def test_registered_as_gitlab_and_proposes_a_workflow_from_the_status_labels() -> None:
    assert connector_class("gitlab") is GitLabConnector
    connector = GitLabConnector(GitLabSettings(projects=[PROJECT], status_labels=STATUS_LABELS), "x", name="GitLab")
    assert [(s.name, s.category, s.position) for s in connector.workflow()] == [
        ("Open", StageCategory.BACKLOG, 0),
        (TODO, StageCategory.ACTIVE, 1),
        (DOING, StageCategory.ACTIVE, 2),
        (REVIEW, StageCategory.ACTIVE, 3),
        ("Closed", StageCategory.DONE, 4),
    ]
    assert connector.settings.api_url() == "https://gitlab.com/api/v4"


def test_settings_name_the_wrong_field() -> None:
    with pytest.raises(ValidationError) as caught:
        GitLabSettings(base_url="gitlab.example.com", projects=["shop"])
    messages = {error["loc"][0]: error["msg"] for error in caught.value.errors()}
    assert messages == {
        "base_url": "Value error, must be a web address with a host name, starting with https:// "
        "(e.g. https://gitlab.com); got 'gitlab.example.com'",
        "projects": "Value error, 'shop' is not a project path (group/project) or id",
    }
    assert (
        GitLabSettings(base_url="https://git.example.com/api/v4/", projects=["42"]).api_url() == "https://git.example.com/api/v4"
    )


def test_test_names_the_user_and_projects_and_sends_the_private_token() -> None:
    fake = FakeGitLab({PROJECT: sample_project()})
    with fake.serve() as server:
        sentence = connect(server).test()

    assert sentence == f"Connected to {server.url} as deliveryops-bot; projects acme/shop found."
    assert paths(server) == ["/user", "/projects/acme%2Fshop", "/projects/acme%2Fshop/environments"]
    assert server.requests[0].headers["private-token"] == "glpat-test-token"
    assert "authorization" not in server.requests[0].headers


def test_an_oauth_token_goes_in_the_authorization_header() -> None:
    with FakeGitLab({PROJECT: sample_project()}).serve() as server:
        connect(server, token_kind="oauth").test()

    assert server.requests[0].headers["authorization"] == "Bearer glpat-test-token"
    assert "private-token" not in server.requests[0].headers


def test_test_names_a_missing_project_and_a_missing_environment() -> None:
    with FakeGitLab({PROJECT: sample_project()}).serve() as server:
        with pytest.raises(ConnectorError) as missing_project:
            connect(server, projects=[PROJECT, "acme/gone"]).test()
        with pytest.raises(ConnectorError) as missing_environment:
            connect(server, deployment_environments=["prod-eu"]).test()

    assert missing_project.value.message == (
        f"GitLab (shop): project acme/gone was not found on {server.url}, or the token cannot see it. "
        "Check its full path and the token's access."
    )
    assert missing_environment.value.message == (
        "GitLab (shop): acme/shop has no environment named prod-eu (its environments: production, review/feature-x, "
        "staging); correct the deployment environments of the connection."
    )


def test_an_expired_token_is_refused_naming_the_connection() -> None:
    with FakeGitLab({PROJECT: sample_project()}).serve() as server, pytest.raises(ConnectorError) as caught:
        list(connect(server, token="glpat-expired", name="Acme GitLab").fetch(SyncRequest()))

    assert caught.value.message == (
        "Acme GitLab: the server refused the credentials (401 Unauthorized: 401 Unauthorized). "
        "The token may have expired or lack access: update it on the connection."
    )


def test_issue_history_follows_status_labels_state_events_and_the_blocked_label() -> None:
    pages, _ = fetch_all(FakeGitLab({PROJECT: sample_project()}))
    found = items(pages)

    assert found[f"{PROJECT}#1"] == WorkItemRecord(
        source="gitlab",
        external_key=f"{PROJECT}#1",
        item_type="Issue",
        title="Checkout button misaligned",
        created_at=utc("2024-03-01T09:00:00Z"),
        transitions=(
            TransitionRecord(TODO, utc("2024-03-01T09:00:00Z")),
            TransitionRecord(DOING, utc("2024-03-04T10:00:00Z"), TODO),
            TransitionRecord(REVIEW, utc("2024-03-07T15:00:00Z"), DOING),
            TransitionRecord("Closed", utc("2024-03-08T16:30:00Z"), REVIEW),
        ),
        blocked_intervals=(
            BlockedIntervalRecord(utc("2024-03-05T08:00:00Z"), utc("2024-03-06T12:00:00Z"), "label: blocked", "flag"),
        ),
        labels=(REVIEW, "frontend"),
        estimate=3.0,
        resolution="closed",
        url="https://gitlab.example.com/acme/shop/-/issues/1",
    )
    assert found[f"{PROJECT}#2"].transitions == (TransitionRecord("Open", utc("2024-03-02T10:00:00Z")),)
    # Closed before GitLab recorded state events: "Closed" at closed_at, flagged as estimated.
    assert (found[f"{PROJECT}#3"].transitions, found[f"{PROJECT}#3"].history_is_estimated) == (
        (TransitionRecord("Open", utc("2023-01-10T08:00:00Z")), TransitionRecord("Closed", utc("2023-01-20T17:00:00Z"), "Open")),
        True,
    )
    # Closed and reopened: back in the status label it still carries; still blocked at the end.
    assert found[f"{PROJECT}#5"].transitions == (
        TransitionRecord("Open", utc("2024-03-03T08:00:00Z")),
        TransitionRecord(DOING, utc("2024-03-04T08:00:00Z"), "Open"),
        TransitionRecord("Closed", utc("2024-03-05T10:00:00Z"), DOING),
        TransitionRecord(DOING, utc("2024-03-06T09:00:00Z"), "Closed"),
    )
    assert found[f"{PROJECT}#5"].blocked_intervals == (
        BlockedIntervalRecord(utc("2024-03-05T08:00:00Z"), None, "label: blocked", "flag"),
    )
    assert found[f"{PROJECT}#4"].item_type == "Incident"
    assert pages[-1].existing_keys == [f"{PROJECT}#{n}" for n in (1, 2, 3, 4, 5)]


def test_without_status_labels_issues_are_open_or_closed() -> None:
    pages, _ = fetch_all(FakeGitLab({PROJECT: sample_project()}), status_labels=[])

    assert [(t.from_status, t.to_status) for t in items(pages)[f"{PROJECT}#1"].transitions] == [
        (None, "Open"),
        ("Open", "Closed"),
    ]


def test_merge_requests_give_first_commit_first_review_by_someone_else_and_merge() -> None:
    pages, _ = fetch_all(FakeGitLab({PROJECT: sample_project()}))
    changes = {change.number: change for page in pages for change in page.changes}

    # The author's note, three bots and a system note about a push come first; dave's approval is the review.
    assert changes[10] == ChangeRecord(
        source="gitlab",
        repository=PROJECT,
        number=10,
        title="Align the checkout button",
        author="alice",
        opened_at=utc("2024-03-04T11:00:00Z"),
        first_commit_at=utc("2024-03-04T08:30:00Z"),
        first_review_at=utc("2024-03-05T09:30:00Z"),
        merged_at=utc("2024-03-05T16:00:00Z"),
        closed_at=utc("2024-03-05T16:00:00Z"),
        merge_commit_sha=MERGE_10,
        base_branch="main",
        url="https://gitlab.example.com/acme/shop/-/merge_requests/10",
    )
    # Squashed and fast-forwarded: the squash commit is what landed; "requested changes" is a review.
    assert (changes[11].merge_commit_sha, changes[11].first_review_at) == (SQUASH_11, utc("2024-03-06T14:00:00Z"))
    assert (changes[12].merged_at, changes[12].merge_commit_sha, changes[12].first_review_at, changes[12].first_commit_at) == (
        None,
        None,
        None,
        None,
    )
    assert (changes[13].merged_at, changes[13].closed_at, changes[13].merge_commit_sha) == (
        None,
        utc("2024-03-07T12:00:00Z"),
        None,
    )


def test_deployments_of_production_environments_with_the_merge_requests_they_shipped_and_incidents() -> None:
    pages, server = fetch_all(FakeGitLab({PROJECT: sample_project()}))
    deployments = [record for page in pages for record in page.deployments]
    incidents = [record for page in pages for record in page.incidents]

    # Only the production-tier environment is read; the skipped deployment is no deployment.
    assert deployments == [
        DeploymentRecord(
            source="gitlab",
            external_id="deployment:41",
            repository=PROJECT,
            environment="production",
            result="success",
            started_at=utc("2024-03-05T17:00:30Z"),
            finished_at=utc("2024-03-05T17:06:00Z"),
            commit_sha=SHA_A,
            commit_shas=(SQUASH_11, MERGE_10),
            ref="main",
            url="https://gitlab.example.com/acme/shop/-/jobs/641",
        ),
        DeploymentRecord(
            source="gitlab",
            external_id="deployment:42",
            repository=PROJECT,
            environment="production",
            result="failure",
            started_at=utc("2024-03-06T16:00:00Z"),
            finished_at=utc("2024-03-06T16:03:00Z"),
            commit_sha=SHA_B,
            ref="main",
            url="https://gitlab.example.com/acme/shop/-/jobs/642",
        ),
        DeploymentRecord(
            source="gitlab",
            external_id="deployment:43",
            repository=PROJECT,
            environment="production",
            result="in_progress",
            started_at=utc("2024-03-07T16:00:00Z"),
            finished_at=None,
            commit_sha=SHA_C,
            ref="main",
            url="https://gitlab.example.com/acme/shop/-/jobs/643",
        ),
    ]
    deployment_lists = [r for r in server.requests if r.path.endswith("/deployments")]
    assert [(r.param("environment"), r.param("order_by"), r.param("sort")) for r in deployment_lists] == [
        ("production", "updated_at", "asc")
    ]
    assert [r.path for r in server.requests if r.path.endswith("/merge_requests") and "/deployments/" in r.path] == [
        "/api/v4/projects/acme%2Fshop/deployments/41/merge_requests"
    ]
    assert incidents == [
        IncidentRecord(
            source="gitlab",
            external_id=f"{PROJECT}#4",
            title="Payments down",
            created_at=utc("2024-03-09T07:00:00Z"),
            resolved_at=utc("2024-03-09T09:15:00Z"),
            severity="high",
            repository=PROJECT,
            url="https://gitlab.example.com/acme/shop/-/issues/4",
        )
    ]


def test_named_environments_and_incidents_only() -> None:
    pages, _ = fetch_all(
        FakeGitLab({PROJECT: sample_project()}), deployment_environments=["staging", "production"], incidents_as_work_items=False
    )

    assert sorted((d.environment, d.external_id) for page in pages for d in page.deployments) == [
        ("production", "deployment:41"),
        ("production", "deployment:42"),
        ("production", "deployment:43"),
        ("staging", "deployment:50"),
    ]
    assert f"{PROJECT}#4" not in items(pages)
    assert [i.external_id for page in pages for i in page.incidents] == [f"{PROJECT}#4"]


@pytest.mark.parametrize("mode", ["link", "x-next-page", "keyset"])
def test_every_kind_of_paging_reads_the_same_records(mode: str) -> None:
    fake = FakeGitLab(
        {PROJECT: sample_project()}, max_per_page=2, link_headers=mode != "x-next-page", keyset_issues=mode == "keyset"
    )
    pages, server = fetch_all(fake)

    assert sorted(items(pages)) == [f"{PROJECT}#{n}" for n in (1, 2, 3, 4, 5)]
    assert sorted(c.number for page in pages for c in page.changes) == [10, 11, 12, 13]
    issue_pages = [r for r in server.requests if r.path.endswith("/issues")]
    if mode == "keyset":
        assert [r.param("cursor") is not None for r in issue_pages] == [False, True, True]
    else:
        assert [r.param("page") for r in issue_pages] == [None, "2", "3"]
    # One yielded page per list page: 3 of issues, 2 of merge requests, 2 of production deployments.
    assert [p.cursor["phase"] for p in pages] == [
        "issues",
        "issues",
        "merge_requests",
        "merge_requests",
        "deployments",
        "deployments",
        "done",
    ]
    assert [p.existing_keys is not None for p in pages] == [False] * 6 + [True]


def test_an_incremental_sync_asks_for_what_changed_since() -> None:
    since = utc("2024-03-06T00:00:00Z")
    pages, server = fetch_all(FakeGitLab({PROJECT: sample_project()}), SyncRequest(since=since))

    lists = [
        r
        for r in server.requests
        if r.path.endswith(("/issues", "/merge_requests", "/deployments")) and "/deployments/" not in r.path
    ]
    assert {r.param("updated_after") for r in lists} == {"2024-03-06T00:00:00Z"}
    assert sorted(items(pages)) == [f"{PROJECT}#1", f"{PROJECT}#4", f"{PROJECT}#5"]
    assert pages[-1].existing_keys is None
    assert pages[-1].watermark == utc("2024-03-09T09:15:00Z")


def test_a_429_waits_for_retry_after_and_a_spent_budget_waits_for_the_reset() -> None:
    fake = FakeGitLab({PROJECT: sample_project()})
    fake.fail(r"/projects/[^/]+/issues", "retry_after_429", retry_after=30)
    fake.fail(r"/projects/[^/]+/merge_requests", "spent")
    fake.fail(r"/projects/[^/]+/environments", "server_error_500")
    sleeps: list[float] = []
    with fake.serve() as server:
        pages = list(connect(server, sleeps=sleeps, status_labels=STATUS_LABELS).fetch(SyncRequest(full=True)))

    # 30 s for Retry-After; 42 s until RateLimit-Reset after the answer that spent the budget; a jittered backoff.
    assert sleeps[:2] == [30.0, 42.0]
    assert len(sleeps) == 3
    assert 0 <= sleeps[2] <= 1.0
    assert len(items(pages)) == 5


@pytest.mark.parametrize(("kind", "verb"), [("redirect_elsewhere", "redirected to"), ("link_elsewhere", "pointed to")])
def test_a_redirect_or_next_page_on_another_host_is_not_followed(kind: str, verb: str) -> None:
    fake = FakeGitLab({PROJECT: sample_project()})
    fake.fail(r"/projects/[^/]+/issues", kind)
    with fake.serve() as server, pytest.raises(ConnectorError) as caught:
        list(connect(server).fetch(SyncRequest()))

    assert caught.value.message == (
        f"GitLab (shop): GitLab {verb} another host (https://gitlab.evil.example); "
        f"the token is only sent to {server.url}. Check the base URL of the connection."
    )
    assert len(server.requests) == 1


def test_a_sync_resumed_from_any_page_reads_the_rest_exactly_once() -> None:
    fake = FakeGitLab({PROJECT: sample_project()}, max_per_page=2)
    with fake.serve() as server:
        whole = list(connect(server, status_labels=STATUS_LABELS).fetch(SyncRequest()))
        for stop in range(1, len(whole)):
            rest = list(connect(server, status_labels=STATUS_LABELS).fetch(SyncRequest(cursor=whole[stop - 1].cursor)))
            assert [p.cursor for p in rest] == [p.cursor for p in whole[stop:]]
            assert [sorted(items([p])) for p in rest] == [sorted(items([p])) for p in whole[stop:]]
            assert [p.changes for p in rest] == [p.changes for p in whole[stop:]]
            assert [p.deployments for p in rest] == [p.deployments for p in whole[stop:]]
    assert len(whole) == 7


def test_records_recorded_from_gitlab_com_map_exactly() -> None:
    fake = FakeGitLab({RECORDED: recorded_project()})
    with fake.serve() as server:
        pages = list(
            connect(server, projects=[RECORDED], deployment_environments=["production", "staging"]).fetch(SyncRequest(full=True))
        )
    changes = {change.number: change for page in pages for change in page.changes}

    # emilie's "This looks good to me" is the first note by someone other than the author martinguindon.
    assert changes[3] == ChangeRecord(
        source="gitlab",
        repository=RECORDED,
        number=3,
        title=changes[3].title,
        author="martinguindon",
        opened_at=utc("2019-08-15T19:34:32.706Z"),
        first_commit_at=utc("2019-08-15T19:32:19Z"),
        first_review_at=utc("2019-08-26T12:14:39.003Z"),
        merged_at=utc("2019-08-26T14:15:27.922Z"),
        closed_at=utc("2019-08-26T14:15:27.922Z"),
        merge_commit_sha="d678bea9d47b42eb13512d1c9d6a592d80b432d4",
        base_branch="master",
        url="https://gitlab.com/gitlab-data/snowflake_spend/-/merge_requests/3",
    )
    # Only system notes by others ("mentioned in commit", "merged"): no review.
    assert (changes[1].first_review_at, changes[1].first_commit_at) == (None, utc("2019-06-28T05:40:36Z"))
    assert (changes[13].merged_at, changes[13].closed_at, changes[13].merge_commit_sha) == (
        None,
        utc("2020-08-27T20:20:08.150Z"),
        None,
    )
    assert len(changes) == 18

    found = items(pages)
    assert len(found) == 16
    # Closed, but no state events were recorded: "Closed" at closed_at, flagged as estimated.
    assert (
        found[f"{RECORDED}#12"].transitions,
        found[f"{RECORDED}#12"].history_is_estimated,
        found[f"{RECORDED}#12"].estimate,
    ) == (
        (
            TransitionRecord("Open", utc("2020-07-27T14:19:40.700Z")),
            TransitionRecord("Closed", utc("2020-09-22T22:08:20.103Z"), "Open"),
        ),
        True,
        2.0,
    )

    deployments = sorted(
        (d.external_id, d.environment, d.result, d.started_at, d.finished_at) for page in pages for d in page.deployments
    )
    # "completed" and "undeployed" (values DevLake wrote into its samples) are not GitLab statuses: skipped.
    assert deployments == [
        ("deployment:13426753", "staging", "success", utc("2019-03-13T14:17:33.559Z"), utc("2019-03-13T14:17:47.640Z")),
        ("deployment:13432768", "staging", "failure", utc("2019-03-13T14:55:21.182Z"), utc("2019-03-13T15:02:23.332Z")),
        ("deployment:13436532", "production", "cancelled", utc("2019-03-13T15:21:07.335Z"), utc("2019-03-13T15:21:27.825Z")),
        ("deployment:13436763", "production", "in_progress", utc("2019-03-13T15:23:40.064Z"), None),
        ("deployment:13436778", "staging", "in_progress", utc("2019-03-13T15:23:52.979Z"), None),
        ("deployment:13436986", "production", "in_progress", utc("2019-03-13T15:26:19.170Z"), None),
    ]
