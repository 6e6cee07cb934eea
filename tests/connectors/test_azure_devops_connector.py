"""The Azure DevOps connector over real HTTP against the fake Azure DevOps: test(), WIQL keyset paging, work-item
histories from the updates API, pull requests, pipeline runs and release deployments, rate limits and resuming."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError

from deliveryops.connectors.azure_devops import AzureDevOpsConnector
from deliveryops.connectors.azure_devops_mapping import parse_time
from deliveryops.connectors.azure_devops_settings import (
    AzureDevOpsSettings,
    DeploymentSourceLineError,
    format_sources,
    parse_sources,
    release_url_for,
)
from deliveryops.connectors.base import ChangeRecord, ConnectorError, DeploymentRecord, FetchPage, IncidentRecord, SyncRequest
from deliveryops.connectors.registry import connector_class
from deliveryops.work.records import BlockedIntervalRecord, StageCategory, TransitionRecord, WorkItemRecord
from tests.connectors.fake_azure_devops import (
    PROJECT,
    FakeAzureDevOps,
    Repository,
    build,
    comment_thread,
    connect,
    example,
    identity,
    pr_commit,
    pull_request,
    release,
    release_deployment,
    stage,
    system_threads,
    update,
    vote_thread,
    work_item,
)
from tests.connectors.fakeserver import FakeServer

PAYMENTS = f"{PROJECT}\\Payments"
AUTHOR = identity("Normal Paulk", identity_id="d6245f20-2af8-44f4-9451-8107cb2767db")
REVIEWER = identity("Johnnie McLeod", identity_id="24281983-2530-4a9c-aeb7-88d60d57acfd")
SERVICE = identity("Project Collection Build Service", container=True)
MERGE_101, SHA_1, SHA_2 = "1e924c570d532d92c12e955b9f8948935f54944e", "a" * 40, "b" * 40
DEPLOY_STAGE = "Deploy to production"
STATES = {
    "User Story": [
        {"name": "New", "color": "b2b2b2", "category": "Proposed"},
        {"name": "Active", "color": "007acc", "category": "InProgress"},
        {"name": "Resolved", "color": "ff9d00", "category": "Resolved"},
        {"name": "Closed", "color": "339933", "category": "Completed"},
        {"name": "Removed", "color": "ffffff", "category": "Removed"},
    ],
    "Incident": [
        {"name": "New", "color": "b2b2b2", "category": "Proposed"},
        {"name": "Active", "color": "007acc", "category": "InProgress"},
        {"name": "Mitigated", "color": "ff9d00", "category": "Resolved"},
        {"name": "Closed", "color": "339933", "category": "Completed"},
    ],
}


def utc(text: str) -> datetime:
    return parse_time(text)


def story_updates(item_id: int, steps: list[tuple[str, dict[str, tuple[Any, Any]]]]) -> list[dict[str, Any]]:
    """Updates for ``steps`` of (changed date, field changes); each revision is superseded 7 minutes after its
    successor was made (``revisedDate``), so a mapping that read it would be visibly wrong."""
    updates = []
    for rev, (changed, changes) in enumerate(steps, start=1):
        following = steps[rev][0] if rev < len(steps) else None
        revised = "9999-01-01T00:00:00Z" if following is None else following[:14] + "59:59Z"
        updates.append(
            update(
                item_id,
                rev,
                changed,
                previous=steps[rev - 2][0] if rev > 1 else None,
                revised=revised,
                **{name.replace(".", "_"): value for name, value in changes.items()},
            )
        )
    return updates


def sample_organization() -> FakeAzureDevOps:
    fake = FakeAzureDevOps(type_states={**STATES, "Bug": example("work-item-type-states.json")["value"]})
    # Work item 1 with the 13 updates of the documented example (New → Active at 02:36:18.75).
    fake.work_items[1] = work_item(
        1,
        created="2017-09-04T02:08:16.6Z",
        changed="2017-09-04T02:43:24.21Z",
        kind="Bug",
        state="Active",
        title="Bug 1",
        area=PAYMENTS,
        tags="beauty; Güvenlik açığı testi",
    )
    fake.updates[1] = example("work-item-updates.json")["value"]
    fake.work_items[10] = work_item(
        10,
        created="2024-03-01T09:00:00Z",
        changed="2024-03-06T16:00:00Z",
        state="Closed",
        area=f"{PAYMENTS}\\Checkout",
        title="Pay by invoice",
        parent=30,
        fields={"Microsoft.VSTS.Scheduling.StoryPoints": 5.0},
    )
    fake.updates[10] = story_updates(
        10,
        [
            ("2024-03-01T09:00:00Z", {"System.State": (None, "New")}),
            ("2024-03-02T10:00:00Z", {"System.State": ("New", "Active")}),
            ("2024-03-03T08:00:00Z", {"System.Tags": (None, "Blocked; api")}),
            ("2024-03-04T09:30:00Z", {"System.Tags": ("Blocked; api", "api")}),
            ("2024-03-05T11:00:00Z", {"System.State": ("Active", "Resolved")}),
            ("2024-03-06T16:00:00Z", {"System.State": ("Resolved", "Closed")}),
        ],
    )
    fake.work_items[11] = work_item(
        11, created="2024-03-02T08:00:00Z", changed="2024-03-03T12:00:00Z", state="Active", area=PAYMENTS
    )
    fake.updates[11] = story_updates(
        11,
        [
            ("2024-03-02T08:00:00Z", {"System.State": (None, "Active")}),
            ("2024-03-03T12:00:00Z", {"Microsoft.VSTS.CMMI.Blocked": (None, "Yes")}),
        ],
    )
    fake.work_items[12] = work_item(12, created="2024-03-02T08:00:00Z", state="New", area=f"{PROJECT}\\Web")
    fake.updates[12] = story_updates(12, [("2024-03-02T08:00:00Z", {"System.State": (None, "New")})])
    fake.work_items[13] = work_item(
        13,
        created="2024-03-07T07:00:00Z",
        changed="2024-03-07T09:00:00Z",
        state="Closed",
        kind="Incident",
        title="Card payments fail",
        area=PAYMENTS,
        fields={"Microsoft.VSTS.Common.Severity": "1 - Critical"},
    )
    fake.updates[13] = story_updates(
        13,
        [
            ("2024-03-07T07:00:00Z", {"System.State": (None, "New")}),
            ("2024-03-07T07:10:00Z", {"System.State": ("New", "Active")}),
            ("2024-03-07T08:00:00Z", {"System.State": ("Active", "Mitigated")}),
            ("2024-03-07T09:00:00Z", {"System.State": ("Mitigated", "Closed")}),
        ],
    )
    # Migrated with its state: the updates know only "New".
    fake.work_items[14] = work_item(
        14, created="2023-05-01T08:00:00Z", changed="2023-05-09T17:00:00Z", state="Closed", area=PAYMENTS
    )
    fake.updates[14] = story_updates(14, [("2023-05-01T08:00:00Z", {"System.State": (None, "New")})])

    repository = Repository()
    repository.pulls = [
        pull_request(
            101,
            repository="shop-web",
            created="2024-03-02T08:30:00Z",
            author=AUTHOR,
            status="completed",
            closed="2024-03-02T15:00:00Z",
            merge_commit=MERGE_101,
            title="Pay by invoice",
        ),
        pull_request(
            102,
            repository="shop-web",
            created="2024-03-03T08:30:00Z",
            author=REVIEWER,
            status="abandoned",
            closed="2024-03-03T09:00:00Z",
        ),
        pull_request(103, repository="shop-web", created="2024-03-04T08:30:00Z", author=AUTHOR),
    ]
    repository.commits = {
        101: [
            pr_commit("c" * 40, authored="2024-03-02T08:00:00Z", committed="2024-03-02T08:20:00Z"),
            pr_commit("d" * 40, authored="2024-03-01T17:45:00Z", committed="2024-03-02T08:10:00Z"),
        ]
    }
    repository.threads = {
        101: [
            *system_threads(),
            comment_thread("2024-03-02T09:00:00Z", AUTHOR, "Ready for review"),
            vote_thread("2024-03-02T09:05:00Z", AUTHOR, 10),
            vote_thread("2024-03-02T11:00:00Z", REVIEWER, 10),
            comment_thread("2024-03-02T12:00:00Z", REVIEWER),
        ],
        103: [vote_thread("2024-03-04T09:00:00Z", REVIEWER, 0), comment_thread("2024-03-04T09:10:00Z", SERVICE, "Policy ok")],
    }
    fake.repositories["shop-web"] = repository

    fake.definitions = [
        {"id": 7, "name": "Shop CI", "path": "\\", "type": "build", "revision": 3},
        {"id": 8, "name": "Jobs CI", "path": "\\", "type": "build", "revision": 1},
    ]
    fake.builds = [
        build(
            501,
            definition=(7, "Shop CI"),
            repository="shop-web",
            sha=SHA_1,
            queued="2024-03-02T15:01:00Z",
            started="2024-03-02T15:02:00Z",
            finished="2024-03-02T15:20:00Z",
        ),
        build(
            502,
            definition=(7, "Shop CI"),
            repository="shop-web",
            sha=SHA_2,
            queued="2024-03-03T10:00:00Z",
            started="2024-03-03T10:01:00Z",
            finished="2024-03-03T10:05:00Z",
            result="failed",
        ),
        build(
            503,
            definition=(7, "Shop CI"),
            repository="shop-web",
            sha=SHA_2,
            queued="2024-03-03T11:00:00Z",
            started="2024-03-03T11:01:00Z",
            finished="2024-03-03T11:30:00Z",
            result="failed",
        ),
        build(
            504,
            definition=(7, "Shop CI"),
            repository="shop-web",
            sha=SHA_2,
            queued="2024-03-03T12:00:00Z",
            started="2024-03-03T12:01:00Z",
            finished="2024-03-03T12:02:00Z",
            result="succeeded",
            branch="refs/heads/feature-x",
        ),
        build(
            601,
            definition=(8, "Jobs CI"),
            repository="jobs",
            sha=SHA_1,
            queued="2024-03-04T10:00:00Z",
            started="2024-03-04T10:01:00Z",
            finished="2024-03-04T10:09:00Z",
            result="partiallySucceeded",
        ),
    ]
    fake.timelines = {
        501: [
            stage("Build", result="succeeded", started="2024-03-02T15:02:00Z", finished="2024-03-02T15:10:00Z"),
            stage(DEPLOY_STAGE, result="succeeded", started="2024-03-02T15:12:00Z", finished="2024-03-02T15:19:00Z", order=2),
        ],
        502: [
            stage("Build", result="failed", started="2024-03-03T10:01:00Z", finished="2024-03-03T10:05:00Z"),
            stage(DEPLOY_STAGE, result="skipped", started=None, finished=None, order=2),
        ],
        503: [
            stage("Build", result="succeeded", started="2024-03-03T11:01:00Z", finished="2024-03-03T11:08:00Z"),
            stage(DEPLOY_STAGE, result="failed", started="2024-03-03T11:10:00Z", finished="2024-03-03T11:29:00Z", order=2),
        ],
    }
    fake.release_definitions = [example("release-definition.json")]  # 40 "Fabrikam-web", stage 40 "PROD"
    fake.release_deployments = [
        release_deployment(
            79,
            release_id=18,
            definition_id=40,
            environment_id=40,
            status="succeeded",
            operation="Approved",
            started="2024-03-05T10:00:00Z",
            completed="2024-03-05T10:12:00Z",
            modified="2024-03-05T10:12:00Z",
        ),
        release_deployment(
            80,
            release_id=19,
            definition_id=40,
            environment_id=40,
            status="failed",
            operation="PhaseFailed",
            started="2024-03-06T10:00:00Z",
            completed="2024-03-06T10:04:00Z",
            modified="2024-03-06T10:04:00Z",
        ),
        release_deployment(
            81,
            release_id=19,
            definition_id=40,
            environment_id=40,
            status="notDeployed",
            operation="Canceled",
            started="2024-03-06T11:00:00Z",
            completed=None,
            modified="2024-03-06T11:02:00Z",
        ),
        release_deployment(
            82,
            release_id=19,
            definition_id=40,
            environment_id=40,
            status="notDeployed",
            operation="Pending",
            started="0001-01-01T00:00:00",
            completed=None,
            modified="2024-03-06T12:00:00Z",
        ),
    ]
    fake.releases = {18: release(18, sha=SHA_1, repository="shop-web"), 19: release(19, sha=SHA_2, repository="shop-web")}
    return fake


SETTINGS: dict[str, Any] = {
    "area_paths": [PAYMENTS],
    "repositories": ["shop-web"],
    "incident_types": ["Incident"],
    "deployments": parse_sources(
        f"pipeline: Shop CI; stage={DEPLOY_STAGE}; branch=main\npipeline: 8\n"
        "release: Fabrikam-web; stage=PROD; environment=production"
    ),
}


def fetch_all(
    fake: FakeAzureDevOps, request: SyncRequest | None = None, **settings: Any
) -> tuple[list[FetchPage], FakeServer, FakeServer]:
    with fake.serve() as (organization, releases):
        pages = list(connect(organization, releases, **{**SETTINGS, **settings}).fetch(request or SyncRequest(full=True)))
    return pages, organization, releases


def items(pages: list[FetchPage]) -> dict[str, WorkItemRecord]:
    return {item.external_key: item for page in pages for item in page.items}


def test_registered_with_settings_that_name_the_wrong_field() -> None:
    assert connector_class("azure-devops") is AzureDevOpsConnector
    with pytest.raises(ValidationError) as caught:
        AzureDevOpsSettings(base_url="dev.azure.com/fabrikam", project="Fabrikam", area_paths=["Other\\Team"])
    assert {error["loc"][0] if error["loc"] else "settings": error["msg"] for error in caught.value.errors()} == {
        "base_url": "Value error, must be a web address with a host name, starting with https:// "
        "(e.g. https://dev.azure.com/fabrikam); got 'dev.azure.com/fabrikam'"
    }
    with pytest.raises(ValidationError) as area:
        AzureDevOpsSettings(base_url="https://dev.azure.com/fabrikam", project="Fabrikam", area_paths=["Other\\Team"])
    assert area.value.errors()[0]["msg"] == (
        "Value error, area_paths: 'Other\\\\Team' is not in project Fabrikam (write Fabrikam\\Team)"
    )
    assert release_url_for("https://dev.azure.com/fabrikam") == "https://vsrm.dev.azure.com/fabrikam"
    assert release_url_for("https://fabrikam.visualstudio.com") == "https://fabrikam.vsrm.visualstudio.com"
    assert release_url_for("https://tfs.example.com/DefaultCollection") == "https://tfs.example.com/DefaultCollection"


def test_deployment_source_lines_parse_name_their_errors_and_round_trip() -> None:
    text = "pipeline: Shop CI; stage=Deploy to production; branch=main\nrelease: Fabrikam-web; stage=PROD; environment=prod"
    parsed = parse_sources(text)
    assert parsed == [
        {"kind": "pipeline", "definition": "Shop CI", "stage": "Deploy to production", "branch": "main"},
        {"kind": "release", "definition": "Fabrikam-web", "stage": "PROD", "environment": "prod"},
    ]
    assert (
        format_sources(
            AzureDevOpsSettings(base_url="https://dev.azure.com/f", project="P", deployments=parsed).model_dump()["deployments"]
        )
        == text
    )
    for bad, message in (
        ("build: Shop CI", 'line 1: start with "pipeline:" or "release:", e.g. "pipeline: Shop CI; stage=Deploy"'),
        (
            "# prod\npipeline: Shop CI; stages=Deploy",
            "line 2: 'stages=Deploy' is not an option of a pipeline; use stage=, branch=, environment=, repository=",
        ),
        ("release: ; stage=PROD", "line 1: name the release after the colon (its name or id)"),
    ):
        with pytest.raises(DeploymentSourceLineError) as caught:
            parse_sources(bad)
        assert str(caught.value) == message
    with pytest.raises(ValidationError) as no_stage:
        AzureDevOpsSettings(base_url="https://dev.azure.com/f", project="P", deployments=parse_sources("release: Web"))
    assert no_stage.value.errors()[0]["msg"] == (
        "Value error, release Web: name the stage (release environment) that deploys, e.g. stage=PROD"
    )


def test_test_names_the_user_project_and_sources_and_sends_the_pat_as_basic_auth() -> None:
    fake = sample_organization()
    with fake.serve() as (organization, releases):
        sentence = connect(organization, releases, **SETTINGS).test()

    assert sentence == (
        f"Connected to {organization.url}/fabrikam as Jamal Hartnett; project Fabrikam found; "
        "repositories shop-web; 3 deployment sources."
    )
    assert organization.requests[0].headers["authorization"] == "Basic " + base64.b64encode(b":ado-pat-test").decode()
    assert {r.param("api-version") for r in organization.requests + releases.requests} == {"7.1"}
    assert [r.path for r in releases.requests] == [
        "/fabrikam/Fabrikam/_apis/release/definitions",
        "/fabrikam/Fabrikam/_apis/release/definitions/40",
    ]


def test_test_names_what_is_missing() -> None:
    fake = sample_organization()
    with fake.serve() as (organization, releases):
        with pytest.raises(ConnectorError) as repository:
            connect(organization, releases, repositories=["shop-api"]).test()
        with pytest.raises(ConnectorError) as pipeline:
            connect(organization, releases, deployments=parse_sources("pipeline: Deploy")).test()
        with pytest.raises(ConnectorError) as stage_name:
            connect(organization, releases, deployments=parse_sources("release: Fabrikam-web; stage=Production")).test()

    assert repository.value.message == "Azure DevOps (Fabrikam): repository shop-api was not found in project Fabrikam."
    assert pipeline.value.message == (
        "Azure DevOps (Fabrikam): project Fabrikam has no pipeline named 'Deploy' "
        "(its pipelines: Jobs CI, Shop CI); correct the deployment sources."
    )
    assert stage_name.value.message == (
        "Azure DevOps (Fabrikam): release definition 'Fabrikam-web' has no stage named 'Production' (its stages: PROD)."
    )


def test_a_refused_token_is_named_whether_401_or_a_sign_in_page() -> None:
    fake = sample_organization()
    fake.fail(r"/_apis/connectionData", "signin_203")
    with fake.serve() as (organization, releases):
        with pytest.raises(ConnectorError) as signin:
            connect(organization, releases).test()
        with pytest.raises(ConnectorError) as refused:
            connect(organization, releases, secret="old-pat").test()

    assert signin.value.message == (
        "Azure DevOps (Fabrikam): Azure DevOps answered with a sign-in page: the personal "
        "access token was refused (expired, revoked or for another organization). Update it "
        "on the connection."
    )
    assert refused.value.message == (
        "Azure DevOps (Fabrikam): the server refused the credentials (401 Unauthorized: TF400813: The user '' is not "
        "authorized to access this resource.). The token may have expired or lack access: update it on the connection."
    )


def test_workflow_from_state_categories_of_the_visible_types() -> None:
    fake = sample_organization()
    with fake.serve() as (organization, releases):
        statuses = connect(organization, releases).workflow()

    assert [(s.name, s.category) for s in statuses] == [
        ("New", StageCategory.BACKLOG),
        ("Active", StageCategory.ACTIVE),
        ("CustomState", StageCategory.ACTIVE),
        ("Resolved", StageCategory.WAITING),
        ("Closed", StageCategory.DONE),
        ("Removed", StageCategory.DISCARDED),
    ]
    assert [r.path.rsplit("/", 2)[-2] for r in organization.requests if r.path.endswith("/states")] == ["User%20Story", "Bug"]


def test_work_item_histories_come_from_the_updates_at_their_change_dates() -> None:
    pages, organization, _ = fetch_all(sample_organization())
    found = items(pages)

    assert found["Fabrikam#10"] == WorkItemRecord(
        source="azure-devops",
        external_key="Fabrikam#10",
        item_type="User Story",
        title="Pay by invoice",
        created_at=utc("2024-03-01T09:00:00Z"),
        transitions=(
            TransitionRecord("New", utc("2024-03-01T09:00:00Z")),
            TransitionRecord("Active", utc("2024-03-02T10:00:00Z"), "New"),
            TransitionRecord("Resolved", utc("2024-03-05T11:00:00Z"), "Active"),
            TransitionRecord("Closed", utc("2024-03-06T16:00:00Z"), "Resolved"),
        ),
        blocked_intervals=(
            BlockedIntervalRecord(utc("2024-03-03T08:00:00Z"), utc("2024-03-04T09:30:00Z"), "tag: Blocked", "flag"),
        ),
        parent_key="Fabrikam#30",
        estimate=5.0,
        url=f"{organization.url}/fabrikam/Fabrikam/_workitems/edit/10",
    )
    # The documented example: the state changed at System.ChangedDate 02:36:18.75, not at revisedDate 02:36:25.3.
    assert found["Fabrikam#1"].transitions == (
        TransitionRecord("New", utc("2017-09-04T02:08:16.6Z")),
        TransitionRecord("Active", utc("2017-09-04T02:36:18.75Z"), "New"),
    )
    assert found["Fabrikam#1"].labels == ("beauty", "Güvenlik açığı testi")
    assert found["Fabrikam#11"].transitions == (TransitionRecord("Active", utc("2024-03-02T08:00:00Z")),)
    assert found["Fabrikam#11"].blocked_intervals == (
        BlockedIntervalRecord(utc("2024-03-03T12:00:00Z"), None, "field: Blocked", "flag"),
    )
    assert (found["Fabrikam#14"].transitions, found["Fabrikam#14"].history_is_estimated) == (
        (TransitionRecord("New", utc("2023-05-01T08:00:00Z")), TransitionRecord("Closed", utc("2023-05-09T17:00:00Z"), "New")),
        True,
    )
    # Fabrikam\\Web is not under the connection's area path.
    assert sorted(found) == ["Fabrikam#1", "Fabrikam#10", "Fabrikam#11", "Fabrikam#13", "Fabrikam#14"]
    assert pages[-1].existing_keys == sorted(found)


def test_wiql_pages_by_id_and_asks_for_what_changed_since() -> None:
    fake = sample_organization()
    for item_id in range(100, 550):
        fake.work_items[item_id] = work_item(item_id, created="2024-04-01T08:00:00Z", state="New", area=PAYMENTS)
        fake.updates[item_id] = story_updates(item_id, [("2024-04-01T08:00:00Z", {"System.State": (None, "New")})])
    fake.updates[100] = story_updates(
        100,
        [("2024-04-01T08:00:00Z", {"System.State": (None, "New")})]
        + [
            (f"2024-04-{day:02d}T{hour:02d}:00:00Z", {"System.Title": (None, f"title {day}.{hour}")})
            for day in range(2, 20)
            for hour in range(24)
        ],
    )  # 433 updates: three pages of the updates API
    pages, organization, _ = fetch_all(fake, repositories=[], deployments=[])
    fetch_all(fake, SyncRequest(since=utc("2024-03-05T00:00:00Z")), repositories=[], deployments=[])

    assert len(items(pages)) == 455
    assert len(items(pages)["Fabrikam#100"].transitions) == 1
    # Ids 1, 10, 11, 13, 14 and 100-294, then 295-494, then 495-549 (fewer than 200: the last page).
    assert [query.split("[System.Id] > ")[1].split(" ")[0] for query in fake.wiql[:3]] == ["0", "294", "494"]
    assert [r.param("$skip") for r in organization.requests if r.path.endswith("/workItems/100/updates")] == ["0", "200", "400"]
    assert fake.wiql[3] == (
        "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = 'Fabrikam' AND "
        "[System.Id] > 0 AND ([System.AreaPath] UNDER 'Fabrikam\\Payments') AND "
        "[System.ChangedDate] >= '2024-03-05T00:00:00Z' ORDER BY [System.Id] ASC"
    )
    assert [p.cursor["position"] for p in pages if p.cursor["phase"] == "work_items"] == [{"after_id": 294}, {"after_id": 494}]


def test_pull_requests_give_first_commit_first_review_by_someone_else_and_merge() -> None:
    pages, organization, _ = fetch_all(sample_organization())
    changes = {change.number: change for page in pages for change in page.changes}

    # Normal Paulk's own comment and vote come first; Johnnie McLeod's approving vote is the first review.
    assert changes[101] == ChangeRecord(
        source="azure-devops",
        repository="Fabrikam/shop-web",
        number=101,
        title="Pay by invoice",
        author="normal.paulk@fabrikam.example",
        opened_at=utc("2024-03-02T08:30:00Z"),
        first_commit_at=utc("2024-03-01T17:45:00Z"),
        first_review_at=utc("2024-03-02T11:00:00Z"),
        merged_at=utc("2024-03-02T15:00:00Z"),
        closed_at=utc("2024-03-02T15:00:00Z"),
        merge_commit_sha=MERGE_101,
        base_branch="main",
        url=f"{organization.url}/fabrikam/Fabrikam/_git/shop-web/pullrequest/101",
    )
    assert (changes[102].merged_at, changes[102].closed_at, changes[102].merge_commit_sha) == (
        None,
        utc("2024-03-03T09:00:00Z"),
        None,
    )
    # A reset vote (0) and a build service's comment are no review.
    assert (changes[103].first_review_at, changes[103].closed_at) == (None, None)


def test_pipeline_runs_stages_and_release_deployments_are_deployments() -> None:
    pages, organization, releases = fetch_all(sample_organization())
    deployments = [record for page in pages for record in page.deployments]
    web = f"https://dev.azure.com/fabrikam/{PROJECT}/_build/results?buildId="

    assert deployments == [
        # Stage "Deploy to production" of the main branch's runs: 502 skipped it (no deployment), 503's failed.
        DeploymentRecord(
            source="azure-devops",
            external_id=f"build:501:{DEPLOY_STAGE.replace(' ', '_')}",
            repository="Fabrikam/shop-web",
            environment="production",
            result="success",
            started_at=utc("2024-03-02T15:12:00Z"),
            finished_at=utc("2024-03-02T15:19:00Z"),
            commit_sha=SHA_1,
            ref="main",
            url=f"{web}501",
        ),
        DeploymentRecord(
            source="azure-devops",
            external_id=f"build:503:{DEPLOY_STAGE.replace(' ', '_')}",
            repository="Fabrikam/shop-web",
            environment="production",
            result="failure",
            started_at=utc("2024-03-03T11:10:00Z"),
            finished_at=utc("2024-03-03T11:29:00Z"),
            commit_sha=SHA_2,
            ref="main",
            url=f"{web}503",
        ),
        # A whole run of pipeline 8 (no stage named): partially succeeded counts as success.
        DeploymentRecord(
            source="azure-devops",
            external_id="build:601",
            repository="Fabrikam/jobs",
            environment="production",
            result="success",
            started_at=utc("2024-03-04T10:01:00Z"),
            finished_at=utc("2024-03-04T10:09:00Z"),
            commit_sha=SHA_1,
            ref="main",
            url=f"{web}601",
        ),
        DeploymentRecord(
            source="azure-devops",
            external_id="release-deployment:79",
            repository="Fabrikam/shop-web",
            environment="production",
            result="success",
            started_at=utc("2024-03-05T10:00:00Z"),
            finished_at=utc("2024-03-05T10:12:00Z"),
            commit_sha=SHA_1,
            ref="main",
            url="https://dev.azure.com/fabrikam/Fabrikam/_release?releaseId=18&_a=release-summary",
        ),
        DeploymentRecord(
            source="azure-devops",
            external_id="release-deployment:80",
            repository="Fabrikam/shop-web",
            environment="production",
            result="failure",
            started_at=utc("2024-03-06T10:00:00Z"),
            finished_at=utc("2024-03-06T10:04:00Z"),
            commit_sha=SHA_2,
            ref="main",
            url="https://dev.azure.com/fabrikam/Fabrikam/_release?releaseId=19&_a=release-summary",
        ),
        DeploymentRecord(
            source="azure-devops",
            external_id="release-deployment:81",
            repository="Fabrikam/shop-web",
            environment="production",
            result="cancelled",
            started_at=utc("2024-03-06T11:00:00Z"),
            finished_at=utc("2024-03-06T11:02:00Z"),
            commit_sha=SHA_2,
            ref="main",
            url="https://dev.azure.com/fabrikam/Fabrikam/_release?releaseId=19&_a=release-summary",
        ),
    ]
    builds = [r for r in organization.requests if r.path.endswith("/build/builds")]
    assert [(r.param("definitions"), r.param("branchName"), r.param("statusFilter"), r.param("queryOrder")) for r in builds] == [
        ("7", "refs/heads/main", "completed", "finishTimeAscending"),
        ("8", None, "completed", "finishTimeAscending"),
    ]
    # Release Management is its own host; the releases are read once each.
    assert [r.path.rsplit("/", 1)[-1] for r in releases.requests if "/releases/" in r.path] == ["18", "19"]
    assert not [r for r in organization.requests if "/release/" in r.path]


def test_incident_work_items_resolve_when_they_enter_a_resolved_state() -> None:
    pages, organization, _ = fetch_all(sample_organization(), incidents_as_work_items=False)

    assert [i for page in pages for i in page.incidents] == [
        IncidentRecord(
            source="azure-devops",
            external_id="Fabrikam#13",
            title="Card payments fail",
            created_at=utc("2024-03-07T07:00:00Z"),
            resolved_at=utc("2024-03-07T08:00:00Z"),
            severity="1 - Critical",
            url=f"{organization.url}/fabrikam/Fabrikam/_workitems/edit/13",
        )
    ]
    assert "Fabrikam#13" not in items(pages)


def test_an_incremental_sync_reads_active_and_recently_closed_pull_requests_and_newer_deployments() -> None:
    since = utc("2024-03-03T00:00:00Z")
    pages, organization, releases = fetch_all(sample_organization(), SyncRequest(since=since))

    pulls = [r for r in organization.requests if r.path.endswith("/pullrequests")]
    assert [
        (r.param("searchCriteria.status"), r.param("searchCriteria.queryTimeRangeType"), r.param("searchCriteria.minTime"))
        for r in pulls
    ] == [("active", None, None), ("all", "closed", "2024-03-03T00:00:00Z")]
    assert sorted(c.number for page in pages for c in page.changes) == [102, 103]
    assert {r.param("minTime") for r in organization.requests if r.path.endswith("/build/builds")} == {"2024-03-03T00:00:00Z"}
    assert {r.param("minModifiedTime") for r in releases.requests if r.path.endswith("/deployments")} == {"2024-03-03T00:00:00Z"}
    assert sorted(d.external_id for page in pages for d in page.deployments) == [
        "build:503:Deploy_to_production",
        "build:601",
        "release-deployment:79",
        "release-deployment:80",
        "release-deployment:81",
    ]


def test_rate_limits_blocked_and_delayed_requests_wait_as_asked() -> None:
    fake = sample_organization()
    fake.fail(r"/Fabrikam/_apis/wit/wiql", "blocked_429", retry_after=20)
    fake.fail(r"/Fabrikam/_apis/git/repositories/shop-web/pullrequests", "delayed", retry_after=3)
    fake.fail(r"/Fabrikam/_apis/build/builds", "server_error_500")
    sleeps: list[float] = []
    with fake.serve() as (organization, releases):
        pages = list(connect(organization, releases, sleeps=sleeps, **SETTINGS).fetch(SyncRequest(full=True)))

    assert sleeps[:2] == [20.0, 3.0]
    assert len(sleeps) == 3
    assert 0 <= sleeps[2] <= 1.0  # the 500: a jittered backoff
    assert len(items(pages)) == 5


def test_a_sync_resumed_from_any_page_reads_the_rest_exactly_once() -> None:
    fake = sample_organization()
    fake.max_top = 1  # one build, one release deployment, one commit per page: continuation tokens everywhere
    with fake.serve() as (organization, releases):
        whole = list(connect(organization, releases, **SETTINGS).fetch(SyncRequest()))
        for stop in range(1, len(whole)):
            rest = list(connect(organization, releases, **SETTINGS).fetch(SyncRequest(cursor=whole[stop - 1].cursor)))
            assert [p.cursor for p in rest] == [p.cursor for p in whole[stop:]]
            assert [p.items for p in rest] == [p.items for p in whole[stop:]]
            assert [p.changes for p in rest] == [p.changes for p in whole[stop:]]
            assert [p.deployments for p in rest] == [p.deployments for p in whole[stop:]]
    assert [p.cursor["phase"] for p in whole].count("deployments") >= 8
    assert whole[-1].cursor["phase"] == "done"


def test_a_work_item_deleted_while_the_sync_reads_it_is_skipped() -> None:
    fake = sample_organization()
    fake.vanishing.add(11)
    pages, _, _ = fetch_all(fake, repositories=[], deployments=[])

    assert sorted(items(pages)) == ["Fabrikam#1", "Fabrikam#10", "Fabrikam#13", "Fabrikam#14"]
    assert pages[-1].existing_keys == ["Fabrikam#1", "Fabrikam#10", "Fabrikam#13", "Fabrikam#14"]
