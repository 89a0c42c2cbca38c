"""Entry vectors for the FAQ index: ``vectors_for(entries, embedder)``, one row per entry.

Background embedding (``services.faq_entries_embed``) stores each entry's vector in Postgres.
A stored vector counts only while it is current: made by the embedder's ``model_id``, from the
entry's ``embedding_text`` as it is now. An entry without one (never embedded, edited since,
or embedded by another model) is embedded here when the embedder is local and cheap (the
packaged model), kept per process by (model id, hash of the text), so a rebuild after an edit
embeds only what changed; with an endpoint it gets a zero row instead (its dense score is 0,
it ranks lexically until the background task embeds it): an index rebuild never waits on
the network.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from apps.faq.embeddings import Embedder, EmbeddingUnavailable

if TYPE_CHECKING:
    from apps.faq.models import FaqEntry

VECTOR_DTYPE = np.dtype("<f4")  # how FaqEntry.embedding holds a vector
# What ``is_current`` reads of an entry.
CURRENCY_FIELDS = ("pk", "question", "keywords", "answer", "embedding_model", "embedding_hash")
# Bounds the per-process cache: a few catalogs' worth of entries, at 2 KiB a vector.
MAX_CACHED_VECTORS = 20_000


class Embeddable(Protocol):
    """What of an entry is embedded: a FaqEntry and an index.IndexDoc both have it."""

    @property
    def pk(self) -> int | None: ...
    @property
    def question(self) -> str: ...
    @property
    def keywords(self) -> Sequence[str]: ...
    @property
    def answer(self) -> str: ...


def embedding_text(entry: Embeddable) -> str:
    """The question, the shop's keywords and the answer: customers often ask about a fact the
    answer holds ("is it shipped on dry ice?"), and on the dev set the three together ranked
    better than the question alone (top-1 0.78 against 0.69, dense side alone). A change here
    makes every stored vector stale: they are embedded again, not misread."""
    return " ".join([entry.question, *entry.keywords, entry.answer])


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def vector_bytes(row: np.ndarray) -> bytes:
    return np.asarray(row, dtype=VECTOR_DTYPE).tobytes()


def is_current(entry: FaqEntry, model_id: str) -> bool:
    """Whether the entry's stored vector is ``model_id``'s, of the entry's text as it is now."""
    digest = text_hash(embedding_text(entry))
    return entry.embedding_model == model_id and entry.embedding_hash == digest


def vectors_for(entries: Iterable[Embeddable], embedder: Embedder) -> np.ndarray:
    """float32 (len(entries), d), L2-normalised rows in the entries' order, or zero rows.

    With no vector to be had at all the matrix is (n, 0), which the index reads as
    "lexical only".
    """
    entries = list(entries)
    texts = [embedding_text(entry) for entry in entries]
    digests = [text_hash(text) for text in texts]
    stored = _stored([e.pk for e in entries if e.pk is not None], embedder.model_id)
    rows: list[np.ndarray | None] = []
    for entry, digest in zip(entries, digests, strict=True):
        found = stored.get(entry.pk) if entry.pk is not None else None
        if found is not None and found[0] == digest:
            rows.append(np.frombuffer(found[1], dtype=VECTOR_DTYPE))
        else:
            rows.append(None)
    if embedder.local and any(row is None for row in rows):
        missing = [i for i, row in enumerate(rows) if row is None]
        for i, row in zip(missing, _computed([texts[i] for i in missing], embedder), strict=True):
            rows[i] = row
    width = max((row.size for row in rows if row is not None), default=0)
    matrix = np.zeros((len(entries), width), dtype=np.float32)
    for i, row in enumerate(rows):
        if row is not None and row.size == width:  # a vector of another size is no use
            matrix[i] = row
    return matrix


_cache: dict[tuple[str, str], np.ndarray] = {}
_lock = threading.Lock()


def _computed(texts: list[str], embedder: Embedder) -> list[np.ndarray | None]:
    """The texts' vectors from the per-process cache, embedding those it lacks; None for
    each when the embedder fails (those entries rank lexically)."""
    keys = [(embedder.model_id, text_hash(text)) for text in texts]
    with _lock:
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in _cache}
    if missing:
        try:
            fresh = embedder.embed(list(missing.values()))
        except EmbeddingUnavailable:
            return [None] * len(texts)
        with _lock:
            if len(_cache) + len(missing) > MAX_CACHED_VECTORS:
                _cache.clear()
            _cache.update(zip(missing, fresh, strict=True))
            found = {key: _cache[key] for key in missing}
    else:
        found = {}
    with _lock:
        return [found.get(key, _cache.get(key)) for key in keys]


def _stored(pks: list[int], model_id: str) -> dict[int, tuple[str, bytes]]:
    """pk -> (hash of the text embedded, vector bytes), for the vectors ``model_id`` made."""
    if not pks:
        return {}
    # Here, not at the top: the index (and the FAQ bench, before Django is set up) imports
    # this module, and only entries with a pk have anything stored.
    from apps.faq.models import FaqEntry

    found = FaqEntry.objects.filter(pk__in=pks, embedding_model=model_id)
    return {
        pk: (text_digest, bytes(vector))
        for pk, text_digest, vector in found.values_list("pk", "embedding_hash", "embedding")
        if vector is not None
    }
