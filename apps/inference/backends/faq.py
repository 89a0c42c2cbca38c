"""The FAQ route: answer with a stored FAQ entry when retrieval finds a confident match.

The matcher is looked up lazily from ``settings.FAQ_MATCHER`` (default
``apps.faq.retrieval.match``), so inference works before the FAQ app exists: no
matcher means "no match", and the chain moves on. Expected matcher contract::

    match(text: str, *, language: str) -> Match | None

where the result has ``.answer`` (str) and ``.score`` (float), or is an
``(entry, score)`` pair whose entry has ``.answer``. The matcher owns its abstain
threshold: it returns None for weak matches. A ``.faq_id`` (or the entry's
``.external_id``), when present, lets ``record_hit`` count the answer against its entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from apps.inference.base import BackendError, Usage

logger = logging.getLogger(__name__)


class FaqStream:
    def __init__(self, answer: str, score: float, faq_id: str | None = None) -> None:
        self._answer = answer
        self.faq_id = faq_id
        self.usage = Usage(
            model_name="faq", finish_reason="stop", extra={"score_milli": int(score * 1000)}
        )

    def __iter__(self) -> Iterator[str]:
        yield self._answer

    def cancel(self) -> None:
        pass


def faq_answer(text: str, *, language: str) -> FaqStream:
    """A stream with the matched answer; BackendError when nothing matches."""
    matcher = _matcher()
    result = matcher(text, language=language) if matcher is not None else None
    answer, score, faq_id = _unpack(result)
    if not answer:
        raise BackendError("no FAQ match", retryable=False)
    return FaqStream(answer, score, faq_id)


def record_hit(faq_id: str | None) -> None:
    """Count one served answer against its entry. Best effort: a reply never fails on it."""
    if not faq_id:
        return
    try:
        from apps.faq.services import faq_record_hit

        faq_record_hit(faq_id=faq_id)
    except Exception:
        logger.warning("could not count a hit for FAQ entry %s", faq_id, exc_info=True)


def _matcher() -> Callable[..., Any] | None:
    try:
        return import_string(settings.FAQ_MATCHER)
    except ImportError:
        logger.info("FAQ matcher %s not available; FAQ route answers nothing", settings.FAQ_MATCHER)
        return None


def _unpack(result: Any) -> tuple[str, float, str | None]:
    if result is None:
        return "", 0.0, None
    if isinstance(result, tuple):
        entry, score = result
        faq_id = getattr(entry, "external_id", None)
        return str(getattr(entry, "answer", "") or ""), float(score), faq_id
    answer = str(getattr(result, "answer", "") or "")
    return answer, float(getattr(result, "score", 1.0)), getattr(result, "faq_id", None)
