"""FAQ retrieval: ``match(text)`` gives the best entry and a confidence in [0, 1], or None.

Each process keeps the index in memory, built from Postgres. Before every match it reads one
Redis key, the index version, which the FAQ write services bump after commit; a different value
means "rebuild now", so an edit reaches every web and worker process on their next match.
If Redis is unreachable, the check falls back to a Postgres fingerprint (count and latest
``updated_at``), and that fingerprint is also compared every ``FAQ_INDEX_RECHECK_S`` seconds to
catch writes that bypassed the services.

Not async-safe: from async code call it through ``sync_to_async`` (a rebuild reads the DB).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings

from apps.faq import text
from apps.faq.embeddings import configured_embedder
from apps.faq.index import FaqIndex, IndexDoc, Scored
from apps.faq.redis_client import get_redis, key

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Match:
    faq_id: str  # the catalog id (FaqEntry.external_id)
    entry_id: int | None  # FaqEntry.pk
    question: str
    answer: str
    language: str
    score: float


class FaqRetriever:
    """An index that rebuilds itself when the version it was built at goes stale."""

    def __init__(
        self,
        load_docs: Callable[[], list[IndexDoc]],
        read_version: Callable[[], object],
        fingerprint: Callable[[], object] | None = None,
        recheck_s: float | None = None,
    ) -> None:
        self._load_docs = load_docs
        self._read_version = read_version
        self._fingerprint = fingerprint
        self._recheck_s = recheck_s
        self._index: FaqIndex | None = None
        self._built_fingerprint: object = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def index(self) -> FaqIndex:
        version = self._read_version()
        current = self._index
        if current is not None and current.version == version and not self._recheck_due():
            return current
        with self._lock:
            if self._index is None or self._index.version != version or self._recheck_due():
                self._rebuild(version)
            assert self._index is not None
            return self._index

    def rank(self, query: str, *, language: str | None = None, limit: int = 1) -> list[Scored]:
        return self.index().rank(query, limit=limit, language=language)

    def _recheck_due(self) -> bool:
        if self._fingerprint is None or self._recheck_s is None:
            return False
        if time.monotonic() - self._checked_at < self._recheck_s:
            return False
        self._checked_at = time.monotonic()
        return self._fingerprint() != self._built_fingerprint

    def _rebuild(self, version: object) -> None:
        started = time.perf_counter()
        fingerprint = self._fingerprint() if self._fingerprint else None
        self._index = FaqIndex.build(self._load_docs(), version=version)
        self._built_fingerprint = fingerprint
        self._checked_at = time.monotonic()
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info("faq index built: %d entries in %.0f ms", len(self._index), elapsed_ms)


# --- the process-wide retriever over Postgres ------------------------------------------------


def index_version() -> object:
    """The version token: the Redis counter (under this prefix), or a DB fingerprint."""
    try:
        return (settings.FAQ_REDIS_PREFIX, get_redis().get(key("index", "version")))
    except redis.RedisError:
        return ("db", _db_fingerprint())


def mark_stale() -> None:
    """Tell every process to rebuild its index on its next match. Call after commit."""
    try:
        get_redis().incr(key("index", "version"))
    except redis.RedisError:
        # The periodic fingerprint check still catches the edit, FAQ_INDEX_RECHECK_S later.
        logger.warning("faq index version bump failed: Redis unreachable")


def _db_docs() -> list[IndexDoc]:
    from apps.faq.selectors import faq_index_docs

    return faq_index_docs()


def _db_fingerprint() -> object:
    from apps.faq.selectors import faq_fingerprint

    return faq_fingerprint()


_default: FaqRetriever | None = None
_default_lock = threading.Lock()


def default_retriever() -> FaqRetriever:
    global _default
    with _default_lock:
        if _default is None:
            _default = FaqRetriever(
                load_docs=_db_docs,
                read_version=index_version,
                fingerprint=_db_fingerprint,
                recheck_s=settings.FAQ_INDEX_RECHECK_S,
            )
        return _default


def reset() -> None:
    """Drop the in-process index (tests, or after swapping databases)."""
    global _default
    with _default_lock:
        _default = None


def rank(query: str, *, language: str | None = None, limit: int = 3) -> list[Match]:
    """The best entries with their scores, no threshold applied (for tools and debugging)."""
    return [_to_match(s) for s in default_retriever().rank(query, language=language, limit=limit)]


def match(
    query: str, *, language: str | None = None, threshold: float | None = None
) -> Match | None:
    """The best entry when its score reaches the threshold (``FAQ_MATCH_THRESHOLD``), else None.

    ``language`` ("zh"/"en") picks between two entries that are translations of each other;
    by default it is detected from the text.
    """
    best = confident(query, language=language, limit=1, threshold=threshold)
    return best[0] if best else None


def confident(
    query: str, *, language: str | None = None, limit: int = 3, threshold: float | None = None
) -> list[Match]:
    """Up to ``limit`` entries whose score reaches the threshold, best first: what a model's
    answer is grounded in."""
    if not query or not query.strip():
        return []
    floor = settings.FAQ_MATCH_THRESHOLD if threshold is None else threshold
    found = rank(query, language=language, limit=limit)
    return [m for m in found if m.score >= floor and m.score > 0]


def faq_answers() -> tuple[str, ...]:
    """The answer of every enabled entry, as the current index holds them: what the shop says."""
    return tuple(doc.answer for doc in default_retriever().index().docs)


def warm_up() -> None:
    """Build the index now, e.g. when a worker starts, instead of inside the first reply."""
    text.warm_up()
    configured_embedder().embed(["warm up"])  # load the model even while the catalog is empty
    default_retriever().index()


def _to_match(scored: Scored) -> Match:
    doc = scored.doc
    return Match(
        faq_id=doc.key,
        entry_id=doc.pk,
        question=doc.question,
        answer=doc.answer,
        language=doc.language,
        score=scored.score,
    )
