"""Impediment similarity (product issue 6): cluster quality on the evaluation set, and speed at 50,000.

Run: ``python benchmarks/similarity_bench.py`` (about a minute). Not a test: numbers are printed,
never enforced (``tests/analytics/test_similarity.py`` guards the F1 of the shipped defaults).

Quality, on ``benchmarks/impediment_clusters.json`` (texts in known groups, plus noise texts that
belong to no group), as pairwise precision / recall / F1 (``analytics.similarity.eval``):

* **full set**: the shipped ``DEFAULT_WEIGHTS`` and ``DEFAULT_THRESHOLD``, and the best point of
  the tuning grid on the whole set (in-sample: it is what the defaults were chosen from);
* **held-out**: the groups are split in two halves (``split_groups``); weights and threshold are
  tuned on one half and scored on the other, both ways round. The concept lexicon itself was
  written with the whole set in view, which no split can undo: read these as an upper bound for
  texts whose vocabulary the lexicon does not know yet.

Speed, on 50,000 synthetic impediments (seeded): each is a text of the evaluation set with words
swapped for other terms of the same lexicon concept or for random words of the set, sometimes
the first half of one text of a group joined to the second half of another, and a service name,
ticket key or "again" appended. Timed: fitting the index plus proposing clusters; one query
against the 50,000 (median of 20); peak resident memory of this process. The pairwise F1 against
the templates' groups is printed too (these groups have about 1,200 texts each, unlike real ones).
"""

from __future__ import annotations

import json
import random
import re
import resource
import statistics
import sys
import time
from pathlib import Path

from deliveryops.analytics.similarity import DEFAULT_LEXICON, DEFAULT_THRESHOLD, DEFAULT_WEIGHTS, SimilarityIndex
from deliveryops.analytics.similarity.eval import PairScores, TuningResult, pairwise_scores, split_groups, tune
from deliveryops.analytics.similarity.features import FeatureWeights

EVALUATION_SET = Path(__file__).with_name("impediment_clusters.json")
SYNTHETIC_COUNT = 50_000
QUERIES = 20
SEED = 6
THRESHOLDS = [round(0.1 + 0.025 * step, 3) for step in range(17)]  # 0.1 .. 0.5
WEIGHT_GRID = [
    FeatureWeights(char=char, word=word, concept=2.0, pair=pair, state=state)
    for char in (0.0, 0.25, 0.5)
    for word in (0.0, 0.25, 0.5)
    for pair in (0.0, 1.0, 2.0)
    for state in (0.0, 0.1, 0.3)
]
_PIECES = re.compile(r"[A-Za-z0-9]+|[^A-Za-z0-9]+")


def load() -> tuple[list[str], list[str | None], list[str]]:
    """The evaluation set as texts, known groups and teams."""
    rows = json.loads(EVALUATION_SET.read_text(encoding="utf-8"))
    return [row["text"] for row in rows], [row["group"] for row in rows], [row["team"] for row in rows]


