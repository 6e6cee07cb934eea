"""The issue type actions become in Jira: chosen in the connection's settings, checked against the project's
issue types (``createmeta/{project}/issuetypes``, paged) on the connection test and before each creation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from deliveryops.connectors.base import ConnectorError
from deliveryops.connectors.jira import JiraCloudSettings, JiraServerConnector, JiraServerSettings
from tests.connectors.fake_jira import EMAIL, TOKEN, FakeJira, recorded_issues
from tests.connectors.test_jira_cloud import connector as jira_cloud


def test_the_default_is_task_and_a_blank_choice_falls_back_to_it() -> None:
    settings = JiraCloudSettings.model_validate({"base_url": "https://x.atlassian.net", "projects": ["EE"], "email": EMAIL})
    assert settings.action_issue_type == "Task"
    blank = JiraCloudSettings.model_validate(
        {"base_url": "https://x.atlassian.net", "projects": ["EE"], "email": EMAIL, "action_issue_type": "  "}
    )
    assert blank.action_issue_type == "Task"
    with pytest.raises(ValidationError, match="60 characters"):
        JiraCloudSettings.model_validate(
            {"base_url": "https://x.atlassian.net", "projects": ["EE"], "email": EMAIL, "action_issue_type": "x" * 61}
        )


def test_cloud_lists_every_page_of_issue_types_without_sub_tasks() -> None:
    jira = FakeJira(recorded_issues(), issue_types={"EE": ["Task", "Story", "Bug", "Improvement", "Epic"]})
    with jira.serve() as server:
        assert jira_cloud(server.url).issue_types("EE") == ["Task", "Story", "Bug", "Improvement", "Epic"]
    pages = [r for r in jira.requests if r.path == "/rest/api/3/issue/createmeta/EE/issuetypes"]
    assert [r.param("startAt") for r in pages] == ["0", "2", "4"]  # two to a page, a sub-task type on the last


def test_the_chosen_type_is_created_as_the_project_spells_it() -> None:
    jira = FakeJira(recorded_issues(), issue_types={"EE": ["Task", "Improvement"]})
    with jira.serve() as server:
        tracker = jira_cloud(server.url, action_issue_type="improvement")
        created = tracker.create_issue(title="Limit WIP", description="")
        assert created.key.startswith("EE-")
    assert jira.created[0]["issuetype"] == {"name": "Improvement"}


def test_a_type_the_project_lacks_is_refused_before_anything_is_created() -> None:
    jira = FakeJira(recorded_issues(), issue_types={"EE": ["Story", "Bug"]})
    with jira.serve() as server:
        tracker = jira_cloud(server.url)
        with pytest.raises(ConnectorError) as raised:
            tracker.create_issue(title="Limit WIP", description="")
        assert raised.value.status == 400
        assert "project EE has no issue type 'Task' for actions; choose one of Story, Bug" in raised.value.message
        # The connection test says so too, without failing: a sync needs no issue type.
        assert tracker.test().endswith(
            "found. Improvement actions cannot be sent yet: "
            "Project EE has no issue type 'Task' for actions; choose one of Story, Bug."
        )
    assert not jira.created


def test_server_pages_by_is_last_and_the_test_notes_every_project_lacking_the_type() -> None:
    jira = FakeJira(recorded_issues(), flavour="server", issue_types={"K5": ["Story", "Defect", "Chore"]})
    with jira.serve() as server:
        settings = JiraServerSettings.model_validate(
            {"base_url": server.url, "projects": ["EE", "K5"], "action_issue_type": "Chore"}
        )
        tracker = JiraServerConnector(settings, TOKEN, name="Jira DC", sleep=lambda _: None)
        assert tracker.issue_types("K5") == ["Story", "Defect", "Chore"]
        assert "Project EE has no issue type 'Chore' for actions" in tracker.test()
        created = tracker.create_issue(title="Tidy the backlog", description="", project="K5")
        assert created.key.startswith("K5-")
    assert jira.created[0]["issuetype"] == {"name": "Chore"}
