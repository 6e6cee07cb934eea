"""GitHub as a DORA source over real HTTP against the fake GitHub: deployments and their statuses,
workflow runs marked as deployments, the commits each one shipped (compare API), labelled incidents."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError

from deliveryops.connectors.base import ConnectorError, DeploymentRecord, FetchPage, IncidentRecord, SyncRequest
from deliveryops.connectors.github import GitHubSettings
from deliveryops.connectors.github_deployments import (
    DeploymentLineError,
    format_deployment_sources,
    parse_deployment_sources,
)
from deliveryops.connectors.github_history import parse_time
from tests.connectors.fake_github import (
    REPO,
    RUN_FIXTURES,
    FakeGitHub,
    Repo,
    commit,
    connect,
    deployment,
    deployment_status,
    issue,
    run,
    sample_repo,
)
from tests.connectors.fakeserver import FakeServer

DEPLOYMENTS = [{"repository": REPO, "source": "deployments"}]


def sha(index: int) -> str:
    return f"{index:02d}" * 20


def utc(text: str) -> datetime:
    return parse_time(text)


def deployments_of(pages: list[FetchPage]) -> dict[str, DeploymentRecord]:
    return {record.external_id: record for page in pages for record in page.deployments}


def requests_to(server: FakeServer, suffix: str) -> list[str]:
    return [request.path for request in server.requests if request.path.endswith(suffix) or suffix in request.path]


def with_history(repo: Repo) -> Repo:
    repo.history = [commit(sha(index), at=f"2023-10-{index + 1:02d}T12:00:00Z") for index in range(10)]
    return repo


def deploying_repo() -> Repo:
    """Deployments of panjf2000/ants to production (and one to staging), each with its statuses."""
    repo = with_history(sample_repo())
    plan: list[tuple[int, int, str, list[tuple[str, str]]]] = [
        (100, 0, "2023-01-01T10:00:00Z", []),  # statuses expired (older than 90 days): skipped
        (101, 1, "2023-11-01T10:00:00Z", [("queued", "10:00:05"), ("in_progress", "10:01:00"), ("success", "10:05:00")]),
        (102, 3, "2023-11-02T10:00:00Z", [("in_progress", "10:01:00"), ("failure", "10:04:00")]),
        (103, 4, "2023-11-03T10:00:00Z", [("error", "10:02:00")]),
        (104, 5, "2023-11-04T10:00:00Z", [("success", "10:03:00"), ("inactive", "10:00:00+1")]),
        (105, 6, "2023-11-05T10:00:00Z", [("pending", "10:00:10")]),
        (106, 7, "2023-11-06T10:00:00Z", [("inactive", "10:30:00")]),
        (107, 8, "2023-11-07T10:00:00Z", []),  # just created: no status yet
    ]
    status_ids = iter(range(5000, 6000))
    for deployment_id, index, created, statuses in plan:
        repo.deployments.append(deployment(deployment_id, sha=sha(index), created=created))
        day = created[:10]
        repo.statuses[deployment_id] = [
            deployment_status(
                next(status_ids),
                deployment_id,
                state=state,
                at=(f"{day[:8]}{int(day[8:]) + 1:02d}T{time[:-2]}Z" if time.endswith("+1") else f"{day}T{time}Z"),
            )
            for state, time in statuses
        ]
    repo.deployments.append(deployment(108, sha=sha(9), created="2023-11-07T11:00:00Z", environment="staging"))
    repo.statuses[108] = [deployment_status(5999, 108, state="success", at="2023-11-07T11:05:00Z", environment="staging")]
    return repo


def test_deployment_results_times_and_shipped_commits() -> None:
    fake = FakeGitHub({REPO: deploying_repo()})
    with fake.serve() as server:
        pages = list(connect(server, deployments=DEPLOYMENTS).fetch(SyncRequest()))

    found = deployments_of(pages)
    assert sorted(found) == [f"deployment:{n}" for n in range(101, 108)]
    assert {key: (record.result, record.finished_at) for key, record in found.items()} == {
        "deployment:101": ("success", utc("2023-11-01T10:05:00Z")),
        "deployment:102": ("failure", utc("2023-11-02T10:04:00Z")),
        "deployment:103": ("error", utc("2023-11-03T10:02:00Z")),
        "deployment:104": ("success", utc("2023-11-04T10:03:00Z")),  # then superseded (inactive): still a success
        "deployment:105": ("in_progress", None),
        "deployment:106": ("cancelled", utc("2023-11-06T10:30:00Z")),
        "deployment:107": ("in_progress", None),
    }
    assert found["deployment:104"] == DeploymentRecord(
        source="github",
        external_id="deployment:104",
        repository=REPO,
        environment="production",
        result="success",
        started_at=utc("2023-11-04T10:00:00Z"),
        finished_at=utc("2023-11-04T10:03:00Z"),
        commit_sha=sha(5),
        commit_shas=(sha(5), sha(4), sha(3), sha(2)),
        ref="main",
        url="https://ci.example.com/deploy/104",
    )
    # The first successful deployment has no predecessor: its commits are unknown.
    assert found["deployment:101"].commit_shas == ()
    # A failed deployment lists what it tried to ship since the last success; errors and the rest list nothing.
    assert found["deployment:102"].commit_shas == (sha(3), sha(2))
    assert [found[f"deployment:{n}"].commit_shas for n in (103, 105, 106, 107)] == [(), (), (), ()]
    assert requests_to(server, "/compare/") == [
        f"/repos/{REPO}/compare/{sha(1)}...{sha(5)}",  # newest first
        f"/repos/{REPO}/compare/{sha(1)}...{sha(3)}",
    ]
    listing = [r for r in server.requests if r.path == f"/repos/{REPO}/deployments"]
    assert [(r.param("environment"), r.param("per_page")) for r in listing] == [("production", "100")]
    assert [(p.cursor["phase"], p.cursor["repo"]) for p in pages] == [("pulls", REPO), ("deployments", REPO), ("done", None)]
    assert [len(p.deployments) for p in pages] == [0, 0, 7]


def test_previous_success_on_older_pages_compare_pages_and_304s() -> None:
    fake = FakeGitHub({REPO: deploying_repo()}, max_per_page=2)
    with fake.serve() as server:
        connector = connect(server, deployments=DEPLOYMENTS)
        first = list(connector.fetch(SyncRequest()))
        used, sent, peeked = fake.rate_limit_used, len(server.requests), fake.not_modified
        second = list(connector.fetch(SyncRequest()))

    found = deployments_of(first)
    # Pages of two, newest first: 107 106 | 105 104 | 103 102 | 101 100. 104's predecessor is two pages on.
    assert found["deployment:104"].commit_shas == (sha(5), sha(4), sha(3), sha(2))
    assert found["deployment:102"].commit_shas == (sha(3), sha(2))
    compare = [r for r in server.requests[:sent] if "/compare/" in r.path]
    assert [(r.path.rsplit("/", 1)[1], r.param("page")) for r in compare] == [
        (f"{sha(1)}...{sha(5)}", None),
        (f"{sha(1)}...{sha(5)}", "2"),
        (f"{sha(1)}...{sha(3)}", None),
    ]
    assert [p.cursor["phase"] for p in first].count("deployments") == 4  # after pulls, then 3 more pages
    assert deployments_of(second) == found
    # Pages read ahead to find a predecessor cost a 304 when their turn comes (pages 3 and 4, page 4 for 102 too).
    assert peeked == 3
    assert fake.rate_limit_used == used  # everything again, answered by 304s
    assert fake.not_modified - peeked == len(server.requests) - sent


def test_incremental_sync_reads_back_to_the_lookback_and_finds_the_older_predecessor() -> None:
    with FakeGitHub({REPO: deploying_repo()}).serve() as server:
        pages = list(connect(server, deployments=DEPLOYMENTS).fetch(SyncRequest(since=utc("2023-11-04T12:00:00Z"))))

    found = deployments_of(pages)
    # Created from 2023-11-04T06:00Z (6 hours before `since`) on: 104 to 107; 104's predecessor 101 is older.
    assert sorted(found) == ["deployment:104", "deployment:105", "deployment:106", "deployment:107"]
    assert found["deployment:104"].commit_shas == (sha(5), sha(4), sha(3), sha(2))


def test_a_predecessor_commit_gone_from_the_repository_gives_no_commits() -> None:
    repo = deploying_repo()
    repo.history = repo.history[2:]  # force-pushed: sha(1) no longer exists (compare answers 404)
    with FakeGitHub({REPO: repo}).serve() as server:
        found = deployments_of(list(connect(server, deployments=DEPLOYMENTS).fetch(SyncRequest())))

    assert (found["deployment:104"].result, found["deployment:104"].commit_shas) == ("success", ())


def workflow_repo() -> Repo:
    repo = with_history(sample_repo())
    repo.runs = [
        run(1, name="Deploy", created="2023-11-01T09:00:00Z", updated="2023-11-01T09:07:00Z", sha=sha(1)),
        run(2, name="Tests", created="2023-11-01T09:30:00Z", sha=sha(1)),  # another workflow
        run(3, name="Deploy", created="2023-11-01T11:00:00Z", branch="feature-x", sha=sha(2)),  # another branch
        run(4, name="Deploy", created="2023-11-02T09:00:00Z", updated="2023-11-02T09:03:00Z", conclusion="failure", sha=sha(3)),
        run(5, name="Deploy", created="2023-11-03T09:00:00Z", updated="2023-11-03T09:01:00Z", conclusion="cancelled", sha=sha(4)),
        run(6, name="Deploy", created="2023-11-04T09:00:00Z", conclusion="skipped", sha=sha(5)),  # not a deployment
        run(7, name="Deploy", created="2023-11-05T08:00:00Z", status="in_progress", conclusion=None, sha=sha(6)),
        run(
            8,
            name="Release to prod",
            created="2023-11-05T09:00:00Z",
            updated="2023-11-05T09:09:00Z",
            sha=sha(6),
            path=".github/workflows/release.yml",
        ),
    ]
    return repo


def test_workflow_runs_by_name_or_file_and_branch_are_deployments() -> None:
    source = {"repository": REPO, "source": "workflow_runs", "workflows": ["Deploy", "release.yml"], "branch": "master"}
    with FakeGitHub({REPO: workflow_repo()}).serve() as server:
        pages = list(connect(server, deployments=[source]).fetch(SyncRequest()))

    found = deployments_of(pages)
    assert list(found) == ["run:8", "run:5", "run:4", "run:1"]  # newest first
    assert found["run:8"] == DeploymentRecord(
        source="github",
        external_id="run:8",
        repository=REPO,
        environment="production",
        result="success",
        started_at=utc("2023-11-05T09:00:00Z"),
        finished_at=utc("2023-11-05T09:09:00Z"),
        commit_sha=sha(6),
        commit_shas=(sha(6), sha(5), sha(4), sha(3), sha(2)),
        ref="master",
        url=f"https://github.com/{REPO}/actions/runs/8",
    )
    assert [(found[k].result, found[k].commit_shas) for k in ("run:5", "run:4", "run:1")] == [
        ("cancelled", ()),
        ("failure", (sha(3), sha(2))),
        ("success", ()),
    ]
    listing = [r for r in server.requests if r.path == f"/repos/{REPO}/actions/runs"]
    assert [(r.param("branch"), r.param("status"), r.param("per_page")) for r in listing] == [("master", "completed", "100")]


def test_workflow_runs_to_another_environment() -> None:
    source = {
        "repository": REPO,
        "source": "workflow_runs",
        "workflows": ["Deploy"],
        "branch": "master",
        "environment": "staging",
    }
    with FakeGitHub({REPO: workflow_repo()}).serve() as server:
        found = deployments_of(list(connect(server, deployments=[source]).fetch(SyncRequest())))

    assert {record.environment for record in found.values()} == {"staging"}
    assert sorted(found) == ["run:1", "run:4", "run:5"]
    # One workflow matches: its own run list is read (not every run of the branch).
    deploy_id = workflow_repo().runs[0]["workflow_id"]
    assert [r.path for r in server.requests if "/actions/" in r.path] == [
        f"/repos/{REPO}/actions/workflows",
        f"/repos/{REPO}/actions/workflows/{deploy_id}/runs",
    ]


def test_a_workflow_the_repository_does_not_have_is_named() -> None:
    source = {"repository": REPO, "source": "workflow_runs", "workflows": ["Ship it"], "branch": "master"}
    message = (
        f"GitHub (ants): {REPO} has no workflow named 'Ship it' (its workflows: Deploy, Release to prod, "
        "Tests); correct the deployment source of the connection."
    )
    with FakeGitHub({REPO: workflow_repo()}).serve() as server:
        with pytest.raises(ConnectorError) as tested:
            connect(server, deployments=[source]).test()
        with pytest.raises(ConnectorError) as fetched:
            list(connect(server, deployments=[source]).fetch(SyncRequest()))

    assert tested.value.message == fetched.value.message == message


def test_recorded_runs_map_to_results() -> None:
    # The recorded Lint (push, failure) and Tests (pull_request, success) runs on master.
    repo = sample_repo()
    repo.runs = [entry["body"] for entry in json.loads((RUN_FIXTURES / "actions-runs.json").read_text(encoding="utf-8"))]
    source = {"repository": REPO, "source": "workflow_runs", "workflows": ["Lint", "Tests"], "branch": "master"}
    with FakeGitHub({REPO: repo}).serve() as server:
        found = deployments_of(list(connect(server, deployments=[source]).fetch(SyncRequest())))

    assert sorted((r.external_id, r.result, r.ref) for r in found.values()) == sorted(
        (f"run:{body['id']}", {"success": "success", "failure": "failure"}[body["conclusion"]], "master")
        for body in repo.runs
        if body["name"] in ("Lint", "Tests") and body["status"] == "completed"
    )
    assert len(found) == 3


def incident_repo() -> Repo:
    repo = sample_repo()
    repo.issues += [
        issue(
            300,
            created="2023-11-02T08:00:00Z",
            state="closed",
            closed="2023-11-02T09:30:00Z",
            labels=("incident", "severity: high"),
            title="Checkout down",
        ),
        issue(301, created="2023-11-03T08:00:00Z", labels=("Incident",), title="Slow search"),
    ]
    repo.events[300] = []
    repo.events[301] = []
    return repo


def test_issues_with_the_incident_label_are_incidents_and_work_items() -> None:
    with FakeGitHub({REPO: incident_repo()}).serve() as server:
        pages = list(connect(server, incident_label="incident").fetch(SyncRequest()))

    incidents = [incident for page in pages for incident in page.incidents]
    assert incidents == [
        IncidentRecord(
            source="github",
            external_id=f"{REPO}#300",
            title="Checkout down",
            created_at=utc("2023-11-02T08:00:00Z"),
            resolved_at=utc("2023-11-02T09:30:00Z"),
            severity="high",
            repository=REPO,
            url=f"https://github.com/{REPO}/issues/300",
        ),
        IncidentRecord(
            source="github",
            external_id=f"{REPO}#301",
            title="Slow search",
            created_at=utc("2023-11-03T08:00:00Z"),
            resolved_at=None,
            severity=None,
            repository=REPO,
            url=f"https://github.com/{REPO}/issues/301",
        ),
    ]
    keys = {item.external_key for page in pages for item in page.items}
    assert {f"{REPO}#300", f"{REPO}#301"} <= keys


def test_incidents_only_are_not_work_items_and_cost_no_event_requests() -> None:
    with FakeGitHub({REPO: incident_repo()}).serve() as server:
        pages = list(connect(server, incident_label="incident", incidents_as_work_items=False).fetch(SyncRequest(full=True)))

    assert [incident.external_id for page in pages for incident in page.incidents] == [f"{REPO}#300", f"{REPO}#301"]
    keys = {item.external_key for page in pages for item in page.items}
    assert f"{REPO}#300" not in keys
    assert f"{REPO}#300" not in (pages[-1].existing_keys or [])
    assert not [r for r in server.requests if r.path.startswith(f"/repos/{REPO}/issues/30")]


def test_default_settings_read_no_deployments_and_no_incidents() -> None:
    with FakeGitHub({REPO: incident_repo()}).serve() as server:
        pages = list(connect(server).fetch(SyncRequest()))

    assert [page.deployments for page in pages] == [[], []]
    assert [page.incidents for page in pages] == [[], []]
    assert not [r for r in server.requests if "deployments" in r.path or "actions" in r.path or "compare" in r.path]


def test_fake_lists_issues_by_label() -> None:
    with FakeGitHub({REPO: incident_repo()}).serve() as server:
        connector = connect(server)
        listed = connector.pager.page(f"/repos/{REPO}/issues", {"state": "all", "labels": "incident,severity: high"})

    assert [record["number"] for record in listed.records] == [300]


@pytest.mark.parametrize(
    ("deployments", "message"),
    [
        (
            [{"repository": REPO, "source": "workflow_runs", "workflows": ["Deploy"]}],
            f"{REPO}: workflow_runs needs the branch whose runs deploy (e.g. main)",
        ),
        (
            [{"repository": REPO, "source": "workflow_runs", "branch": "main"}],
            f"{REPO}: workflow_runs needs at least one workflow name",
        ),
        (
            [{"repository": REPO, "source": "deployments", "branch": "main"}],
            f"{REPO}: workflow names and a branch only apply to workflow_runs",
        ),
        (
            [{"repository": "octo/other", "source": "deployments"}],
            "deployments: octo/other is not one of the connection's repositories",
        ),
        (
            [{"repository": REPO, "source": "deployments"}, {"repository": REPO, "source": "deployments"}],
            f"deployments: {REPO} is named twice; give one source per repository",
        ),
        ([{"repository": REPO, "source": "releases"}], "Input should be 'deployments' or 'workflow_runs'"),
        (
            [{"repository": REPO, "source": "deployments", "environment": "prod us"}],
            "the environment is one word, e.g. production",
        ),
    ],
)
def test_deployment_settings_are_validated(deployments: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        GitHubSettings.model_validate({"repositories": [REPO], "deployments": deployments})

    assert message in str(caught.value)


def test_settings_defaults_keep_existing_connections_unchanged() -> None:
    settings = GitHubSettings.model_validate({"repositories": [REPO]})
    assert (settings.deployments, settings.incident_label, settings.incidents_as_work_items) == ([], None, True)
    assert GitHubSettings.model_validate({"repositories": [REPO], "incident_label": "  "}).incident_label is None


def test_deployment_lines_are_parsed_and_formatted_back() -> None:
    text = f"""# production deploys
{REPO}: workflow_runs "Deploy" "Release to prod" main

