"""Recurring retro themes (issue 22): how often "similar" theme titles are judged wrongly.

Run: ``python benchmarks/retro_themes_bench.py`` (a few seconds). Not a test: numbers are printed.

Labelled set ``benchmarks/retro_themes_labelled.json``: retro theme titles as different teams write them,
each with the recurring theme it belongs to (``group``) or none, and its team. The set was written in one
sitting before the grouping was ever run on it, and nothing was tuned on it: the similarity's shipped
threshold and weights (``analytics.similarity``, tuned on impediments) are used as they are, so the whole
set is held out.

Scored as the retro of retros groups them (``retros.themes.group_themes``: clusters spanning two teams
or more): pairwise precision and recall against the labels (a pair of titles judged "similar" that the
labels keep apart is a false "similar"; a labelled pair not put together is a missed one), then, at the
privacy minimum of 3 teams, the recurring themes shown: how many are one labelled theme (most of their
titles from one group) and how many labelled themes of 3 teams or more are found.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import Counter
from pathlib import Path

from deliveryops.analytics.similarity import DEFAULT_THRESHOLD, propose_clusters
from deliveryops.analytics.similarity.eval import pairwise_scores
from deliveryops.retros.themes import ThemeText, group_themes

LABELLED = Path(__file__).with_name("retro_themes_labelled.json")
MIN_TEAMS = 3
SPEED_TITLES = 4_000  # about a year of 40 teams' fortnightly retros with 4 themes each
SPEED_RUNS = 3


def main() -> None:
    rows = json.loads(LABELLED.read_text(encoding="utf-8"))
    texts = [r["text"] for r in rows]
    truth = [r["group"] for r in rows]
    teams = [r["team"] for r in rows]
    clusters = propose_clusters(texts, groups=teams, threshold=DEFAULT_THRESHOLD)
    scores = pairwise_scores(clusters, truth)
    print(f"{len(rows)} titles, {len({g for g in truth if g})} labelled themes, {truth.count(None)} titles of no theme")
    print(
        f"pairs judged similar: {scores.proposed_pairs}, of them right: {scores.correct_pairs}; "
        f"labelled pairs: {scores.true_pairs}"
    )
    print(
        f"precision {scores.precision:.3f} (false 'similar' {1 - scores.precision:.1%}), "
        f"recall {scores.recall:.3f} (missed {1 - scores.recall:.1%}), F1 {scores.f1:.3f}"
    )
    # The recurring themes shown at the privacy minimum.
    team_ids = {name: index for index, name in enumerate(sorted(set(teams)))}
    items = [ThemeText(title=t, retro_id=i, team_id=team_ids[team]) for i, (t, team) in enumerate(zip(texts, teams, strict=True))]
    shown = [c for c in clusters if len({teams[i] for i in c}) >= MIN_TEAMS]
    pure = 0
    found: set[str] = set()
    for cluster in shown:
        group, count = Counter(truth[i] for i in cluster).most_common(1)[0]
        if group is not None and count * 2 > len(cluster):
            pure += 1
            found.add(group)
    wide = {g for g in set(truth) if g is not None and len({teams[i] for i, t in enumerate(truth) if t == g}) >= MIN_TEAMS}
    print(
        f"shown at {MIN_TEAMS} teams: {len(shown)} recurring themes, {pure} of them one labelled theme; "
        f"labelled themes of {MIN_TEAMS}+ teams found: {len(found & wide)} of {len(wide)}"
    )
    for theme in group_themes(items, min_teams=MIN_TEAMS, team_names={v: k for k, v in team_ids.items()}):
        print(f"  {theme.title!r}: {theme.retros} retros, teams {', '.join(theme.teams)}")

    # Speed: SPEED_TITLES titles drawn from the set (seeded), each with one of 40 teams and a sprint number.
    rng = random.Random(22)
    many = [
        ThemeText(title=f"{rng.choice(texts)} (sprint {rng.randint(1, 26)})", retro_id=i // 4, team_id=rng.randrange(40))
        for i in range(SPEED_TITLES)
    ]
    names = {i: f"team {i}" for i in range(40)}
    timings = []
    for _run in range(SPEED_RUNS):
        started = time.perf_counter()
        shown_many = group_themes(many, min_teams=MIN_TEAMS, team_names=names)
        timings.append(time.perf_counter() - started)
    print(
        f"speed: {SPEED_TITLES} titles of 40 teams grouped in {statistics.median(timings):.2f} s "
        f"(median of {SPEED_RUNS}), {len(shown_many)} recurring themes"
    )


if __name__ == "__main__":
    main()
