"""Where a connection may send its token: https only, to public addresses, and to its own hosts only.

A connection's stored token goes with every request to the connection's base URL, so the base URL decides
who receives it. The rules:

- ``https://`` only; plain ``http://`` only to a loopback address, and only when
  ``connector_allow_http_loopback`` is on (tests and local fakes).
- The host's addresses (resolved when the connection is saved, and again before each request) must be
  public: private, loopback, link-local (such as the cloud metadata address 169.254.169.254), shared,
  multicast, reserved and unspecified addresses are refused unless ``connector_allow_private_hosts`` is on
  (a tracker inside the company's network); loopback is also allowed by ``connector_allow_http_loopback``.
- Every request, each hop of a redirect included, goes to one of the connection's own origins
  (:class:`GuardedTransport`): a redirect to another host is refused, not followed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from deliveryops.connectors.base import ConnectorError
from deliveryops.settings import Settings, get_settings

__all__ = ["GuardedTransport", "HostPolicy", "HostRefusedError", "Resolver", "check_target", "origin_of"]

Resolver = Callable[[str], list[str]]
"""A host name → its IP addresses (tests pass a table instead of DNS)."""


class HostRefusedError(ValueError):
    """The base URL would send the token somewhere the policy does not allow."""


def resolve(host: str) -> list[str]:
    """The host's IPv4 and IPv6 addresses from the system resolver (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class HostPolicy:
    """What the admin allows beyond public ``https://`` hosts (both off by default)."""

    allow_private: bool = False
    allow_http_loopback: bool = False
    resolver: Resolver = resolve

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> HostPolicy:
        """The policy of ``settings`` (the process's settings when omitted)."""
        settings = settings or get_settings()
        return cls(
            allow_private=settings.connector_allow_private_hosts,
            allow_http_loopback=settings.connector_allow_http_loopback,
        )


def origin_of(url: str | httpx.URL) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, with the scheme's default port left out."""
    parsed = httpx.URL(str(url))
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.scheme}://{parsed.host}{port}".lower()


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not public, in words (None: it is public)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _kind(address.ipv4_mapped)
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_unspecified:
        return "unspecified"
    if address.is_multicast:
        return "multicast"
    if address.is_private or address.is_reserved or not address.is_global:
        return "private"
    return None


def check_target(url: str, policy: HostPolicy, *, resolve_host: bool = True) -> None:
    """Raise :class:`HostRefusedError` unless the token may be sent to ``url``.

    A host name that does not resolve passes (nothing can be sent to it; it is checked again before each
    request), except over plain ``http://``, which needs a confirmed loopback address.

    Args:
        url: a connection's base URL (or any URL a request goes to).
        policy: what the admin allows.
        resolve_host: look the host's addresses up (False: only a literal address is checked, for a client
            whose transport is not the network, such as a test's).
    """
    parsed = httpx.URL(url)
    scheme, host = parsed.scheme.lower(), parsed.host
    if scheme not in ("http", "https") or not host:
        raise HostRefusedError(f"must be a web address with a host name, starting with https://; got {url!r}")
    addresses = _addresses(host, policy.resolver if resolve_host else _no_lookup)
    kinds = {str(address): _kind(address) for address in addresses}
    if scheme == "http" and not (policy.allow_http_loopback and kinds and all(k == "loopback" for k in kinds.values())):
        raise HostRefusedError(
            "must use https:// (plain http:// would send the token unencrypted; it is allowed only to this "
            "machine's loopback address, when DELIVERYOPS_CONNECTOR_ALLOW_HTTP_LOOPBACK is on)"
        )
    for address, kind in kinds.items():
        if kind is None:
            continue
        if policy.allow_private or (kind == "loopback" and policy.allow_http_loopback):
            continue
        raise HostRefusedError(
            f"{host} is a {kind} address ({address}); connections reach only public addresses unless an admin "
            "sets DELIVERYOPS_CONNECTOR_ALLOW_PRIVATE_HOSTS"
        )


def _no_lookup(_host: str) -> list[str]:
    return []


def _addresses(host: str, resolver: Resolver) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    found = []
    for text in resolver(host):
        try:
            found.append(ipaddress.ip_address(text.split("%", 1)[0]))
        except ValueError:
            continue
    return found


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that sends a request only to the connection's origins and the policy's hosts.

    It sees every request the client sends, each hop of a redirect included, so a source that answers with
    a redirect to another host gets no second request (and no token).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        name: str,
        origins: Iterable[str],
        policy: HostPolicy,
        resolve_hosts: bool = True,
    ) -> None:
        self.inner = inner
        self.name = name
        self.origins = frozenset(origin_of(origin) for origin in origins)
        self.policy = policy
        self.resolve_hosts = resolve_hosts

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Check the request's target, then send it."""
        origin = origin_of(request.url)
        if origin not in self.origins:
            raise ConnectorError(
                f"{self.name}: a request (or a redirect) pointed to another host ({origin}); the token is only "
                f"sent to {', '.join(sorted(self.origins))}. Check the base URL of the connection."
            )
        try:
            check_target(str(request.url), self.policy, resolve_host=self.resolve_hosts)
        except HostRefusedError as exc:
            raise ConnectorError(f"{self.name}: the base URL {exc}.") from None
        return self.inner.handle_request(request)

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()
