"""Impediment similarity and cluster proposals (product issue 6)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from deliveryops.analytics.similarity import (
    DEFAULT_THRESHOLD,
    Concept,
    FeatureWeights,
    Lexicon,
    SimilarityIndex,
    nearest,
    propose_clusters,
    similarity_matrix,
)
from deliveryops.analytics.similarity.cluster import cluster_rows
from deliveryops.analytics.similarity.eval import pairwise_scores, split_groups, tune
from deliveryops.analytics.similarity.lexicon import DEFAULT_LEXICON
from deliveryops.analytics.similarity.linkage import average_linkage
from deliveryops.analytics.similarity.text import normalise, stem, tokens

EVALUATION_SET = Path(__file__).parents[2] / "benchmarks" / "impediment_clusters.json"

LOGS = ["No access to production logs", "Still waiting for Splunk permissions", "can't see prod logging"]
UNRELATED = ["CAB approval takes two weeks for every release", "Flaky end-to-end tests break the pipeline"]


def load_evaluation_set() -> tuple[list[str], list[str | None], list[str]]:
    rows = json.loads(EVALUATION_SET.read_text(encoding="utf-8"))
    return [row["text"] for row in rows], [row["group"] for row in rows], [row["team"] for row in rows]


# Text and lexicon.


def test_normalise_expands_contractions_and_folds_accents() -> None:
    assert normalise("Can't see the Café’s logs, we won't wait").split() == [
        "cannot",
        "see",
        "the",
        "cafe",
        "logs,",
        "we",
        "will",
        "not",
        "wait",
    ]
    assert tokens("Unable to open JIRA-1234 on the pre-prod env") == ["cannot", "open", "jira", "on", "the", "pre", "prod", "env"]


def test_stem_makes_inflections_meet() -> None:
    assert [stem(word) for word in ("logs", "logging", "logged", "log")] == ["log"] * 4
    assert [stem(word) for word in ("permissions", "policies", "access", "building")] == [
        "permission",
        "policy",
        "access",
        "building",
    ]


def test_lexicon_prefers_the_longest_phrase() -> None:
    assert DEFAULT_LEXICON.concepts_in(tokens("I cannot log in to the test env")) == ["access", "env-test"]
    assert DEFAULT_LEXICON.concepts_in(tokens("No access to production logs")) == [
        "missing",
        "access",
        "env-production",
        "observability-logs",
    ]
    assert DEFAULT_LEXICON.concepts_in(tokens("Still waiting for Splunk permissions")) == [
        "waiting",
        "observability-logs",
        "access",
    ]


def test_a_lexicon_term_must_have_one_to_four_words() -> None:
    with pytest.raises(ValueError, match="lexicon term '2024' of concept 'year' must have 1 to 4 words"):
        Lexicon([Concept("year", ("2024",))])


def test_feature_weights_must_not_all_be_zero() -> None:
    with pytest.raises(ValueError, match="feature weights must be non-negative and not all zero"):
        FeatureWeights(char=0, word=0, concept=0, pair=0, state=0)


# Similarity and nearest.


def test_paraphrases_are_similar_and_unrelated_texts_are_not() -> None:
    matrix = similarity_matrix(LOGS + UNRELATED)
    assert matrix.shape == (5, 5)
    np.testing.assert_allclose(np.diag(matrix), 1.0)
    np.testing.assert_array_equal(matrix, matrix.T)
    assert matrix[0, 1] > 0.5
    assert matrix[0, 2] > 0.8
    assert matrix[1, 2] > 0.5
    assert matrix[:3, 3:].max() < 0.01  # a few shared character n-grams, no shared word or concept


def test_nearest_returns_the_paraphrase_first() -> None:
    index = SimilarityIndex.fit([UNRELATED[0], LOGS[0], UNRELATED[1], "VPN drops every 20 minutes"])
    found = nearest("need read rights on Kibana for live", index, k=2)
    assert found[0][0] == 1
    assert found[0][1] > 0.8
    assert found[1][1] < 0.01
    assert index.query("VPN disconnects again", k=3)[0][0] == 3


def test_nearest_orders_by_score_then_index_and_respects_k() -> None:
    index = SimilarityIndex.fit(["prod logs", "prod logs", "prod logs access", "release train"])
    found = index.query("prod logs", k=2)
    assert [position for position, _ in found] == [0, 1]
    assert found[0][1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="k must be at least 1, got 0"):
        index.query("prod logs", k=0)


def test_add_indexes_a_text_without_refitting() -> None:
    index = SimilarityIndex.fit(UNRELATED)
    position = index.add(LOGS[0])
    assert position == 2
    assert len(index) == 3
    assert index.texts[2] == LOGS[0]
    assert index.query("can't see prod logging", k=1)[0][0] == 2


# Cluster proposals.


def test_the_three_logs_paraphrases_form_one_cluster_and_unrelated_texts_none() -> None:
    assert propose_clusters(UNRELATED[:1] + LOGS + UNRELATED[1:]) == [[1, 2, 3]]


def test_the_threshold_is_inclusive() -> None:
    texts = [LOGS[0], LOGS[2]]
    similarity = float(similarity_matrix(texts)[0, 1])
    assert propose_clusters(texts, threshold=similarity) == [[0, 1]]
    assert propose_clusters(texts, threshold=float(np.nextafter(similarity, 1.0))) == []


def test_empty_input_single_text_and_featureless_texts() -> None:
    assert propose_clusters([]) == []
    assert similarity_matrix([]).shape == (0, 0)
    assert SimilarityIndex.fit([]).query("prod logs") == []
    assert propose_clusters([LOGS[0]]) == []
    assert propose_clusters([LOGS[0]], min_size=1) == [[0]]
    assert propose_clusters(["", "", "!!!"]) == []
    assert propose_clusters(["same words here", "Same words, here!"]) == [[0, 1]]


def test_groups_keep_only_clusters_that_span_two_teams() -> None:
    texts = [*LOGS, "VPN drops every 20 minutes", "GlobalProtect VPN disconnects constantly"]
    assert propose_clusters(texts) == [[0, 1, 2], [3, 4]]
    teams = ["payments", "checkout", "search", "growth", "growth"]
    assert propose_clusters(texts, groups=teams) == [[0, 1, 2]]
    with pytest.raises(ValueError, match="groups has 2 labels for 5 texts"):
        propose_clusters(texts, groups=teams[:2])


def test_invalid_arguments_name_the_argument() -> None:
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\], got 0"):
        propose_clusters(LOGS, threshold=0)
    with pytest.raises(ValueError, match="min_size must be at least 1, got 0"):
        propose_clusters(LOGS, min_size=0)


def test_proposals_are_deterministic_and_do_not_depend_on_order() -> None:
    texts, _, _ = load_evaluation_set()
    first = propose_clusters(texts)
    assert propose_clusters(texts) == first
    reversed_texts = texts[::-1]
    back = sorted(sorted(len(texts) - 1 - position for position in cluster) for cluster in propose_clusters(reversed_texts))
    assert back == sorted(first)


# Linkage and the large-input path.


def test_average_linkage_matches_scipy_on_random_similarities() -> None:
    rng = np.random.default_rng(20240301)
    for _ in range(40):
        count = int(rng.integers(2, 30))
        vectors = rng.random((count, 4)) ** 3
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        similarities = vectors @ vectors.T
        np.fill_diagonal(similarities, 0.0)
        threshold = float(rng.uniform(0.3, 0.95))
        ours = average_linkage(
            sparse.csr_matrix(similarities), sizes=np.ones(count, dtype=np.int64), threshold=threshold, neighbours=None
        )
        distances = np.clip(1.0 - similarities, 0.0, None)
        np.fill_diagonal(distances, 0.0)
        labels = fcluster(linkage(squareform(distances, checks=False), "average"), 1.0 - threshold, "distance")
        expected = sorted(np.flatnonzero(labels == label).tolist() for label in set(labels.tolist()))
        assert ours == expected


def test_knn_rounds_find_the_same_clusters_as_the_exact_path_on_the_evaluation_set() -> None:
    texts, _, _ = load_evaluation_set()
    index = SimilarityIndex.fit(texts)
    arguments = {
        "threshold": DEFAULT_THRESHOLD,
        "floor": DEFAULT_THRESHOLD / 2,
        "neighbours": 10,
        "candidate_start": index.featuriser.char_columns,
    }
    sizes = np.ones(len(texts), dtype=np.int64)
    exact = cluster_rows(index.matrix, sizes, exact_limit=len(texts), **arguments)  # type: ignore[arg-type]
    rounds = cluster_rows(index.matrix, sizes, exact_limit=20, **arguments)  # type: ignore[arg-type]
    assert rounds == exact


# Evaluation.


def test_pairwise_scores_on_a_literal_example() -> None:
    truth = ["logs", "logs", "logs", "vpn", "vpn", None]
    scores = pairwise_scores([[0, 1], [2, 3, 5]], truth)
    # True pairs: 3 (logs) + 1 (vpn) = 4. Proposed: 1 + 3 = 4. Correct: (0, 1) only.
    assert (scores.true_pairs, scores.proposed_pairs, scores.correct_pairs) == (4, 4, 1)
    assert (scores.precision, scores.recall, scores.f1) == (0.25, 0.25, 0.25)
    assert pairwise_scores([], truth).precision == 1.0
    assert pairwise_scores([], [None, None]).f1 == 1.0
    with pytest.raises(ValueError, match="text 1 is out of range or in two clusters"):
        pairwise_scores([[0, 1], [1, 2]], truth)


def test_split_groups_keeps_each_group_in_one_half() -> None:
    truth = ["b", "a", None, "c", "a", None, "b"]
    assert split_groups(truth) == ([1, 2, 3, 4], [0, 5, 6])


def test_tune_picks_the_best_threshold() -> None:
    texts = [*LOGS, *UNRELATED]
    truth = ["logs", "logs", "logs", None, None]
    result = tune(texts, truth, weights=[FeatureWeights()], thresholds=[0.1, 0.5, 0.99])
    assert result.threshold == 0.5
    assert result.scores.f1 == 1.0


def test_the_evaluation_set_meets_the_f1_target_with_the_shipped_defaults() -> None:
    texts, truth, teams = load_evaluation_set()
    assert len(texts) >= 150
    assert len({group for group in truth if group is not None}) >= 40
    assert sum(group is None for group in truth) >= 15
    assert len(set(teams)) >= 10
    scores = pairwise_scores(propose_clusters(texts), truth)
    assert scores.f1 >= 0.8, scores
    assert scores.precision >= 0.8, scores
    for half in split_groups(truth):
        held = pairwise_scores(propose_clusters([texts[position] for position in half]), [truth[position] for position in half])
        assert held.f1 >= 0.8, held


def test_the_index_threshold_is_the_default_of_its_proposals() -> None:
    texts = [LOGS[0], LOGS[2]]
    similarity = float(similarity_matrix(texts)[0, 1])
    assert SimilarityIndex.fit(texts, threshold=similarity).propose_clusters() == [[0, 1]]
    assert SimilarityIndex.fit(texts, threshold=float(np.nextafter(similarity, 1.0))).propose_clusters() == []
    assert SimilarityIndex.fit(texts).threshold == DEFAULT_THRESHOLD
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\], got 1.5"):
        SimilarityIndex.fit(texts, threshold=1.5)
