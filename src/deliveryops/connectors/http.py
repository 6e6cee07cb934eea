"""HTTP for connectors: retries with backoff and jitter, rate limits, conditional requests.

- 429 and 503 answers wait for ``Retry-After`` (seconds or an HTTP date), ``X-RateLimit-Reset``
  or GitHub's ``x-ratelimit-reset`` (epoch seconds), capped, then retry.
- GitHub's 403 with ``x-ratelimit-remaining: 0`` is a rate limit too.
- Other 5xx answers and network errors retry with exponential backoff and full jitter.
- After ``max_retries`` the request fails with a :class:`ConnectorError` in plain words.
- GET answers with an ``ETag`` are remembered; the next GET of the same URL sends
  ``If-None-Match`` and a 304 (which GitHub does not count against the rate limit) reuses the body.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from deliveryops.connectors.base import ConnectorError

__all__ = ["HttpStats", "SourceClient"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A request that creates something is sent again only when the server surely did not act on it: it refused for
# the rate (429, or a rate-limit wait), said it was unavailable (503), or the connection never opened. After a 500,
# 502 or 504 the issue may already exist, so a second POST could create it twice.
SAFE_RETRY_STATUSES_FOR_CREATE = frozenset({429, 503})
MAX_WAIT_SECONDS = 300.0


@dataclass
class HttpStats:
    """Counters of one client: requests sent, 304s, retries, seconds spent waiting on the server."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    server_seconds: float = 0.0
    waited_seconds: float = 0.0


@dataclass
class _Cached:
    etag: str
    body: Any


