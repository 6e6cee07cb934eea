"""User journeys in a real browser: admin work, refusals, keyboard and phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import People
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")


def test_admin_creates_team_adds_member_and_signs_out(page: Page, base_url: str) -> None:
    sign_in(page, base_url, People.admin)
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Teams and groups").click()
    page.get_by_label("Name", exact=True).first.fill("Gamma")
    page.get_by_label("Time zone").fill("Europe/Lisbon")
    page.get_by_role("button", name="Create team").click()
    expect(page).to_have_url(f"{base_url}/teams/gamma")
    expect(page.get_by_text("Nobody in this team yet")).to_be_visible()
    page.get_by_label("Person").select_option(label="Nina Newcomer (newcomer@example.com)")
    page.get_by_label("as").select_option("delivery_manager")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".people")).to_contain_text("Nina Newcomer")
    expect(page.locator(".people")).to_contain_text("Delivery manager")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base_url}/login")
    page.goto(f"{base_url}/teams/gamma")
    expect(page).to_have_url(re.compile(r"/login\?next=/teams/gamma$"))


def test_member_of_another_team_is_refused(page: Page, base_url: str) -> None:
    sign_in(page, base_url, People.beta_member)
    page.goto(f"{base_url}/teams/alpha")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("You are not in this team, so you cannot see its data.")
    page.goto(f"{base_url}/teams")
    expect(page.locator(".cards")).to_have_text(re.compile(r"^\s*Beta"))


def test_sign_in_by_keyboard_alone(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    expect(page.get_by_label("E-mail")).to_be_focused()  # autofocus: type straight away
    page.keyboard.type(People.dm)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Teams you enable")).to_be_visible()
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_text("Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # from the main content, the next stop is its first link: today's first line
    assert page.evaluate("document.activeElement.textContent.trim()") == "Alpha: no retro scheduled; schedule the next one"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/teams/alpha/retros$"))


def test_phone_width_menu(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    sign_in(page, base_url, People.alpha_member)
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams")
    expect(nav_link).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Teams")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways at phone width ({width}px)"
    context.close()


def test_forms_and_tables_fit_a_phone(browser: Browser, base_url: str) -> None:
    # A long <select> option in a grid column, and the visually hidden labels of a scrolling table,
    # used to widen the page beyond the screen.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, base_url, People.admin)
    for path in ("/teams/alpha/forecasts", "/admin/people", "/admin/impediments"):
        page.goto(base_url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways at phone width ({overflow}px)"
    context.close()


def test_admin_navigation_wraps_on_a_laptop(browser: Browser, base_url: str) -> None:
    # An admin's main navigation has every entry: on one line it was wider than a 1280 px screen.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, base_url, People.admin)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways at 1280 px ({overflow}px)"
    context.close()
