"""Browser journey: a team raises an impediment, it climbs the ladder, Product Ops finds it in its queue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import People
from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.browser


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_raise_escalate_and_reach_product_ops(page: Page, base_url: str) -> None:
    sign_in(page, base_url, People.alpha_member)
    page.goto(f"{base_url}/teams/alpha/impediments")
    page.get_by_role("button", name="Raise the impediment").click()  # empty title: the browser blocks it
    expect(page.get_by_label("Title")).to_have_js_property("validity.valueMissing", True)
    page.get_by_label("Title").fill("No read access to the billing database replica")
    page.get_by_label("Severity").select_option("high")
    page.get_by_role("button", name="Raise the impediment").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("No read access to the billing database replica")
    page.get_by_role("button", name="Escalate").click()
    expect(page.get_by_role("alert").first).to_contain_text("An escalation needs what was tried and what is needed.")
    page.get_by_label("What was tried").fill("Asked the data team on Slack twice.")
    page.get_by_label("What is needed").fill("Someone who can approve replica access.")
    page.get_by_role("button", name="Escalate").click()
    expect(page.get_by_text(re.compile(r"Tried: Asked the data team on Slack twice\."))).to_be_visible()
    url = page.url
    sign_out(page)

    sign_in(page, base_url, People.dm)
    page.goto(url)
    page.get_by_label("What was tried").fill("Raised it in the delivery managers' sync.")
    page.get_by_label("What is needed").fill("Product Ops to find the owner of the replicas.")
    page.get_by_role("button", name="Escalate").click()
    expect(page.get_by_text("Product Ops").first).to_be_visible()
    sign_out(page)

    sign_in(page, base_url, People.ops)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Impediments").click()
    expect(page.get_by_role("link", name="No read access to the billing database replica")).to_be_visible()
    sign_out(page)

    sign_in(page, base_url, People.beta_member)
    page.goto(url)
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
