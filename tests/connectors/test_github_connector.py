"""The GitHub connector over real HTTP against the fake GitHub: test(), issues vs pull requests,
pagination, ETags, rate limits, errors and resuming."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from deliveryops.connectors.base import ChangeRecord, ConnectorError, FetchPage, SyncRequest
from deliveryops.connectors.github import GitHubConnector
from deliveryops.connectors.github_history import parse_time
from deliveryops.connectors.registry import connector_class
from deliveryops.work.records import StageCategory
from tests.connectors.fake_github import REPO, FakeGitHub, connect, sample_repo
from tests.connectors.fakeserver import FakeServer

ISSUES = [5, 6, 12, 22, 31, 37, 42, 220]
PULLS = [4, 9, 23, 41, 51, 53, 158, 211]


def utc(text: str) -> datetime:
    return parse_time(text)


def changes(pages: list[FetchPage]) -> dict[int, ChangeRecord]:
    return {change.number: change for page in pages for change in page.changes}


def keys(pages: list[FetchPage]) -> list[str]:
    return [item.external_key for page in pages for item in page.items]


def paths(server: FakeServer) -> list[str]:
    return [request.path for request in server.requests]


def test_registered_as_github() -> None:
    assert connector_class("github") is GitHubConnector
    assert (GitHubConnector.kind, GitHubConnector.label) == ("github", "GitHub")


def test_test_names_the_user_and_the_repositories_and_sends_githubs_headers() -> None:
    fake = FakeGitHub({REPO: sample_repo(), "octo/tools": sample_repo()})
    with fake.serve() as server:
        sentence = connect(server, repositories=[REPO, "octo/tools"]).test()

    assert sentence == "Connected to GitHub as octocat; repositories panjf2000/ants, octo/tools found."
    assert paths(server) == ["/user", "/repos/panjf2000/ants", "/repos/octo/tools"]
    headers = server.requests[0].headers
    assert headers["authorization"] == "Bearer ghp_test_token"
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"


def test_test_names_a_missing_repository() -> None:
    with FakeGitHub({REPO: sample_repo()}).serve() as server, pytest.raises(ConnectorError) as caught:
        connect(server, repositories=[REPO, "panjf2000/gnet"]).test()

    assert caught.value.message == (
        "GitHub (ants): repository panjf2000/gnet was not found, or the token cannot see it. "
        "Check its owner/name and the token's repository access."
    )
    assert caught.value.status == 404
    assert caught.value.retryable is False


@pytest.mark.parametrize("action", ["test", "fetch"])
def test_an_expired_token_is_refused_naming_the_connection(action: str) -> None:
    with FakeGitHub({REPO: sample_repo()}).serve() as server:
        connector = connect(server, token="ghp_expired", name="Acme GitHub")
        with pytest.raises(ConnectorError) as caught:
            connector.test() if action == "test" else list(connector.fetch(SyncRequest()))

    assert caught.value.message == (
        "Acme GitHub: the server refused the credentials (401 Unauthorized: Bad credentials). "
        "The token may have expired or lack access: update it on the connection."
    )
    assert caught.value.status == 401
    assert caught.value.retryable is False


def test_issues_and_pull_requests_are_separated() -> None:
    # The recorded issues list holds pull requests 4, 23 and 41 next to the issues.
    with FakeGitHub({REPO: sample_repo()}).serve() as server:
        pages = list(connect(server).fetch(SyncRequest(full=True)))

    assert sorted(keys(pages)) == sorted(f"{REPO}#{n}" for n in ISSUES)
    assert sorted(changes(pages)) == PULLS
    event_paths = [p for p in paths(server) if p.endswith("/events")]
    assert sorted(event_paths) == sorted(f"/repos/{REPO}/issues/{n}/events" for n in ISSUES)
    assert pages[-1].existing_keys == sorted(f"{REPO}#{n}" for n in ISSUES)
    assert [page.existing_keys for page in pages[:-1]] == [None]


def test_pull_request_record_from_the_recorded_pull_41() -> None:
    # Author choleraehyq reviewed (commented on) the PR at 09:05:02 before panjf2000 did at 09:19:55.
    with FakeGitHub({REPO: sample_repo()}).serve() as server:
        pull = changes(list(connect(server).fetch(SyncRequest())))[41]

    assert pull == ChangeRecord(
        source="github",
        repository=REPO,
        number=41,
        title="support nonblocking submit and max blocking limit setting",
        author="choleraehyq",
        opened_at=utc("2019-08-20T03:24:27Z"),
        first_commit_at=utc("2019-08-20T03:22:00Z"),
        first_review_at=utc("2019-08-20T09:19:55Z"),
        merged_at=utc("2019-08-20T10:55:19Z"),
        closed_at=utc("2019-08-20T10:55:19Z"),
        merge_commit_sha="faef79b7d8a4876da8a215d7794cce20c710aaa2",
        base_branch="master",
        url="https://github.com/panjf2000/ants/pull/41",
    )


def test_first_review_ignores_pending_and_bot_reviews() -> None:
    repo = sample_repo()
    earliest = dict(repo.reviews[53][0])  # panjf2000 CHANGES_REQUESTED 2019-10-07T16:56:26Z
    pending = {**earliest, "id": 1, "state": "PENDING", "submitted_at": None}
    bot = {
        **earliest,
        "id": 2,
        "submitted_at": "2019-10-07T08:20:00Z",
        "user": {**earliest["user"], "login": "coderabbitai[bot]", "type": "Bot"},
    }
    repo.reviews[53] = [pending, bot, *repo.reviews[53]]
    with FakeGitHub({REPO: repo}).serve() as server:
        pull = changes(list(connect(server).fetch(SyncRequest())))[53]

    assert pull.first_review_at == utc("2019-10-07T16:56:26Z")


def test_first_commit_is_the_earliest_author_or_committer_date() -> None:
    # Pull 53 holds a rebased commit authored 2019-10-05T18:02:40Z (committed 2019-10-09), before
    # the pull request was opened on 2019-10-07.
    with FakeGitHub({REPO: sample_repo()}).serve() as server:
        found = changes(list(connect(server).fetch(SyncRequest())))

    assert found[53].first_commit_at == utc("2019-10-05T18:02:40Z")
    assert found[53].opened_at == utc("2019-10-07T08:17:20Z")
    assert found[9].first_commit_at == utc("2018-08-31T05:29:25Z")


def test_merge_commit_only_when_merged() -> None:
    with FakeGitHub({REPO: sample_repo()}).serve() as server:
        found = changes(list(connect(server).fetch(SyncRequest())))

    # Pull 9 was closed without merging; pull 158 is open. GitHub still lists a test merge commit for both.
    assert (found[9].merged_at, found[9].merge_commit_sha, found[9].closed_at) == (None, None, utc("2018-08-31T13:40:33Z"))
    assert (found[158].merged_at, found[158].merge_commit_sha, found[158].closed_at) == (None, None, None)
    assert found[53].merge_commit_sha == "f0e23928f4388661a8e0f6f5ff93f8f9514a1762"
    assert found[4].first_review_at is None


def test_link_pagination_over_three_pages_with_cursors() -> None:
    fake = FakeGitHub({REPO: sample_repo()}, max_per_page=4)  # 11 issue records: pages of 4, 4, 3
    with fake.serve() as server:
        pages = list(connect(server).fetch(SyncRequest()))

    issue_requests = [r for r in server.requests if r.path == f"/repos/{REPO}/issues"]
    assert [r.param("page") for r in issue_requests] == [None, "2", "3"]
    assert [r.param("sort") for r in issue_requests] == ["updated"] * 3
    assert [(p.cursor["phase"], p.cursor["repo"]) for p in pages] == [
        ("issues", REPO),
        ("issues", REPO),
        ("pulls", REPO),
        ("pulls", REPO),
        ("done", None),
    ]
    assert pages[0].cursor["next_url"] == (
        f"{server.url}/repos/{REPO}/issues?state=all&sort=updated&direction=asc&per_page=4&page=2"
    )
    assert pages[2].cursor["next_url"] is None
    assert sorted(keys(pages)) == sorted(f"{REPO}#{n}" for n in ISSUES)
    assert sorted(changes(pages)) == PULLS
    assert sum(p.requests for p in pages) == len(server.requests)
    assert pages[-1].watermark == utc("2022-05-07T11:29:32Z")


def test_a_second_sync_of_unchanged_data_is_answered_by_304s() -> None:
    fake = FakeGitHub({REPO: sample_repo()})
    with fake.serve() as server:
        connector = connect(server)
        first = list(connector.fetch(SyncRequest(full=True)))
        used, sent = fake.rate_limit_used, len(server.requests)
        second = list(connector.fetch(SyncRequest(full=True)))

    assert used == sent == 26  # 1 issues page + 8 event lists + 1 pulls page + 8 × (commits + reviews)
    assert fake.not_modified == len(server.requests) - sent == 26
    assert fake.rate_limit_used == used  # 304s cost no rate limit
    assert connector.http.stats.not_modified == 26
    assert [p.requests for p in second] == [p.requests for p in first] == [9, 17]
    assert [p.items for p in second] == [p.items for p in first]
    assert [p.changes for p in second] == [p.changes for p in first]
    assert second[-1].existing_keys == first[-1].existing_keys


def test_rate_limit_403_waits_until_the_reset_time() -> None:
    fake = FakeGitHub({REPO: sample_repo()})
    fake.fail(f"/repos/{REPO}/issues", "rate_limit_403")
    sleeps: list[float] = []
    with fake.serve() as server:
        pages = list(connect(server, sleeps=sleeps).fetch(SyncRequest()))

    assert sleeps == [42.0]  # x-ratelimit-reset is 42 s after the connector's clock
    assert sorted(keys(pages)) == sorted(f"{REPO}#{n}" for n in ISSUES)
    assert pages[0].requests == 10  # the refused request counts too


def test_retry_after_and_a_server_error_are_retried() -> None:
    fake = FakeGitHub({REPO: sample_repo()})
    fake.fail(f"/repos/{REPO}/issues/220/events", "retry_after_429", retry_after=7)
    fake.fail(f"/repos/{REPO}/pulls", "server_error_500")
    sleeps: list[float] = []
    with fake.serve() as server:
        pages = list(connect(server, sleeps=sleeps).fetch(SyncRequest()))

    assert sleeps[0] == 7.0
    assert len(sleeps) == 2
    assert 0.0 <= sleeps[1] <= 1.0  # first backoff: full jitter up to 1 s
    assert sorted(changes(pages)) == PULLS


def test_malformed_json_names_the_request() -> None:
    fake = FakeGitHub({REPO: sample_repo()})
    fake.fail(f"/repos/{REPO}/issues", "malformed_json")
    with fake.serve() as server, pytest.raises(ConnectorError) as caught:
        list(connect(server).fetch(SyncRequest()))

    assert caught.value.message == (
        "GitHub (ants): the server's answer to /repos/panjf2000/ants/issues is not valid "
        'JSON (it starts with \'[{"url": "https://api.github.com/repos/\').'
    )
    assert caught.value.retryable is True


def test_an_issue_deleted_while_syncing_is_skipped() -> None:
    fake = FakeGitHub({REPO: sample_repo()})
    fake.fail(f"/repos/{REPO}/issues/220/events", "not_found_404")
    with fake.serve() as server:
        pages = list(connect(server).fetch(SyncRequest(full=True)))

    assert sorted(keys(pages)) == sorted(f"{REPO}#{n}" for n in ISSUES if n != 220)


def test_resume_from_a_cursor_continues_at_that_page() -> None:
    fake = FakeGitHub({REPO: sample_repo()}, max_per_page=4)
    with fake.serve() as server:
        complete = list(connect(server).fetch(SyncRequest(full=True)))
        interrupted = connect(server).fetch(SyncRequest(full=True))
        first = next(interrupted)  # the sync stops after committing its first page
        del interrupted
        server.requests.clear()
        rest = list(connect(server).fetch(SyncRequest(full=True, cursor=first.cursor)))

    assert server.requests[0].path == f"/repos/{REPO}/issues"
    assert server.requests[0].param("page") == "2"
    assert sorted(keys([first, *rest])) == sorted(keys(complete))
    assert sorted(changes([first, *rest])) == PULLS
    assert len(rest) == len(complete) - 1
    # Keys seen before the interruption are not known any more: no deletions are reported.
    assert rest[-1].existing_keys is None
    assert rest[-1].cursor["phase"] == "done"


def test_resume_at_the_pulls_phase_and_after_the_end() -> None:
    with FakeGitHub({REPO: sample_repo()}).serve() as server:
        pulls_only = list(
            connect(server).fetch(
                SyncRequest(cursor={"repo": REPO, "phase": "pulls", "next_url": None, "since": None, "watermark": None})
            )
        )
        server.requests.clear()
        nothing = list(connect(server).fetch(SyncRequest(cursor={"repo": None, "phase": "done"})))

    assert [len(p.items) for p in pulls_only] == [0]
    assert sorted(changes(pulls_only)) == PULLS
    assert nothing == []
    assert server.requests == []


def test_incremental_sync_reads_only_what_changed_since() -> None:
    fake = FakeGitHub({REPO: sample_repo()}, max_per_page=2)
    with fake.serve() as server:
        pages = list(connect(server).fetch(SyncRequest(since=utc("2021-07-01T00:00:00Z"))))

    assert keys(pages) == [f"{REPO}#220"]
    assert sorted(changes(pages)) == [158, 211]  # both updated 2022-02-22; the next ones are older
    issue_requests = [r for r in server.requests if r.path == f"/repos/{REPO}/issues"]
    assert [r.param("since") for r in issue_requests] == ["2021-07-01T00:00:00Z"]
    # Pulls are newest first without `since`: reading stops on the page holding an older one.
    assert [r.param("page") for r in server.requests if r.path == f"/repos/{REPO}/pulls"] == [None, "2"]
    assert pages[-1].watermark == utc("2022-05-07T11:29:32Z")
    assert pages[0].cursor["since"] == "2021-07-01T00:00:00Z"


def test_several_repositories_are_read_in_turn() -> None:
    fake = FakeGitHub({REPO: sample_repo(), "octo/tools": sample_repo()})
    with fake.serve() as server:
        pages = list(connect(server, repositories=[REPO, "octo/tools"]).fetch(SyncRequest(full=True)))

    assert [(p.cursor["repo"], p.cursor["phase"]) for p in pages] == [
        (REPO, "pulls"),
        ("octo/tools", "issues"),
        ("octo/tools", "pulls"),
        (None, "done"),
    ]
    assert len(pages[-1].existing_keys or []) == 16
    assert "octo/tools#220" in (pages[-1].existing_keys or [])


def test_workflow_proposals() -> None:
    with FakeGitHub({REPO: sample_repo()}).serve() as server:
        by_state = connect(server).workflow()
        by_labels = connect(server, workflow_by="labels", status_labels=["status: ready", "status: review"]).workflow()
        by_columns = connect(server, workflow_by="project_columns", project_columns=["To do", "In progress", "Done"]).workflow()

    assert [(s.name, s.category, s.position) for s in by_state] == [
        ("Open", StageCategory.BACKLOG, 0),
        ("Closed", StageCategory.DONE, 1),
        ("Not planned", StageCategory.DISCARDED, 2),
    ]
    assert [(s.name, s.category) for s in by_labels] == [
        ("Open", StageCategory.BACKLOG),
        ("status: ready", StageCategory.ACTIVE),
        ("status: review", StageCategory.ACTIVE),
        ("Closed", StageCategory.DONE),
        ("Not planned", StageCategory.DISCARDED),
    ]
    assert [(s.name, s.category) for s in by_columns] == [
        ("Open", StageCategory.BACKLOG),
        ("To do", StageCategory.BACKLOG),
        ("In progress", StageCategory.ACTIVE),
        ("Done", StageCategory.DONE),
        ("Closed", StageCategory.DONE),
        ("Not planned", StageCategory.DISCARDED),
    ]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"repositories": ["ants"]}, "'ants' is not of the form owner/name"),
        ({"repositories": []}, "name at least one repository as owner/name"),
        (
            {"repositories": [REPO], "workflow_by": "labels"},
            "status_labels: workflow_by 'labels' needs at least one status label",
        ),
        (
            {"repositories": [REPO], "base_url": "api.github.com"},
            "must be a web address with a host name, starting with https://",
        ),
    ],
)
def test_settings_are_validated_with_a_message_naming_the_field(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        GitHubConnector.settings_model.model_validate(settings)

    assert message in str(caught.value)


def test_a_next_link_to_another_host_is_refused() -> None:
    fake = FakeGitHub({REPO: sample_repo()})
    with fake.serve() as server:
        connector = connect(server)
        with pytest.raises(ConnectorError) as caught:
            connector.pager.page("https://evil.example/repos/panjf2000/ants/issues?page=2")

    assert caught.value.message == (
        "GitHub (ants): GitHub pointed to a next page on another host "
        "(https://evil.example/repos/panjf2000/ants/issues?page=2); check the base URL of the connection."
    )
    assert server.requests == []
