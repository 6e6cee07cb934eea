"""Chart pages load Plotly's basic bundle (scatter, bar, pie): every trace they draw must be one it knows.

The demo's chart pages are found by following links from the hubs each role starts from; the figure JSON
embedded in each page is read and its trace types compared with the bundle the page links. A chart with a
new trace type on a basic page fails here: either draw it with scatter/bar/pie, or link ``plotly_url(cartesian=True)``
on that page (today only the team health page, whose per-card heatmap needs the cartesian bundle); a trace type
neither bundle knows fails on any page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import User
from deliveryops.accounts.passwords import hash_password
from deliveryops.actions.models import ImprovementAction
from deliveryops.app.main import create_app
from deliveryops.settings import Settings
from deliveryops.web.assets import BASIC_TRACE_TYPES, CARTESIAN_TRACE_TYPES, STATIC_DIR, content_hash, plotly_url
from tests.factories import PASSWORD, login

# Demo people (delivery manager, Product Ops, leader) and the hubs their chart pages are linked from.
SEEDS = {
    "marta.kowalska@example.com": ["/", "/teams", "/dependencies/timeline"],
    "fatima.zahra@example.com": [
        "/",
        "/actions",
        "/cockpit/adoption",
        "/cockpit/rollouts",
        "/experiments",
        "/experiments/portfolio",
        "/dora",
    ],
    "catherine.moreau@example.com": ["/", "/cockpit/leadership", "/outcomes"],
}
# Pages that draw charts (and team pages, which link them), by kind; up to five of each kind are visited.
CHART_PAGE = re.compile(
    r"^/(?:teams/[^/]+|teams/[^/]+/(?:flow|forecasts|dora|health)|groups/[^/]+/(?:roadmap|dora)|experiments/\d+|outcomes/key-results/\d+"
    r"|actions/\d+|cockpit/rollouts/\d+)$"
)
# Every kind of chart page the demo must have reached (so a broken crawl cannot pass silently).
EXPECTED_KINDS = {"flow", "forecasts", "dora", "health", "experiments", "key-results", "actions", "adoption", "portfolio"}
TEAM_PAGE = re.compile(r"^/teams/[^/]+$")
LINK = re.compile(r'href="(/[^"#?]*)"')
SPEC = re.compile(r'<script type="application/json" id="chart-spec-[^"]+">(.*?)</script>', re.S)
SCRIPT = re.compile(r'<script src="(/(?:static|vendor)/[^"]*plotly[^"]*)"')
CARTESIAN_ONLY = {"/teams/{slug}/health"}


def _kind(path: str) -> str:
    if TEAM_PAGE.match(path):
        return "team"
    parts = path.strip("/").split("/")
    return parts[-2] if parts[-1].isdigit() else parts[-1]


@pytest.fixture
def demo_factory(demo_session: Session) -> sessionmaker[Session]:
    password_hash = hash_password(PASSWORD)
    for user in demo_session.scalars(select(User).where(User.email.in_(list(SEEDS)))):
        user.password_hash = password_hash
    demo_session.flush()
    return sessionmaker(bind=demo_session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)


def _chart_pages(client: TestClient, seeds: list[str]) -> Iterator[tuple[str, str]]:
    per_kind: dict[str, int] = {}
    queue = list(seeds)
    seen = set(queue)
    while queue:
        path = queue.pop(0)
        response = client.get(path)
        assert response.status_code == 200, path
        yield path, response.text
        if path not in seeds and not TEAM_PAGE.match(path):
            continue
        for link in LINK.findall(response.text):
            kind = _kind(link)
            if link in seen or not CHART_PAGE.match(link) or per_kind.get(kind, 0) >= 5:
                continue
            seen.add(link)
            per_kind[kind] = per_kind.get(kind, 0) + 1
            queue.append(link)


@pytest.mark.slow
def test_every_chart_page_draws_only_what_its_plotly_bundle_knows(
    demo_factory: sessionmaker[Session], settings: Settings
) -> None:
    basic, cartesian = plotly_url(), plotly_url(cartesian=True)
    with demo_factory() as session:  # an action with a target metric draws its before/after effect
        measured = session.scalars(select(ImprovementAction.id).where(ImprovementAction.target_metric.is_not(None))).first()
    seeds = {**SEEDS, "fatima.zahra@example.com": [*SEEDS["fatima.zahra@example.com"], f"/actions/{measured}"]}
    assert basic.startswith("/static/vendor/plotly-basic.min.")
    kinds: set[str] = set()
    cartesian_pages: set[str] = set()
    mismatches: list[str] = []
    for email, hubs in seeds.items():
        with TestClient(create_app(settings, demo_factory), follow_redirects=False) as client:
            login(client, email)
            for path, html in _chart_pages(client, hubs):
                specs = SPEC.findall(html)
                if not specs:
                    continue
                kinds.add(_kind(path))
                scripts = SCRIPT.findall(html)
                assert scripts in ([basic], [cartesian]), (path, scripts)
                types = {trace.get("type", "scatter") for spec in specs for trace in json.loads(spec)["data"]}
                known = CARTESIAN_TRACE_TYPES if scripts == [cartesian] else BASIC_TRACE_TYPES
                if scripts == [cartesian]:
                    cartesian_pages.add(re.sub(r"^/teams/[^/]+/", "/teams/{slug}/", path))
                if not types <= known:
                    mismatches.append(f"{path}: {sorted(types - known)}")
    assert mismatches == []
    assert cartesian_pages <= CARTESIAN_ONLY
    assert kinds >= EXPECTED_KINDS, EXPECTED_KINDS - kinds


@pytest.mark.parametrize("name", ["basic", "cartesian"])
def test_the_bundles_are_vendored_with_their_licence_and_sent_compressed(client: TestClient, name: str) -> None:
    bundle = STATIC_DIR / "vendor" / f"plotly-{name}.min.js"
    assert bundle.read_text(encoding="utf-8")[:80].count(f"plotly.js ({name} - minified) v4.1.1") == 1
    assert "MIT License" in (STATIC_DIR / "vendor" / f"plotly-{name}.LICENSE").read_text(encoding="utf-8")
    url = plotly_url(cartesian=name == "cartesian")
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == bundle.read_bytes()
    assert content_hash(bundle) in url
