"""Writes to the FAQ: import, save, delete, hit counting, embedding.

Every write that changes what customers can be told ends in ``_faq_changed`` after commit: it
bumps the retrieval index version (every web and worker process rebuilds on its next match) and
kills the whole answer cache, since a cached reply may quote the old entry. Imported and saved
entries are then embedded by the ``faq.embed_entries`` task on the background lane, which does
the same once their vectors are stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from apps.config.celery import app as celery_app
from apps.config.queues import BACKGROUND_QUEUE
from apps.faq import answer_cache, retrieval
from apps.faq.embeddings import Embedder, EmbeddingUnavailable, configured_embedder
from apps.faq.formats import (
    FaqRow,
    RawRow,
    RowInvalid,
    parse_keywords,
    parse_tags,
    validate_row,
)
from apps.faq.models import FaqEntry
from apps.faq.vectors import (
    CURRENCY_FIELDS,
    embedding_text,
    is_current,
    text_hash,
    vector_bytes,
)

logger = logging.getLogger(__name__)

_CONTENT_FIELDS = ("question", "answer", "language", "tags", "keywords", "enabled")
_BATCH = 500
# Sent by name: the task module imports this one.
EMBED_ENTRIES_TASK = "faq.embed_entries"


@dataclass(frozen=True)
class RowError:
    line: int
    message: str
    external_id: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" (id {self.external_id!r})" if self.external_id else "")
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    # id -> every line it appeared on; the last line is the one imported.
    duplicates: dict[str, list[int]] = field(default_factory=dict)
    # FaqEntry pks of the entries created or updated: the ones to embed.
    changed_ids: list[int] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        text = (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"rejected {len(self.rejected)}"
        )
        if self.duplicates:
            text += f"; {len(self.duplicates)} id(s) repeated in the file, last one kept"
        return text


def faq_import_rows(*, rows: Iterable[RawRow]) -> ImportReport:
    """Upsert catalog rows on their id. Bad rows are reported by line and skipped; the good
    rows are saved in one transaction. An id repeated in the input: the last row wins."""
    report = ImportReport()
    valid = _valid_rows(rows, report)
    with transaction.atomic():
        _upsert(valid, report)
        if report.changed_ids:
            transaction.on_commit(_faq_changed)
            transaction.on_commit(partial(_embed_later, report.changed_ids))
    return report


def _valid_rows(rows: Iterable[RawRow], report: ImportReport) -> dict[str, FaqRow]:
    valid: dict[str, FaqRow] = {}
    lines: dict[str, list[int]] = {}
    for raw in rows:
        row = _validated(raw, report)
        if row is None:
            continue
        lines.setdefault(row.external_id, []).append(raw.line)
        valid.pop(row.external_id, None)  # re-insert so the import order follows the last line
        valid[row.external_id] = row
    report.duplicates = {key: found for key, found in lines.items() if len(found) > 1}
    return valid


def _validated(raw: RawRow, report: ImportReport) -> FaqRow | None:
    if raw.error is not None or raw.data is None:
        report.rejected.append(RowError(raw.line, raw.error or "empty row"))
        return None
    try:
        return validate_row(raw.data)
    except RowInvalid as exc:
        external_id = raw.data.get("id") if isinstance(raw.data.get("id"), str) else None
        report.rejected.append(RowError(raw.line, str(exc), external_id))
        return None


def _upsert(rows: dict[str, FaqRow], report: ImportReport) -> None:
    existing = FaqEntry.objects.select_for_update().in_bulk(list(rows), field_name="external_id")
    now = timezone.now()
    to_create, to_update = [], []
    for key, row in rows.items():
        entry = existing.get(key)
        if entry is None:
            to_create.append(_new_entry(row))
        elif _apply(entry, row):
            entry.updated_at = now  # bulk_update skips auto_now
            to_update.append(entry)
        else:
            report.unchanged += 1
    FaqEntry.objects.bulk_create(to_create, batch_size=_BATCH)
    FaqEntry.objects.bulk_update(to_update, [*_CONTENT_FIELDS, "updated_at"], batch_size=_BATCH)
    report.created += len(to_create)
    report.updated += len(to_update)
    report.changed_ids = [entry.pk for entry in (*to_create, *to_update)]


def _new_entry(row: FaqRow) -> FaqEntry:
    return FaqEntry(
        external_id=row.external_id,
        question=row.question,
        answer=row.answer,
        language=row.language,
        tags=list(row.tags),
        keywords=list(row.keywords),
        enabled=True if row.enabled is None else row.enabled,
    )


def _apply(entry: FaqEntry, row: FaqRow) -> bool:
    """Copy the row onto the entry; True when anything changed."""
    values = {
        "question": row.question,
        "answer": row.answer,
        "language": row.language,
        "tags": list(row.tags),
        "keywords": list(row.keywords),
        "enabled": entry.enabled if row.enabled is None else row.enabled,
    }
    changed = any(getattr(entry, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(entry, name, value)
    return changed


def faq_entry_save(*, entry: FaqEntry) -> FaqEntry:
    """Save an entry edited elsewhere (admin); tags and keywords are normalized like an
    import's."""
    entry.tags = list(parse_tags(list(entry.tags or [])))
    entry.keywords = list(parse_keywords(list(entry.keywords or [])))
    with transaction.atomic():
        entry.save()
        transaction.on_commit(_faq_changed)
        transaction.on_commit(partial(_embed_later, [entry.pk]))
    return entry


