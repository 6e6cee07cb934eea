"""Browser journey: a product leader on a phone reads the outcomes, opens a key result (its verdict, confidence,
series chart and definition), and links an improvement action to it by keyboard, with a bad id first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.actions import service as actions
from deliveryops.outcomes import series, service
from deliveryops.outcomes.models import SourceKind
from deliveryops.outcomes.schemas import KeyResultCreate, ObjectiveCreate, SeriesCreate, ValueIn
from tests.e2e.test_foundation_journeys import sign_in
from tests.factories import make_group, make_team, make_user
from tests.live import live_server

pytestmark = pytest.mark.browser
LEADER = "lea@example.com"


def seed(session: Session) -> None:
    """A group with a KPI series climbing past its natural variation, an objective and its key result."""
    group = make_group(session, name="Commerce")
    team = make_team(session, name="Checkout", group=group)
    make_user(session, email=LEADER, name="Lea Leader", role=Role.LEADER)
    today = datetime.now(UTC).date()
    start = today - timedelta(days=27)
    kpi, _token = series.create(
        session=session, actor=None, body=SeriesCreate(name="Sign-ups", unit="per week", group_id=group.id)
    )
    before = [ValueIn(on=start - timedelta(weeks=6 - i), value=v) for i, v in enumerate([10, 12, 10, 12, 10, 12])]
    during = [ValueIn(on=start + timedelta(weeks=i), value=v) for i, v in enumerate([16, 18, 16, 18])]
    series.write_values(session, kpi, before + during)
    period = f"{start.isoformat()}..{(start + timedelta(days=90)).isoformat()}"
    objective = service.create_objective(
        session=session, actor=None, body=ObjectiveCreate(title="Grow sign-ups", group_id=group.id, period=period), today=today
    )
    body = KeyResultCreate(
        title="Sign-ups to 21 a week", source=SourceKind.KPI, series_id=kpi.id, baseline=11, target=21, direction="increase"
    )
    service.add_key_result(session=session, actor=None, objective=objective, body=body)
    actions.create(session=session, actor=None, team_id=team.id, title="Shorter sign-up form")


@pytest.fixture(scope="module")
def outcomes_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app of its own with one objective and key result."""
    with live_server(tmp_path_factory.mktemp("outcomes") / "outcomes.db", seed) as url:
        yield url


def test_leader_reads_a_key_result_and_links_work(browser: Browser, outcomes_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, outcomes_url, LEADER)
        expect(page.locator("#outcomes-lead")).to_contain_text("1 on track")
        page.goto(f"{outcomes_url}/outcomes?period=")
        expect(page.get_by_role("heading", name="Grow sign-ups")).to_be_visible()
        page.get_by_role("link", name="Sign-ups to 21 a week").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign-ups to 21 a week")
        expect(page.locator("#kr-verdict")).to_have_text("On track")
        expect(page.locator("#kr-confidence")).to_contain_text("at most 2.9% of runs")
        chart = page.locator("#chart-key-result")
        expect(chart.get_by_role("heading")).to_have_text("Key result over time")
        expect(chart.locator(".js-plotly-plot")).to_have_count(1)  # Plotly drew it
        expect(chart.get_by_role("link", name="Definition")).to_have_attribute("href", "/definitions#key-result-verdict")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url

        expect(page.locator("#links")).to_contain_text("Nothing linked yet")
        page.get_by_label("Kind").select_option("action")
        page.get_by_label("Id (epic: its work item id)").fill("999")
        page.get_by_label("Id (epic: its work item id)").press("Enter")  # submitted from the keyboard
        expect(page.get_by_text("Choose an existing action.")).to_be_visible()
        page.get_by_label("Kind").select_option("action")
        page.get_by_label("Id (epic: its work item id)").fill("1")
        page.get_by_label("Id (epic: its work item id)").press("Enter")
        expect(page.locator("#links table")).to_contain_text("Shorter sign-up form")
    finally:
        context.close()
