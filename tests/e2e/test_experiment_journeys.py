"""Browser journey: register an experiment by keyboard, fail a pre-launch check, fix it, run it, upload
statistics, read the results and decide; the pages fit a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import People
from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.browser

STATISTICS = (
    "date,metric,kind,variation,n,sum,sum_squares\n"
    "2026-11-02,signup,proportion,control,2000,200,200\n"
    "2026-11-02,signup,proportion,video,2000,250,250\n"
    "2026-11-03,signup,proportion,control,4000,400,400\n"
    "2026-11-03,signup,proportion,video,4000,520,520\n"
)


def type_into(page: Page, label: str, text: str) -> None:
    """Move focus to the field with Tab-free keyboard focus and type, as a keyboard user would."""
    field = page.get_by_label(label, exact=True)
    field.focus()
    page.keyboard.type(text)


def test_register_fail_check_fix_run_upload_and_decide(page: Page, base_url: str, tmp_path: Path) -> None:
    sign_in(page, base_url, People.alpha_member)
    page.get_by_role("link", name="Experiments", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Experiments")
    page.get_by_role("link", name="Register an experiment").first.click()

    type_into(page, "Title", "Welcome video")
    type_into(page, "Because we saw …", "new users stall on the first screen")
    type_into(page, "we believe …", "a 30-second welcome video")
    type_into(page, "will result in …", "more sign-ups")
    type_into(page, "measured by …", "sign-up rate")
    page.get_by_label("Variation 2 name").fill("")
    type_into(page, "Variation 2 name", "video")
    type_into(page, "Metric 1 name", "signup")
    page.get_by_label("Metric 1 name").press("Enter")  # Enter submits the form, as keyboard users expect
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome video")
    expect(page.locator("#check-planned_sample_size")).to_contain_text("✗ Missing")

    page.get_by_role("button", name="Submit for review").focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Start running").click()
    expect(page.get_by_role("alert").first).to_have_text("It cannot run yet: a planned sample size is missing.")

    page.get_by_role("link", name="Edit the design").click()
    type_into(page, "Planned sample size per variation (units)", "3000")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#check-planned_sample_size")).to_contain_text("✓ Passed")
    page.get_by_role("button", name="Start running").click()
    expect(page.locator(".phases li.current")).to_have_text("3. Running")

    csv_file = tmp_path / "welcome-video.csv"
    csv_file.write_text(STATISTICS)
    page.get_by_label("Statistics file (CSV)").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload statistics").click()
    expect(page.get_by_role("heading", name="Lift by metric and variation")).to_be_visible()
    expect(page.locator("#results table")).to_contain_text("+30.00%")
    expect(page.locator("#warning-peeking")).to_be_visible()  # looked at while running, frequentist
    expect(page.locator("#chart-forest .js-plotly-plot")).to_be_attached()

    page.get_by_role("button", name="Stop and analyse").click()
    page.get_by_label("ship").check()
    page.get_by_label("Rationale").fill("Sign-ups +30% with a tight interval.")
    page.get_by_role("textbox", name="Learnings", exact=True).fill("Show, don't tell: video beats text on the first screen.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".phases li.current")).to_have_text("5. Decided")
    expect(page.locator("#decision")).to_contain_text("Sign-ups +30% with a tight interval.")

    page.goto(f"{base_url}/experiments?q=video+first+screen")
    expect(page.get_by_role("link", name="Welcome video")).to_be_visible()


def test_experiment_pages_fit_a_phone(browser: Browser, base_url: str) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    phone.set_default_timeout(10_000)
    sign_in(phone, base_url, People.ops)
    for path in (
        "/experiments",
        "/experiments/power?baseline=0.1&mde=5&daily_traffic=1000",
        "/experiments/portfolio",
        "/experiments/methods",
    ):
        phone.goto(f"{base_url}{path}")
        expect(phone.get_by_role("heading", level=1)).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    phone.context.close()