octo/tools: deployments staging
octo/web: deployments
"""
    parsed = parse_deployment_sources(text)
    assert parsed == [
        {"repository": REPO, "source": "workflow_runs", "workflows": ["Deploy", "Release to prod"], "branch": "main"},
        {"repository": "octo/tools", "source": "deployments", "environment": "staging"},
        {"repository": "octo/web", "source": "deployments"},
    ]
    assert format_deployment_sources(parsed) == (
        f'{REPO}: workflow_runs "Deploy" "Release to prod" main production\n'
        "octo/tools: deployments staging\nocto/web: deployments production"
    )
    assert parse_deployment_sources(format_deployment_sources(parsed))[0]["environment"] == "production"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("octo/web deployments", 'line 1: write "owner/repo: deployments" or "owner/repo: workflow_runs \\"Deploy\\" main"'),
        ("\nocto/web: releases", "line 2: 'releases' is not a source: write deployments or workflow_runs"),
        ("octo/web: workflow_runs main", 'line 1: name the workflow in double quotes, e.g. workflow_runs "Deploy" main'),
        ('octo/web: workflow_runs "Deploy"', 'line 1: name the branch after the workflow, e.g. workflow_runs "Deploy" main'),
        ('octo/web: workflow_runs "Deploy main', "line 1: a workflow name's closing quote is missing"),
        (
            'octo/web: workflow_runs "Deploy" main prod extra',
            "line 1: after the workflow names, write the branch and at most an environment",
        ),
        (
            "# ok\nocto/web: deployments prod eu",
            'line 2: deployments takes at most an environment, e.g. "octo/web: deployments production"',
        ),
    ],
)
def test_deployment_lines_name_the_line_in_error(text: str, message: str) -> None:
    with pytest.raises(DeploymentLineError) as caught:
        parse_deployment_sources(text)

    assert str(caught.value) == message
