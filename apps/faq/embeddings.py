"""Dense sentence embeddings for FAQ retrieval: what an embedder is, and which one is configured.

``EMBEDDINGS_BASE_URL`` set: an OpenAI-compatible endpoint (``apps.faq.embedding_endpoint``).
Unset: the packaged offline model.

An embedder that cannot answer raises ``EmbeddingUnavailable``. Every caller handles it by
going on without vectors: background embedding leaves the entries lexical-only until a
later run, and a question whose vector cannot be had is matched lexically.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np
from django.conf import settings


class EmbeddingUnavailable(Exception):
    """The embedder could not give vectors now (endpoint down, slow, or answering nonsense)."""


class Embedder(Protocol):
    # Names the vector space: vectors stored under another model_id are stale.
    model_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32, shape (len(texts), d), every row L2-normalised."""
        ...


class PackagedEmbedderPlaceholder:
    """PLACEHOLDER: stands in for the packaged offline model, which the h15-hybrid branch
    brings (its ``configured_embedder`` returns it). It never gives vectors, so without an
    endpoint every entry stays lexical-only."""

    model_id = "packaged:placeholder"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise EmbeddingUnavailable("no offline embedder yet: set EMBEDDINGS_BASE_URL")


def configured_embedder() -> Embedder:
    """This process's embedder for the current settings."""
    if not settings.EMBEDDINGS_BASE_URL:
        return PackagedEmbedderPlaceholder()
    return _endpoint(
        settings.EMBEDDINGS_BASE_URL,
        settings.EMBEDDINGS_MODEL,
        settings.EMBEDDINGS_API_KEY,
        settings.EMBEDDINGS_TIMEOUT_MS,
        settings.EMBEDDINGS_BATCH_SIZE,
    )


@lru_cache(maxsize=8)
def _endpoint(
    base_url: str, model: str, api_key: str, timeout_ms: int, batch_size: int
) -> Embedder:
    """One client (connection pool) and breaker per process and configuration."""
    # Imported on first use: a process without an endpoint never loads the openai SDK (and
    # the endpoint module builds on this module's Protocol).
    from apps.faq.embedding_endpoint import EndpointEmbedder

    return EndpointEmbedder(
        base_url=base_url,
        model=model,
        api_key=api_key,
        timeout_s=timeout_ms / 1000,
        batch_size=batch_size,
    )
