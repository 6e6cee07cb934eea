"""SourceClient over real HTTP: rate-limit waits, backoff with jitter, retries, ETags and messages."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest

from deliveryops.connectors.base import ConnectorError
from deliveryops.connectors.http import SourceClient
from tests.connectors.fakeserver import FakeServer, Reply, Request, fake_server

NOW = datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC)
NAME = "Jira (payments)"


@contextmanager
def scripted(*replies: Reply) -> Iterator[tuple[FakeServer, SourceClient, list[float]]]:
    """A server answering ``replies`` in order (the last one repeats), and a client of it."""
    queue = list(replies)

    def handler(request: Request) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    sleeps: list[float] = []
    with fake_server(handler) as server, httpx.Client(base_url=server.url) as client:
        yield server, SourceClient(name=NAME, client=client, sleep=sleeps.append, rng=random.Random(7), now=lambda: NOW), sleeps


def test_retry_after_in_seconds() -> None:
    with scripted(Reply({"error": "slow down"}, status=429, headers={"Retry-After": "7"}), Reply({"ok": 1})) as (
        server,
        client,
        sleeps,
    ):
        assert client.get_json("/x") == {"ok": 1}

    assert sleeps == [7.0]
    assert (client.stats.requests, client.stats.retries, client.stats.waited_seconds) == (2, 1, 7.0)
    assert len(server.requests) == 2


def test_retry_after_as_an_http_date() -> None:
    with scripted(Reply(status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), Reply({"ok": 1})) as (
        _,
        client,
        sleeps,
    ):
        assert client.get_json("/x") == {"ok": 1}

    assert sleeps == [30.0]  # 07:28:00 − 07:27:30


def test_retry_after_is_capped_at_five_minutes() -> None:
    with scripted(Reply(status=429, headers={"Retry-After": "3600"}), Reply({"ok": 1})) as (_, client, sleeps):
        client.get_json("/x")

    assert sleeps == [300.0]


def test_github_403_with_no_remaining_budget_waits_for_x_ratelimit_reset() -> None:
    reset = int(NOW.timestamp()) + 90
    with scripted(
        Reply(
            {"message": "API rate limit exceeded"},
            status=403,
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        ),
        Reply([1, 2]),
    ) as (_, client, sleeps):
        assert client.get_json("/x") == [1, 2]

    assert sleeps == [90.0]


def test_a_reset_time_already_past_retries_at_once() -> None:
    with scripted(Reply(status=429, headers={"x-ratelimit-reset": str(int(NOW.timestamp()) - 5)}), Reply({"ok": 1})) as (
        _,
        client,
        sleeps,
    ):
        client.get_json("/x")

    assert sleeps == [0.0]


def test_server_errors_back_off_exponentially_with_full_jitter() -> None:
    with scripted(Reply(status=500), Reply(status=502), Reply(status=504), Reply({"ok": 1})) as (_, client, sleeps):
        assert client.get_json("/x") == {"ok": 1}

    expected = random.Random(7)
    assert sleeps == [expected.uniform(0, 1), expected.uniform(0, 2), expected.uniform(0, 4)]
    assert [0 <= wait <= 2**attempt for attempt, wait in enumerate(sleeps)] == [True, True, True]


def test_backoff_never_exceeds_the_cap() -> None:
    with scripted(Reply(status=500), *[Reply(status=500)] * 11, Reply({"ok": 1})) as (_, client, sleeps):
        client.max_retries = 12
        client.get_json("/x")

    expected = random.Random(7)
    assert sleeps == [expected.uniform(0, min(300.0, 2**attempt)) for attempt in range(12)]
    assert max(sleeps) <= 300.0  # the exact values above also prove the range was capped, not 0..2**attempt


def test_gives_up_after_max_retries_with_a_plain_message() -> None:
    with scripted(Reply({"message": "down"}, status=503)) as (server, client, sleeps):
        client.max_retries = 2
        with pytest.raises(ConnectorError) as caught:
            client.get_json("/x")

    assert caught.value.message == (
        "Jira (payments): the server answered 503 Service Unavailable 3 times in a row; giving up for now."
    )
    assert caught.value.retryable is True
    assert caught.value.status == 503
    assert len(server.requests) == 3
    assert len(sleeps) == 2


def test_network_errors_are_retried_then_reported() -> None:
    with socket.socket() as probe:  # a port nobody listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
        client = SourceClient(name=NAME, client=http, max_retries=2, sleep=sleeps.append, rng=random.Random(7))
        with pytest.raises(ConnectorError) as caught:
            client.get_json("/x")

    assert caught.value.message == "Jira (payments): cannot reach the server (ConnectError) after 3 attempts."
    assert caught.value.retryable is True
    assert len(sleeps) == 2
    assert client.stats.requests == 0


def test_malformed_json_message_quotes_the_start_of_the_answer() -> None:
    page = Reply(raw=b"<html><body>Bad gateway</body></html>", headers={"Content-Type": "text/html"})
    with scripted(page) as (_, client, _sleeps), pytest.raises(ConnectorError) as caught:
        client.get_json("/rest/api/3/search")

    assert caught.value.message == (
        "Jira (payments): the server's answer to /rest/api/3/search is not valid JSON "
        "(it starts with '<html><body>Bad gateway</body></html>')."
    )
    assert caught.value.retryable is True


def test_304_reuses_the_remembered_body_and_sends_if_none_match() -> None:
    def handler(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'})
        return Reply({"issues": [1, 2, 3]}, headers={"ETag": '"v1"'})

    with fake_server(handler) as server, httpx.Client(base_url=server.url) as http:
        client = SourceClient(name=NAME, client=http)
        first = client.get_json("/issues", params={"page": 2}, conditional=True)
        second = client.get_json("/issues", params={"page": 2}, conditional=True)
        unconditional = client.get_json("/issues", params={"page": 2})

    assert first == second == unconditional == {"issues": [1, 2, 3]}
    assert [r.headers.get("if-none-match") for r in server.requests] == [None, '"v1"', None]
    assert client.stats.not_modified == 1


def test_not_found_message_names_the_path() -> None:
    with scripted(Reply({"message": "Not Found"}, status=404)) as (_, client, sleeps), pytest.raises(ConnectorError) as caught:
        client.get_json("/repos/acme/missing")

    assert caught.value.message == (
        "Jira (payments): /repos/acme/missing was not found (404). Check the base URL and the project or repository names."
    )
    assert (caught.value.status, caught.value.retryable) == (404, False)
    assert sleeps == []


def test_a_403_that_is_not_a_rate_limit_is_a_refusal() -> None:
    refusal = Reply({"message": "Resource not accessible"}, status=403, headers={"x-ratelimit-remaining": "4999"})
    with scripted(refusal) as (server, client, sleeps), pytest.raises(ConnectorError) as caught:
        client.get_json("/x")

    assert caught.value.message == (
        "Jira (payments): the server refused the credentials "
        "(403 Forbidden: Resource not accessible). The token may have expired or lack "
        "access: update it on the connection."
    )
    assert sleeps == []
    assert len(server.requests) == 1


def test_other_client_errors_quote_the_answer() -> None:
    refusal = Reply({"errorMessages": ["Field 'x' does not exist"]}, status=400)
    with scripted(refusal) as (_, client, _sleeps), pytest.raises(ConnectorError) as caught:
        client.post_json("/search", json={"jql": "x = 1"})

    assert caught.value.message == (
        'Jira (payments): the server answered 400 Bad Request: {"errorMessages": ["Field \'x\' does not exist"]}'
    )
    assert caught.value.status == 400
