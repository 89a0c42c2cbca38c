"""The one entry point of inference: given a conversation's history, stream a reply.

It knows nothing of conversation models: callers pass plain turns and an opaque
cache key, iterate text deltas, then read ``outcome``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings

from apps.inference.base import BackendError, BackendStream, GenerationParams
from apps.inference.canned import apology
from apps.inference.language import detect_language
from apps.inference.prompts import Turn, build_messages

logger = logging.getLogger(__name__)


@dataclass
class ReplyOutcome:
    route: str = ""
    model_name: str = ""
    ttft_ms: int | None = None
    total_ms: int = 0
    tokens_in: int | None = None
    tokens_out: int | None = None
    fallback_reason: str = ""


class ReplyStream:
    """Iterate for text deltas; ``outcome`` is complete once iteration ends."""

    def __init__(self, history: Sequence[Turn], *, cache_key: str) -> None:
        self.history = list(history)
        self.cache_key = cache_key
        self.outcome = ReplyOutcome()
        self._backend_stream: BackendStream | None = None
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True
        if self._backend_stream is not None:
            self._backend_stream.cancel()

    def __iter__(self) -> Iterator[str]:
        started = time.monotonic()
        try:
            yield from self._timed(self._local(), started)
        except BackendError as exc:
            if self.outcome.ttft_ms is not None:
                raise
            logger.warning("local backend failed (%s); answering with the apology", exc)
            self.outcome.route = "canned"
            self.outcome.fallback_reason = "error"
            yield from self._timed(iter([apology(self._language())]), started)
        self.outcome.total_ms = _elapsed_ms(started)

    def _local(self) -> Iterator[str]:
        from apps.inference.backends.local_mlx import get_engine

        engine = get_engine()
        stream = engine.submit(
            build_messages(self.history),
            cache_key=self.cache_key,
            params=GenerationParams(max_tokens=settings.LOCAL_MAX_TOKENS),
        )
        self._backend_stream = stream
        if self._cancelled:
            stream.cancel()
        self.outcome.route = "local"
        yield from stream
        self.outcome.model_name = stream.usage.model_name
        self.outcome.tokens_in = stream.usage.tokens_in
        self.outcome.tokens_out = stream.usage.tokens_out

    def _timed(self, deltas: Iterator[str], started: float) -> Iterator[str]:
        for delta in deltas:
            if self.outcome.ttft_ms is None:
                self.outcome.ttft_ms = _elapsed_ms(started)
            yield delta

    def _language(self) -> str:
        last_user = next((t.text for t in reversed(self.history) if t.role == "user"), "")
        return detect_language(last_user)


def stream_reply(history: Sequence[Turn], *, cache_key: str) -> ReplyStream:
    return ReplyStream(history, cache_key=cache_key)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
