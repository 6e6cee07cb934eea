"""Every answer carries the security headers: pages, the API, errors, static files and the API reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.web.headers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from tests.factories import login, make_user

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "deliveryops"


def test_the_policy_allows_no_inline_script_and_no_framing() -> None:
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path", ["/login", "/healthz", "/api/v1/me", "/no/such/page", "/static/app.css", "/api/docs", "/vendor/plotly.min.js"]
)
def test_every_answer_carries_the_headers(client: TestClient, path: str) -> None:
    answer = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value, (path, name)


def test_an_unexpected_error_carries_them_too(app: FastAPI) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/broken-for-test", broken)
    answer = TestClient(app, raise_server_exceptions=False).get("/broken-for-test")
    assert answer.status_code == 500
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_a_signed_in_page_carries_them_too(client: TestClient, session: Session) -> None:
    user = make_user(session)
    login(client, user.email)
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.headers["x-frame-options"] == "DENY"


def test_no_template_has_an_inline_script_or_handler() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    found = []
    for path in PACKAGE.glob("*/templates/**/*.html"):
        if path.name == "standalone_report.html":  # an offline file for the CLI, never served
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: {m.group(0)}" for m in inline.finditer(text)]
        found += [f"{path.name}: {m.group(0)}" for m in handler.finditer(text)]
    assert found == []
