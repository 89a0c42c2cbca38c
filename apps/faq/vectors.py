"""Entry vectors as the index needs them: read from Postgres, where background embedding
(``services.faq_entries_embed``) stores them.

A stored vector counts only while it is current: made by the embedder's ``model_id``, from
the entry's ``embedding_text`` as it is now. Any other entry (never embedded, edited since,
or embedded by another model) gets a zero row, so its dense score is 0 and the index ranks
it lexically until the background task embeds it. Nothing here calls the embedder: an index
rebuild never waits on an endpoint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from apps.faq.embeddings import Embedder
from apps.faq.models import FaqEntry

VECTOR_DTYPE = np.dtype("<f4")  # how FaqEntry.embedding holds a vector
# What ``is_current`` reads of an entry.
CURRENCY_FIELDS = ("pk", "question", "tags", "embedding_model", "embedding_hash")


class Embeddable(Protocol):
    """What of an entry is embedded: a FaqEntry and an index.IndexDoc both have it."""

    @property
    def pk(self) -> int | None: ...
    @property
    def question(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...


def embedding_text(entry: Embeddable) -> str:
    """What is embedded of an entry (the question is what a customer's words resemble most).
    A change here makes every stored vector stale: they are embedded again, not misread."""
    return entry.question + " " + " ".join(entry.tags)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def vector_bytes(row: np.ndarray) -> bytes:
    return np.asarray(row, dtype=VECTOR_DTYPE).tobytes()


def is_current(entry: FaqEntry, model_id: str) -> bool:
    """Whether the entry's stored vector is ``model_id``'s, of the entry's text as it is now."""
    digest = text_hash(embedding_text(entry))
    return entry.embedding_model == model_id and entry.embedding_hash == digest


def vectors_for(entries: Iterable[Embeddable], embedder: Embedder) -> np.ndarray:
    """float32 (len(entries), d): each entry's current stored vector, or zeros.

    ``d`` is the stored vectors' size; with none current yet the matrix is (n, 0), which the
    index reads as "lexical only".
    """
    entries = list(entries)
    stored = _stored([e.pk for e in entries if e.pk is not None], embedder.model_id)
    rows: list[np.ndarray | None] = []
    for entry in entries:
        found = stored.get(entry.pk) if entry.pk is not None else None
        if found is not None and found[0] == text_hash(embedding_text(entry)):
            rows.append(np.frombuffer(found[1], dtype=VECTOR_DTYPE))
        else:
            rows.append(None)
    width = max((row.size for row in rows if row is not None), default=0)
    matrix = np.zeros((len(entries), width), dtype=np.float32)
    for i, row in enumerate(rows):
        if row is not None and row.size == width:  # a vector of another size is no use
            matrix[i] = row
    return matrix


def _stored(pks: list[int], model_id: str) -> dict[int, tuple[str, bytes]]:
    """pk -> (hash of the text embedded, vector bytes), for the vectors ``model_id`` made."""
    found = FaqEntry.objects.filter(pk__in=pks, embedding_model=model_id)
    return {
        pk: (text_digest, bytes(vector))
        for pk, text_digest, vector in found.values_list("pk", "embedding_hash", "embedding")
        if vector is not None
    }
