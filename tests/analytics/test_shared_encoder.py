"""The process shares one sentence encoder, however many threads ask for it at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from deliveryops.analytics.similarity.embeddings import SentenceEncoder, default_encoder


def test_threads_asking_at_once_get_the_same_encoder() -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        encoders = list(pool.map(lambda _: default_encoder(), range(64)))
    assert isinstance(encoders[0], SentenceEncoder)
    assert all(encoder is encoders[0] for encoder in encoders)
    assert default_encoder() is encoders[0]
