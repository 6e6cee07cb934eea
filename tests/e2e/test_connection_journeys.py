"""Browser journey: an admin connects a team to GitHub (the fake one on 127.0.0.1), tests it and syncs it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.connectors.fake_github import REPO, TOKEN, FakeGitHub, commit, deployment, deployment_status, sample_repo
from tests.e2e.conftest import People
from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.browser


def test_admin_connects_tests_and_syncs(page: Page, base_url: str) -> None:
    fake = FakeGitHub(repos={REPO: sample_repo()})
    with fake.serve() as server:
        sign_in(page, base_url, People.admin)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
        page.get_by_role("navigation", name="Admin").get_by_role("link", name="Connections").click()
        expect(page.get_by_text("No connections yet")).to_be_visible()
        page.get_by_label("Kind").select_option("github")
        expect(page.get_by_label("Project keys (Jira)")).to_be_hidden()  # only the chosen kind's fields
        page.get_by_label("Name", exact=True).fill("GitHub ants")
        page.get_by_label("Team it feeds").select_option(label="Delta")
        page.get_by_label("Base URL").fill(server.url)
        page.get_by_label("Repositories (GitHub)").fill(REPO)
        page.get_by_label("API token").fill(TOKEN)
        page.get_by_role("button", name="Add connection").click()
        expect(page.get_by_role("heading", name="GitHub ants")).to_be_visible()
        expect(page.get_by_text("token stored encrypted")).to_be_visible()
        assert TOKEN not in page.content()
        page.get_by_role("button", name="Test connection").click()
        expect(page.get_by_role("status").first).to_have_text(f"Connected to GitHub as octocat; repositories {REPO} found.")
        page.get_by_role("button", name="Sync now").click()
        history = page.locator("table tbody tr").first
        expect(history).to_contain_text("succeeded")
        expect(page.locator("#sync-status")).to_contain_text(re.compile(r"Last sync: succeeded — 8 fetched, 8 created"))


def test_admin_adds_deployment_and_incident_sources_with_a_line_error_first(page: Page, base_url: str) -> None:
    repo = sample_repo()
    repo.history = [commit("a" * 40), commit("faef79b7d8a4876da8a215d7794cce20c710aaa2"), commit("c" * 40)]
    for deployment_id, sha, created in ((1, "a" * 40, "2019-08-01T10:00:00Z"), (2, "c" * 40, "2019-08-21T10:00:00Z")):
        repo.deployments.append(deployment(deployment_id, sha=sha, created=created))
        repo.statuses[deployment_id] = [
            deployment_status(deployment_id, deployment_id, state="success", at=created.replace("10:00", "10:05"))
        ]
    fake = FakeGitHub(repos={REPO: repo})
    with fake.serve() as server:
        sign_in(page, base_url, People.admin)
        page.goto(f"{base_url}/admin/connections")
        page.get_by_label("Kind").select_option("github")
        expect(page.get_by_label("Incident issue types (Jira, optional)")).to_be_hidden()
        page.get_by_label("Name", exact=True).fill("GitHub ants DORA")
        page.get_by_label("Team it feeds").select_option(label="Delta")
        page.get_by_label("Base URL").fill(server.url)
        page.get_by_label("Repositories (GitHub)").fill(REPO)
        page.get_by_label("Deployments (GitHub, optional)").fill(f"# production\n{REPO}: deploys")
        page.get_by_label("Incident label (GitHub, optional)").fill("incident")
        page.get_by_label("API token").fill(TOKEN)
        page.get_by_role("button", name="Add connection").click()
        error = page.locator("#deployments-error")
        expect(error).to_have_text("Line 2: 'deploys' is not a source: write deployments or workflow_runs.")
        expect(page.get_by_label("Deployments (GitHub, optional)")).to_have_attribute("aria-invalid", "true")
        page.get_by_label("Deployments (GitHub, optional)").fill(f"{REPO}: deployments")
        page.get_by_label("API token").fill(TOKEN)
        page.get_by_role("button", name="Add connection").click()
        expect(page.get_by_role("heading", name="GitHub ants DORA")).to_be_visible()
        expect(page.get_by_role("region", name="DORA sources")).to_contain_text(f"{REPO}: deployments production")
        page.get_by_role("button", name="Sync now").click()
        expect(page.locator("table tbody tr").first).to_contain_text("2 deployments imported.")


def test_admin_edits_a_connection_to_add_deployments_and_keeps_its_history(page: Page, base_url: str) -> None:
    repo = sample_repo()
    repo.history = [commit("a" * 40), commit("faef79b7d8a4876da8a215d7794cce20c710aaa2"), commit("c" * 40)]
    # Other ids than the journey above: both feed Delta, whose deployments it imported already.
    for deployment_id, sha, created in ((11, "a" * 40, "2019-08-01T10:00:00Z"), (12, "c" * 40, "2019-08-21T10:00:00Z")):
        repo.deployments.append(deployment(deployment_id, sha=sha, created=created))
        repo.statuses[deployment_id] = [
            deployment_status(deployment_id, deployment_id, state="success", at=created.replace("10:00", "10:05"))
        ]
    fake = FakeGitHub(repos={REPO: repo})
    with fake.serve() as server:
        sign_in(page, base_url, People.admin)
        page.goto(f"{base_url}/admin/connections")
        page.get_by_label("Kind").select_option("github")
        page.get_by_label("Name", exact=True).fill("GitHub ants edited")
        page.get_by_label("Team it feeds").select_option(label="Delta")
        page.get_by_label("Base URL").fill(server.url)
        page.get_by_label("Repositories (GitHub)").fill(REPO)
        page.get_by_label("API token").fill(TOKEN)
        page.get_by_role("button", name="Add connection").click()
        page.get_by_role("button", name="Sync now").click()
        expect(page.locator("table tbody tr")).to_have_count(1)
        expect(page.locator("table tbody tr").first).to_contain_text("succeeded")

        edit = page.get_by_role("region", name="Edit")
        expect(edit).to_contain_text("cannot change")
        expect(edit.get_by_label("Repositories (GitHub)")).to_have_value(REPO)
        expect(edit.get_by_label("New API token (optional)")).to_have_value("")
        edit.get_by_label("Deployments (GitHub, optional)").fill(f"{REPO}: deploys")
        edit.get_by_role("button", name="Save changes").click()
        expect(page.locator("#deployments-error")).to_have_text(
            "Line 1: 'deploys' is not a source: write deployments or workflow_runs."
        )
        edit = page.get_by_role("region", name="Edit")
        edit.get_by_label("Deployments (GitHub, optional)").fill(f"{REPO}: deployments")
        edit.get_by_role("button", name="Save changes").click()
        expect(page.get_by_role("status").first).to_have_text("Changes saved. The next sync reads the whole history again.")
        expect(page.get_by_role("region", name="DORA sources")).to_contain_text(f"{REPO}: deployments production")
        page.get_by_role("button", name="Sync now").click()
        expect(page.locator("table tbody tr")).to_have_count(2)  # the history before the edit stays
        newest = page.locator("table tbody tr").first
        expect(newest).to_contain_text("2 deployments imported.")
        expect(newest.locator("td").nth(6)).to_have_text("2")  # the Deployments column
