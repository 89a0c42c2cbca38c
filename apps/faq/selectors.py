"""Reads of FAQ entries."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from django.db.models import Count, Max

from apps.faq.formats import FaqRow
from apps.faq.index import IndexDoc
from apps.faq.models import FaqEntry
from apps.faq.vectors import CURRENCY_FIELDS, is_current


def faq_index_docs() -> list[IndexDoc]:
    """Every enabled entry, as the retrieval index needs it."""
    entries = FaqEntry.objects.filter(enabled=True).order_by("pk")
    return [
        IndexDoc(
            key=e.external_id,
            question=e.question,
            answer=e.answer,
            language=e.language,
            tags=tuple(e.tags),
            pk=e.pk,
            keywords=tuple(e.keywords),
        )
        for e in entries.only(
            "pk", "external_id", "question", "answer", "language", "tags", "keywords"
        )
    ]


def faq_fingerprint() -> tuple[int, str, str]:
    """Changes whenever an entry is added, removed, saved or embedded: a cheap staleness check."""
    stats = FaqEntry.objects.aggregate(
        count=Count("pk"), latest=Max("updated_at"), embedded=Max("embedded_at")
    )
    latest = stats["latest"].isoformat() if stats["latest"] else ""
    embedded = stats["embedded"].isoformat() if stats["embedded"] else ""
    return stats["count"], latest, embedded


@dataclass(frozen=True)
class EmbeddingProgress:
    total: int
    # Entries whose stored vector is missing, stale, or another model's.
    waiting: tuple[int, ...]

    @property
    def current(self) -> int:
        return self.total - len(self.waiting)

    def __str__(self) -> str:
        return f"{self.current} of {self.total} embedded, {len(self.waiting)} waiting"


def faq_embedding_progress(
    *, model_id: str, entry_ids: Collection[int] | None = None
) -> EmbeddingProgress:
    """How far embedding has come, read from Postgres: for these entries, or all of them."""
    entries = (
        FaqEntry.objects.all() if entry_ids is None else FaqEntry.objects.filter(pk__in=entry_ids)
    )
    found = list(entries.only(*CURRENCY_FIELDS).order_by("pk"))
    waiting = tuple(entry.pk for entry in found if not is_current(entry, model_id))
    return EmbeddingProgress(total=len(found), waiting=waiting)


def faq_rows_for_export() -> Iterator[FaqRow]:
    """All entries, enabled or not, in the order they were created."""
    for entry in FaqEntry.objects.order_by("pk").iterator(chunk_size=500):
        yield FaqRow(
            external_id=entry.external_id,
            question=entry.question,
            answer=entry.answer,
            language=entry.language,
            tags=tuple(entry.tags),
            keywords=tuple(entry.keywords),
            enabled=entry.enabled,
        )
