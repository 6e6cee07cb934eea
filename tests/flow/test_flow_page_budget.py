"""The team flow page at 5,000 items: its weight budget, and the thinned cycle time scatterplot."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.charts import spec_json, thin_points, thinning_note
from deliveryops.demo.simulated import import_simulated
from deliveryops.flow.charts import SCATTER_POINTS, cycle_time_scatter
from deliveryops.flow.service import team_flow
from deliveryops.simulate import simulate_organisation
from deliveryops.teams.models import Team
from tests.factories import login, make_user

PAGE_BUDGET_BYTES = 250 * 1024
END = date(2026, 6, 30)


def test_thin_points_keeps_every_outlier_and_an_even_sample_of_the_rest() -> None:
    values = [float(index % 10) for index in range(5_000)]  # 500 points at 9, above the line at 8.5
    drawn = thin_points(values, 2_000, keep_above=8.5)

    assert len(drawn) == 2_000
    assert drawn == sorted(set(drawn))
    assert {index for index, value in enumerate(values) if value > 8.5} <= set(drawn)
    rest = [index for index in drawn if values[index] <= 8.5]
    assert len(rest) == 1_500
    assert max(b - a for a, b in itertools.pairwise(rest)) <= 11  # spread over the whole order, no gap
    assert thin_points(values[:100], 2_000, keep_above=8.5) == list(range(100))
    many = thin_points(values, 300, keep_above=8.5)  # more outliers than room: an even sample of the outliers
    assert len(many) == 300
    assert all(values[index] == 9 for index in many)
    assert thinning_note(2_000, 5_000) == "Showing 2,000 of 5,000 items; percentiles computed on all"
    assert thinning_note(100, 100) is None


def test_spec_json_is_compact_and_cannot_close_its_script_element() -> None:
    spec = {"data": [{"text": ["</script><!-- é", "a < b"], "y": [1.5, float("nan")]}], "layout": {}}

    text = spec_json(spec)

    assert "</" not in text
    assert "<!--" not in text
    assert json.loads(text) == {"data": [{"text": ["</script><!-- é", "a < b"], "y": [1.5, None]}], "layout": {}}
    assert ", " not in text.replace("a < b", "")
    assert "é" in text


@pytest.fixture
def big_team(session: Session) -> tuple[str, date]:
    """One simulated team of about 5,000 items over two years, ending on END."""
    (simulated,) = simulate_organisation(teams=1, months=24, seed=18, end=END, items_target=5_000)
    summary = import_simulated(session, simulated)
    assert 4_500 <= summary.items <= 5_500
    user = make_user(session, role=Role.PRODUCT_OPS, email="ops@example.com")
    assert user.id
    return simulated.name.lower().replace(" ", "-"), simulated.start


@pytest.mark.slow
def test_flow_page_at_5000_items_stays_under_its_weight_budget(
    client: TestClient, session: Session, big_team: tuple[str, date]
) -> None:
    slug, start = big_team
    login(client, "ops@example.com")

    page = client.get(f"/teams/{slug}/flow?from={start.isoformat()}&to={END.isoformat()}")

    assert page.status_code == 200
    assert len(page.content) < PAGE_BUDGET_BYTES, len(page.content)
    finished = int(re.search(r'<span class="value">(\d+)</span><span class="label">items finished', page.text)[1])  # type: ignore[index]
    assert finished > SCATTER_POINTS
    assert f"Showing {SCATTER_POINTS:,} of {finished:,} finished items; percentiles computed on all" in page.text
    spec = json.loads(re.search(r'id="chart-spec-cycle-times">(.*?)</script>', page.text, re.S)[1])  # type: ignore[index]
    assert len(spec["data"][0]["y"]) == SCATTER_POINTS


@pytest.mark.slow
def test_thinned_scatter_draws_the_stated_count_and_every_item_above_the_top_percentile(
    session: Session, big_team: tuple[str, date]
) -> None:
    slug, start = big_team
    team_id = session.scalars(select(Team.id).where(Team.slug == slug)).one()
    _team, _query, summary, _data = team_flow(
        session=session, actor=None, team_id=team_id, start=start, end=END, now=datetime(2026, 6, 30, 12)
    )
    spec = cycle_time_scatter(summary)

    dots = spec["data"][0]
    total = summary.cycle_times.height
    assert total > SCATTER_POINTS
    assert len(dots["y"]) == len(dots["x"]) == len(dots["text"]) == len(dots["customdata"]) == SCATTER_POINTS
    assert spec["layout"]["title"]["subtitle"]["text"].endswith(
        f"Showing {SCATTER_POINTS:,} of {total:,} finished items; percentiles computed on all"
    )
    top = max(value for value in summary.cycle_time_percentiles.values() if value is not None)
    above = summary.cycle_times.filter(pl.col("cycle_time_days") > top)
    assert sorted(value for value in dots["y"] if value > top) == sorted(above["cycle_time_days"].to_list())
    lines = {shape["name"]: shape["y0"] for shape in spec["layout"]["shapes"] if shape["name"].startswith("percentile")}
    assert lines["percentile-95"] == summary.cycle_time_percentiles[95.0]  # computed on every item, not the sample
    assert spec["layout"]["yaxis"]["range"][1] > summary.cycle_times["cycle_time_days"].max()
    assert min(dots["x"]) >= (start - timedelta(days=1)).isoformat()
