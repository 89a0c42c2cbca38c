"""Questions embedded at once from many threads share the encoder's calls, and each caller
gets its own vectors: the same as embedding its text alone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from apps.faq.batching import Coalescer
from apps.faq.embeddings import PackagedEmbedder

QUESTIONS = [
    "How long does delivery take?",
    "请问退货要多久才能退款？",
    "Can I pay with a gift card?",
    "你们发货到加拿大吗？",
    "Do you ship to Canada?",
    "优惠券可以叠加使用吗？",
    "What if my parcel arrives damaged?",
    "可以修改收货地址吗？",
]


class SlowEncoder:
    """An encoder whose calls take a while, as the real one's do: a row per text, its
    value the text's length, and every call's size noted."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.running = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        assert self.running.acquire(blocking=False), "two calls at once"
        try:
            self.calls.append(len(texts))
            threading.Event().wait(0.02)
            return np.array([[float(len(text))] for text in texts])
        finally:
            self.running.release()


def test_concurrent_requests_share_calls_one_at_a_time_and_get_their_own_rows():
    encoder = SlowEncoder()
    coalescer = Coalescer(encoder, max_rows=16)
    texts = [[f"q{'x' * n}"] for n in range(40)]
    with ThreadPoolExecutor(16) as pool:
        vectors = list(pool.map(coalescer.embed, texts))
    assert [v.tolist() for v in vectors] == [[[float(len(t[0]))]] for t in texts]
    assert sum(encoder.calls) == len(texts)
    assert len(encoder.calls) < len(texts) / 2, encoder.calls  # batches formed
    assert max(encoder.calls) <= 16


def test_a_lone_request_runs_at_once_and_a_big_one_goes_whole():
    encoder = SlowEncoder()
    coalescer = Coalescer(encoder, max_rows=4)
    assert coalescer.embed(["alone"]).tolist() == [[5.0]]
    many = [f"entry {n}" for n in range(10)]  # an index build: more than a batch's rows
    assert coalescer.embed(many).shape == (10, 1)
    assert encoder.calls == [1, 10]


def test_a_failing_call_fails_every_request_it_carried_and_the_next_ones_run():
    calls = []

    def flaky(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        if "boom" in texts:
            raise RuntimeError("encoder failed")
        return np.ones((len(texts), 1))

    coalescer = Coalescer(flaky, max_rows=16)
    with pytest.raises(RuntimeError, match="encoder failed"):
        coalescer.embed(["boom"])
    assert coalescer.embed(["fine"]).tolist() == [[1.0]]


def test_the_packaged_encoder_gives_each_thread_the_vector_its_question_has_alone():
    embedder = PackagedEmbedder()
    alone = [embedder.embed([question])[0] for question in QUESTIONS]
    with ThreadPoolExecutor(len(QUESTIONS)) as pool:
        together = list(pool.map(lambda q: embedder.embed([q])[0], QUESTIONS * 4))
    for question, vector in zip(QUESTIONS * 4, together, strict=True):
        expected = alone[QUESTIONS.index(question)]
        # A batch runs other BLAS kernels than one row: equal to float32 rounding.
        np.testing.assert_allclose(vector, expected, atol=1e-5)
