"""GitLab's paged lists and rate limits (REST API v4).

Paging (docs.gitlab.com/api/rest/#pagination): a list answers with a ``Link`` header whose ``rel="next"``
URL is the next page, whether the list pages by offset (``page=3``) or by keyset (``cursor=…`` or
``id_after=…``); GitLab asks clients to follow it rather than build URLs. Offset lists also carry
``x-next-page`` (empty on the last page); GitLab.com leaves out ``x-total``, ``x-total-pages`` and the
``rel="last"`` link above 10,000 records, and a proxy may strip ``Link``: the next page is then the same
request with ``page`` set to ``x-next-page``. A list with neither is complete.

Rate limits (docs.gitlab.com/administration/settings/user_and_ip_rate_limits/#response-headers): every
answer carries ``RateLimit-Remaining`` and ``RateLimit-Reset`` (epoch seconds); a throttled request gets
429 with ``Retry-After`` (seconds) and ``RateLimit-ResetTime``, and a plain-text body ("Retry later").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from deliveryops.connectors.base import ConnectorError
from deliveryops.connectors.throttle import RateLimitRule, ThrottledClient

__all__ = ["GITLAB_RATE_LIMITS", "PER_PAGE", "Page", "Pager", "explain", "project_path"]

PER_PAGE = 100  # GitLab's maximum page size
GITLAB_RATE_LIMITS = RateLimitRule(budgets=(("ratelimit-remaining", "ratelimit-reset"),))


def project_path(project: str) -> str:
    """``/projects/:id`` with the project's full path URL-encoded (``group%2Fproject``), as GitLab requires."""
    return f"/projects/{quote(project, safe='')}"


@dataclass(frozen=True)
class Page:
    """One page of a list: its records and the absolute URL of the next page, if any."""

    records: list[dict[str, Any]]
    next_url: str | None


@dataclass
class Pager:
    """Reads GitLab lists page by page through the connection's :class:`ThrottledClient`."""

    http: ThrottledClient

    def page(self, url: str, params: Mapping[str, Any] | None = None) -> Page:
        """GET one page.

        Args:
            url: a path relative to the API root (first page) or an absolute next link.
            params: query parameters of the first page (next links carry their own).

        Returns:
            The records and the next page's URL (None after the last page).

        Raises:
            ConnectorError: the request failed, or the answer is not a JSON list.
        """
        response = self.http.request("GET", url, params=params)
        body = self._decode(response)
        if not isinstance(body, list):
            raise ConnectorError(
                f"{self.http.name}: GitLab answered {response.request.url.path} with "
                f"{type(body).__name__} where a list was expected."
            )
        return Page([record for record in body if isinstance(record, dict)], _next_url(response))

    def all(self, url: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every record of a list, in GitLab's order."""
        records: list[dict[str, Any]] = []
        next_url: str | None = url
        first = True
        while next_url is not None:
            page = self.page(next_url, params if first else None)
            records.extend(page.records)
            next_url, first = page.next_url, False
        return records

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET one object."""
        response = self.http.request("GET", url, params=params)
        body = self._decode(response)
        if not isinstance(body, dict):
            raise ConnectorError(
                f"{self.http.name}: GitLab answered {response.request.url.path} with "
                f"{type(body).__name__} where an object was expected."
            )
        return body

    def _decode(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(
                f"{self.http.name}: GitLab's answer to {response.request.url.path} is not valid JSON "
                f"(it starts with {response.text[:60]!r}).",
                retryable=True,
            ) from None


def _next_url(response: httpx.Response) -> str | None:
    link = response.links.get("next")
    if link and link.get("url"):
        return str(response.request.url.join(str(link["url"])))
    next_page = response.headers.get("x-next-page", "").strip()
    if next_page.isdigit():
        return str(response.request.url.copy_set_param("page", next_page))
    return None


def explain(name: str, response: httpx.Response) -> ConnectorError | None:
    """GitLab's own words for a refused request (``{"message": …}`` or ``{"error": …}``), or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    detail = body.get("message") or body.get("error_description") or body.get("error")
    if isinstance(detail, dict):
        detail = "; ".join(
            f"{key} {', '.join(map(str, value)) if isinstance(value, list) else value}" for key, value in detail.items()
        )
    if not detail or response.status_code in (401, 403, 404):
        return None  # SourceClient's messages for these say what to do
    return ConnectorError(
        f"{name}: GitLab refused {response.request.url.path} ({response.status_code}): {str(detail)[:200]}",
        status=response.status_code,
    )