@dataclass
class SourceClient:
    """A polite HTTP client for one connection.

    Attributes:
        name: the connection's name, used in error messages.
        client: the httpx client (base URL, auth and timeouts set by the connector).
        max_retries: retries after the first attempt.
        sleep: how to wait (tests pass a fake).
        rng: jitter source.
        now: the current time (for reset headers).
    """

    name: str
    client: httpx.Client
    max_retries: int = 5
    base_delay: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    stats: HttpStats = field(default_factory=HttpStats)
    _etags: dict[str, _Cached] = field(default_factory=dict)

    def get_json(self, url: str, *, params: Mapping[str, Any] | None = None, conditional: bool = False) -> Any:
        """GET a JSON document, retrying as described above.

        Args:
            url: absolute, or relative to the client's base URL.
            params: query parameters.
            conditional: send ``If-None-Match`` for a remembered ETag, and reuse the body on 304.

        Returns:
            The decoded JSON.
        """
        response = self.request("GET", url, params=params, conditional=conditional)
        return self._cached_or_json(response, conditional=conditional)

    def post_json(self, url: str, *, json: Any) -> Any:
        """POST a JSON body that creates something and decode the JSON answer (not repeated after a 5xx: see ``request``)."""
        return self._decode(self.request("POST", url, json=json, creates=True))

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        conditional: bool = False,
        creates: bool = False,
    ) -> httpx.Response:
        """Send a request with retries; raise :class:`ConnectorError` when it cannot succeed.

        ``creates`` marks a request that is not safe to repeat (creating an issue; a GraphQL read sent by POST is
        safe): it is sent again only when the server surely did not act on it.
        """
        key = self._cache_key(url, params)
        attempt = 0
        while True:
            headers = {}
            if conditional and key in self._etags:
                headers["If-None-Match"] = self._etags[key].etag
            started = time.perf_counter()
            try:
                response = self.client.request(method, url, params=params, json=json, headers=headers)
            except httpx.TransportError as exc:
                self.stats.server_seconds += time.perf_counter() - started
                if creates and not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                    raise ConnectorError(
                        f"{self.name}: the connection broke after the request was sent ({exc.__class__.__name__}); "
                        "it may have been carried out: check on the server before trying again.",
                    ) from None
                if attempt >= self.max_retries:
                    raise ConnectorError(
                        f"{self.name}: cannot reach the server ({exc.__class__.__name__}) after {attempt + 1} attempts.",
                        retryable=True,
                    ) from None
                self._wait(self._backoff(attempt))
                attempt += 1
                continue
            self.stats.server_seconds += time.perf_counter() - started
            self.stats.requests += 1
            wait = self._rate_limit_wait(response)
            if creates and wait is None and response.status_code in RETRY_STATUSES - SAFE_RETRY_STATUSES_FOR_CREATE:
                raise ConnectorError(
                    f"{self.name}: the server answered {response.status_code} {_reason(response)} to a request that "
                    "creates something; it may have been created anyway: check on the server before trying again.",
                    status=response.status_code,
                )
            if response.status_code in RETRY_STATUSES or wait is not None:
                if attempt >= self.max_retries:
                    raise ConnectorError(
                        f"{self.name}: the server answered {response.status_code} "
                        f"{_reason(response)} {attempt + 1} times in a row; giving up for now.",
                        retryable=True,
                        status=response.status_code,
                    )
                self._wait(wait if wait is not None else self._backoff(attempt))
                attempt += 1
                continue
            if response.status_code == 304:
                self.stats.not_modified += 1
                return response
            if response.status_code in (401, 403):
                detail = _server_message(response)
                raise ConnectorError(
                    f"{self.name}: the server refused the credentials ({response.status_code} {_reason(response)}"
                    f"{': ' + detail if detail else ''}). "
                    "The token may have expired or lack access: update it on the connection.",
                    status=response.status_code,
                )
            if response.status_code == 404:
                raise ConnectorError(
                    f"{self.name}: {response.request.url.path} was not found (404). "
                    "Check the base URL and the project or repository names.",
                    status=404,
                )
            if response.status_code >= 400:
                raise ConnectorError(
                    f"{self.name}: the server answered {response.status_code} {_reason(response)}: {response.text[:200]}",
                    status=response.status_code,
                )
            if conditional and method == "GET" and "etag" in response.headers:
                self._etags[key] = _Cached(response.headers["etag"], self._decode(response))
            return response

    def _cached_or_json(self, response: httpx.Response, *, conditional: bool) -> Any:
        if response.status_code == 304:
            cached = self._etags.get(self._cache_key(str(response.request.url), None))
            if cached is None:
                raise ConnectorError(f"{self.name}: the server answered 304 for a request it never answered before.")
            return cached.body
        if conditional:
            cached = self._etags.get(self._cache_key(str(response.request.url), None))
            if cached is not None and cached.etag == response.headers.get("etag"):
                return cached.body
        return self._decode(response)

    def _decode(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(
                f"{self.name}: the server's answer to {response.request.url.path} is not valid JSON "
                f"(it starts with {response.text[:60]!r}).",
                retryable=True,
            ) from None

    def _cache_key(self, url: str, params: Mapping[str, Any] | None) -> str:
        return str(self.client.build_request("GET", url, params=params).url)

    def _backoff(self, attempt: int) -> float:
        # Full jitter: a random wait up to the exponential cap spreads retries of many workers.
        return float(self.rng.uniform(0, min(MAX_WAIT_SECONDS, self.base_delay * 2**attempt)))

    def _wait(self, seconds: float) -> None:
        self.stats.retries += 1
        self.stats.waited_seconds += seconds
        self.sleep(seconds)

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        headers = response.headers
        # GitHub's secondary rate limits answer 403 with Retry-After; its primary one with remaining 0.
        limited = response.status_code in (429, 503) or (
            response.status_code == 403 and (headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers)
        )
        if not limited:
            return None
        retry_after = headers.get("retry-after")
        if retry_after:
            if retry_after.strip().isdigit():
                return min(float(retry_after), MAX_WAIT_SECONDS)
            try:
                when = parsedate_to_datetime(retry_after)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, min((when - self.now()).total_seconds(), MAX_WAIT_SECONDS))
        reset = headers.get("x-ratelimit-reset")
        if reset and reset.strip().isdigit():
            return max(0.0, min(float(reset) - self.now().timestamp(), MAX_WAIT_SECONDS))
        return None if response.status_code != 429 else self._backoff(0)


def _reason(response: httpx.Response) -> str:
    return response.reason_phrase or ""


def _server_message(response: httpx.Response) -> str:
    """The ``message`` a JSON error body carries (GitHub, Jira's ``errorMessages``), if any."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            return str(body["message"])[:200]
        messages = body.get("errorMessages")
        if isinstance(messages, list) and messages:
            return "; ".join(str(m) for m in messages)[:200]
    return ""