def faq_entries_delete(*, entries: QuerySet[FaqEntry]) -> int:
    with transaction.atomic():
        deleted, _ = entries.delete()
        if deleted:
            transaction.on_commit(_faq_changed)
    return deleted


def faq_entries_set_enabled(*, entries: QuerySet[FaqEntry], enabled: bool) -> int:
    with transaction.atomic():
        changed = entries.exclude(enabled=enabled).update(
            enabled=enabled, updated_at=timezone.now()
        )
        if changed:
            transaction.on_commit(_faq_changed)
    return changed


def faq_record_hit(*, faq_id: str) -> None:
    """Count one answer served from an entry. Leaves updated_at alone: no index rebuild."""
    FaqEntry.objects.filter(external_id=faq_id).update(hit_count=F("hit_count") + 1)


def _faq_changed() -> None:
    retrieval.mark_stale()
    answer_cache.invalidate_all()


@dataclass
class EmbedReport:
    embedded: int = 0
    already_current: int = 0
    # Entries not embedded because the embedder failed (error), left lexical-only.
    left: int = 0
    error: str | None = None


def faq_entries_embed(
    *,
    entry_ids: Iterable[int],
    embedder: Embedder | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> EmbedReport:
    """Store a vector for each of these entries whose vector is missing or stale.

    Batches of ``EMBEDDINGS_BATCH_SIZE``, each stored in its own transaction, and a row only
    while its text is still the one embedded: a run killed half-way keeps the batches it
    finished and holds nothing, and running again does only the rest (``on_batch`` is told
    each batch's size). An embedder that fails ends the run, reported, never raised. Once
    vectors are stored, every process's index is told to rebuild (and the answer cache,
    filled by matches made without them, is emptied).
    """
    embedder = embedder or configured_embedder()
    ids = sorted(set(entry_ids))
    size = settings.EMBEDDINGS_BATCH_SIZE
    report = EmbedReport()
    for start in range(0, len(ids), size):
        batch = ids[start : start + size]
        try:
            _embed_batch(batch, embedder, report)
        except EmbeddingUnavailable as exc:
            report.left, report.error = len(ids) - start, str(exc)
            break
        if on_batch is not None:
            on_batch(len(batch))
    if report.embedded:
        _faq_changed()  # new vectors change what a question matches
    return report


def _embed_batch(ids: list[int], embedder: Embedder, report: EmbedReport) -> None:
    entries = list(FaqEntry.objects.filter(pk__in=ids).only(*CURRENCY_FIELDS))
    stale = [entry for entry in entries if not is_current(entry, embedder.model_id)]
    report.already_current += len(entries) - len(stale)
    if not stale:
        return
    texts = [embedding_text(entry) for entry in stale]
    vectors = embedder.embed(texts)
    now = timezone.now()
    with transaction.atomic():
        for entry, text, vector in zip(stale, texts, vectors, strict=True):
            unchanged = FaqEntry.objects.filter(
                pk=entry.pk, question=entry.question, keywords=entry.keywords, answer=entry.answer
            )
            report.embedded += unchanged.update(
                embedding=vector_bytes(vector),
                embedding_model=embedder.model_id,
                embedding_hash=text_hash(text),
                embedded_at=now,
            )


def _embed_later(entry_ids: list[int]) -> None:
    """Queue the entries' embedding on the background lane. Best effort: a broker that cannot
    take it leaves them lexical-only until ``manage.py faq_embed`` (logged)."""
    try:
        celery_app.send_task(EMBED_ENTRIES_TASK, args=(entry_ids,), queue=BACKGROUND_QUEUE)
    except Exception:
        logger.warning("could not queue embedding of %d FAQ entries", len(entry_ids), exc_info=True)
