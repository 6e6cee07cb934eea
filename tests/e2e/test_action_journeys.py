"""Browser journey: a delivery manager adds an improvement action by keyboard on a phone and reads its
verdict: the effect with its interval, the verdict's measured reliability and the before/after chart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.teams.models import TeamRole
from deliveryops.work.importing import import_records
from deliveryops.work.records import StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord
from tests.e2e.test_foundation_journeys import sign_in
from tests.factories import join, make_team, make_user
from tests.live import live_server

pytestmark = pytest.mark.browser
DM = "improver@example.com"
WORKFLOW = [
    WorkflowStatus("Todo", StageCategory.BACKLOG, 0),
    WorkflowStatus("Doing", StageCategory.ACTIVE, 1),
    WorkflowStatus("Done", StageCategory.DONE, 2),
]
THIS_MONDAY = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday())
ACTION_MONDAY = THIS_MONDAY - timedelta(weeks=10)


def seed(session: Session) -> None:
    """A team finishing 4 items a week: 3, 5, 8 and 12 days for 16 weeks, then 1, 2, 4 and 6 days."""
    team = make_team(session, name="Delta", time_zone="UTC")
    dm = make_user(session, email=DM, name="Ivo Improver", role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    records = []
    for week in range(-16, 10):
        finish_day = datetime.combine(ACTION_MONDAY + timedelta(weeks=week, days=2), datetime.min.time(), tzinfo=UTC)
        for n, days in enumerate((3, 5, 8, 12) if week < 0 else (1, 2, 4, 6)):
            done = finish_day + timedelta(hours=12)
            start = done - timedelta(days=days - 1)
            records.append(
                WorkItemRecord(
                    source="t",
                    external_key=f"D{week + 16}-{n}",
                    item_type="Story",
                    title="x",
                    created_at=start - timedelta(hours=1),
                    transitions=(
                        TransitionRecord("Todo", start - timedelta(hours=1)),
                        TransitionRecord("Doing", start),
                        TransitionRecord("Done", done),
                    ),
                )
            )
    import_records(session=session, actor=None, team=team, records=records, import_format="t", workflow=WORKFLOW)


@pytest.fixture(scope="module")
def actions_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app of its own, seeded with a team whose cycle time dropped ten weeks ago."""
    with live_server(tmp_path_factory.mktemp("actions") / "actions.db", seed) as url:
        yield url


@pytest.fixture
def phone(browser: Browser, actions_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, actions_url, DM)
    yield page
    context.close()


def test_dm_adds_an_action_and_reads_its_effect_and_reliability(phone: Page, actions_url: str) -> None:
    page = phone
    page.goto(f"{actions_url}/teams/delta/actions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Improvement actions of Delta")
    page.get_by_label("What the team will do").fill("Swarm on the oldest item")
    page.get_by_label("Takes effect on").fill(ACTION_MONDAY.isoformat())
    page.get_by_label("Target metric (optional)").select_option(label="85th percentile cycle time (days)")
    page.get_by_label("Why, and how").focus()
    page.keyboard.press("Tab")  # to the submit button
    expect(page.get_by_role("button", name="Add action")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Swarm on the oldest item")
    verdict = page.get_by_test_id("verdict")
    expect(verdict.get_by_role("heading")).to_contain_text("Verdict: improved")
    expect(verdict.get_by_role("heading")).to_contain_text("(final, week 8)")
    # The 85th percentile before is 12 days; after, 12 × the ratio of geometric means (of 1, 2, 4, 6 over
    # 3, 5, 8, 12: (48 / 1440) ** 0.25 = 0.4273), 5.1 days: 57.3% shorter.
    effect = page.get_by_test_id("effect")
    expect(effect).to_contain_text("Cycle time 85th percentile 12 \u2192 5.1 days (\u221257.3%)")
    expect(effect).to_contain_text("98% interval of the change")
    expect(page.get_by_test_id("reliability")).to_contain_text(
        "Measured reliability: on simulated teams finishing about 4 items a week"
    )
    chart = page.locator("#chart-effect")
    expect(chart.get_by_role("heading")).to_have_text("Before and after the action")
    expect(chart.locator(".js-plotly-plot")).to_have_count(1)  # Plotly drew it
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_role("link", name="how this is measured").click()
    expect(page.get_by_role("heading", name="Improvement-action verdicts")).to_be_visible()
    expect(page.locator("#action-verdicts + dl table")).to_contain_text("Cycle time (85th percentile)")