def synthetic(texts: list[str], truth: list[str | None], count: int, seed: int) -> tuple[list[str], list[str | None]]:
    """``count`` impediments recombined from the evaluation set, and the group of their template."""
    rng = random.Random(seed)
    swaps: dict[str, list[str]] = {}
    for concept in DEFAULT_LEXICON.concepts:
        single_words = [term for term in concept.terms if " " not in term]
        for term in single_words:
            swaps.setdefault(term, []).extend(single_words)
    vocabulary = sorted({word.lower() for text in texts for word in re.findall(r"[A-Za-z]+", text)})
    services = [
        f"{noun}-{kind}"
        for noun in ("order", "cart", "invoice", "user", "search", "price", "stock", "refund")
        for kind in ("service", "api", "worker", "gateway", "db", "ui", "batch", "sync")
    ]
    by_group: dict[str | None, list[str]] = {}
    for text, group in zip(texts, truth, strict=True):
        by_group.setdefault(group, []).append(text)
    made, groups = [], []
    for _ in range(count):
        template = rng.randrange(len(texts))
        text, group = texts[template], truth[template]
        if group is not None and rng.random() < 0.3:
            first, second = text.split(), rng.choice(by_group[group]).split()
            text = " ".join(first[: max(1, len(first) // 2)] + second[len(second) // 2 :])
        pieces = []
        for piece in _PIECES.findall(text):
            draw = rng.random()
            if piece[0].isalnum() and piece.lower() in swaps and draw < 0.35:
                pieces.append(rng.choice(swaps[piece.lower()]))
            elif piece[0].isalnum() and draw < 0.06:
                pieces.append(rng.choice(vocabulary))
            else:
                pieces.append(piece)
        text = "".join(pieces)
        draw = rng.random()
        if draw < 0.3:
            text += f" for {rng.choice(services)}"
        elif draw < 0.5:
            text += f" ({rng.choice(['PAY', 'CHK', 'SRCH', 'MOB', 'DATA'])}-{rng.randint(100, 9999)})"
        elif draw < 0.6:
            text += " again"
        made.append(text)
        groups.append(group)
    return made, groups


def _row(name: str, scores: PairScores, setting: str) -> str:
    return f"| {name} | {scores.precision:.3f} | {scores.recall:.3f} | {scores.f1:.3f} | {setting} |"


def _setting(result: TuningResult) -> str:
    weights = result.weights
    return (
        f"threshold {result.threshold:g}; weights char {weights.char:g}, word {weights.word:g}, "
        f"concept {weights.concept:g}, pair {weights.pair:g}, state {weights.state:g}"
    )


def quality() -> None:
    """Print the quality table."""
    texts, truth, _teams = load()
    groups = len({group for group in truth if group is not None})
    noise = sum(group is None for group in truth)
    print(f"Evaluation set: {len(texts)} texts, {groups} groups, {noise} noise texts\n")
    print("| set | precision | recall | F1 | setting |")
    print("|---|---|---|---|---|")
    shipped = pairwise_scores(propose(texts, DEFAULT_WEIGHTS, DEFAULT_THRESHOLD), truth)
    default = TuningResult(DEFAULT_WEIGHTS, DEFAULT_THRESHOLD, shipped)
    print(_row("full set, shipped defaults", shipped, _setting(default)))
    best = tune(texts, truth, weights=WEIGHT_GRID, thresholds=THRESHOLDS)
    print(_row("full set, best of grid (in-sample)", best.scores, _setting(best)))
    halves = split_groups(truth)
    held_out_f1 = []
    for tuned_on, scored_on in ((0, 1), (1, 0)):
        tuning_texts = [texts[position] for position in halves[tuned_on]]
        tuning_truth = [truth[position] for position in halves[tuned_on]]
        tuned = tune(tuning_texts, tuning_truth, weights=WEIGHT_GRID, thresholds=THRESHOLDS)
        held_texts = [texts[position] for position in halves[scored_on]]
        held_truth = [truth[position] for position in halves[scored_on]]
        held = pairwise_scores(propose(held_texts, tuned.weights, tuned.threshold), held_truth)
        held_out_f1.append(held.f1)
        shipped_there = pairwise_scores(propose(held_texts, DEFAULT_WEIGHTS, DEFAULT_THRESHOLD), held_truth)
        print(_row(f"half {tuned_on + 1}, tuning (in-sample)", tuned.scores, _setting(tuned)))
        print(_row(f"half {scored_on + 1}, held out, tuned on half {tuned_on + 1}", held, _setting(tuned)))
        print(_row(f"half {scored_on + 1}, shipped defaults", shipped_there, "(defaults saw this half)"))
    print(f"\nHeld-out F1, mean of both ways round: {statistics.fmean(held_out_f1):.3f}\n")


def propose(texts: list[str], weights: FeatureWeights, threshold: float) -> list[list[int]]:
    """Cluster proposals with the given weights and threshold."""
    return SimilarityIndex.fit(texts, weights=weights).propose_clusters(threshold=threshold)


def speed() -> None:
    """Print the speed table."""
    texts, truth, _teams = load()
    corpus, corpus_truth = synthetic(texts, truth, SYNTHETIC_COUNT, SEED)
    queries, _ = synthetic(texts, truth, QUERIES, SEED + 1)
    start = time.perf_counter()
    index = SimilarityIndex.fit(corpus)
    fitted = time.perf_counter()
    clusters = index.propose_clusters()
    clustered = time.perf_counter()
    query_ms = []
    for query in queries:
        begin = time.perf_counter()
        index.query(query, k=5)
        query_ms.append((time.perf_counter() - begin) * 1000)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    synthetic_scores = pairwise_scores(clusters, corpus_truth)
    print(f"| measure ({SYNTHETIC_COUNT:,} synthetic impediments) | value | budget |")
    print("|---|---|---|")
    print(f"| fit the index | {fitted - start:.1f} s | |")
    print(f"| propose clusters (after fitting) | {clustered - fitted:.1f} s | |")
    print(f"| fit + propose clusters | {clustered - start:.1f} s | 30 s |")
    print(f"| query one new text, median of {QUERIES} | {statistics.median(query_ms):.1f} ms | 200 ms |")
    print(f"| query, slowest of {QUERIES} | {max(query_ms):.1f} ms | |")
    print(f"| peak resident memory of the process | {peak_mib:.0f} MiB | |")
    print(f"| clusters proposed (largest) | {len(clusters)} ({max(map(len, clusters), default=0)}) | |")
    print(
        f"| pairwise P / R / F1 against template groups | {synthetic_scores.precision:.3f} / "
        f"{synthetic_scores.recall:.3f} / {synthetic_scores.f1:.3f} | |"
    )


def main() -> None:
    """Print both tables."""
    print(f"Python {sys.version.split()[0]}\n")
    quality()
    speed()


if __name__ == "__main__":
    main()
