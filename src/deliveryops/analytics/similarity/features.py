"""Feature vectors for impediment similarity: five TF-IDF blocks, weighted and concatenated.

Blocks (each sublinear TF-IDF, ``1 + ln(count)`` times the smooth IDF ``ln((1 + n) / (1 + df)) + 1``,
rows scaled to unit length, then multiplied by the square root of the block's weight):

* ``char``: character 3- to 5-grams inside the content words, padded by a space on each side
  ("logs" gives " lo", "log", "ogs", "gs ", " log", ...), robust to spelling variants and typos;
* ``word``: the stems of the content words;
* ``concept``: the lexicon's concepts (``lexicon``), each also scaled by its weight;
* ``pair``: unordered pairs of distinct specific concepts ("access" + "observability-logs" says much
  more than either alone);
* ``state``: the generic concepts (weight below 0.5 in the lexicon: "waiting", "broken", "missing"),
  kept apart so that two texts that share only "waiting" are not alike.

The concatenation is scaled to unit length again, so the dot product of two rows is their cosine:
the weighted mean of the block cosines, over the blocks that are present in both texts.

The character and word vocabularies come from the texts the featuriser is fitted on; a word or
n-gram first seen later is ignored. The concept and pair vocabularies are the lexicon's, fixed,
so a new text's concepts always count (an unseen concept gets the highest IDF).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt
from scipy import sparse

from deliveryops.analytics.similarity.lexicon import DEFAULT_LEXICON, Lexicon
from deliveryops.analytics.similarity.text import STOP_WORDS, stem, tokens

__all__ = ["DEFAULT_WEIGHTS", "FeatureWeights", "Featuriser", "Parsed", "parse"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_NGRAM_SIZES = (3, 4, 5)
_SPECIFIC = 0.5  # concepts below this lexicon weight are generic: state block, no pairs


@dataclass(frozen=True, slots=True)
class FeatureWeights:
    """Relative weights of the five feature blocks (any non-negative numbers; only ratios matter)."""

    char: float = 0.25
    word: float = 0.25
    concept: float = 2.0
    pair: float = 2.0
    state: float = 0.3

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        """The weights in block order: char, word, concept, pair, state."""
        return (self.char, self.word, self.concept, self.pair, self.state)

    def __post_init__(self) -> None:
        values = self.as_tuple()
        if any(value < 0 or math.isnan(value) for value in values) or not any(values):
            raise ValueError("feature weights must be non-negative and not all zero")


DEFAULT_WEIGHTS = FeatureWeights()


@dataclass(frozen=True, slots=True)
class Parsed:
    """One text, parsed: its content words, their stems, and its concepts."""

    words: tuple[str, ...]
    stems: tuple[str, ...]
    concepts: tuple[str, ...]

    @property
    def key(self) -> str:
        """The text's identity for de-duplication: texts with equal keys get equal vectors."""
        return " ".join(self.words) + "|" + " ".join(self.concepts)


def parse(text: str, lexicon: Lexicon = DEFAULT_LEXICON) -> Parsed:
    """Parse one text into content words, stems and concepts.

    Args:
        text: an impediment text.
        lexicon: the concept lexicon.

    Returns:
        The parsed text.
    """
    all_words = tokens(text)
    words = tuple(word for word in all_words if word not in STOP_WORDS)
    return Parsed(words, tuple(stem(word) for word in words), tuple(lexicon.concepts_in(all_words)))


def _ngrams(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[start : start + size] for size in _NGRAM_SIZES for start in range(len(padded) - size + 1)]


def _idf(document_frequency: IntArray, documents: int) -> FloatArray:
    idf: FloatArray = np.log((1.0 + documents) / (1.0 + document_frequency)) + 1.0
    return idf


def _normalise_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    squares = matrix.multiply(matrix)
    norms = np.sqrt(np.asarray(squares.sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sparse.csr_matrix(sparse.diags(scale) @ matrix)


class _Columns:
    """Column ids of one sparse block, collected text by text into one flat list."""

    def __init__(self) -> None:
        self.columns: list[int] = []
        self.ends: list[int] = []

    def close_row(self) -> None:
        self.ends.append(len(self.columns))

    def counts(self, width: int) -> sparse.csr_matrix:
        """The raw term counts: one row per text, ``width`` columns."""
        indptr = np.array([0, *self.ends], dtype=np.int64)
        indices = np.array(self.columns, dtype=np.int64)
        matrix = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(self.ends), width))
        matrix.sum_duplicates()
        return matrix


