"""Every metric definition (the in-app definitions page and docs/metrics.md) names the code that computes it,
and that code exists; the definitions that were found to differ from the code say what the code does."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from deliveryops.analytics.flow.metrics import throughput
from deliveryops.analytics.flow.timeline import item_timeline
from deliveryops.analytics.forecast import counts_at_confidence
from deliveryops.analytics.percentiles import nearest_rank
from deliveryops.analytics.records import StageCategory

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "src" / "deliveryops" / "web" / "templates" / "definitions.html"
METRICS = ROOT / "docs" / "metrics.md"
REFERENCE = re.compile(r"^deliveryops(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def resolve(reference: str) -> object:
    """The object a dotted reference names: the longest importable module, then attributes."""
    assert REFERENCE.match(reference), f"{reference!r} is not a dotted deliveryops name"
    parts = reference.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            assert hasattr(found, name), f"{reference}: {'.'.join(parts[:cut])} has no {name!r}"
            found = getattr(found, name)
        return found
    raise AssertionError(f"{reference}: no module of it can be imported")


class _Terms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.terms: list[tuple[str | None, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "dt":
            values = dict(attrs)
            self.terms.append((values.get("id"), values.get("data-computed-by")))


def page_terms() -> list[tuple[str | None, str | None]]:
    parser = _Terms()
    parser.feed(PAGE.read_text(encoding="utf-8"))
    return parser.terms


def metrics_definitions() -> list[str]:
    """Each top-level bullet of docs/metrics.md with its continuation lines."""
    bullets: list[str] = []
    for line in METRICS.read_text(encoding="utf-8").splitlines():
        if line.startswith("- "):
            bullets.append(line)
        elif line.startswith("  ") and bullets:
            bullets[-1] += " " + line.strip()
    return bullets


def test_every_definition_on_the_page_names_code_that_exists() -> None:
    terms = page_terms()
    assert len(terms) >= 30
    for anchor, computed_by in terms:
        assert anchor, "a definition without an id cannot be linked to"
        assert computed_by, f"#{anchor} has no data-computed-by"
        for reference in computed_by.split():
            assert callable(resolve(reference)), f"#{anchor}: {reference} is not a function or class"


def test_every_definition_in_metrics_md_names_code_that_exists() -> None:
    bullets = metrics_definitions()
    assert len(bullets) >= 35
    for bullet in bullets:
        found = re.search(r"Computed by: ((?:`[^`]+`(?:, )?)+)\.", bullet)
        assert found, f"no 'Computed by:' in: {bullet[:80]}"
        for reference in re.findall(r"`([^`]+)`", found.group(1)):
            assert callable(resolve(reference)), f"{reference} is not a function or class"


def test_the_page_anchors_metrics_md_links_to_exist() -> None:
    anchors = {anchor for anchor, _ in page_terms()}
    linked = set(re.findall(r"`(?:/definitions)?#([a-z0-9-]+)`", METRICS.read_text(encoding="utf-8")))
    assert linked, "metrics.md links to definitions by anchor"
    assert linked <= anchors, linked - anchors


def test_a_reference_to_missing_code_is_caught() -> None:
    with pytest.raises(AssertionError, match="has no 'cycle_timez'"):
        resolve("deliveryops.analytics.flow.metrics.cycle_timez")
    with pytest.raises(AssertionError, match="not a dotted"):
        resolve("os.path")


def test_how_many_at_p_percent_is_the_nearest_rank_from_the_top_as_documented() -> None:
    # The worked example of both documents: totals 1, 2, 3, 4 at 50%.
    assert counts_at_confidence([1, 2, 3, 4], [50]) == {50: 3}
    assert nearest_rank([1, 2, 3, 4], 50) == 2  # the 50th percentile from below, which the docs say it is not
    for text in (METRICS.read_text(encoding="utf-8"), PAGE.read_text(encoding="utf-8")):
        assert "nearest rank counted from the top" in text
        assert "(100−P)th percentile from below)" not in text


def test_backlog_straight_to_done_counts_in_throughput_with_a_cycle_time_of_one_day_as_documented() -> None:
    workflow = {"Backlog": (StageCategory.BACKLOG, 0), "Doing": (StageCategory.ACTIVE, 1), "Done": (StageCategory.DONE, 2)}
    transitions = pl.DataFrame(
        {
            "item_id": [1, 1, 2, 2, 2],
            "status": ["Backlog", "Done", "Backlog", "Doing", "Done"],
            "at": [
                datetime(2026, 3, 2, 9, tzinfo=UTC),
                datetime(2026, 3, 4, 15, tzinfo=UTC),
                datetime(2026, 3, 2, 9, tzinfo=UTC),
                datetime(2026, 3, 3, 9, tzinfo=UTC),
                datetime(2026, 3, 4, 10, tzinfo=UTC),
            ],
        },
        schema={"item_id": pl.Int64, "status": pl.Utf8, "at": pl.Datetime("us", "UTC")},
    )
    timeline = item_timeline(transitions, workflow=workflow, zone=ZoneInfo("UTC")).sort("item_id")
    straight = timeline.row(0, named=True)
    assert straight["started_at"] == straight["finished_at"] == datetime(2026, 3, 4, 15, tzinfo=UTC)
    assert (straight["cycle_time_days"], straight["cycle_time_hours"]) == (1, 0.0)
    counted = throughput(timeline, start=date(2026, 3, 4), end=date(2026, 3, 4))
    assert counted.get_column(counted.columns[-1]).to_list() == [2]
    for text in (METRICS.read_text(encoding="utf-8"), PAGE.read_text(encoding="utf-8")):
        assert "jira-agile-metrics 0.24 differs" in text
