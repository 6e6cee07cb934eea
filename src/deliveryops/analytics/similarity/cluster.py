"""Clustering of unit-length rows: exact average linkage when small, rounds on k-NN graphs when large.

Average similarity between two clusters is the dot product of their **mean vectors**: with unit
rows x, ``mean(A) · mean(B) = Σ_a Σ_b x_a · x_b / (|A| |B|)``. That makes rounds possible:

1. Build a graph over the current clusters (the rows themselves at first): every pair with
   similarity ≥ ``floor`` when there are at most ``exact_limit`` of them, otherwise each cluster's
   ``neighbours`` best (``graph.knn_graph``) by the dot product of means, which is
   their exact average similarity.
2. Run average linkage on that graph (``linkage.average_linkage``).
3. Replace each cluster by its mean and repeat, until a round merges nothing.

With at most ``exact_limit`` rows one round is all: exact average linkage, similarities below
``floor`` counting as 0. Above it, rounds repair what a k-NN graph alone cannot: the members of a
large group whose neighbour lists are filled by near-duplicates first form tight sub-clusters,
and the next round links those sub-clusters through their means.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

from deliveryops.analytics.similarity.graph import exact_graph, knn_graph
from deliveryops.analytics.similarity.linkage import average_linkage

__all__ = ["cluster_rows"]

_MAX_ROUNDS = 30


def cluster_rows(
    matrix: sparse.csr_matrix,
    sizes: npt.NDArray[np.int64],
    *,
    threshold: float,
    floor: float,
    neighbours: int,
    exact_limit: int,
    candidate_start: int,
) -> list[list[int]]:
    """Cluster rows by average linkage, stopped at ``threshold``.

    Args:
        matrix: unit-length rows, one per distinct text (n × d).
        sizes: how many identical texts each row stands for.
        threshold: the lowest average similarity at which two clusters still merge.
        floor: similarities below it are not kept in the graphs (they count as 0).
        neighbours: ``k`` of the k-NN graphs used above ``exact_limit`` rows.
        exact_limit: the most rows clustered in one exact round.
        candidate_start: first non-character column (see ``knn_graph``).

    Returns:
        Clusters as sorted lists of row ids, in order of their smallest row id (singletons included).
    """
    count = matrix.shape[0]
    if count <= exact_limit:
        graph = exact_graph(matrix, floor=floor)
        return average_linkage(graph, sizes=sizes, threshold=threshold, neighbours=None)
    cluster_of = np.arange(count, dtype=np.int64)
    sums = sparse.csr_matrix(sparse.diags(sizes.astype(np.float64)) @ matrix)
    node_sizes = sizes.copy()
    for _ in range(_MAX_ROUNDS):
        means = sparse.csr_matrix(sparse.diags(1.0 / node_sizes) @ sums)
        exact = means.shape[0] <= exact_limit
        if exact:
            graph = exact_graph(means, floor=floor)
            linked = average_linkage(graph, sizes=node_sizes, threshold=threshold, neighbours=None)
        else:
            graph = knn_graph(means, candidate_start=candidate_start, neighbours=neighbours, floor=floor)
            linked = average_linkage(graph, sizes=node_sizes, threshold=threshold, neighbours=neighbours)
        if len(linked) == means.shape[0]:
            break
        new_id = np.empty(means.shape[0], dtype=np.int64)
        for cluster_id, cluster in enumerate(linked):
            new_id[cluster] = cluster_id
        cluster_of = new_id[cluster_of]
        if exact:  # an exact round has already merged everything it could
            break
        membership = sparse.csr_matrix((np.ones(len(new_id)), (new_id, np.arange(len(new_id)))), shape=(len(linked), len(new_id)))
        sums = sparse.csr_matrix(membership @ sums)
        node_sizes = np.bincount(new_id, weights=node_sizes, minlength=len(linked)).astype(np.int64)
    order = np.argsort(cluster_of, kind="stable")
    boundaries = np.flatnonzero(np.diff(cluster_of[order])) + 1
    clusters = [group.tolist() for group in np.split(order, boundaries)] if count else []
    return sorted(clusters, key=lambda group: group[0])
