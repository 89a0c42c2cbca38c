"""An OpenAI-compatible embeddings endpoint (``EMBEDDINGS_BASE_URL``) as an ``Embedder``.

Texts go in batches of ``EMBEDDINGS_BATCH_SIZE`` per request, under ``EMBEDDINGS_TIMEOUT_MS``,
with the SDK's own retries off: background embedding runs again later, and a customer's
question is matched lexically meanwhile. A circuit breaker of this process (pybreaker, the
shared ``BREAKER_*`` thresholds) skips an endpoint that failed repeatedly, so a dead one costs
a question nothing once it is known to be dead. Whatever goes wrong, the caller gets
``EmbeddingUnavailable``, never vectors it cannot use: rows come back L2-normalised, one per
text, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import openai
import pybreaker
from django.conf import settings

from apps.faq.embeddings import Embedder, EmbeddingUnavailable


class EndpointEmbedder(Embedder):
    local = False  # a network call: the index never waits on it for an entry's vector

    def __init__(
        self, *, base_url: str, model: str, api_key: str, timeout_s: float, batch_size: int
    ) -> None:
        # Vectors of one model through any server agree; those of another model do not.
        self.model_id = f"endpoint:{model}"
        self._model = model
        self._batch_size = batch_size
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key,
            timeout=openai.Timeout(timeout_s, connect=timeout_s),
            max_retries=0,
        )
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=settings.BREAKER_FAIL_MAX,
            reset_timeout=settings.BREAKER_RESET_TIMEOUT_S,
            name=f"embeddings {base_url}",
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        batches = [texts[i : i + self._batch_size] for i in range(0, len(texts), self._batch_size)]
        rows = [self._request(batch) for batch in batches]
        if len({block.shape[1] for block in rows}) > 1:
            raise EmbeddingUnavailable("embeddings endpoint changed its vector size mid-way")
        return np.vstack(rows)

    def _request(self, batch: list[str]) -> np.ndarray:
        try:
            response = self._breaker.call(
                self._client.embeddings.create, model=self._model, input=batch
            )
        except pybreaker.CircuitBreakerError as exc:
            raise EmbeddingUnavailable(
                f"embeddings endpoint skipped after failures: {exc}"
            ) from exc
        except openai.OpenAIError as exc:
            raise EmbeddingUnavailable(f"embeddings endpoint failed: {exc}") from exc
        return _normalised_rows(response.data, len(batch))


def _normalised_rows(data: list[Any], expected: int) -> np.ndarray:
    """One unit row per text, in input order; a malformed answer is refused whole."""
    if len(data) != expected:
        raise EmbeddingUnavailable(f"embeddings endpoint gave {len(data)} vectors for {expected}")
    ordered = sorted(data, key=lambda item: item.index)
    try:
        matrix = np.array([item.embedding for item in ordered], dtype=np.float32)
    except (TypeError, ValueError) as exc:  # ragged rows, or not numbers
        raise EmbeddingUnavailable(f"embeddings endpoint gave unusable vectors: {exc}") from exc
    if matrix.ndim != 2 or matrix.shape[1] == 0:
        raise EmbeddingUnavailable("embeddings endpoint gave empty vectors")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    if not np.all(np.isfinite(norms)) or np.any(norms == 0):
        raise EmbeddingUnavailable("embeddings endpoint gave a zero or non-finite vector")
    return matrix / norms
