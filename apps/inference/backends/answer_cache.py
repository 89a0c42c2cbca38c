"""The cache route: the last good full answer to the same context-free question.

The store is ``apps.faq.answer_cache`` (normalized question -> answer, with a TTL, hit and
miss counters, and invalidation on FAQ edits and routing-flag changes). Which questions
and replies qualify is decided by the router (``cache_eligible``) and the service; this
module only reads and writes, and never lets the store break a reply.
"""

from __future__ import annotations

import logging

from apps.faq import answer_cache
from apps.inference.base import AnswerStream, BackendRequest, NoAnswer, Usage
from apps.ops.vocabulary import Route

logger = logging.getLogger(__name__)

MODEL_NAME = "answer-cache"


class AnswerCacheBackend:
    route = Route.CACHE
    is_model = False
    remembered = False  # it holds remembered answers; re-saving one would only reset its TTL

    def open(self, request: BackendRequest) -> AnswerStream:
        """A stream with the cached answer; NoAnswer on a miss.

        The store logs Redis trouble itself and reads it as a miss; anything else it raises
        is a bug, which the reply stream logs before moving on.
        """
        answer = answer_cache.cached_answer(request.question)
        if not answer:
            raise NoAnswer("answer cache miss", reason="miss")
        return AnswerStream(answer, Usage(model_name=MODEL_NAME, finish_reason="stop"))


def remember_reply(text: str, answer: str) -> bool:
    """Save a finished reply for the next customer who asks the same; never raises."""
    try:
        return answer_cache.remember_answer(text, answer)
    except Exception:
        logger.exception("answer cache write failed")
        return False