def _sublinear(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    matrix.data = 1.0 + np.log(matrix.data)
    return matrix


class Featuriser:
    """Turns parsed texts into weighted, unit-length TF-IDF rows; fitted once, on a corpus.

    Args:
        weights: the block weights.
        lexicon: the lexicon the texts are parsed with.
    """

    def __init__(self, *, weights: FeatureWeights = DEFAULT_WEIGHTS, lexicon: Lexicon = DEFAULT_LEXICON) -> None:
        self.weights = weights
        self.lexicon = lexicon
        self._concept_ids = {concept.name: index for index, concept in enumerate(lexicon.concepts)}
        self._specific = [concept.weight >= _SPECIFIC for concept in lexicon.concepts]
        self._concept_weights = sparse.diags(np.array([concept.weight for concept in lexicon.concepts]))
        self._word_ids: dict[str, int] = {}
        self._stem_ids: dict[str, int] = {}
        self._ngram_ids: dict[str, int] = {}
        self._word_ngrams = sparse.csr_matrix((0, 0))
        self._idf: list[FloatArray] = []

    @property
    def char_columns(self) -> int:
        """How many columns the character block has: it comes first, the other blocks after it."""
        return len(self._ngram_ids)

    def fit_transform(self, parsed: Sequence[Parsed]) -> sparse.csr_matrix:
        """Learn the vocabularies and IDF from a corpus and return its rows.

        Args:
            parsed: the corpus, parsed with :func:`parse` and this featuriser's lexicon.

        Returns:
            A CSR matrix, one unit-length row per text (all zero for a text with no feature).
        """
        if self._idf:
            raise RuntimeError("a featuriser is fitted once; build a new one to refit")
        blocks = self._blocks(parsed, fitting=True)
        self._idf = [_idf(np.bincount(block.indices, minlength=block.shape[1]), len(parsed)) for block in blocks]
        return self._weighted(blocks)

    def transform(self, parsed: Sequence[Parsed]) -> sparse.csr_matrix:
        """Return rows for texts in the fitted space (words and n-grams unseen at fit time are ignored).

        Args:
            parsed: texts parsed with :func:`parse` and this featuriser's lexicon.

        Returns:
            A CSR matrix, one unit-length row per text (all zero for a text with no known feature).
        """
        if not self._idf:
            raise RuntimeError("fit the featuriser before transforming texts")
        return self._weighted(self._blocks(parsed, fitting=False))

    def _weighted(self, blocks: list[sparse.csr_matrix]) -> sparse.csr_matrix:
        weighted = []
        for block, idf, block_weight in zip(blocks, self._idf, self.weights.as_tuple(), strict=True):
            scaled = sparse.csr_matrix(block @ sparse.diags(idf))
            weighted.append(_normalise_rows(scaled) * math.sqrt(block_weight))
        return _normalise_rows(sparse.csr_matrix(sparse.hstack(weighted, format="csr")))

    def _ngram_rows(self, words: Sequence[str], *, fitting: bool) -> sparse.csr_matrix:
        """The n-gram counts of each word (n-grams unseen at fit time dropped unless fitting)."""
        rows = _Columns()
        for word in words:
            for ngram in _ngrams(word):
                column = self._ngram_ids.get(ngram)
                if column is None and fitting:
                    column = self._ngram_ids[ngram] = len(self._ngram_ids)
                if column is not None:
                    rows.columns.append(column)
            rows.close_row()
        return rows.counts(len(self._ngram_ids))

    def _blocks(self, parsed: Sequence[Parsed], *, fitting: bool) -> list[sparse.csr_matrix]:
        """The five blocks as sublinear term-frequency matrices (before IDF and weights)."""
        concept_count = len(self._concept_ids)
        words, stems, concepts, pairs, states = _Columns(), _Columns(), _Columns(), _Columns(), _Columns()
        unseen: dict[str, int] = {}  # words first seen by ``transform``: n-grams only, vocabulary unchanged
        for text in parsed:
            for word in text.words:
                column = self._word_ids.get(word)
                if column is None:
                    if fitting:
                        column = self._word_ids[word] = len(self._word_ids)
                    else:
                        column = unseen.setdefault(word, len(self._word_ids) + len(unseen))
                words.columns.append(column)
            for word_stem in text.stems:
                column = self._stem_ids.get(word_stem)
                if column is None and fitting:
                    column = self._stem_ids[word_stem] = len(self._stem_ids)
                if column is not None:
                    stems.columns.append(column)
            specific: set[int] = set()
            for name in text.concepts:
                concept = self._concept_ids[name]
                if self._specific[concept]:
                    concepts.columns.append(concept)
                    specific.add(concept)
                else:
                    states.columns.append(concept)
            ordered = sorted(specific)
            pairs.columns.extend(first * concept_count + second for first, second in combinations(ordered, 2))
            for block in (words, stems, concepts, pairs, states):
                block.close_row()
        if fitting:
            self._word_ngrams = self._ngram_rows(list(self._word_ids), fitting=True)
            word_ngrams = self._word_ngrams
        else:
            word_ngrams = sparse.csr_matrix(sparse.vstack([self._word_ngrams, self._ngram_rows(list(unseen), fitting=False)]))
        characters = sparse.csr_matrix(words.counts(word_ngrams.shape[0]) @ word_ngrams)
        return [
            _sublinear(characters),
            _sublinear(stems.counts(len(self._stem_ids))),
            sparse.csr_matrix(_sublinear(concepts.counts(concept_count)) @ self._concept_weights),
            _sublinear(pairs.counts(concept_count * concept_count)),
            sparse.csr_matrix(_sublinear(states.counts(concept_count)) @ self._concept_weights),
        ]
