"""How often refinement's right-size check is wrong, on seeded simulated teams whose future is known.

For each seed and each of the demo's team profiles, a team is simulated over 420 days. At a refinement day
(300 days in) the check is built exactly as the product builds it: the SLE is the 85th percentile cycle time
of the items finished in the 90 days before, the history is the items finished in the 180 days before. Every
item started in the 60 days after the refinement day is then judged by its type and estimate, and its real
cycle time says whether it exceeded the SLE (an item still unfinished at the end exceeded it when its age did).

Reported: how often "likely to exceed: split it" was wrong (the item finished within the SLE), how often
"fits" was wrong (it exceeded the SLE), the base rate of exceeding, and how many items got a verdict at all.
Nothing is tuned on these runs (the 30% share and 5 peers were set from the SLE's definition beforehand);
seeds 1-10 were looked at while writing the check, seeds 1001-1030 are the held-out figures published in
benchmarks/README.md and docs/metrics.md.

    python benchmarks/right_size_bench.py --seeds 1001:1031
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta

import polars as pl

from deliveryops.analytics.flow.common import workflow_from_statuses
from deliveryops.analytics.flow.metrics import sle
from deliveryops.analytics.flow.timeline import item_timeline
from deliveryops.analytics.right_size import FinishedItem, right_size
from deliveryops.simulate import demo_profiles, simulate_team

START = date(2025, 1, 6)
DAYS = 420
REFINEMENT_AT = 300
HORIZON = 60


def run(seed: int) -> list[tuple[str, bool]]:
    """(verdict, exceeded the SLE) for each judged item of every demo profile simulated with ``seed``."""
    out: list[tuple[str, bool]] = []
    for profile in demo_profiles():
        team = simulate_team(profile, start=START, end=START + timedelta(days=DAYS), seed=seed)
        rows = [
            (index, t.to_status, t.at)
            for index, item in enumerate(team.items)
            if item.item_type != "Epic"
            for t in item.transitions
        ]
        transitions = pl.DataFrame(
            rows, orient="row", schema={"item_id": pl.Int64, "status": pl.Utf8, "at": pl.Datetime("us", "UTC")}
        )
        timeline = item_timeline(transitions, workflow=workflow_from_statuses(team.workflow), zone=team.profile.zone)
        today = START + timedelta(days=REFINEMENT_AT)
        target = sle(timeline, today=today, window_days=90)
        if target is None:
            continue
        cut = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
        history_start = today - timedelta(days=179)
        history = [
            FinishedItem(team.items[row["item_id"]].item_type, team.items[row["item_id"]].estimate, int(row["cycle_time_days"]))
            for row in timeline.filter(
                pl.col("finished_date").is_not_null()
                & (pl.col("finished_date") >= history_start)
                & (pl.col("finished_date") <= today)
            ).to_dicts()
        ]
        check = right_size(history, target)
        end = START + timedelta(days=DAYS)
        later = timeline.filter((pl.col("started_at") >= cut) & (pl.col("started_at") < cut + timedelta(days=HORIZON))).to_dicts()
        for row in later:
            item = team.items[row["item_id"]]
            judged = check.judge(item.item_type, item.estimate)
            if row["cycle_time_days"] is not None:
                exceeded = row["cycle_time_days"] > target
            else:
                exceeded = (end - row["started_date"]).days + 1 > target
            out.append((judged.verdict, exceeded))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="1001:1031", help="FIRST:STOP (stop excluded)")
    args = parser.parse_args()
    first, stop = (int(part) for part in args.seeds.split(":"))
    results = [pair for seed in range(first, stop) for pair in run(seed)]
    total = len(results)
    split = [exceeded for verdict, exceeded in results if verdict == "split"]
    fits = [exceeded for verdict, exceeded in results if verdict == "fits"]
    unknown = sum(1 for verdict, _ in results if verdict == "unknown")
    base = sum(exceeded for _, exceeded in results) / total if total else 0.0
    print(f"seeds {first}..{stop - 1}: {total} items started after the refinement day, {len(demo_profiles())} profiles")
    print(f"base rate: {base:.1%} of items exceeded the SLE")
    if split:
        print(f"'split it': {len(split)} items; wrong (finished within the SLE) {1 - sum(split) / len(split):.1%}")
    if fits:
        print(f"'fits': {len(fits)} items; wrong (exceeded the SLE) {sum(fits) / len(fits):.1%}")
    exceeded_total = sum(exceeded for _, exceeded in results)
    if exceeded_total:
        caught = sum(split)
        share = caught / exceeded_total
        print(f"items that exceeded the SLE flagged 'split it' beforehand: {caught} of {exceeded_total} ({share:.1%})")
    print(f"not enough history: {unknown} items ({unknown / total:.1%})" if total else "no items")


if __name__ == "__main__":
    main()
