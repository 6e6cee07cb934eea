"""Scripts and stylesheets travel under content-hashed names cached for a year; their plain names still answer."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.teams.models import TeamRole
from deliveryops.web.assets import IMMUTABLE, SHORT, content_hash, hashed_name, plotly_url, split_hashed, static_url
from tests.factories import join, login, make_team, make_user

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "deliveryops"
ASSET_LINK = re.compile(r'(?:src|href)="(/static/[^"]+|/vendor/plotly[^"]*)"')


def test_the_name_carries_the_content_hash_and_changes_with_the_content(tmp_path: Path) -> None:
    asset = tmp_path / "app.css"
    asset.write_text("body { color: black; }")
    first = hashed_name(tmp_path, "app.css")
    assert re.fullmatch(r"app\.[0-9a-f]{12}\.css", first)
    assert split_hashed(first) == ("app.css", content_hash(asset))
    assert hashed_name(tmp_path, "app.css") == first  # stable while the content is the same
    asset.write_text("body { color: navy; margin: 0; }")
    second = hashed_name(tmp_path, "app.css")
    assert second != first
    assert split_hashed("app.css") is None
    assert split_hashed("plotly.min.js") is None


def test_hashed_names_are_cached_for_a_year_and_still_compressed(client: TestClient) -> None:
    css = client.get(static_url("app.css"), headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200
    assert css.headers["cache-control"] == IMMUTABLE
    assert css.headers["content-encoding"] == "gzip"
    assert css.headers["content-type"].startswith("text/css")
    assert css.content == client.get("/static/app.css").content
    plotly = client.get(plotly_url(), headers={"Accept-Encoding": "gzip"})
    assert plotly.status_code == 200
    assert plotly.headers["cache-control"] == IMMUTABLE
    assert plotly.headers["content-encoding"] == "gzip"


def test_plain_and_stale_names_still_answer_with_a_short_cache(client: TestClient) -> None:
    plain = client.get("/static/app.js")
    assert plain.status_code == 200
    assert plain.headers["cache-control"] == SHORT
    stale = client.get("/static/app.0123456789ab.js")  # a page rendered before the file changed
    assert stale.status_code == 200
    assert stale.headers["cache-control"] == SHORT
    assert stale.content == plain.content
    assert client.get("/vendor/plotly.min.js").headers["cache-control"] == SHORT
    assert client.get("/vendor/plotly.min.0123456789ab.js").headers["cache-control"] == SHORT
    assert client.get("/static/missing.0123456789ab.js").status_code == 404


def test_no_template_links_a_static_file_by_its_plain_name() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}: {link}"
        for path in sorted(PACKAGE.glob("**/templates/**/*.html"))
        for link in ASSET_LINK.findall(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_rendered_pages_link_only_hashed_assets(client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.DELIVERY_MANAGER, email="dm@example.com")
    team = make_team(session, name="Payments")
    join(session, team, user, TeamRole.DELIVERY_MANAGER)
    pages = {"/login": client.get("/login").text, "/api/docs": client.get("/api/docs").text}
    login(client, "dm@example.com")
    for path in ["/", "/teams", "/definitions", f"/teams/{team.slug}/forecasts", f"/teams/{team.slug}/retros"]:
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = response.text
    linked = {path: ASSET_LINK.findall(html) for path, html in pages.items()}
    assert all(linked.values()), linked
    assert plotly_url() in linked[f"/teams/{team.slug}/forecasts"]
    for path, links in linked.items():
        for link in links:
            assert split_hashed(link.rsplit("/", 1)[1]) is not None, (path, link)
            assert client.get(link).headers["cache-control"] == IMMUTABLE, (path, link)
