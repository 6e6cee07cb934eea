"""Impediment similarity that generalises: sentence vectors blended with the lexicon, and people's decisions.

The similarity of two impediment texts is the cosine of their **blended** rows: the sentence vector
(``analytics.similarity.embeddings``, weight ``embedding_weight``) beside the lexicon's TF-IDF row
(``analytics.similarity``, weight ``1 − embedding_weight``), the concatenation scaled to unit length.
So it is the weighted mean of the two cosines: the model recognises paraphrases that share no word
("no permission on the reporting database" / "Snowflake credentials"), the lexicon keeps tool names
and the organisation's synonyms that the model has never seen.

``DEFAULT_EMBEDDING_WEIGHT`` and ``DEFAULT_BLEND_THRESHOLD`` were chosen on the two tuning sets
(``benchmarks/impediment_clusters.json`` and ``benchmarks/impediment_clusters_tuning.json``), never on
the held-out set; ``benchmarks/similarity_bench.py`` prints how they score there. Without vectors
(the model is not installed) the index is the lexicon alone, with its own threshold.

**Decisions** (:class:`Decisions`) are what Product Ops said about pairs of texts: ``same`` pairs are
clustered together whatever their similarity, and the group they form is one node whose mean row
attracts its neighbours (a text joins it if it is, on average, like the whole confirmed group);
``different`` pairs are never put in one cluster (their link weighs ``CANNOT_LINK``, so no average
can reach the threshold).

Clusters are built by average linkage stopped at the threshold, as in ``similarity.cluster``: exact
up to ``EXACT_NODES`` nodes; above, rounds of linkage on k-nearest-neighbour graphs whose candidates
come from the sentence vectors (``dense_candidates``: an inverted file over k-means cells; from the
lexicon's posting lists when there are no vectors), each candidate pair then scored exactly.

Pure: numpy, SciPy and the standard library only (vectors come in as arrays).
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse

from deliveryops.analytics.similarity import DEFAULT_THRESHOLD, DEFAULT_WEIGHTS, SimilarityIndex
from deliveryops.analytics.similarity.features import FeatureWeights
from deliveryops.analytics.similarity.graph import knn_graph, row_dot_products
from deliveryops.analytics.similarity.lexicon import DEFAULT_LEXICON, Lexicon
from deliveryops.analytics.similarity.linkage import average_linkage

__all__ = [
    "CANNOT_LINK",
    "DEFAULT_BLEND_THRESHOLD",
    "DEFAULT_EMBEDDING_WEIGHT",
    "EXACT_NODES",
    "HELD_OUT_RATES",
    "BlendedIndex",
    "Decisions",
    "MeasuredRates",
    "dense_candidates",
    "expand_synonyms",
]

DEFAULT_EMBEDDING_WEIGHT = 0.6
DEFAULT_BLEND_THRESHOLD = 0.2
EXACT_NODES = 2000
CANNOT_LINK = -1.0e6
_FLOOR_SHARE = 0.5
_CANDIDATES = 12
_MAX_ROUNDS = 30

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class MeasuredRates:
    """Pairwise precision, recall and F1 measured on a labelled set the method was not tuned on."""

    precision: float
    recall: float
    f1: float
    texts: int
    groups: int


# The default method on ``benchmarks/impediment_clusters_heldout.json``, published beside the definition
# (docs and the definitions page); ``tests/analytics/test_similarity_heldout.py`` re-measures it.
HELD_OUT_RATES = MeasuredRates(precision=0.548, recall=0.612, f1=0.578, texts=177, groups=37)


def expand_synonyms(text: str, synonyms: Iterable[tuple[str, str]]) -> str:
    """Append the meaning of each organisation term found in ``text`` ("CAB" → "change advisory board").

    A term matches as a whole word or phrase, ignoring case; each meaning is appended once, in
    brackets, so that both the sentence model and the lexicon read it.

    Args:
        text: an impediment text.
        synonyms: (term, meaning) pairs.

    Returns:
        The text, followed by the meanings of the terms it contains.
    """
    meanings: list[str] = []
    for term, meaning in synonyms:
        if not term.strip() or meaning in meanings:
            continue
        if re.search(rf"(?<![0-9A-Za-z]){re.escape(term.strip())}(?![0-9A-Za-z])", text, flags=re.IGNORECASE):
            meanings.append(meaning)
    return f"{text} ({'; '.join(meanings)})" if meanings else text


@dataclass(frozen=True, slots=True)
class Decisions:
    """What people decided about pairs of texts (positions in the index)."""

    same: Sequence[tuple[int, int]] = field(default_factory=tuple)
    different: Sequence[tuple[int, int]] = field(default_factory=tuple)


class _UnionFind:
    def __init__(self, count: int) -> None:
        self.parent = list(range(count))

    def find(self, item: int) -> int:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, first: int, second: int) -> None:
        low, high = sorted((self.find(first), self.find(second)))
        self.parent[high] = low


def dense_candidates(
    vectors: npt.NDArray[np.floating], *, candidates: int = _CANDIDATES, probes: int = 3, seed: int = 0
) -> tuple[IntArray, IntArray]:
    """Likely nearest neighbours by dot product, without an n × n product (an inverted file).

    The rows are grouped in about √n k-means cells (5 rounds of Lloyd's algorithm); each row is
    compared with the rows of its ``probes`` nearest cells and keeps its best ``candidates``.

    Args:
        vectors: n × d rows (unit-length or cluster means).
        candidates: neighbours kept per row.
        probes: cells searched per row.
        seed: seed of the choice of the first centres.

    Returns:
        ``(rows, columns)`` of the candidate pairs, rows ascending, no self-pairs.
    """
    rows, columns, _scores = _scored_candidates(vectors, candidates=candidates, probes=probes, seed=seed)
    return rows, columns


def _scored_candidates(
    vectors: npt.NDArray[np.floating], *, candidates: int, probes: int = 3, seed: int = 0
) -> tuple[IntArray, IntArray, npt.NDArray[np.float32]]:
    """:func:`dense_candidates` with the dot product of each pair (float32), computed on the way."""
    count = vectors.shape[0]
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    cells = max(1, int(math.sqrt(count)))
    rng = np.random.default_rng(seed)
    centres = data[rng.choice(count, size=cells, replace=False)].copy()
    rows_of_count = np.arange(count)
    ones = np.ones(count, dtype=np.float32)
    for _ in range(5):
        assignment = np.argmax(data @ centres.T, axis=1)
        # Each cell's sum of rows as one sparse product (numpy's add.at is a slow sequential loop).
        sums = np.asarray(sparse.csr_matrix((ones, (assignment, rows_of_count)), shape=(cells, count)) @ data, dtype=np.float32)
        filled = np.bincount(assignment, minlength=cells) > 0
        norms = np.linalg.norm(sums[filled], axis=1, keepdims=True)
        centres[filled] = sums[filled] / np.clip(norms, 1e-12, None)
    scores = data @ centres.T
    assignment = np.argmax(scores, axis=1)
    probe_count = min(probes, cells)
    probed = (
        np.argpartition(-scores, probe_count - 1, axis=1)[:, :probe_count]
        if probe_count < cells
        else (np.broadcast_to(np.arange(cells), (count, cells)))
    )
    members = np.argsort(assignment, kind="stable")
    bounds = np.searchsorted(assignment[members], np.arange(cells + 1))
    flat_cells = probed.ravel()
    flat_rows = np.repeat(np.arange(count), probed.shape[1])
    by_cell = np.argsort(flat_cells, kind="stable")
    cell_bounds = np.searchsorted(flat_cells[by_cell], np.arange(cells + 1))
    found_rows, found_columns, found_scores = [], [], []
    for cell in range(cells):
        items = members[bounds[cell] : bounds[cell + 1]]
        queries = flat_rows[by_cell[cell_bounds[cell] : cell_bounds[cell + 1]]]
        if len(items) == 0 or len(queries) == 0:
            continue
        block = data[queries] @ data[items].T
        block[queries[:, None] == items[None, :]] = -np.inf
        keep = min(candidates, len(items))
        best = (
            np.argpartition(-block, keep - 1, axis=1)[:, :keep]
            if keep < len(items)
            else (np.broadcast_to(np.arange(len(items)), (len(queries), len(items))))
        )
        found_rows.append(np.repeat(queries, keep))
        found_columns.append(items[best].ravel())
        found_scores.append(np.take_along_axis(block, best, axis=1).ravel())
    if not found_rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    rows = np.concatenate(found_rows)
    columns = np.concatenate(found_columns)
    values = np.concatenate(found_scores)
    valid = np.isfinite(values)
    rows, columns, values = rows[valid], columns[valid], values[valid]
    order = np.lexsort((columns, -values, rows))
    rows, columns, values = rows[order], columns[order], values[order]
    unique = np.ones(len(rows), dtype=bool)
    unique[1:] = (rows[1:] != rows[:-1]) | (columns[1:] != columns[:-1])
    rows, columns, values = rows[unique], columns[unique], values[unique]
    starts = np.searchsorted(rows, rows, side="left")
    kept = (np.arange(len(rows)) - starts) < candidates
    return rows[kept].astype(np.int64), columns[kept].astype(np.int64), values[kept].astype(np.float32)


class BlendedIndex:
    """Impediment texts in the blended space; built with :meth:`fit`.

    Indices are positions in the order texts were fitted. ``method`` is ``"blend"`` with vectors,
    ``"lexicon"`` without.
    """

    def __init__(
        self, lexical: SimilarityIndex, dense: npt.NDArray[np.float32], *, embedding_weight: float, threshold: float
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.lexical = lexical
        self.embedding_weight = embedding_weight
        self.threshold = threshold
        lexical_rows = sparse.csr_matrix(lexical.matrix * math.sqrt(1.0 - embedding_weight))
        dense_rows = (dense * math.sqrt(embedding_weight)).astype(np.float32)
        squares = np.asarray(lexical_rows.multiply(lexical_rows).sum(axis=1)).ravel()
        squares += (dense_rows.astype(np.float64) ** 2).sum(axis=1)
        norms = np.sqrt(squares)
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        self._lexical_rows = sparse.csr_matrix(sparse.diags(scale) @ lexical_rows)
        self._dense_rows = (dense_rows * scale[:, None]).astype(np.float32)
        self._has_features = norms > 0

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        vectors: npt.NDArray[np.floating] | None = None,
        *,
        embedding_weight: float = DEFAULT_EMBEDDING_WEIGHT,
        threshold: float | None = None,
        weights: FeatureWeights = DEFAULT_WEIGHTS,
        lexicon: Lexicon = DEFAULT_LEXICON,
    ) -> BlendedIndex:
        """Index ``texts`` with their sentence vectors (or, without vectors, with the lexicon alone).

        Args:
            texts: the impediment texts (synonyms already expanded, see :func:`expand_synonyms`).
            vectors: one unit-length sentence vector per text, or ``None``.
            embedding_weight: the sentence vectors' share of the similarity, in [0, 1].
            threshold: the same-problem similarity; ``None``: the default of the method.
            weights: the lexicon's feature block weights.
            lexicon: the concept lexicon.

        Returns:
            The index.
        """
        if not 0.0 <= embedding_weight <= 1.0:
            raise ValueError(f"embedding_weight must be in [0, 1], got {embedding_weight}")
        text_list = list(texts)
        lexical = SimilarityIndex.fit(text_list, weights=weights, lexicon=lexicon)
        if vectors is None:
            dense = np.zeros((len(text_list), 0), dtype=np.float32)
            embedding_weight = 0.0
        else:
            dense = np.asarray(vectors, dtype=np.float32)
            if dense.ndim != 2 or dense.shape[0] != len(text_list):
                raise ValueError(f"vectors has shape {dense.shape} for {len(text_list)} texts")
        if threshold is None:
            threshold = DEFAULT_BLEND_THRESHOLD if embedding_weight > 0 else DEFAULT_THRESHOLD
        return cls(lexical, dense, embedding_weight=embedding_weight, threshold=threshold)

    def __len__(self) -> int:
        return len(self.lexical)

    @property
    def method(self) -> str:
        """``"blend"`` (sentence vectors and lexicon) or ``"lexicon"``."""
        return "blend" if self.embedding_weight > 0 else "lexicon"

    def similarity_matrix(self) -> FloatArray:
        """All pairwise similarities (dense n × n; for small n)."""
        lexical: FloatArray = np.asarray((self._lexical_rows @ sparse.csr_matrix(self._lexical_rows.T)).toarray())
        dense = self._dense_rows.astype(np.float64)
        similarities: FloatArray = np.clip(lexical + dense @ dense.T, -1.0, 1.0)
        return similarities

    def _query_row(self, text: str, vector: npt.NDArray[np.floating] | None) -> tuple[sparse.csr_matrix, FloatArray]:
        lexical = sparse.csr_matrix(self.lexical.vectors([text]) * math.sqrt(1.0 - self.embedding_weight))
        if self.embedding_weight > 0:
            if vector is None:
                raise ValueError("this index blends sentence vectors: pass the new text's vector")
            dense = np.asarray(vector, dtype=np.float64).reshape(1, -1) * math.sqrt(self.embedding_weight)
        else:
            dense = np.zeros((1, 0))
        norm = math.sqrt(float(lexical.multiply(lexical).sum()) + float((dense**2).sum()))
        scale = 1.0 / norm if norm > 0 else 0.0
        return sparse.csr_matrix(lexical * scale), dense[0] * scale

    def query(
        self, text: str, vector: npt.NDArray[np.floating] | None = None, k: int = 5, *, min_score: float = 0.0
    ) -> list[tuple[int, float]]:
        """The ``k`` indexed texts most similar to a new one, best first.

        Args:
            text: the new text (synonyms expanded).
            vector: its sentence vector (required when the index blends vectors).
            k: how many at most.
            min_score: only texts with a similarity above 0 and at least this.

        Returns:
            ``(index, similarity)`` pairs by similarity descending, then index ascending.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        lexical, dense = self._query_row(text, vector)
        scores = np.asarray(self._lexical_rows @ lexical.T.toarray()).ravel()
        if dense.size:
            scores = scores + self._dense_rows @ dense.astype(np.float32)
        candidates = np.flatnonzero((scores > 0) & (scores >= min_score))
        order = np.lexsort((candidates, -scores[candidates]))[:k]
        return [(int(candidates[position]), float(scores[candidates[position]])) for position in order]

    def propose_clusters(
        self,
        *,
        threshold: float | None = None,
        groups: Sequence[Hashable] | None = None,
        min_size: int = 2,
        decisions: Decisions | None = None,
        neighbours: int = 6,
    ) -> list[list[int]]:
        """Clusters of texts that describe the same problem, honouring people's decisions.

        Args:
            threshold: the lowest average similarity at which two clusters still merge; ``None``:
                the index's.
            groups: optionally a label per text (its team); then only clusters spanning two labels
                or more are returned.
            min_size: the fewest texts a returned cluster has.
            decisions: pairs decided "same" (always together) and "different" (never together).
            neighbours: neighbours kept per node above ``EXACT_NODES`` nodes.

        Returns:
            Clusters as sorted lists of indices, largest first, then by first index.
        """
        threshold = self.threshold if threshold is None else threshold
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        count = len(self)
        if groups is not None and len(groups) != count:
            raise ValueError(f"groups has {len(groups)} labels for {count} texts")
        decisions = decisions or Decisions()
        for first, second in [*decisions.same, *decisions.different]:
            if not (0 <= first < count and 0 <= second < count):
                raise ValueError(f"decision pair ({first}, {second}) is out of range for {count} texts")
        nodes = self._nodes(decisions)
        node_of = np.full(count, -1, dtype=np.int64)
        for node, members in enumerate(nodes):
            node_of[members] = node
        different = {
            (min(int(node_of[a]), int(node_of[b])), max(int(node_of[a]), int(node_of[b])))
            for a, b in decisions.different
            if node_of[a] >= 0 and node_of[b] >= 0 and node_of[a] != node_of[b]
        }
        linked = self._cluster_nodes(nodes, different, threshold=threshold, neighbours=neighbours)
        clusters = [sorted(index for node in cluster for index in nodes[node]) for cluster in linked]
        clusters = [cluster for cluster in clusters if len(cluster) >= min_size]
        if groups is not None:
            clusters = [cluster for cluster in clusters if len({groups[index] for index in cluster}) >= 2]
        return sorted(clusters, key=lambda cluster: (-len(cluster), cluster[0]))

    def _nodes(self, decisions: Decisions) -> list[list[int]]:
        """Texts that are one node: identical after parsing, or decided "same" (texts with no feature left out)."""
        count = len(self)
        union = _UnionFind(count)
        first_of_key: dict[str, int] = {}
        parsed = self.lexical._parsed  # the lexical index's parsed texts (one parse per text)
        texts = self.lexical.texts
        for index in range(count):
            if not self._has_features[index]:
                continue
            # Lexicon alone: texts with equal parses have equal rows. Blended: equal texts only.
            key = parsed[index].key if self.embedding_weight == 0 else texts[index].strip().casefold()
            if key in first_of_key:
                union.union(first_of_key[key], index)
            else:
                first_of_key[key] = index
        for first, second in decisions.same:
            if self._has_features[first] and self._has_features[second]:
                union.union(first, second)
        members: dict[int, list[int]] = {}
        for index in range(count):
            if self._has_features[index]:
                members.setdefault(union.find(index), []).append(index)
        return [members[root] for root in sorted(members)]

    def _means(self, groups: Sequence[Sequence[int]]) -> tuple[sparse.csr_matrix, FloatArray, IntArray]:
        rows = np.concatenate([np.asarray(group, dtype=np.int64) for group in groups])
        owner = np.repeat(np.arange(len(groups)), [len(group) for group in groups])
        sizes = np.array([len(group) for group in groups], dtype=np.int64)
        membership = sparse.csr_matrix((1.0 / sizes[owner], (owner, rows)), shape=(len(groups), len(self)))
        lexical = sparse.csr_matrix(membership @ self._lexical_rows)
        dense = np.asarray(membership @ self._dense_rows.astype(np.float64))
        return lexical, dense, sizes

    def _cluster_nodes(
        self, nodes: list[list[int]], different: set[tuple[int, int]], *, threshold: float, neighbours: int
    ) -> list[list[int]]:
        """Average linkage over nodes, in rounds above ``EXACT_NODES``; returns clusters of node ids."""
        if not nodes:
            return []
        floor = threshold * _FLOOR_SHARE
        current = [[node] for node in range(len(nodes))]  # clusters of nodes
        for _ in range(_MAX_ROUNDS):
            lexical, dense, sizes = self._means([[text for node in cluster for text in nodes[node]] for cluster in current])
            exact = len(current) <= EXACT_NODES
            cluster_of = np.empty(len(nodes), dtype=np.int64)
            for position, cluster in enumerate(current):
                cluster_of[cluster] = position
            forbidden = {
                (min(int(cluster_of[a]), int(cluster_of[b])), max(int(cluster_of[a]), int(cluster_of[b]))) for a, b in different
            }
            graph = self._exact_graph(lexical, dense, floor) if exact else self._knn_graph(lexical, dense, floor, neighbours)
            graph = _with_cannot_links(graph, forbidden)
            linked = average_linkage(graph, sizes=sizes, threshold=threshold, neighbours=None if exact else neighbours)
            merged = len(linked) < len(current)
            current = [[node for position in group for node in current[position]] for group in linked]
            if exact or not merged:
                break
        return [sorted(cluster) for cluster in current]

    @staticmethod
    def _exact_graph(lexical: sparse.csr_matrix, dense: FloatArray, floor: float) -> sparse.csr_matrix:
        similarities = np.asarray((lexical @ sparse.csr_matrix(lexical.T)).toarray())
        if dense.shape[1]:
            similarities += dense @ dense.T
        np.fill_diagonal(similarities, 0.0)
        similarities[similarities < floor] = 0.0
        return sparse.csr_matrix(similarities)

    def _knn_graph(self, lexical: sparse.csr_matrix, dense: FloatArray, floor: float, neighbours: int) -> sparse.csr_matrix:
        count = lexical.shape[0]
        dense_scores: npt.NDArray[np.float32] | None = None
        if dense.shape[1]:
            # The sentence vectors carry most of the similarity: their neighbours are the candidates,
            # and the candidate search has already computed the pairs' dense dot products.
            rows, columns, dense_scores = _scored_candidates(dense, candidates=_CANDIDATES)
        else:
            lexical_graph = knn_graph(
                lexical, candidate_start=self.lexical.featuriser.char_columns, neighbours=_CANDIDATES, floor=1e-9
            ).tocoo()
            order = np.lexsort((lexical_graph.col, lexical_graph.row))
            rows, columns = lexical_graph.row[order].astype(np.int64), lexical_graph.col[order].astype(np.int64)
        scores = row_dot_products(lexical, rows, columns)
        if dense_scores is not None:
            scores += dense_scores
        kept = scores >= floor
        graph = sparse.csr_matrix((scores[kept], (rows[kept], columns[kept])), shape=(count, count))
        graph = _top_per_row(graph, neighbours)
        return sparse.csr_matrix(graph.maximum(graph.T))


def _top_per_row(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    lengths = np.diff(matrix.indptr)
    if lengths.max(initial=0) <= keep:
        return matrix
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    position = np.arange(len(order)) - matrix.indptr[rows[order]]
    chosen = np.sort(order[position < keep])
    indptr = np.concatenate(([0], np.cumsum(np.minimum(lengths, keep))))
    return sparse.csr_matrix((matrix.data[chosen], matrix.indices[chosen], indptr), shape=matrix.shape)


def _with_cannot_links(graph: sparse.csr_matrix, forbidden: set[tuple[int, int]]) -> sparse.csr_matrix:
    if not forbidden:
        return graph
    graph = sparse.lil_matrix(graph)
    for first, second in forbidden:
        graph[first, second] = CANNOT_LINK
        graph[second, first] = CANNOT_LINK
    return sparse.csr_matrix(graph)
