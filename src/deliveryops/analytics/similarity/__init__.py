"""Impediment similarity: find impediments of different teams that describe the same problem.

Product issue 6 (cross-team impediment detection). Texts such as "no access to production logs",
"still waiting for Splunk permissions" and "can't see prod logging" share almost no words, so
similarity is not word overlap alone. Each text becomes one unit-length vector made of five
weighted TF-IDF blocks (``features``): character n-grams (spelling variants), word
stems, **concepts** from a curated delivery-domain lexicon (``lexicon``: Splunk, Kibana
and "logging" all name ``observability-logs``), pairs of concepts, and generic state words
("waiting", "broken") at a low weight. The similarity of two texts is the cosine of their vectors,
in [0, 1].

Public API:

* :class:`SimilarityIndex`: ``fit(texts)`` once; ``query(text, k)`` ranks the indexed texts
  against a new one (one sparse matrix × vector product: milliseconds for 50,000 texts);
  ``add(text)`` appends a text in the fitted vocabulary (no refit; refit now and then so that new
  words count); ``propose_clusters(...)``.
* :func:`similarity_matrix`, :func:`nearest`, :func:`propose_clusters`: the same as functions.

Clusters (``propose_clusters``) are built by average linkage, stopped at ``threshold``
(``linkage``, ``cluster``): a text joins a cluster only if it is similar to
the cluster on average, not to one member only, so clusters do not chain. Identical texts (after
normalisation) are one node; pairs less similar than ``FLOOR_SHARE × threshold`` count as 0. Up
to ``EXACT_LIMIT`` distinct texts the graph holds every other pair and the linkage is exact; above
it, each text keeps its ``neighbours`` best neighbours (``graph.knn_graph``, never an
n × n matrix), and rounds of linkage on cluster means repair what a k-NN graph misses: 50,000
texts take about 10 seconds.

``DEFAULT_WEIGHTS`` and ``DEFAULT_THRESHOLD`` were tuned on ``benchmarks/impediment_clusters.json``
(see ``benchmarks/similarity_bench.py`` for the numbers, the held-out split included).

Beside this lexicon index, three modules of the package (imported from their own names):

* ``blended``: :class:`~deliveryops.analytics.similarity.blended.BlendedIndex`, sentence vectors
  blended with this index's rows, people's decisions as must/cannot links, the held-out error rates;
* ``embeddings``: the sentence model (all-MiniLM-L6-v2, int8 ONNX, offline; its WordPiece
  vocabulary ``sentence_vocab.txt`` ships beside it);
* ``review``: a simulated reviewer replaying decisions on a labelled set (benchmark and tests).

Pure: numpy, SciPy and the standard library only.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

from deliveryops.analytics.similarity.cluster import cluster_rows
from deliveryops.analytics.similarity.features import FeatureWeights, Featuriser, Parsed, parse
from deliveryops.analytics.similarity.lexicon import DEFAULT_LEXICON, Concept, Lexicon

__all__ = [
    "DEFAULT_LEXICON",
    "DEFAULT_NEIGHBOURS",
    "DEFAULT_THRESHOLD",
    "DEFAULT_WEIGHTS",
    "EXACT_LIMIT",
    "FLOOR_SHARE",
    "Concept",
    "FeatureWeights",
    "Lexicon",
    "SimilarityIndex",
    "nearest",
    "propose_clusters",
    "similarity_matrix",
]

DEFAULT_WEIGHTS = FeatureWeights()
DEFAULT_THRESHOLD = 0.225
DEFAULT_NEIGHBOURS = 10
EXACT_LIMIT = 1500
# Pairs less than half as similar as the threshold count as 0 in the averages: it keeps graphs sparse
# and changes no cluster of the evaluation set.
FLOOR_SHARE = 0.5


class SimilarityIndex:
    """A fitted similarity space and the texts indexed in it.

    Build it with :meth:`fit`. Indices are positions in the order texts were fitted, then added.
    ``threshold`` is the similarity from which two texts count as the same problem: the default
    of :meth:`propose_clusters`, and a cut-off for :meth:`query` results.
    """

    def __init__(
        self,
        featuriser: Featuriser,
        texts: list[str],
        parsed: list[Parsed],
        matrix: sparse.csr_matrix,
        *,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self._featuriser = featuriser
        self._texts = texts
        self._parsed = parsed
        self._matrix = matrix
        self._pending: list[sparse.csr_matrix] = []

    @classmethod
    def fit(
        cls,
        texts: Iterable[str],
        *,
        weights: FeatureWeights = DEFAULT_WEIGHTS,
        lexicon: Lexicon = DEFAULT_LEXICON,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> SimilarityIndex:
        """Fit the vocabularies and IDF on ``texts`` and index them.

        Args:
            texts: the impediment texts (any number, including none).
            weights: the feature block weights.
            lexicon: the concept lexicon.
            threshold: the index's same-problem similarity, in (0, 1].

        Returns:
            The index.
        """
        text_list = list(texts)
        parsed = [parse(text, lexicon) for text in text_list]
        featuriser = Featuriser(weights=weights, lexicon=lexicon)
        return cls(featuriser, text_list, parsed, featuriser.fit_transform(parsed), threshold=threshold)

    def __len__(self) -> int:
        return len(self._texts)

    @property
    def texts(self) -> tuple[str, ...]:
        """The indexed texts, in index order."""
        return tuple(self._texts)

    @property
    def featuriser(self) -> Featuriser:
        """The fitted feature space (vocabularies, IDF, weights, lexicon)."""
        return self._featuriser

    @property
    def matrix(self) -> sparse.csr_matrix:
        """One unit-length row per indexed text (CSR); the dot product of two rows is their similarity."""
        if self._pending:
            self._matrix = sparse.csr_matrix(sparse.vstack([self._matrix, *self._pending]))
            self._pending = []
        return self._matrix

    def vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Vectors of texts in this index's space (not added to the index).

        Args:
            texts: any texts.

        Returns:
            One unit-length row per text (all zero for a text with no known feature).
        """
        return self._featuriser.transform([parse(text, self._featuriser.lexicon) for text in texts])

    def add(self, text: str) -> int:
        """Index one more text, in the fitted vocabulary and IDF (cheap: no refit).

        Words first seen here count through their character n-grams and concepts only; refit
        (``SimilarityIndex.fit(index.texts)``) now and then to learn them.

        Args:
            text: the new impediment text.

        Returns:
            Its index.
        """
        parsed = parse(text, self._featuriser.lexicon)
        self._pending.append(self._featuriser.transform([parsed]))
        self._texts.append(text)
        self._parsed.append(parsed)
        return len(self._texts) - 1

    def query(self, text: str, k: int = 5, *, min_score: float = 0.0) -> list[tuple[int, float]]:
        """The ``k`` indexed texts most similar to ``text``, best first.

        Args:
            text: the new impediment text (it is not added).
            k: how many to return at most.
            min_score: only texts with a similarity above 0 and at least this are returned.

        Returns:
            ``(index, similarity)`` pairs, by similarity descending, then index ascending.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        scores = np.asarray(self.matrix @ self.vectors([text]).T.toarray()).ravel()
        candidates = np.flatnonzero((scores > 0) & (scores >= min_score))
        if len(candidates) > k:
            # Everything at least as good as the k-th best, then an exact sort of those few.
            kth = np.partition(scores[candidates], len(candidates) - k)[len(candidates) - k]
            candidates = candidates[scores[candidates] >= kth]
        order = np.lexsort((candidates, -scores[candidates]))[:k]
        return [(int(candidates[position]), float(scores[candidates[position]])) for position in order]

    def similarity_matrix(self) -> npt.NDArray[np.float64]:
        """All pairwise similarities as a dense n × n array (for small n: it is n² floats).

        Returns:
            Symmetric array in [0, 1]; the diagonal is 1 except for texts with no feature (0).
        """
        matrix = self.matrix
        # The same product as the clustering graphs (rows × CSR transpose), so the same floats.
        similarities: npt.NDArray[np.float64] = np.asarray((matrix @ sparse.csr_matrix(matrix.T)).toarray())
        return np.clip(similarities, 0.0, 1.0)

    def propose_clusters(
        self,
        *,
        threshold: float | None = None,
        groups: Sequence[Hashable] | None = None,
        min_size: int = 2,
        neighbours: int = DEFAULT_NEIGHBOURS,
    ) -> list[list[int]]:
        """Clusters of indexed texts that describe the same problem.

        Args:
            threshold: the lowest average similarity at which two clusters still merge, in (0, 1];
                ``None``: the index's ``threshold``.
            groups: optionally, a label per text (such as the team that raised it); then only
                clusters whose texts carry at least two different labels are proposed (the
                cross-team case).
            min_size: the fewest texts a proposed cluster has.
            neighbours: neighbours kept per text above ``EXACT_LIMIT`` distinct texts.

        Returns:
            Clusters as sorted lists of indices, largest first, then by first index. A text with
            no known feature (empty, or only unknown words) is never in a cluster.
        """
        if threshold is None:
            threshold = self.threshold
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        if min_size < 1:
            raise ValueError(f"min_size must be at least 1, got {min_size}")
        if groups is not None and len(groups) != len(self):
            raise ValueError(f"groups has {len(groups)} labels for {len(self)} texts")
        matrix = self.matrix
        members: dict[str, list[int]] = {}
        has_features = np.diff(matrix.indptr) > 0
        for index, parsed in enumerate(self._parsed):
            if has_features[index]:
                members.setdefault(parsed.key, []).append(index)
        nodes = list(members.values())
        representatives = np.array([node[0] for node in nodes], dtype=np.int64)
        sizes = np.array([len(node) for node in nodes], dtype=np.int64)
        linked = cluster_rows(
            sparse.csr_matrix(matrix[representatives]),
            sizes,
            threshold=threshold,
            floor=threshold * FLOOR_SHARE,
            neighbours=neighbours,
            exact_limit=EXACT_LIMIT,
            candidate_start=self._featuriser.char_columns,
        )
        clusters = [sorted(index for node in cluster for index in nodes[node]) for cluster in linked]
        clusters = [cluster for cluster in clusters if len(cluster) >= min_size]
        if groups is not None:
            clusters = [cluster for cluster in clusters if len({groups[index] for index in cluster}) >= 2]
        return sorted(clusters, key=lambda cluster: (-len(cluster), cluster[0]))


def similarity_matrix(
    texts: Sequence[str],
    *,
    weights: FeatureWeights = DEFAULT_WEIGHTS,
    lexicon: Lexicon = DEFAULT_LEXICON,
) -> npt.NDArray[np.float64]:
    """All pairwise similarities of a few texts (fitted on those texts), as a dense array.

    Args:
        texts: the texts (a dense n × n result: keep n in the thousands at most).
        weights: the feature block weights.
        lexicon: the concept lexicon.

    Returns:
        Symmetric n × n array in [0, 1].
    """
    return SimilarityIndex.fit(texts, weights=weights, lexicon=lexicon).similarity_matrix()


def nearest(new_text: str, index: SimilarityIndex, k: int = 5) -> list[tuple[int, float]]:
    """The ``k`` texts of ``index`` most similar to ``new_text``, best first.

    Args:
        new_text: the new impediment text.
        index: a fitted index.
        k: how many to return at most.

    Returns:
        ``(index, similarity)`` pairs with a similarity above 0, best first (ties: lower index).
    """
    return index.query(new_text, k)


def propose_clusters(
    texts: Sequence[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    groups: Sequence[Hashable] | None = None,
    min_size: int = 2,
    weights: FeatureWeights = DEFAULT_WEIGHTS,
    lexicon: Lexicon = DEFAULT_LEXICON,
) -> list[list[int]]:
    """Clusters of texts that describe the same problem (see :meth:`SimilarityIndex.propose_clusters`).

    Args:
        texts: the impediment texts.
        threshold: the lowest average similarity at which two clusters still merge, in (0, 1].
        groups: optionally, a label per text (the team); only clusters spanning two labels or more
            are then proposed.
        min_size: the fewest texts a proposed cluster has.
        weights: the feature block weights.
        lexicon: the concept lexicon.

    Returns:
        Clusters as sorted lists of positions in ``texts``, largest first, then by first position.
    """
    index = SimilarityIndex.fit(texts, weights=weights, lexicon=lexicon)
    return index.propose_clusters(threshold=threshold, groups=groups, min_size=min_size)
