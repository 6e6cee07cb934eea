"""Where a connection may send its token (issue 16, item 2): https only, public hosts, its own hosts, and
the token again when the host changes (SQLite and PostgreSQL; the fakes are real servers on 127.0.0.1)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.connectors.github import GitHubSettings
from deliveryops.connectors.hosts import HostPolicy, HostRefusedError, check_target
from deliveryops.connectors.jira_common import JiraSettingsBase
from deliveryops.errors import ValidationFailedError
from deliveryops.settings import Settings
from deliveryops.sync import service
from deliveryops.sync.models import Connection
from tests.connectors.fakeserver import Reply, Request, fake_server
from tests.factories import make_team, make_user, token_headers

APP_KEY = "k" * 48
DNS = {
    "tracker.example": ["93.184.216.34"],
    "intranet.example": ["10.1.2.3"],
    "metadata.example": ["169.254.169.254"],
    "mixed.example": ["93.184.216.34", "192.168.1.5"],
    "local.example": ["127.0.0.1"],
}
STRICT = HostPolicy(resolver=lambda host: DNS.get(host, []))
LOOPBACK = HostPolicy(allow_http_loopback=True, resolver=STRICT.resolver)
PRIVATE = HostPolicy(allow_private=True, resolver=STRICT.resolver)


@pytest.mark.parametrize(
    ("url", "policy"),
    [
        ("https://tracker.example", STRICT),
        ("https://unknown.example", STRICT),  # does not resolve: checked again before each request
        ("https://93.184.216.34", STRICT),
        ("http://127.0.0.1:8080", LOOPBACK),
        ("http://local.example:8080", LOOPBACK),
        ("http://[::1]:8080", LOOPBACK),
        ("https://intranet.example", PRIVATE),
        ("https://10.0.0.5", PRIVATE),
    ],
)
def test_allowed_targets(url: str, policy: HostPolicy) -> None:
    check_target(url, policy)


@pytest.mark.parametrize(
    ("url", "policy", "words"),
    [
        ("http://tracker.example", STRICT, "must use https://"),
        ("http://tracker.example", LOOPBACK, "must use https://"),
        ("http://127.0.0.1:8080", STRICT, "must use https://"),
        ("http://intranet.example", PRIVATE, "must use https://"),
        ("http://unknown.example", LOOPBACK, "must use https://"),
        ("https://127.0.0.1", STRICT, "is a loopback address (127.0.0.1)"),
        ("https://169.254.169.254", STRICT, "is a link-local address (169.254.169.254)"),
        ("https://169.254.169.254", LOOPBACK, "is a link-local address"),
        ("https://metadata.example", STRICT, "is a link-local address (169.254.169.254)"),
        ("https://intranet.example", STRICT, "is a private address (10.1.2.3)"),
        ("https://mixed.example", STRICT, "is a private address (192.168.1.5)"),
        ("https://[fe80::1]", STRICT, "is a link-local address"),
        ("https://[::ffff:10.0.0.1]", STRICT, "is a private address"),
        ("https://0.0.0.0", STRICT, "is a unspecified address"),
        ("file:///etc/passwd", PRIVATE, "must be a web address with a host name"),
    ],
)
def test_refused_targets(url: str, policy: HostPolicy, words: str) -> None:
    with pytest.raises(HostRefusedError, match=words.replace("(", r"\(").replace(")", r"\)")):
        check_target(url, policy)


def test_the_settings_model_says_what_it_checks_for_a_file_url() -> None:
    for model, fields in ((GitHubSettings, {"repositories": ["a/b"]}), (JiraSettingsBase, {"projects": ["OPS"]})):
        with pytest.raises(ValueError, match="must be a web address with a host name, starting with https://") as caught:
            model.model_validate({"base_url": "file:///etc/passwd", **fields})
        assert "must start with" not in str(caught.value)


def _github(session: Session, url: str, *, hosts: HostPolicy = LOOPBACK) -> Connection:
    team = make_team(session)
    connection = service.create(
        session=session,
        actor=None,
        name="GitHub",
        kind="github",
        team_id=team.id,
        settings={"base_url": url, "repositories": ["octo/web"]},
        secret="ghp_token",
        app_key=APP_KEY,
        hosts=hosts,
    )
    session.flush()
    return connection


def test_creating_a_connection_to_a_private_or_plain_http_host_is_refused(session: Session) -> None:
    team = make_team(session)
    for url, words in (
        ("https://169.254.169.254", "link-local"),
        ("http://tracker.example", "must use https://"),
        ("https://intranet.example", "private address"),
    ):
        with pytest.raises(ValidationFailedError) as caught:
            service.create(
                session=session,
                actor=None,
                name="Bad",
                kind="github",
                team_id=team.id,
                settings={"base_url": url, "repositories": ["octo/web"]},
                secret="x",
                app_key=APP_KEY,
                hosts=STRICT,
            )
        assert words in caught.value.fields["base_url"]


def test_changing_the_host_needs_the_token_again(client: TestClient, session: Session, settings: Settings) -> None:
    connection = _github(session, "https://api.github.com", hosts=STRICT)
    admin = make_user(session, role=Role.ADMIN)
    headers = token_headers(session, admin)
    path = f"/api/v1/connections/{connection.id}"
    moved = client.patch(path, json={"settings": {"base_url": "https://github.example.org/api/v3"}}, headers=headers)
    assert moved.status_code == 422
    assert moved.json()["error"]["details"]["fields"]["secret"] == (
        "Enter the API token again: the connection moves from https://api.github.com to https://github.example.org, "
        "and the stored token is never sent to a new host."
    )
    same_host = client.patch(path, json={"settings": {"base_url": "https://api.github.com/"}}, headers=headers)
    assert same_host.status_code == 200
    metadata = client.patch(
        path, json={"settings": {"base_url": "https://169.254.169.254"}, "secret": "ghp_new"}, headers=headers
    )
    assert metadata.status_code == 422
    assert "169.254.169.254 is a link-local address" in metadata.json()["error"]["details"]["fields"]["base_url"]
    plain = client.patch(path, json={"settings": {"base_url": "http://api.github.com"}, "secret": "ghp_new"}, headers=headers)
    assert plain.status_code == 422
    assert "must use https://" in plain.json()["error"]["details"]["fields"]["base_url"]
    with_token = client.patch(
        path, json={"settings": {"base_url": "https://github.example.org/api/v3"}, "secret": "ghp_new"}, headers=headers
    )
    assert with_token.status_code == 200
    assert with_token.json()["settings"]["base_url"] == "https://github.example.org/api/v3"


def test_a_test_request_follows_no_redirect_to_another_host(session: Session) -> None:
    with fake_server(lambda _r: Reply({"login": "octocat"})) as elsewhere:

        def redirect(request: Request) -> Reply:
            return Reply(status=302, headers={"Location": f"{elsewhere.url}{request.path}"})

        with fake_server(redirect) as source:
            connection = _github(session, source.url)
            with pytest.raises(service.ConnectionFailedError, match="another host") as caught:
                service.check(session=session, actor=None, connection_id=connection.id, app_key=APP_KEY, hosts=LOOPBACK)
            assert "GitHub:" in caught.value.message
            assert len(source.requests) == 1
            assert elsewhere.requests == []  # the token never reached the other host


def test_a_loopback_fake_is_refused_without_the_setting(session: Session) -> None:
    with fake_server(lambda _r: Reply({"login": "octocat"})) as source:
        connection = _github(session, source.url)
        with pytest.raises(service.ConnectionFailedError, match="must use https://"):
            service.check(session=session, actor=None, connection_id=connection.id, app_key=APP_KEY, hosts=STRICT)
        assert source.requests == []


def test_without_a_lookup_only_a_literal_loopback_address_may_be_plain_http() -> None:
    check_target("http://127.0.0.1:8080", LOOPBACK, resolve_host=False)  # an injected transport (benchmarks)
    with pytest.raises(HostRefusedError, match="must use https://"):
        check_target("http://local.example:8080", LOOPBACK, resolve_host=False)
    with pytest.raises(HostRefusedError, match="is a link-local address"):
        check_target("https://169.254.169.254", STRICT, resolve_host=False)
