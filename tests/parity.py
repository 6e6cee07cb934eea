"""The parity pattern: the API, the pages and the CLI give the same answer and the same error for the
same input.

A parity test needs the three entrances on one database whose data is committed (the CLI opens its own
connection), so it does not use the rolled-back ``session`` of tests/conftest.py. The ``parity``
fixture (module scope, once on SQLite and once on PostgreSQL) makes a throwaway copy of the run's
migrated database (see ``Databases.copy`` in tests/conftest.py) and gives:

- ``parity.seed()``: a session whose work is committed (make teams and people with tests/factories.py);
- ``parity.api`` / ``parity.page``: HTTP clients of the app on that database (sign in with
  ``parity.sign_in_api(user)`` / ``parity.sign_in_page(user)``);
- ``parity.cli(*args)``: runs ``deliveryops *args --database <url>`` (:func:`cli_json` reads its JSON).

Then compare what each entrance says with :func:`api_error`, :func:`page_errors` and :func:`cli_error`.
The data is shared by the tests of a module: give things unique names. tests/conftest.py makes the
fixture available to every test module.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from deliveryops.accounts.models import User
from deliveryops.app.main import create_app
from deliveryops.cli.main import app as cli_app
from deliveryops.db import make_engine, make_session_factory
from deliveryops.settings import Settings
from tests.factories import login, token_headers

__all__ = ["Parity", "api_error", "cli_error", "cli_json", "page_errors"]

_FIELD_ERROR = re.compile(r'<p class="field-error" id="([^"]+)-error" role="alert">(.*?)</p>', re.S)


@dataclass
class Parity:
    """The three entrances on one database."""

    url: str
    factory: sessionmaker[Session]
    api: TestClient
    page: TestClient
    runner: CliRunner
    secret_key: str  # the app's, which the CLI shares (it derives the same vote tokens)

    @contextmanager
    def seed(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends."""
        session = self.factory()
        try:
            yield session
            session.commit()
        finally:
            session.close()

    def sign_in_api(self, user: User) -> dict[str, str]:
        """Headers with a personal API token of ``user``."""
        with self.seed() as session:
            return token_headers(session, session.get(User, user.id) or user)

    def sign_in_page(self, user: User) -> str:
        """Sign ``user`` in to the pages' client; returns the CSRF token for its forms."""
        self.page.cookies.clear()
        return login(self.page, user.email)

    def cli(self, *args: str) -> Result:
        """Run ``deliveryops *args --database <url>`` with the app's secret key."""
        return self.runner.invoke(cli_app, [*args, "--database", self.url], env={"DELIVERYOPS_SECRET_KEY": self.secret_key})


def api_error(response: Any) -> dict[str, Any]:
    """The API's error body: ``{"code", "message", "details"}``."""
    body: dict[str, Any] = response.json()["error"]
    return body


def page_errors(page_html: str) -> dict[str, str]:
    """The messages a page shows beside its fields: field name → message."""
    return {name: html.unescape(message) for name, message in _FIELD_ERROR.findall(page_html)}


def cli_json(parity: Parity, *args: str) -> Any:
    """What ``deliveryops *args --database <url>`` printed, read as JSON (the command must succeed)."""
    result = parity.cli(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def cli_error(result: Result) -> dict[str, Any]:
    """The error a command printed under ``--format json``: the API's error body."""
    assert result.exit_code == 1, result.output
    start = result.output.index("{")
    body: dict[str, Any] = json.loads(result.output[start:])["error"]
    return body


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def parity(request: pytest.FixtureRequest) -> Iterator[Parity]:
    """The API, the pages and the CLI on one committed database (SQLite, then PostgreSQL)."""
    databases = request.getfixturevalue("databases")
    name = f"parity_{uuid.uuid4().hex[:6]}"
    # A copy of the run's migrated template (skips, or fails under CI, when PostgreSQL is not reachable).
    with databases.copy(request.param, name, "migrated") as url:
        engine = make_engine(url)
        factory = make_session_factory(engine)
        settings = Settings(database_url=url, secret_key="p" * 48, scheduler=False, sync_in_background=False)
        web = create_app(settings, factory)
        with TestClient(web, follow_redirects=False) as api, TestClient(web, follow_redirects=False) as page:
            yield Parity(url=url, factory=factory, api=api, page=page, runner=CliRunner(), secret_key=settings.secret_key)
        engine.dispose()
