"""Evaluation of cluster proposals against known groups: pairwise precision, recall and F1.

Definitions (the usual pairwise clustering scores):

* a **proposed pair** is two texts in the same proposed cluster;
* a **true pair** is two texts in the same known group; a text whose group is ``None`` (noise:
  it describes a problem nobody else has) has no true pair;
* precision = correct proposed pairs / proposed pairs (1.0 when nothing is proposed);
  recall = correct proposed pairs / true pairs (1.0 when there are no true pairs);
  F1 = their harmonic mean (0.0 when both are 0).

A cluster of n texts holds n(n−1)/2 pairs, so a wrong merge of two large clusters costs much
precision, and a group split in two halves keeps about half its recall.

:func:`split_groups` and :func:`tune` implement the held-out protocol of the benchmark: tune the
threshold (and weights) on half of the groups, score on the other half.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from deliveryops.analytics.similarity import SimilarityIndex
from deliveryops.analytics.similarity.features import FeatureWeights

__all__ = ["PairScores", "TuningResult", "pairwise_scores", "split_groups", "tune"]


@dataclass(frozen=True, slots=True)
class PairScores:
    """Pairwise scores of proposed clusters against known groups."""

    precision: float
    recall: float
    f1: float
    proposed_pairs: int
    true_pairs: int
    correct_pairs: int


def _pairs(size: int) -> int:
    return size * (size - 1) // 2


def pairwise_scores(clusters: Sequence[Sequence[int]], truth: Sequence[Hashable | None]) -> PairScores:
    """Score proposed clusters against the known group of each text.

    Args:
        clusters: proposed clusters, as lists of text positions (a text in at most one cluster).
        truth: the known group of each text, ``None`` for a text that belongs to no group.

    Returns:
        The pairwise scores.
    """
    seen: set[int] = set()
    for cluster in clusters:
        for position in cluster:
            if position in seen or not 0 <= position < len(truth):
                raise ValueError(f"text {position} is out of range or in two clusters")
            seen.add(position)
    true_pairs = sum(_pairs(size) for group, size in Counter(truth).items() if group is not None)
    proposed_pairs = sum(_pairs(len(cluster)) for cluster in clusters)
    correct_pairs = sum(
        _pairs(size)
        for cluster in clusters
        for group, size in Counter(truth[position] for position in cluster).items()
        if group is not None
    )
    precision = correct_pairs / proposed_pairs if proposed_pairs else 1.0
    recall = correct_pairs / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairScores(precision, recall, f1, proposed_pairs, true_pairs, correct_pairs)


def split_groups(truth: Sequence[Hashable | None]) -> tuple[list[int], list[int]]:
    """Split texts in two halves by group: every group (and every other noise text) goes to one half.

    Groups are ordered by name (``str``) and dealt alternately, so the split is deterministic
    and does not depend on the order of the texts.

    Args:
        truth: the known group of each text (``None`` for noise).

    Returns:
        The positions of the texts of each half.
    """
    groups = sorted({str(group) for group in truth if group is not None})
    half_of = {group: position % 2 for position, group in enumerate(groups)}
    halves: tuple[list[int], list[int]] = ([], [])
    noise = 0
    for position, group in enumerate(truth):
        if group is None:
            halves[noise % 2].append(position)
            noise += 1
        else:
            halves[half_of[str(group)]].append(position)
    return halves


@dataclass(frozen=True, slots=True)
class TuningResult:
    """The best weights and threshold found on a set, and their scores there."""

    weights: FeatureWeights
    threshold: float
    scores: PairScores


def tune(
    texts: Sequence[str],
    truth: Sequence[Hashable | None],
    *,
    weights: Sequence[FeatureWeights],
    thresholds: Sequence[float],
) -> TuningResult:
    """Find the weights and threshold with the best pairwise F1 on a labelled set (grid search).

    Ties go to the earlier weights, then the higher threshold (fewer, surer proposals).

    Args:
        texts: the labelled texts.
        truth: their known groups (``None`` for noise).
        weights: the candidate weights.
        thresholds: the candidate thresholds.

    Returns:
        The best combination and its scores.
    """
    best: TuningResult | None = None
    for candidate in weights:
        index = SimilarityIndex.fit(texts, weights=candidate)
        for threshold in sorted(thresholds, reverse=True):
            scores = pairwise_scores(index.propose_clusters(threshold=threshold), truth)
            if best is None or scores.f1 > best.scores.f1 + 1e-12:
                best = TuningResult(candidate, threshold, scores)
    if best is None:
        raise ValueError("give at least one weight setting and one threshold")
    return best
