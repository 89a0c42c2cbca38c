"""The cache route: the last good full answer to the same context-free question.

The store is ``apps.faq.answer_cache`` (normalized question -> answer, with a TTL, hit and
miss counters, and invalidation on FAQ edits and routing-flag changes). Which questions
and replies qualify is decided by the router (``cache_eligible``) and the service; this
module only reads and writes, and never lets the store break a reply.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from apps.faq import answer_cache
from apps.inference.base import BackendError, Usage

logger = logging.getLogger(__name__)

MODEL_NAME = "answer-cache"


class CachedStream:
    def __init__(self, answer: str) -> None:
        self._answer = answer
        self.usage = Usage(model_name=MODEL_NAME, finish_reason="stop")

    def __iter__(self) -> Iterator[str]:
        yield self._answer

    def cancel(self) -> None:
        pass


def cached_reply(text: str) -> CachedStream:
    """A stream with the cached answer; BackendError on a miss (or an unreadable store)."""
    try:
        answer = answer_cache.cached_answer(text)
    except Exception as exc:  # the store logs Redis trouble itself; anything else is a bug
        logger.exception("answer cache lookup failed")
        raise BackendError("answer cache unavailable", retryable=False) from exc
    if not answer:
        raise BackendError("answer cache miss", retryable=False)
    return CachedStream(answer)


def remember_reply(text: str, answer: str) -> bool:
    """Save a finished reply for the next customer who asks the same; never raises."""
    try:
        return answer_cache.remember_answer(text, answer)
    except Exception:
        logger.exception("answer cache write failed")
        return False
