"""Browser checks of the Content-Security-Policy: the charts, the live retro board, the experiment form and
the API reference work under it with no violation, and a stored ``javascript:`` link cannot run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.dora import service as dora
from deliveryops.dora.models import Deployment
from deliveryops.teams.models import TeamRole
from tests.e2e.conftest import People
from tests.e2e.test_foundation_journeys import sign_in
from tests.factories import join, make_team, make_user
from tests.live import live_server

pytestmark = pytest.mark.browser

WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def watched(browser: Browser, base_url: str, email: str) -> tuple[Page, list[str]]:
    """A signed-in page whose console errors are collected (a CSP refusal is reported there too)."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    page.add_init_script(WATCH_VIOLATIONS)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base_url, email)
    return page, errors


def violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__csp || []"))


def test_pages_work_under_the_policy_with_no_violation(browser: Browser, base_url: str) -> None:
    page, errors = watched(browser, base_url, People.dm)
    headers = httpx.get(f"{base_url}/login").headers
    assert "script-src 'self';" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert (headers["x-frame-options"], headers["x-content-type-options"]) == ("DENY", "nosniff")

    page.goto(f"{base_url}/teams/alpha/flow")  # Plotly charts, served from the wheel
    expect(page.locator(".chart .main-svg").first).to_be_attached()
    assert violations(page) == []

    page.goto(f"{base_url}/teams/alpha/retros")  # the live board: its script and its event stream
    page.get_by_label("Title").fill("Policy check retro")
    page.get_by_role("button", name="Schedule and open the board").click()
    expect(page.locator("#connection")).to_have_text("Live")
    page.get_by_role("button", name="Next phase").click()
    expect(page.locator(".phases li.current")).to_have_text("reflect")
    assert violations(page) == []

    page.goto(f"{base_url}/teams/alpha/sessions")  # a live stand-up: the shared live script and its stream
    page.get_by_role("button", name="Start and open").click()
    expect(page.locator("#connection")).to_have_text("Live")
    assert violations(page) == []

    page.goto(f"{base_url}/experiments/new")  # the form's script moved to a file
    rows = page.locator("#variation-rows tbody tr")
    before = rows.count()
    page.get_by_role("button", name="Add a variation").click()
    expect(rows).to_have_count(before + 1)
    assert violations(page) == []

    page.goto(f"{base_url}/api/docs")  # Swagger UI, offline, started from a file
    # The schema is large (the whole API): give the first rendering time on a busy machine.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("DeliveryOps API", timeout=60_000)
    expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)
    assert violations(page) == []
    assert [text for text in errors if "Content Security Policy" in text or "Refused" in text] == []
    page.context.close()


def _seed_injection(session: Session) -> None:
    team = make_team(session, name="Gamma")
    admin = make_user(session, email=People.admin, name="Ada Admin", role=Role.ADMIN)
    join(session, team, make_user(session, email=People.alpha_member, name="Al Member"), TeamRole.MEMBER)
    _row, token = dora.create_webhook_source(session=session, actor=admin, team_id=team.id, name="CI")
    at = datetime(2026, 3, 3, 10, tzinfo=UTC)
    session.add(  # an old database, written before links were checked
        Deployment(
            team_id=team.id,
            source="csv",
            external_id="old-1",
            repository="shop",
            environment="production",
            result="success",
            started_at=at,
            finished_at=at,
            status_at=at,
            url="javascript:window.__pwned=1",
        )
    )
    session.info["webhook_token"] = token


@pytest.fixture(scope="module")
def injection_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    tokens: list[str] = []

    def seed(session: Session) -> None:
        _seed_injection(session)
        tokens.append(session.info["webhook_token"])

    with live_server(tmp_path_factory.mktemp("inject") / "inject.db", seed) as url:
        yield url, tokens[0]


def test_a_javascript_link_is_refused_and_an_old_one_is_not_a_link(browser: Browser, injection_server: tuple[str, str]) -> None:
    base_url, token = injection_server
    sent = httpx.post(
        f"{base_url}/api/v1/webhooks/deployments",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "id": "new-1",
            "repository": "shop",
            "environment": "production",
            "result": "in_progress",
            "started_at": "2026-03-04T10:00:00Z",
            "url": "javascript:window.__pwned=1",
        },
    )
    assert sent.status_code == 422
    assert "url: must be a web address starting with http:// or https://" in sent.json()["error"]["message"]

    page, _errors = watched(browser, base_url, People.alpha_member)
    page.goto(f"{base_url}/teams/gamma/dora?from=2026-03-02&to=2026-03-15&list=deployments")
    row = page.get_by_role("row").filter(has_text="old-1")
    expect(row).to_be_visible()
    expect(row.get_by_role("link")).to_have_count(0)  # the old row's time is text, not a link
    assert page.locator('a[href^="javascript:"]').count() == 0
    # Were a javascript: link to reach the page anyway, the policy stops it from running.
    page.evaluate(
        """() => { const a = document.createElement("a"); a.href = "javascript:window.__pwned=1"; a.textContent = "x";
        document.body.appendChild(a); a.click(); }"""
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__pwned") is None
    assert any(v.startswith("script-src") for v in violations(page))
    page.context.close()


def test_sign_out_everywhere_ends_the_other_browser_too(browser: Browser, base_url: str) -> None:
    laptop, errors = watched(browser, base_url, People.newcomer)
    phone = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    sign_in(phone, base_url, People.newcomer)
    phone.goto(f"{base_url}/account/tokens")
    phone.get_by_role("link", name="Change your password or sign out everywhere").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sign-in and security")
    phone.get_by_label("Current password").fill("not my password")
    phone.get_by_label("New password", exact=True).fill("aaaaaaaaaaaa")
    phone.get_by_label("New password", exact=True).press("Enter")  # the form works from the keyboard
    expect(phone.get_by_text("The current password is wrong.")).to_be_visible()
    phone.get_by_role("button", name="Sign out everywhere").click()
    expect(phone).to_have_url(f"{base_url}/login")
    laptop.reload()
    expect(laptop).to_have_url(f"{base_url}/login?next=/")
    assert violations(laptop) == []
    assert errors == []
    phone.context.close()
    laptop.context.close()
