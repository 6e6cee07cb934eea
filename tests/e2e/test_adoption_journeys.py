"""Browser journeys: Product Ops edits the catalogue by keyboard; a DM sets a state; the matrix at phone width."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.teams.models import TeamRole
from tests.e2e.test_foundation_journeys import sign_in
from tests.factories import join, make_group, make_team, make_user
from tests.live import live_server

pytestmark = pytest.mark.browser

OPS = "adoption.ops@example.com"
DM = "adoption.dm@example.com"


def seed(session: Session) -> None:
    group = make_group(session, name="Commerce")
    alpha, beta = make_team(session, name="Alpha", group=group), make_team(session, name="Beta", group=group)
    make_user(session, email=OPS, name="Otto Ops", role=Role.PRODUCT_OPS)
    dm = make_user(session, email=DM, name="Dora Manager", role=Role.DELIVERY_MANAGER)
    join(session, alpha, dm, TeamRole.DELIVERY_MANAGER)
    catalogue.create(
        session=session,
        actor=None,
        kind="practice",
        name="WIP limits",
        category="flow",
        data_check="wip_limits",
        guide="Agree a limit and stop starting.",
    )
    jira = catalogue.create(session=session, actor=None, kind="tool", name="Jira", category="tracker")
    adoption.set_state(session=session, actor=None, team_id=beta.id, entry_id=jira.id, state="trying")


@pytest.fixture(scope="module")
def adoption_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app of its own, seeded for these journeys."""
    with live_server(tmp_path_factory.mktemp("adoption") / "adoption.db", seed) as url:
        yield url


def test_ops_adds_and_edits_a_catalogue_entry_by_keyboard(page: Page, adoption_url: str) -> None:
    sign_in(page, adoption_url, OPS)
    page.goto(f"{adoption_url}/cockpit/catalogue")
    page.get_by_label("Kind").focus()
    page.keyboard.press("ArrowDown")  # tool → practice
    page.keyboard.press("Tab")
    page.keyboard.type("Daily aging review")
    page.keyboard.press("Tab")
    page.keyboard.type("flow")
    page.keyboard.press("Escape")  # close the category suggestions
    page.keyboard.press("Tab")  # owner
    page.keyboard.press("Tab")  # data check
    page.keyboard.press("Tab")  # guide
    page.keyboard.type("Walk the board from right to left.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Add to the catalogue"
    expect(page.get_by_role("heading", level=1)).to_have_text("Daily aging review")
    expect(page.get_by_text("Walk the board from right to left.")).to_be_visible()
    expect(page.get_by_text("Practice · flow · owner: nobody yet")).to_be_visible()

    page.get_by_role("link", name="Edit", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_label("Name").focus()
    page.keyboard.press("End")
    page.keyboard.type(" at stand-up")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Daily aging review at stand-up")

    # A name already taken comes back with a message next to the field.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Name").fill("Jira")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#name-error")).to_have_text("An entry named 'Jira' exists already.")


def test_dm_sets_a_state_and_the_matrix_shows_it_at_phone_width(browser: Browser, adoption_url: str) -> None:
    dm = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    dm.set_default_timeout(10_000)
    sign_in(dm, adoption_url, DM)
    dm.goto(f"{adoption_url}/teams/alpha")
    dm.locator("#main").get_by_role("link", name="Practices", exact=True).click()
    expect(dm.get_by_role("heading", level=1)).to_have_text("Tools and practices of Alpha")
    dm.get_by_label("State of WIP limits", exact=True).select_option("adopted")
    dm.get_by_label("Note on WIP limits", exact=True).fill("Limit of 5 agreed at the retro")
    dm.get_by_role("button", name="Save the state of WIP limits").click()
    entry = dm.locator("li").filter(has_text="WIP limits").first
    expect(entry.get_by_text("adopted", exact=True).first).to_be_visible()
    expect(dm.get_by_text("Limit of 5 agreed at the retro").first).to_be_visible()
    # No WIP limit yet: the data check has no verdict, and says why.
    expect(entry.get_by_text("No WIP limit is set for the team, so it cannot be checked.")).to_be_visible()
    dm.context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    phone.set_default_timeout(10_000)
    sign_in(phone, adoption_url, OPS)
    phone.goto(f"{adoption_url}/cockpit/adoption")
    cell = phone.get_by_role("link", name="Alpha, WIP limits: adopted; data: no data")
    expect(cell).to_be_visible()
    expect(phone.get_by_role("link", name="Beta, Jira: trying")).to_be_visible()
    # The page itself does not scroll sideways; only the matrix does, inside its frame.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.get_by_label("Group").select_option("commerce")
    phone.get_by_role("button", name="Filter").click()
    expect(phone.get_by_role("heading", name="Teams × tools and practices in Commerce")).to_be_visible()
    phone.context.close()
