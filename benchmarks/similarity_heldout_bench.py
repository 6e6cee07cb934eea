"""Impediment similarity on text it has never seen: held-out quality per method, decisions replayed, speed.

Run: ``python benchmarks/similarity_heldout_bench.py`` (quality: about a minute; ``--speed`` adds the
50,000-impediment timings, whose sentence vectors take about 10 minutes to compute the first time and
are then kept in ``benchmarks/.cache/``). Not a test: numbers are printed, never enforced
(``tests/analytics/test_similarity_heldout.py`` guards a floor on a small sample).

Protocol (``benchmarks/README.md``): settings are chosen on the two tuning sets only
(``impediment_clusters.json``, on which the lexicon was built, and ``impediment_clusters_tuning.json``,
which it was not); the held-out set ``impediment_clusters_heldout.json`` is only scored.

Methods:

* **lexicon**: the concept lexicon and TF-IDF alone (``analytics.similarity``), shipped threshold;
* **sentence vectors**: all-MiniLM-L6-v2 (int8 ONNX) alone, threshold chosen on the tuning sets;
* **blend** (the default): both, ``DEFAULT_EMBEDDING_WEIGHT`` and ``DEFAULT_BLEND_THRESHOLD``.

Candidate models: ``--model-dir PATH`` also scores a sentence-transformers model folder (mean pooling,
such as all-mpnet-base-v2) run by PyTorch and ``transformers`` when they are installed (they are not
dependencies of the project): its blend weight and threshold are chosen on the tuning sets by the same rule
as the default's, then the held-out set is scored once.
``benchmarks/similarity_candidates.py`` does the same without PyTorch (BERT folders in numpy, ONNX exports,
static models) and screens clustering variants on the tuning sets.

Decisions replayed: ``analytics.similarity.review`` reads the largest proposals of the blend as a person
would and confirms, moves out or dismisses; the set is then clustered again with those decisions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from deliveryops.analytics.similarity import DEFAULT_THRESHOLD, embeddings
from deliveryops.analytics.similarity.blended import DEFAULT_BLEND_THRESHOLD, DEFAULT_EMBEDDING_WEIGHT, BlendedIndex
from deliveryops.analytics.similarity.eval import PairScores, pairwise_scores
from deliveryops.analytics.similarity.review import link_rule_scores, review_proposals

HERE = Path(__file__).parent
TUNING_SETS = ("impediment_clusters.json", "impediment_clusters_tuning.json")
HELD_OUT = "impediment_clusters_heldout.json"
THRESHOLDS = [round(0.1 + 0.01 * step, 3) for step in range(41)]  # 0.10 .. 0.50
REVIEWED = (5, 10, 20)
CACHE = HERE / ".cache"
SYNTHETIC_COUNT = 50_000
QUERIES = 20


def load(name: str) -> tuple[list[str], list[str | None], list[str]]:
    """A labelled set: texts, known groups, teams."""
    rows = json.loads((HERE / name).read_text(encoding="utf-8"))
    return [row["text"] for row in rows], [row["group"] for row in rows], [row["team"] for row in rows]


def _row(name: str, scores: PairScores, note: str) -> str:
    return f"| {name} | {scores.precision:.3f} | {scores.recall:.3f} | **{scores.f1:.3f}** | {note} |"


def vectors_only_threshold(sets: list[tuple[list[str], list[str | None], np.ndarray]]) -> float:
    """The threshold of the sentence vectors alone with the best mean F1 over the tuning sets."""
    indexes = [(BlendedIndex.fit(texts, vectors, embedding_weight=1.0, threshold=0.5), truth) for texts, truth, vectors in sets]

    def mean_f1(threshold: float) -> float:
        return statistics.fmean(
            pairwise_scores(index.propose_clusters(threshold=threshold), truth).f1 for index, truth in indexes
        )

    return max(sorted(THRESHOLDS, reverse=True), key=mean_f1)


BLEND_WEIGHTS = (0.5, 0.6, 0.7, 0.8, 0.9)


def choose_blend(sets: list[tuple[list[str], list[str | None], np.ndarray]]) -> tuple[float, float]:
    """The blend weight (sentence model at least half) and threshold with the best mean F1 over the tuning sets."""
    best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    for weight in BLEND_WEIGHTS:
        indexes = [
            (BlendedIndex.fit(texts, vectors, embedding_weight=weight, threshold=0.5), truth) for texts, truth, vectors in sets
        ]
        for threshold in THRESHOLDS:
            mean_f1 = statistics.fmean(
                pairwise_scores(index.propose_clusters(threshold=threshold), truth).f1 for index, truth in indexes
            )
            if mean_f1 > best[0]:
                best = (mean_f1, weight, threshold)
    return best[1], best[2]


def transformers_encoder(model_dir: str) -> Callable[[list[str]], np.ndarray]:
    """Mean-pooled, unit-length vectors of a sentence-transformers model folder (needs torch and transformers)."""
    import torch  # type: ignore[import-not-found]  # noqa: PLC0415 - optional, benchmark only
    from transformers import AutoModel, AutoTokenizer  # type: ignore[import-not-found]  # noqa: PLC0415

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()

    def encode(texts: list[str]) -> np.ndarray:
        rows = []
        with torch.no_grad():
            for start in range(0, len(texts), 32):
                batch = tokenizer(texts[start : start + 32], padding=True, truncation=True, max_length=128, return_tensors="pt")
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1)
                rows.append(pooled.numpy().astype(np.float32))
        return np.vstack(rows)

    return encode


def candidate_scores(name: str, encode: Callable[[list[str]], np.ndarray], *, held_out: bool = True) -> None:
    """Print the tuning rows of a candidate sentence model (blend and alone) and, with ``held_out``, its held-out rows.

    The blend weight and threshold are chosen on the tuning sets by the default's rule; the held-out set is
    encoded and scored once, after they are chosen.
    """
    tuning = []
    for set_name in TUNING_SETS:
        texts, truth, _teams = load(set_name)
        tuning.append((texts, truth, encode(texts)))
    weight, threshold = choose_blend(tuning)
    alone = vectors_only_threshold(tuning)
    held: tuple[list[str], list[str | None], np.ndarray] | None = None
    if held_out:
        held_texts, held_truth, _teams = load(HELD_OUT)
        started = time.perf_counter()
        held = (held_texts, held_truth, encode(held_texts))
        print(f"\nCandidate model {name}: {len(held_texts)} held-out texts encoded in {time.perf_counter() - started:.1f} s")
    print("\n| method | precision | recall | F1 | set, setting |")
    print("|---|---:|---:|---:|---|")
    for label, chosen_weight, chosen_threshold in (("alone", 1.0, alone), ("blend", weight, threshold)):
        setting = f"weight {chosen_weight:g}, threshold {chosen_threshold:g}"
        rows = [(*scored, f"tuning `{set_name}`") for scored, set_name in zip(tuning, TUNING_SETS, strict=True)]
        if held is not None:
            rows.append((*held, "**held out**"))
        for texts, truth, vectors, where in rows:
            index = BlendedIndex.fit(texts, vectors, embedding_weight=chosen_weight, threshold=chosen_threshold)
            print(_row(f"{name} {label}", pairwise_scores(index.propose_clusters(), truth), f"{where}, {setting}"))


def candidate_model(model_dir: str) -> None:
    """Print the tuning and held-out rows of a sentence-transformers model folder run by PyTorch."""
    candidate_scores(Path(model_dir).name, transformers_encoder(model_dir))


def quality() -> None:
    """Print the held-out table, the tuning sets beside it, and the replayed decisions."""
    tuning = []
    for name in TUNING_SETS:
        texts, truth, _teams = load(name)
        tuning.append((texts, truth, embeddings.encode(texts)))
    vectors_threshold = vectors_only_threshold(tuning)
    held_texts, held_truth, held_teams = load(HELD_OUT)
    held_vectors = embeddings.encode(held_texts)
    groups = len({group for group in held_truth if group is not None})
    print(
        f"Held-out set: {len(held_texts)} texts, {groups} groups, {held_truth.count(None)} singletons, "
        f"{len(set(held_teams))} teams; sha256 {hashlib.sha256((HERE / HELD_OUT).read_bytes()).hexdigest()[:12]}\n"
    )
    methods = [
        ("lexicon (before)", 0.0, DEFAULT_THRESHOLD, None),
        ("sentence vectors alone", 1.0, vectors_threshold, "vectors"),
        ("blend (default)", DEFAULT_EMBEDDING_WEIGHT, DEFAULT_BLEND_THRESHOLD, "vectors"),
    ]
    print("| method | precision | recall | F1 | set, setting |")
    print("|---|---:|---:|---:|---|")
    for label, weight, threshold, uses in methods:
        for (texts, truth, vectors), name in zip(tuning, TUNING_SETS, strict=True):
            index = BlendedIndex.fit(texts, vectors if uses else None, embedding_weight=weight, threshold=threshold)
            print(_row(label, pairwise_scores(index.propose_clusters(), truth), f"tuning `{name}`, threshold {threshold:g}"))
        index = BlendedIndex.fit(held_texts, held_vectors if uses else None, embedding_weight=weight, threshold=threshold)
        print(_row(label, pairwise_scores(index.propose_clusters(), held_truth), f"**held out**, threshold {threshold:g}"))
    print("\nDecisions replayed on the held-out set (blend):\n")
    print(
        "| proposals reviewed | confirmed | moved out | dismissed | precision | recall | F1 | F1 on texts no decision touched |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    index = BlendedIndex.fit(held_texts, held_vectors)
    proposals = index.propose_clusters()
    before = pairwise_scores(proposals, held_truth)
    print(f"| 0 | | | | {before.precision:.3f} | {before.recall:.3f} | {before.f1:.3f} | {before.f1:.3f} |")
    for reviewed in REVIEWED:
        review = review_proposals(proposals, held_truth, reviewed=reviewed)
        after = index.propose_clusters(decisions=review.decisions)
        scores = pairwise_scores(after, held_truth)
        untouched = [position for position in range(len(held_texts)) if position not in review.touched]
        renumber = {position: new for new, position in enumerate(untouched)}
        restricted = [[renumber[p] for p in cluster if p in renumber] for cluster in after]
        kept = pairwise_scores([cluster for cluster in restricted if len(cluster) >= 2], [held_truth[p] for p in untouched])
        print(
            f"| {reviewed} | {review.confirmed} | {review.moved_out} | {review.dismissed} | {scores.precision:.3f} | "
            f"{scores.recall:.3f} | {scores.f1:.3f} | {kept.f1:.3f} ({len(untouched)} texts) |"
        )


def link_rule() -> None:
    """Print how the blocker-link rule does on the held-out set (each text as a reason, every other a candidate)."""
    from deliveryops.impediments.blockers import AUTO_LINK_MARGIN, AUTO_LINK_SIMILARITY, PROPOSE_SIMILARITY  # noqa: PLC0415

    texts, truth, _teams = load(HELD_OUT)
    similarities = BlendedIndex.fit(texts, embeddings.encode(texts)).similarity_matrix()
    scores = link_rule_scores(similarities, truth, auto=AUTO_LINK_SIMILARITY, margin=AUTO_LINK_MARGIN, propose=PROPOSE_SIMILARITY)
    print("\nBlocker-link rule on the held-out set (each text as a blocked item's reason, the 176 others as candidates):\n")
    print("| outcome | texts | right | precision |")
    print("|---|---:|---:|---:|")
    for label, count, right in (
        ("linked automatically", scores.automatic, scores.automatic_right),
        ("proposed to a person", scores.proposed, scores.proposed_right),
    ):
        print(f"| {label} | {count} | {right} | {right / count if count else 1.0:.3f} |")


def synthetic_vectors(corpus: list[str]) -> np.ndarray:
    """The corpus's sentence vectors, computed once and kept in ``benchmarks/.cache``."""
    key = hashlib.sha256(("\n".join(corpus) + embeddings.MODEL_ID).encode()).hexdigest()[:16]
    path = CACHE / f"vectors-{key}.npy"
    if path.exists():
        return np.load(path)
    CACHE.mkdir(exist_ok=True)
    started = time.perf_counter()
    vectors = embeddings.SentenceEncoder(threads=2).encode(corpus)
    print(
        f"(computed {len(corpus):,} vectors in {time.perf_counter() - started:.0f} s: "
        f"{len(corpus) / (time.perf_counter() - started):.0f} texts/s)"
    )
    np.save(path, vectors)
    return vectors


