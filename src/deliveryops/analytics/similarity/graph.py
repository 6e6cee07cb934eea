"""Sparse similarity graphs over unit-length TF-IDF rows, built in chunks (never an n × n dense matrix).

* :func:`exact_graph`: every pair with similarity at least ``floor``, from sparse products of row
  chunks with the whole matrix. Its cost grows with the number of pairs that share a feature, so
  it is for up to a few thousand texts (the clustering is then exact average linkage).
* :func:`knn_graph`: for each row, its ``k`` most similar rows among a bounded set of candidates.
  Candidates come from the non-character blocks (concepts, concept pairs, words, state: about ten
  features per text, the ones that carry most of the similarity), through **truncated posting
  lists**: for each feature, only the ``posting_cap`` rows in which it weighs most are indexed,
  so a common concept ("deploy", in thousands of texts) costs ``posting_cap`` dot products per
  text, not thousands. Each row keeps its best ``candidates`` by that partial score; they are then
  scored exactly (all blocks, character n-grams included) and the best ``k`` are kept. The graph
  is symmetric: an edge is kept if either end chose it.

The k-nearest-neighbour graph is approximate (a true neighbour that shares only common features
with a row may be missed), which the clustering allows for (``linkage``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

__all__ = ["exact_graph", "knn_graph", "row_dot_products"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _row_ids(matrix: sparse.csr_matrix) -> IntArray:
    return np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))


def _drop_self(matrix: sparse.csr_matrix, offset: int) -> sparse.csr_matrix:
    """Remove the entries (i, offset + i): a row's similarity with itself."""
    matrix.data[matrix.indices == _row_ids(matrix) + offset] = 0.0
    matrix.eliminate_zeros()
    return matrix


def exact_graph(matrix: sparse.csr_matrix, *, floor: float, chunk_rows: int = 1024) -> sparse.csr_matrix:
    """Every pair of rows with similarity ≥ ``floor`` (and > 0), as a symmetric sparse matrix.

    Args:
        matrix: unit-length rows (n × d).
        floor: the smallest similarity kept.
        chunk_rows: rows multiplied at once (bounds memory).

    Returns:
        n × n CSR matrix of similarities, zero diagonal.
    """
    transposed = sparse.csr_matrix(matrix.T)
    chunks = []
    for start in range(0, matrix.shape[0], chunk_rows):
        block = _drop_self(sparse.csr_matrix(matrix[start : start + chunk_rows] @ transposed), start)
        block.data[block.data < floor] = 0.0
        block.eliminate_zeros()
        chunks.append(block)
    if not chunks:
        return sparse.csr_matrix((0, 0))
    return sparse.csr_matrix(sparse.vstack(chunks))


