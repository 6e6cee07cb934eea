"""Average-linkage clustering on a sparse similarity graph, stopped at a threshold.

Clusters start as single nodes and the two clusters with the highest **linkage** are merged, again
and again, while that linkage is at least the threshold. Linkage between clusters A and B:

    linkage(A, B) = S(A, B) / max(N(A, B), cap(|A|, |B|))

* ``S(A, B)`` is the sum of the similarities of the known pairs (graph edges) between A and B,
  each pair counted once per text it stands for (a node may stand for several identical texts);
* ``N(A, B)`` is the number of those known text pairs;
* ``cap(a, b) = a · b`` when the graph holds every positive similarity: the linkage is then
  exactly average linkage (unknown pairs have similarity 0), which does not chain: a text joins a
  cluster only if it is, on average, similar to all of it;
* ``cap(a, b) = min(a, b) · min(max(a, b), k)`` when each node kept only its ``k`` best neighbours:
  every text of the smaller cluster can have at most ``k`` known links into the larger one, so
  the linkage is the mean similarity over the links it could have had. Without this cap a large
  true group could never merge (most of its pairs are unknown); with ``cap = a · b`` it would not.

Both caps only grow as clusters grow, so the linkage of two clusters that a merge did not touch
can only fall: the merge queue re-checks an entry when it is popped (lazy deletion) and is exact.
Ties are broken by the smaller node ids, so the result is deterministic.
"""

from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt
from scipy import sparse

__all__ = ["average_linkage"]

_TOLERANCE = 1e-12


def average_linkage(
    graph: sparse.csr_matrix,
    *,
    sizes: npt.NDArray[np.int64],
    threshold: float,
    neighbours: int | None,
) -> list[list[int]]:
    """Merge nodes while the best linkage is at least ``threshold``; return the clusters.

    Args:
        graph: symmetric similarities between nodes (n × n, zero diagonal, no entry = unknown).
        sizes: how many identical texts each node stands for (all ≥ 1).
        threshold: the lowest linkage at which two clusters still merge.
        neighbours: ``None`` if ``graph`` holds every positive similarity, else the ``k`` of the
            k-nearest-neighbour graph (it sets the cap, see the module docstring).

    Returns:
        The clusters as lists of node ids, each sorted, in order of their smallest node id;
        every node appears in exactly one cluster (unmerged nodes as singletons).
    """
    count = graph.shape[0]
    size = [int(value) for value in sizes]
    links: list[dict[int, tuple[float, float]]] = [{} for _ in range(count)]
    upper = sparse.triu(graph, k=1).tocoo()
    for first, second, similarity in zip(upper.row.tolist(), upper.col.tolist(), upper.data.tolist(), strict=True):
        pairs = float(size[first] * size[second])
        links[first][second] = links[second][first] = (similarity * pairs, pairs)

    limit = sum(size) + 1 if neighbours is None else neighbours  # exact graph: the larger side is never capped

    def linkage(first: int, second: int, total: float, pairs: float) -> float:
        # The hot loop of the clustering: plain comparisons rather than sorted()/min()/max().
        small, large = size[first], size[second]
        if small > large:
            small, large = large, small
        cap = small * (large if large < limit else limit)
        return total / (pairs if pairs > cap else cap)

    queue: list[tuple[float, int, int]] = []
    for first in range(count):
        for second, (total, pairs) in links[first].items():
            if first < second and (score := linkage(first, second, total, pairs)) >= threshold:
                queue.append((-score, first, second))
    heapq.heapify(queue)
    heappop, heappush = heapq.heappop, heapq.heappush
    members = [[node] for node in range(count)]
    alive = [True] * count
    while queue:
        negative, first, second = heappop(queue)
        if not (alive[first] and alive[second]):
            continue
        known = links[first].get(second)
        if known is None:
            continue
        score = linkage(first, second, known[0], known[1])
        if score < -negative - _TOLERANCE:  # stale: the clusters grew since this entry was queued
            if score >= threshold:
                heappush(queue, (-score, first, second))
            continue
        # Merge the cluster with fewer links into the one with more (each link moves O(log n) times).
        keep, gone = (first, second) if len(links[first]) >= len(links[second]) else (second, first)
        alive[gone] = False
        size[keep] += size[gone]
        members[keep].extend(members[gone])
        members[gone] = []
        del links[keep][gone]
        gone_links, links[gone] = links[gone], {}
        for other, (total, pairs) in gone_links.items():
            if other == keep:
                continue
            del links[other][gone]
            known_total, known_pairs = links[keep].get(other, (0.0, 0.0))
            merged = (known_total + total, known_pairs + pairs)
            links[keep][other] = links[other][keep] = merged
            if (score := linkage(keep, other, merged[0], merged[1])) >= threshold:
                heappush(queue, (-score, keep, other) if keep < other else (-score, other, keep))
    clusters = [sorted(group) for group in members if group]
    return sorted(clusters, key=lambda group: group[0])
