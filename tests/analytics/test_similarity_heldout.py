"""The held-out evaluation of impediment similarity, run in the suite (benchmarks/README.md has the protocol)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from deliveryops.analytics.similarity import embeddings
from deliveryops.analytics.similarity.blended import HELD_OUT_RATES, BlendedIndex, Decisions, expand_synonyms
from deliveryops.analytics.similarity.eval import pairwise_scores
from deliveryops.analytics.similarity.review import link_rule_scores, review_proposals
from deliveryops.impediments.blockers import AUTO_LINK_MARGIN, AUTO_LINK_SIMILARITY, PROPOSE_SIMILARITY

HELD_OUT = Path(__file__).parents[2] / "benchmarks" / "impediment_clusters_heldout.json"
HELD_OUT_SHA256 = "ed0f7affe90ad9a638d25c40492f50769f3547a30d9c2a298b96bcac0a58233a"
Row = dict[str, str | None]


@pytest.fixture(scope="module")
def held_out() -> list[Row]:
    rows: list[Row] = json.loads(HELD_OUT.read_text(encoding="utf-8"))
    return rows


@pytest.fixture(scope="module")
def vectors(held_out: list[Row]) -> np.ndarray:
    return embeddings.encode([str(row["text"]) for row in held_out])


def test_the_held_out_set_never_changes() -> None:
    assert hashlib.sha256(HELD_OUT.read_bytes()).hexdigest() == HELD_OUT_SHA256


def test_a_small_held_out_sample_clusters_above_the_floor_and_above_the_lexicon(held_out: list[Row], vectors: np.ndarray) -> None:
    # The first 12 groups by name and the first 8 singletons: 57 texts.
    groups = sorted({row["group"] for row in held_out if row["group"]})[:12]
    chosen = [i for i, row in enumerate(held_out) if row["group"] in groups]
    chosen += [i for i, row in enumerate(held_out) if row["group"] is None][:8]
    texts = [str(held_out[i]["text"]) for i in chosen]
    truth = [held_out[i]["group"] for i in chosen]
    assert len(texts) == 57
    blend = pairwise_scores(BlendedIndex.fit(texts, vectors[chosen]).propose_clusters(), truth)
    lexicon = pairwise_scores(BlendedIndex.fit(texts).propose_clusters(), truth)
    assert blend.f1 >= 0.75
    assert blend.precision >= 0.75
    assert blend.f1 >= lexicon.f1 + 0.1


def test_the_published_rates_are_what_the_whole_held_out_set_measures(held_out: list[Row], vectors: np.ndarray) -> None:
    texts = [str(row["text"]) for row in held_out]
    truth = [row["group"] for row in held_out]
    scores = pairwise_scores(BlendedIndex.fit(texts, vectors).propose_clusters(), truth)
    assert (round(scores.precision, 3), round(scores.recall, 3), round(scores.f1, 3)) == (
        HELD_OUT_RATES.precision,
        HELD_OUT_RATES.recall,
        HELD_OUT_RATES.f1,
    )
    assert (len(texts), len({group for group in truth if group})) == (HELD_OUT_RATES.texts, HELD_OUT_RATES.groups)


def test_replayed_decisions_raise_the_held_out_f1(held_out: list[Row], vectors: np.ndarray) -> None:
    texts = [str(row["text"]) for row in held_out]
    truth = [row["group"] for row in held_out]
    index = BlendedIndex.fit(texts, vectors)
    proposals = index.propose_clusters()
    review = review_proposals(proposals, truth, reviewed=10)
    assert (review.confirmed, review.moved_out, review.dismissed) == (10, 19, 0)
    after = pairwise_scores(index.propose_clusters(decisions=review.decisions), truth)
    assert round(after.f1, 3) == 0.651
    assert after.precision > pairwise_scores(proposals, truth).precision


def test_the_blocker_link_rule_is_measured_on_the_held_out_set(held_out: list[Row], vectors: np.ndarray) -> None:
    texts = [str(row["text"]) for row in held_out]
    similarities = BlendedIndex.fit(texts, vectors).similarity_matrix()
    scores = link_rule_scores(
        similarities,
        [row["group"] for row in held_out],
        auto=AUTO_LINK_SIMILARITY,
        margin=AUTO_LINK_MARGIN,
        propose=PROPOSE_SIMILARITY,
    )
    assert (scores.automatic, scores.automatic_right, scores.proposed, scores.proposed_right) == (26, 26, 112, 64)


def test_decisions_override_similarity() -> None:
    texts = ["No access to production logs", "Can't see prod logging", "The office coffee machine is broken"]
    index = BlendedIndex.fit(texts, embeddings.encode(texts))
    assert index.propose_clusters() == [[0, 1]]
    assert index.propose_clusters(decisions=Decisions(different=((0, 1),))) == []
    # "Same" keeps a pair together; text 0 reads like the pair on average, so it is pulled in.
    assert index.propose_clusters(decisions=Decisions(same=((1, 2),))) == [[0, 1, 2]]
    assert index.propose_clusters(decisions=Decisions(same=((1, 2),), different=((0, 2),))) == [[1, 2]]


def test_synonyms_append_their_meaning_once_and_match_whole_words() -> None:
    synonyms = [("CAB", "change advisory board"), ("DWH", "data warehouse")]
    assert expand_synonyms("CAB slot missed, cab again", synonyms) == "CAB slot missed, cab again (change advisory board)"
    assert expand_synonyms("Cabinet doors", synonyms) == "Cabinet doors"
    assert expand_synonyms("no DWH access; CAB", synonyms) == "no DWH access; CAB (change advisory board; data warehouse)"
