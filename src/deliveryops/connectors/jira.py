"""Jira Cloud and Jira Server / Data Center connectors.

Both search with JQL ``project in (...) AND updated >= "<since>" ORDER BY updated ASC, key ASC``,
read each issue's complete status history and map it with :mod:`deliveryops.connectors.jira_mapping`.
The shared sync loop, cursor and time zone handling are in :mod:`deliveryops.connectors.jira_common`
and :mod:`deliveryops.connectors.jira_query`.

Cursor (JSON): ``{"next_page_token": str | None, "since": iso8601 UTC | None}`` for Cloud,
``{"start_at": int | None, "since": ...}`` for Server; ``None`` as the position means the query is
finished (resuming from it reads the query again from ``since``).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from deliveryops.connectors.base import ConnectorError
from deliveryops.connectors.jira_common import JiraConnectorBase, JiraSettingsBase, Position, SearchPage
from deliveryops.connectors.registry import register

__all__ = ["JiraCloudConnector", "JiraCloudSettings", "JiraServerConnector", "JiraServerSettings", "JiraSettingsBase"]


class JiraCloudSettings(JiraSettingsBase):
    """Jira Cloud: the site, the account's email (the API token is the secret) and what to sync."""

    email: str


class JiraServerSettings(JiraSettingsBase):
    """Jira Server / Data Center: the site and what to sync (a personal access token is the secret)."""


@register
class JiraCloudConnector(JiraConnectorBase[JiraCloudSettings]):
    """Jira Cloud over REST API v3: enhanced JQL search paged by ``nextPageToken``.

    Authentication is basic auth with the account's email and an API token, built in :meth:`_auth`
    only. OAuth 2.0 (3LO) later: :meth:`_auth` returns a bearer auth that refreshes its access token,
    and the client's base URL becomes ``https://api.atlassian.com/ex/jira/{cloudId}`` while browse
    URLs keep using ``settings.base_url`` (the site).
    """

    kind = "jira-cloud"
    label = "Jira Cloud"
    settings_model = JiraCloudSettings
    api = "/rest/api/3"
    cursor_key = "next_page_token"
    key_page_size = 5000  # the enhanced search returns up to 5,000 issues a page when only keys are asked for

    def _auth(self) -> httpx.Auth:
        return httpx.BasicAuth(self.settings.email, self._secret)

    def _description(self, text: str) -> Any:
        """An Atlassian Document Format document: one paragraph per line of ``text``."""
        paragraphs = [
            {"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in text.splitlines() if line.strip()
        ]
        return {"type": "doc", "version": 1, "content": paragraphs}

    def _search(self, jql: str, fields: Sequence[str], position: Position, *, expand: bool, page_size: int) -> SearchPage:
        path = f"{self.api}/search/jql"
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": page_size}
        if expand:
            params["expand"] = "changelog"
        if position is not None:
            params["nextPageToken"] = str(position)
        body = self._get_object(path, params)
        token = body.get("nextPageToken")
        last = body.get("isLast") is True or not token
        return SearchPage(self._issues(body, path), None if last else str(token))

    def _full_histories(self, issue: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """Page through ``GET /rest/api/3/issue/{id}/changelog`` (oldest first) until its last page."""
        path = f"{self.api}/issue/{quote(str(issue.get('id') or issue['key']), safe='')}/changelog"
        histories: list[Mapping[str, Any]] = []
        while True:
            body = self._get_object(path, {"startAt": len(histories), "maxResults": self.page_size})
            values = body.get("values")
            if not isinstance(values, list):
                raise self._shape_error(path, "a page of changelog values")
            histories.extend(values)
            total = body.get("total") if isinstance(body.get("total"), int) else None
            is_last = body.get("isLast")
            if is_last is True or (is_last is None and (total is None or len(histories) >= total)) or not values:
                if total is not None and len(histories) < total:
                    raise ConnectorError(
                        f"{self.name}: Jira returned {len(histories)} of the {total} history entries of {issue['key']}; "
                        "its history is incomplete, so it was not stored. Try the sync again.",
                        retryable=True,
                    )
                return histories


@register
class JiraServerConnector(JiraConnectorBase[JiraServerSettings]):
    """Jira Server / Data Center over REST API v2: JQL search paged by ``startAt``.

    Authentication is a personal access token sent as ``Authorization: Bearer``, built in :meth:`_auth` only.
    """

    kind = "jira-server"
    label = "Jira Server / Data Center"
    settings_model = JiraServerSettings
    api = "/rest/api/2"
    cursor_key = "start_at"
    key_page_size = 1000  # Jira's default jira.search.views.default.max; a smaller cap still pages correctly

    def _auth(self) -> httpx.Auth:
        return _BearerAuth(self._secret)

    def _search(self, jql: str, fields: Sequence[str], position: Position, *, expand: bool, page_size: int) -> SearchPage:
        path = f"{self.api}/search"
        start = int(position or 0)
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": page_size, "startAt": start}
        if expand:
            params["expand"] = "changelog"
        body = self._get_object(path, params)
        issues = self._issues(body, path)
        total = body.get("total")
        # Advance by what came back: the server may cap maxResults below what was asked.
        following = int(body.get("startAt", start)) + len(issues)
        last = not issues or not isinstance(total, int) or following >= total
        return SearchPage(issues, None if last else following)

    def _full_histories(self, issue: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """Read the issue itself with ``expand=changelog``, which carries its whole history on Server."""
        key = str(issue["key"])
        path = f"{self.api}/issue/{quote(key, safe='')}"
        changelog = self._get_object(path, {"expand": "changelog", "fields": "status"}).get("changelog")
        if not isinstance(changelog, Mapping) or not isinstance(changelog.get("histories"), list):
            raise self._shape_error(path, "an issue with its changelog")
        histories: list[Mapping[str, Any]] = changelog["histories"]
        total = changelog.get("total")
        if isinstance(total, int) and total > len(histories):
            raise ConnectorError(
                f"{self.name}: Jira returned {len(histories)} of the {total} history entries of {key}; "
                "its history is incomplete, so it was not stored.",
            )
        return histories


class _BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` on every request."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request
