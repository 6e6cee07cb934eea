"""GitHub's paged lists: ``Link`` header pagination over conditional requests.

GitHub pages every list with a ``Link`` header (``<url>; rel="next"``). Every GET here is
conditional: a page fetched before in this connector's life is asked for again with
``If-None-Match``, and a 304 (which does not count against GitHub's rate limit) reuses the
body *and* the next link remembered with it, because a 304 carries no body and need not repeat
the ``Link`` header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from deliveryops.connectors.base import ConnectorError
from deliveryops.connectors.http import SourceClient

__all__ = ["PER_PAGE", "Page", "Pager"]

PER_PAGE = 100  # GitHub's maximum page size


@dataclass(frozen=True)
class Page:
    """One page of a list: its records and the absolute URL of the next page, if any."""

    records: list[dict[str, Any]]
    next_url: str | None


@dataclass
class Pager:
    """Reads paged GitHub lists through a :class:`SourceClient`.

    Attributes:
        http: the connection's client (retries, rate limits, ETags).
        name: the connection's name, for error messages.
        origin: scheme, host and port of the API; next links elsewhere are refused, so that
            the token is never sent to another host.
    """

    http: SourceClient
    name: str
    origin: str
    _pages: dict[str, Page] = field(default_factory=dict)

    def page(self, url: str, params: Mapping[str, Any] | None = None, *, key: str | None = None) -> Page:
        """GET one page of a list.

        Args:
            url: a path relative to the base URL (first page) or an absolute next link.
            params: query parameters of the first page (next links carry their own).
            key: for lists wrapped in an object (``{"total_count": …, "workflow_runs": [...]}``,
                a comparison's ``commits``), the member holding the list; None for a bare list.

        Returns:
            The page's records and its next link.

        Raises:
            ConnectorError: the request failed, or the answer is not a JSON list.
        """
        if url.startswith(("http://", "https://")) and not url.startswith(self.origin):
            raise ConnectorError(
                f"{self.name}: GitHub pointed to a next page on another host ({url[:80]}); check the base URL of the connection."
            )
        response = self.http.request("GET", url, params=params, conditional=True)
        cache_key = str(response.request.url)
        if response.status_code == 304:
            remembered = self._pages.get(cache_key)
            if remembered is None:
                raise ConnectorError(
                    f"{self.name}: GitHub answered 304 for {response.request.url.path}, a page this connection never received.",
                    retryable=True,
                )
            return remembered
        page = Page(records=self._records(response, key), next_url=_next_link(response))
        if "etag" in response.headers:
            self._pages[cache_key] = page
        return page

    def all(
        self, url: str, params: Mapping[str, Any] | None = None, *, key: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """GET every page of a list.

        Args:
            url: the list's path, relative to the base URL.
            params: query parameters of the first page.
            key: the member holding the list, for lists wrapped in an object (see :meth:`page`).

        Returns:
            All records, in the server's order, and the number of pages read.
        """
        records: list[dict[str, Any]] = []
        pages = 0
        next_url: str | None = url
        while next_url is not None:
            page = self.page(next_url, params if pages == 0 else None, key=key)
            records.extend(page.records)
            next_url = page.next_url
            pages += 1
        return records, pages

    def _records(self, response: httpx.Response, key: str | None = None) -> list[dict[str, Any]]:
        try:
            body = response.json()
        except ValueError:
            raise ConnectorError(
                f"{self.name}: the server's answer to {response.request.url.path} is not valid JSON "
                f"(it starts with {response.text[:60]!r}).",
                retryable=True,
            ) from None
        if key is not None:
            if not isinstance(body, dict) or not isinstance(body.get(key), list):
                raise ConnectorError(
                    f"{self.name}: GitHub answered {response.request.url.path} without the {key!r} list it documents.",
                    retryable=False,
                )
            body = body[key]
        if not isinstance(body, list):
            raise ConnectorError(
                f"{self.name}: GitHub answered {response.request.url.path} with {type(body).__name__} where a list was expected.",
                retryable=False,
            )
        return [record for record in body if isinstance(record, dict)]


def _next_link(response: httpx.Response) -> str | None:
    link = response.links.get("next")
    url = link.get("url") if link else None
    return str(url) if url else None
