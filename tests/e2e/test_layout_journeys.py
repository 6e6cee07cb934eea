"""Layout at 1440 px and at phone width (390 px): no page's main content overflows its panel or the window, the
navigation is one row at 1440 px, and each role's home is a today page."""

from __future__ import annotations

from itertools import pairwise

import pytest
from playwright.sync_api import Browser, Page, StorageState, expect

from tests.e2e.conftest import People
from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.browser

# Every element of the main content whose right edge must stay inside its panel (or the main column);
# a table may scroll inside its .table-wrap, which must itself fit, and then keeps its first column in view.
OVERFLOWS = """() => {
  const main = document.querySelector('main');
  const found = [];
  for (const el of main.querySelectorAll('.panel > *, .table-wrap, .chart, .js-plotly-plot, table, form, ul, p, h1, h2')) {
    // A table scrolls as a whole inside its .table-wrap: neither it nor what its cells hold counts.
    if (el.closest('.table-wrap') && (el.tagName === 'TABLE' || el.closest('.table-wrap table'))) continue;
    const box = (el.parentElement && el.parentElement.closest('.table-wrap, .panel')) || main;
    const inner = box.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    if (r.width && r.right > inner.right + 1) {
      found.push(`${el.tagName}.${el.className} ${Math.round(r.right)} > ${Math.round(inner.right)}`);
    }
  }
  // A table that scrolls sideways keeps its first column in view (at phone width).
  if (window.innerWidth < 760) {
    for (const wrap of main.querySelectorAll('.table-wrap')) {
      const first = wrap.querySelector('tbody tr > :first-child');
      if (wrap.scrollWidth > wrap.clientWidth + 1 && first && getComputedStyle(first).position !== 'sticky') {
        found.push(`a scrolling table's first column scrolls away: ${wrap.closest('section, .panel')?.id || ''}`);
      }
    }
  }
  const sideways = document.documentElement.scrollWidth - window.innerWidth;
  if (sideways > 1) found.push(`page scrolls sideways by ${sideways}px`);
  return found;
}"""

PAGES = {
    People.ops: [
        "/",
        "/cockpit",
        "/cockpit/adoption",
        "/cockpit/leadership",
        "/teams/alpha/flow",
        "/teams/alpha/dora",
        "/dora",
        "/actions",
        "/impediments",
        "/impediments/clusters",
        "/experiments",
        "/experiments/portfolio",
        "/groups/commerce/roadmap",
        "/outcomes",
        "/outcomes/decisions",
        "/dependencies",
        "/dependencies/matrix",
        "/enablement",
        "/org-actions",
        "/playbooks",
        "/communities",
    ],
    People.dm: [
        "/",
        "/teams/alpha",
        "/teams/alpha/flow",
        "/teams/alpha/forecasts",
        "/teams/alpha/dora",
        "/teams/alpha/actions",
        "/teams/alpha/impediments",
        "/teams/alpha/retros",
        "/teams/alpha/experiments",
        "/teams/alpha/dependencies",
        "/teams/alpha/calendar",
        "/onboarding",
    ],
    People.alpha_member: ["/", "/teams/alpha", "/teams/alpha/retros"],
    People.leader: ["/", "/cockpit/leadership", "/outcomes", "/outcomes/decisions"],
    People.admin: ["/", "/admin/people", "/admin/teams"],
}


# What networkidle waited for, without its half second of quiet per page: the fonts in use loaded and every
# chart of the page drawn (charts.js draws the embedded specs when the document is parsed; no page here fetches more).
SETTLED = """() => document.fonts.status === 'loaded'
  && [...document.querySelectorAll('[data-chart]')].every(el => el.querySelector('.main-svg'))"""


def _open(browser: Browser, width: int, storage_state: StorageState | None = None) -> Page:
    page = browser.new_context(viewport={"width": width, "height": 900}, storage_state=storage_state).new_page()
    page.set_default_timeout(15_000)
    return page


class Visitors:
    """Each person signs in once per module; later pages of theirs, at any width, start from the saved cookies."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.states: dict[str, StorageState] = {}

    def home(self, email: str, width: int) -> Page:
        """A new page of ``email``'s at ``width`` px, showing their home."""
        if email not in self.states:
            page = _open(self.browser, width)
            sign_in(page, self.base_url, email)
            self.states[email] = page.context.storage_state()
            return page
        page = _open(self.browser, width, self.states[email])
        response = page.goto(f"{self.base_url}/")
        assert response is not None, email
        assert response.ok, (email, response.status)
        return page