def _top_per_row(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Keep the ``keep`` largest entries of each row (ties: the lower column id)."""
    lengths = np.diff(matrix.indptr)
    if lengths.max(initial=0) <= keep:
        return matrix
    rows = _row_ids(matrix)
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    position = np.arange(len(order)) - matrix.indptr[rows[order]]
    chosen = np.sort(order[position < keep])
    indptr = np.concatenate(([0], np.cumsum(np.minimum(lengths, keep))))
    return sparse.csr_matrix((matrix.data[chosen], matrix.indices[chosen], indptr), shape=matrix.shape)


def _best_columns(matrix: sparse.csr_matrix, keep: int) -> tuple[IntArray, IntArray]:
    """(row, column) of the ``keep`` largest entries of each row, rows in ascending order."""
    lengths = np.diff(matrix.indptr)
    rows = _row_ids(matrix)
    widest = int(lengths.max(initial=0))
    if widest <= keep:
        return rows, matrix.indices.astype(np.int64)
    # A padded dense copy of the chunk: argpartition per row is far cheaper than sorting.
    position = np.arange(matrix.nnz) - matrix.indptr[rows]
    scores = np.full((matrix.shape[0], widest), -np.inf)
    columns = np.full((matrix.shape[0], widest), -1, dtype=np.int64)
    scores[rows, position] = matrix.data
    columns[rows, position] = matrix.indices
    best = np.argpartition(-scores, keep - 1, axis=1)[:, :keep]
    chosen = np.take_along_axis(columns, best, axis=1)
    row_grid = np.broadcast_to(np.arange(matrix.shape[0], dtype=np.int64)[:, None], chosen.shape)
    found = chosen >= 0
    return row_grid[found], chosen[found]


def row_dot_products(matrix: sparse.csr_matrix, rows: IntArray, columns: IntArray, *, chunk_rows: int = 256) -> FloatArray:
    """Exact dot products ``matrix[rows[i]] · matrix[columns[i]]`` for many pairs.

    Args:
        matrix: CSR rows (n × d).
        rows: first row of each pair, in ascending order.
        columns: second row of each pair.
        chunk_rows: first rows expanded to a dense buffer at once.

    Returns:
        One dot product per pair.
    """
    products = np.zeros(len(rows))
    if len(rows) == 0:
        return products
    dense = np.zeros((chunk_rows, matrix.shape[1]))
    bounds = np.searchsorted(rows, np.arange(0, matrix.shape[0] + chunk_rows, chunk_rows))
    for chunk, (low, high) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)):
        if low == high:
            continue
        start = chunk * chunk_rows
        block = matrix[start : start + chunk_rows]
        block_rows = _row_ids(block)
        dense[block_rows, block.indices] = block.data
        others = columns[low:high]
        first = matrix.indptr[others]
        lengths = matrix.indptr[others + 1] - first
        ends = np.cumsum(lengths)
        gather = np.repeat(first - (ends - lengths), lengths) + np.arange(int(ends[-1]) if len(ends) else 0)
        terms = matrix.data[gather] * dense[np.repeat(rows[low:high] - start, lengths), matrix.indices[gather]]
        running = np.concatenate(([0.0], np.cumsum(terms)))
        products[low:high] = running[ends] - running[ends - lengths]
        dense[block_rows, block.indices] = 0.0
    return products


def knn_graph(
    matrix: sparse.csr_matrix,
    *,
    candidate_start: int,
    neighbours: int,
    floor: float,
    candidates: int = 20,
    posting_cap: int = 100,
    chunk_rows: int = 2048,
) -> sparse.csr_matrix:
    """Approximate k-nearest-neighbour graph: each row's best ``neighbours`` with similarity ≥ ``floor``.

    Args:
        matrix: unit-length rows (n × d).
        candidate_start: first column of the blocks candidates are generated from (the columns
            before it, the character n-grams, only enter the exact scoring).
        neighbours: ``k``, the neighbours kept per row.
        floor: the smallest similarity kept.
        candidates: rows scored exactly per row.
        posting_cap: rows indexed per feature.
        chunk_rows: rows processed at once (bounds memory).

    Returns:
        n × n symmetric CSR matrix of exact similarities, zero diagonal.
    """
    count = matrix.shape[0]
    coarse = sparse.csr_matrix(matrix[:, candidate_start:])
    postings = _top_per_row(sparse.csr_matrix(coarse.T), posting_cap)  # feature × row
    pair_rows, pair_columns = [], []
    for start in range(0, count, chunk_rows):
        partial = _drop_self(sparse.csr_matrix(coarse[start : start + chunk_rows] @ postings), start)
        rows, columns = _best_columns(partial, candidates)
        pair_rows.append(rows + start)
        pair_columns.append(columns)
    rows = np.concatenate(pair_rows) if pair_rows else np.zeros(0, dtype=np.int64)
    columns = np.concatenate(pair_columns) if pair_columns else np.zeros(0, dtype=np.int64)
    similarities = row_dot_products(matrix, rows, columns)
    kept = similarities >= floor
    graph = sparse.csr_matrix((similarities[kept], (rows[kept], columns[kept])), shape=(count, count))
    graph = _top_per_row(graph, neighbours)
    return sparse.csr_matrix(graph.maximum(graph.T))
