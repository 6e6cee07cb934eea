"""A :class:`SourceClient` for sources that announce their budget in headers, and that talk to one host only.

GitLab, Azure DevOps and Linear each say how much of their rate limit is left, and when it refills, in
response headers of their own names; a :class:`RateLimitRule` names them. On top of what
:class:`SourceClient` does (429/503 with ``Retry-After``, backoff with jitter), :class:`ThrottledClient`:

- treats as a rate limit whatever the rule's ``limited`` test recognises (Linear answers HTTP 400 with the
  GraphQL error code ``RATELIMITED``), and waits for ``Retry-After``, else the rule's reset header, else
  a backoff;
- after a successful answer whose remaining budget is 0, waits until the announced reset before sending
  its next request, instead of running into a 429; a successful answer carrying ``Retry-After`` (Azure
  DevOps delays requests that way) is honoured the same way;
- sends requests, next-page links included, only to the connection's own origins, and follows a redirect
  only within them (GitLab's ``PRIVATE-TOKEN`` header would otherwise go along to any host);
- names the connection in every error, like :class:`SourceClient`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from deliveryops.connectors.base import ConnectorError
from deliveryops.connectors.http import MAX_WAIT_SECONDS, SourceClient

__all__ = ["MAX_REDIRECTS", "RateLimitRule", "ThrottledClient", "origin_of"]

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def origin_of(url: str | httpx.URL) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased (what "the same host" means here)."""
    parsed = httpx.URL(str(url))
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.scheme}://{parsed.host}{port}".lower()


@dataclass(frozen=True)
class RateLimitRule:
    """The headers in which a source announces its rate limit.

    Attributes:
        budgets: pairs of headers (what is left, when it refills as epoch time), one pair per budget the
            source keeps (GitLab: requests; Linear: requests and query complexity).
        reset_in_milliseconds: whether the reset headers count milliseconds (Linear) rather than seconds.
        limited: recognises a rate-limit answer that is not a 429 (Linear's HTTP 400 ``RATELIMITED``).
    """

    budgets: tuple[tuple[str, str], ...] = ()
    reset_in_milliseconds: bool = False
    limited: Callable[[httpx.Response], bool] | None = None


@dataclass
class ThrottledClient(SourceClient):
    """A polite client of one connection that keeps within the source's announced budget.

    Attributes:
        rule: the source's rate-limit headers.
        origins: the origins (``scheme://host[:port]``) requests may go to; empty means the client's base URL only.
        label: the source's name in messages ("GitLab", "Azure DevOps", "Linear").
        explain: reads an error answer's body (a GraphQL ``errors`` list, a ``TF…`` message) and returns
            the :class:`ConnectorError` to raise, or None to let :class:`SourceClient` decide.
    """

    rule: RateLimitRule = field(default_factory=RateLimitRule)
    origins: tuple[str, ...] = ()
    label: str = "The source"
    explain: Callable[[httpx.Response], ConnectorError | None] | None = None
    _pending_wait: float = 0.0

    def allowed(self) -> tuple[str, ...]:
        """The origins this client sends requests to."""
        return self.origins or (origin_of(self.client.base_url),)

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
        """Send a request as :meth:`SourceClient.request` does, within the budget and the allowed hosts."""
        self._check_target(url)
        for _hop in range(MAX_REDIRECTS + 1):
            if self._pending_wait > 0:
                wait, self._pending_wait = self._pending_wait, 0.0
                self._wait(wait)
            response = super().request(method, url, params=params, json=json, conditional=conditional, creates=creates)
            self._note_budget(response)
            if response.status_code not in _REDIRECTS:
                return response
            location = response.headers.get("location")
            if not location:
                raise ConnectorError(
                    f"{self.name}: {self.label} answered {response.status_code} without saying where "
                    f"{response.request.url.path} moved.",
                    status=response.status_code,
                )
            url = str(response.request.url.join(location))
            params = None  # the new location carries its own query
            self._check_target(url, redirect=True)
        raise ConnectorError(
            f"{self.name}: {self.label} redirected more than {MAX_REDIRECTS} times in a row; "
            "check the base URL of the connection."
        )

    def _check_target(self, url: str, *, redirect: bool = False) -> None:
        if not url.startswith(("http://", "https://")):
            return  # relative to the base URL
        if origin_of(url) in self.allowed():
            return
        what = "redirected to" if redirect else "pointed to"
        raise ConnectorError(
            f"{self.name}: {self.label} {what} another host ({origin_of(url)}); the token is only sent to "
            f"{', '.join(self.allowed())}. Check the base URL of the connection."
        )

    def _note_budget(self, response: httpx.Response) -> None:
        """Plan a wait before the next request when the answer says the budget is spent (or asks to wait)."""
        if response.status_code >= 400:
            return
        retry_after = response.headers.get("retry-after", "").strip()
        if retry_after.replace(".", "", 1).isdigit():
            self._pending_wait = max(self._pending_wait, min(float(retry_after), MAX_WAIT_SECONDS))
            return
        for remaining, reset_header in self.rule.budgets:
            if response.headers.get(remaining, "").strip() == "0":
                reset = self._reset_wait(response, reset_header)
                if reset is not None:
                    self._pending_wait = max(self._pending_wait, reset)

    def _reset_wait(self, response: httpx.Response, header: str) -> float | None:
        raw = response.headers.get(header, "").strip()
        if not raw.isdigit():
            return None
        reset = float(raw) / (1000.0 if self.rule.reset_in_milliseconds else 1.0)
        return max(0.0, min(reset - self.now().timestamp(), MAX_WAIT_SECONDS))

    def _spent_wait(self, response: httpx.Response) -> float | None:
        """The longest wait until a budget the answer says is spent refills (None: no reset announced)."""
        waits = [
            wait
            for remaining, reset in self.rule.budgets
            if response.headers.get(remaining, "").strip() in ("0", "")
            and (wait := self._reset_wait(response, reset)) is not None
        ]
        return max(waits, default=None)

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        # SourceClient inspects every answer here first: the one place to recognise a source's own limits and errors.
        limited = response.status_code == 429 or (self.rule.limited is not None and self.rule.limited(response))
        if not limited:
            if 400 <= response.status_code < 500 and self.explain is not None:
                error = self.explain(response)
                if error is not None:
                    raise error
            return super()._rate_limit_wait(response)
        retry_after = response.headers.get("retry-after", "").strip()
        if retry_after:
            standard = super()._rate_limit_wait(_as_429(response))
            if standard is not None:
                return standard
        reset = self._spent_wait(response)
        return reset if reset is not None else self._backoff(0)


def _as_429(response: httpx.Response) -> httpx.Response:
    """The same headers on a 429, so the base class reads ``Retry-After`` (seconds or an HTTP date) for any status."""
    if response.status_code == 429:
        return response
    return httpx.Response(429, headers=response.headers, request=response.request)
