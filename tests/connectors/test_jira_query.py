"""JQL dates in the user's time zone, and the Jira settings' validation (pure functions, no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from deliveryops.connectors.jira import JiraCloudSettings, JiraServerSettings
from deliveryops.connectors.jira_query import jql_time, search_jql


def test_jql_time_is_the_users_wall_clock_rounded_down() -> None:
    assert jql_time(datetime(2021, 3, 28, 8, 6, 59, tzinfo=UTC), ZoneInfo("Asia/Shanghai")) == "2021/03/28 16:06"
    assert jql_time(datetime(2024, 7, 1, 12, 0, tzinfo=UTC), ZoneInfo("America/New_York")) == "2024/07/01 08:00"


def test_jql_time_steps_before_a_repeated_hour() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 00:30 UTC on 27 October 2024 is 02:30 CEST; 02:30 comes again an hour later (CET), so Jira could read
    # it as 01:30 UTC: the first wall time that cannot be after ``since`` is 01:45.
    assert jql_time(datetime(2024, 10, 27, 0, 30, tzinfo=UTC), berlin) == "2024/10/27 01:45"
    assert jql_time(datetime(2024, 10, 27, 1, 30, tzinfo=UTC), berlin) == "2024/10/27 02:30"  # the second 02:30


def test_jql_time_without_a_zone_overlaps_twelve_hours() -> None:
    assert jql_time(datetime(2021, 3, 28, 8, 6, 30, tzinfo=UTC), None) == "2021/03/27 20:06"


def test_search_jql_quotes_project_keys() -> None:
    assert search_jql(["OPS", "AND"], since="2024/01/02 03:04", extra=" labels = api ") == (
        'project in ("OPS", "AND") AND updated >= "2024/01/02 03:04" AND (labels = api) ORDER BY updated ASC, key ASC'
    )


def test_settings_normalise_keys_and_url() -> None:
    settings = JiraCloudSettings(base_url=" https://example.atlassian.net/ ", email="a@b.c", projects=[" ops ", "EE"])
    assert (settings.base_url, settings.projects, settings.blocked_statuses) == (
        "https://example.atlassian.net",
        ["OPS", "EE"],
        [],
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"base_url": "https://x.atlassian.net", "projects": []}, "Value error, name at least one project key"),
        (
            {"base_url": "https://x.atlassian.net", "projects": ["1AB"]},
            "Value error, '1AB' is not a Jira project key (letters, digits and _, starting with a letter)",
        ),
        (
            {"base_url": "x.atlassian.net", "projects": ["OPS"]},
            "Value error, must be a web address with a host name, starting with https:// "
            "(e.g. https://your-site.atlassian.net); got 'x.atlassian.net'",
        ),
    ],
)
def test_settings_reject_bad_input_with_a_clear_message(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        JiraServerSettings.model_validate(settings)
    assert [error["msg"] for error in raised.value.errors()] == [message]