@pytest.fixture(scope="module")
def visitors(browser: Browser, base_url: str) -> Visitors:
    return Visitors(browser, base_url)


@pytest.mark.slow
@pytest.mark.parametrize("width", [1440, 390])
def test_no_main_content_overflows_its_panel(visitors: Visitors, base_url: str, width: int) -> None:
    problems = []
    for email, paths in PAGES.items():
        page = visitors.home(email, width)
        for path in paths:
            if path != "/":  # the home is open already
                response = page.goto(f"{base_url}{path}")
                assert response is not None, (email, path)
                assert response.ok, (email, path, response.status)
            page.wait_for_function(SETTLED)
            problems += [f"{email} {path} at {width}px: {p}" for p in page.evaluate(OVERFLOWS)]
        page.context.close()
    assert problems == [], "\n".join(problems)


def test_navigation_is_one_row_at_1440_and_a_menu_at_phone_width(visitors: Visitors, base_url: str) -> None:
    for email in (People.admin, People.ops, People.dm):
        page = visitors.home(email, 1440)
        tops = page.evaluate("() => [...document.querySelectorAll('.main-nav li')].map(li => li.getBoundingClientRect().top)")
        assert len(set(tops)) == 1, f"{email}: the navigation wraps at 1440 px"
        bar = page.evaluate("() => document.querySelector('.topbar').getBoundingClientRect().height")
        assert bar < 60, f"{email}: the top bar is {bar}px tall at 1440 px"
        page.context.close()
    phone = visitors.home(People.dm, 390)
    nav = phone.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    phone.get_by_role("button", name="Menu").click()
    nav.get_by_role("link", name="Forecasts").click()
    expect(phone).to_have_url(f"{base_url}/teams/alpha/forecasts")
    expect(phone.locator('.main-nav a[aria-current="page"]')).to_have_text("Forecasts")


def test_each_roles_home_leads_with_what_to_do_today(visitors: Visitors) -> None:
    expected = {
        People.dm: "Retrospectives",
        People.alpha_member: "Retrospectives",  # then health checks and items past the SLE
        People.ops: "Product Ops queue, most impact first",
        People.leader: "Decisions waiting",
    }
    for email, first in expected.items():
        page = visitors.home(email, 1440)
        today = page.locator("#today")
        expect(today.get_by_role("heading", level=2).first).to_contain_text(first)
        # Every section has lines or says what to do.
        for section in today.locator("section").all():
            assert section.locator("li, .today-empty").count() > 0
        page.context.close()


# The blocker reasons of the flow page's "Blocked time by reason" chart: every line of every label whole
# inside the chart (not cut at its left edge), no label over its neighbour, each line at most 28 characters.
BLOCKER_LABELS = """() => {
  const chart = document.querySelector('#chart-blockers .js-plotly-plot').getBoundingClientRect();
  const labels = [...document.querySelectorAll('#chart-blockers .ytick text')].map(t => {
    const r = t.getBoundingClientRect();
    const lines = t.querySelectorAll('tspan.line');
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
            lines: lines.length ? [...lines].map(l => l.textContent) : [t.textContent]};
  }).sort((a, b) => a.top - b.top);
  return {chart: {left: chart.left, right: chart.right}, labels};
}"""


@pytest.mark.parametrize("width", [1440, 390])
def test_blocker_reasons_are_whole_and_apart_on_the_flow_page(visitors: Visitors, base_url: str, width: int) -> None:
    page = visitors.home(People.dm, width)
    page.goto(f"{base_url}/teams/alpha/flow")
    page.wait_for_function(SETTLED)
    found = page.evaluate(BLOCKER_LABELS)
    labels = found["labels"]
    assert labels, "the blocked-time chart has no reason labels"
    assert any(len(label["lines"]) > 1 for label in labels), "no reason is long enough to wrap in this history"
    for label in labels:
        assert found["chart"]["left"] <= label["left"], label
        assert label["right"] <= found["chart"]["right"], label
        assert all(len(line) <= 28 for line in label["lines"]), label
    for upper, lower in pairwise(labels):
        assert upper["bottom"] <= lower["top"] + 1, (upper, lower)
    page.context.close()
