"""Creating an issue and reading its status back: Jira Cloud, Jira Server and GitHub against their fakes over real HTTP."""

from __future__ import annotations

import pytest

from deliveryops.connectors.base import ConnectorError
from deliveryops.connectors.issues import IssueTracker
from deliveryops.connectors.jira import JiraServerConnector, JiraServerSettings
from tests.connectors.fake_github import REPO, FakeGitHub, connect, sample_repo
from tests.connectors.fake_jira import TOKEN, FakeJira, rate_limited, recorded_issues, server_error
from tests.connectors.fakeserver import Reply
from tests.connectors.test_jira_cloud import connector as jira_cloud


def test_jira_cloud_creates_a_task_with_a_document_description_and_follows_its_status() -> None:
    jira = FakeJira(recorded_issues())
    with jira.serve() as server:
        tracker = jira_cloud(server.url)
        assert isinstance(tracker, IssueTracker)
        created = tracker.create_issue(title="Limit WIP to 4", description="Why: items wait.\nHow: a WIP limit on the board.")
        assert created.key == "EE-13955"
        assert created.url == f"{server.url}/browse/EE-13955"
        assert (created.status, created.state) == ("To Do", "open")
        jira.move("EE-13955", "3")
        assert (tracker.read_issue("EE-13955").status, tracker.read_issue("EE-13955").state) == ("In Progress", "doing")
        jira.move("EE-13955", "10034")
        assert tracker.read_issue("EE-13955").state == "done"
    post = next(r for r in jira.requests if r.method == "POST")
    assert post.path == "/rest/api/3/issue"
    fields = post.json()["fields"]
    assert fields["project"] == {"key": "EE"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == "Limit WIP to 4"
    assert fields["description"] == {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Why: items wait."}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "How: a WIP limit on the board."}]},
        ],
    }


def test_jira_server_sends_plain_text_and_a_bearer_token() -> None:
    jira = FakeJira(recorded_issues(), flavour="server")
    with jira.serve() as server:
        settings = JiraServerSettings.model_validate({"base_url": server.url, "projects": ["K5"]})
        tracker = JiraServerConnector(settings, TOKEN, name="Jira DC", sleep=lambda _: None)
        created = tracker.create_issue(title="Pair on reviews", description="Reviews wait two days.")
        assert created.key.startswith("K5-")
    assert jira.created[0]["description"] == "Reviews wait two days."


def test_jira_names_what_it_refused() -> None:
    jira = FakeJira(recorded_issues())
    with jira.serve() as server, pytest.raises(ConnectorError) as raised:
        jira_cloud(server.url).create_issue(title="X", description="", project="NOPE")
    assert raised.value.status == 404
    assert "project NOPE was not found" in raised.value.message
    assert not [r for r in jira.requests if r.method == "POST"]


def test_jira_retries_a_creation_the_server_surely_did_not_act_on_then_creates_once() -> None:
    jira = FakeJira(recorded_issues())
    jira.fail(rate_limited(0), nth=1, path="/rest/api/3/issue")
    jira.fail(Reply({"errorMessages": ["Service unavailable"]}, status=503), nth=2, path="/rest/api/3/issue")
    with jira.serve() as server:
        created = jira_cloud(server.url).create_issue(title="Retry me", description="")
    assert created.key == "EE-13955"
    assert [r.method for r in jira.requests if r.path == "/rest/api/3/issue"] == ["POST", "POST", "POST"]
    assert len(jira.created) == 1


def test_jira_does_not_send_a_creation_again_after_a_server_error() -> None:
    """After a 500 the issue may exist already: a second POST could make a duplicate, so the person is told to check."""
    jira = FakeJira(recorded_issues())
    jira.fail(server_error(), nth=1, path="/rest/api/3/issue")
    with jira.serve() as server, pytest.raises(ConnectorError) as raised:
        jira_cloud(server.url).create_issue(title="Once only", description="")
    assert raised.value.status == 500
    assert "check on the server before trying again" in raised.value.message
    assert [r.method for r in jira.requests if r.path == "/rest/api/3/issue"] == ["POST"]


def test_github_opens_an_issue_and_reads_completed_and_not_planned() -> None:
    github = FakeGitHub({REPO: sample_repo()})
    with github.serve() as server:
        tracker = connect(server)
        assert isinstance(tracker, IssueTracker)
        created = tracker.create_issue(title="Automate the release notes", description="Saves an hour a week.")
        number = int(created.key.rsplit("#", 1)[1])
        assert created.key == f"{REPO}#{number}"
        assert created.url == f"https://github.com/{REPO}/issues/{number}"
        assert (created.status, created.state) == ("open", "open")
        github.close_issue(REPO, number)
        assert (tracker.read_issue(created.key).status, tracker.read_issue(created.key).state) == ("closed (completed)", "done")
        github.close_issue(REPO, number, reason="not_planned")
        assert tracker.read_issue(created.key).state == "dropped"
        with pytest.raises(ConnectorError) as raised:
            tracker.create_issue(title="Elsewhere", description="", project="nobody/nothing")
        assert raised.value.status == 404
    post = next(r for r in server.requests if r.method == "POST")
    assert post.path == f"/repos/{REPO}/issues"
    assert post.json() == {"title": "Automate the release notes", "body": "Saves an hour a week."}
    assert post.headers["authorization"] == "Bearer ghp_test_token"
