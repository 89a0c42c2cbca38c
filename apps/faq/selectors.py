"""Reads of FAQ entries."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Max

from apps.faq.formats import FaqRow
from apps.faq.index import IndexDoc
from apps.faq.models import FaqEntry


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


def faq_fingerprint() -> tuple[int, str]:
    """Changes whenever an entry is added, removed or saved: a cheap staleness check."""
    stats = FaqEntry.objects.aggregate(count=Count("pk"), latest=Max("updated_at"))
    latest = stats["latest"].isoformat() if stats["latest"] else ""
    return stats["count"], latest


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