def speed() -> None:
    """Print the 50,000-impediment timings from stored vectors."""
    sys.path.insert(0, str(HERE))
    from similarity_bench import synthetic  # noqa: PLC0415 - the same generator as the lexicon's benchmark

    texts, truth, _teams = load(TUNING_SETS[0])
    corpus, corpus_truth = synthetic(texts, truth, SYNTHETIC_COUNT, 6)
    queries, _ = synthetic(texts, truth, QUERIES, 7)
    vectors = synthetic_vectors(corpus)
    runs = []
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        index = BlendedIndex.fit(corpus, vectors)
        fitted, fitted_cpu = time.perf_counter(), time.process_time()
        clusters = index.propose_clusters()
        runs.append(
            (fitted - started, time.perf_counter() - fitted, clusters, fitted_cpu - started_cpu, time.process_time() - fitted_cpu)
        )
    fit_s = statistics.median(run[0] for run in runs)
    cluster_s = statistics.median(run[1] for run in runs)
    cpu_s = statistics.median(run[3] + run[4] for run in runs)
    clusters = runs[0][2]
    encoder = embeddings.default_encoder()
    encoder.encode(["warm up"])
    query_ms, encode_ms = [], []
    for query in queries:
        started = time.perf_counter()
        vector = encoder.encode([query])[0]
        encoded = time.perf_counter()
        index.query(query, vector, k=5)
        query_ms.append((time.perf_counter() - started) * 1000)
        encode_ms.append((encoded - started) * 1000)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    scores = pairwise_scores(clusters, corpus_truth)
    print(f"\n| measure ({SYNTHETIC_COUNT:,} synthetic impediments, blend, vectors stored) | value | budget |")
    print("|---|---|---|")
    print(f"| build the index from stored vectors (lexicon fit + blend), median of 3 | {fit_s:.1f} s | |")
    print(f"| propose clusters, median of 3 | {cluster_s:.1f} s | |")
    print(f"| build + propose | **{fit_s + cluster_s:.1f} s** (CPU {cpu_s:.1f} s) | 30 s |")
    print(
        f"| check one new impediment: its vector + query, median of {QUERIES} | **{statistics.median(query_ms):.1f} ms** "
        f"(vector {statistics.median(encode_ms):.1f} ms) | 200 ms |"
    )
    print(f"| same, slowest of {QUERIES} | {max(query_ms):.1f} ms | |")
    print(f"| peak resident memory of the process | {peak_mib:.0f} MiB | |")
    print(f"| clusters proposed (largest) | {len(clusters)} ({max(map(len, clusters), default=0)}) | |")
    print(f"| pairwise P / R / F1 against template groups | {scores.precision:.3f} / {scores.recall:.3f} / {scores.f1:.3f} | |")


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", action="store_true", help="also time 50,000 impediments")
    parser.add_argument("--model-dir", help="also score this sentence-transformers model folder (needs torch, transformers)")
    parser.add_argument("--only-model", action="store_true", help="with --model-dir: skip the default tables")
    arguments = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; model {embeddings.MODEL_ID}\n")
    if not arguments.only_model:
        quality()
        link_rule()
    if arguments.model_dir:
        candidate_model(arguments.model_dir)
    if arguments.speed:
        speed()


if __name__ == "__main__":
    main()
