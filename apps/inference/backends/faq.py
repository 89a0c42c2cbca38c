"""The FAQ route: answer with a stored FAQ entry when retrieval finds a confident match.

``apps.faq.retrieval.match`` owns the abstain threshold: a weak match is no match, and
the chain moves on to the apology.
"""

from __future__ import annotations

import logging

from apps.faq import retrieval, services
from apps.inference.base import AnswerStream, BackendRequest, NoAnswer, Usage
from apps.ops.vocabulary import Route

logger = logging.getLogger(__name__)


class FaqBackend:
    route = Route.FAQ
    is_model = False
    remembered = True

    def open(self, request: BackendRequest) -> AnswerStream:
        """A stream with the matched answer; NoAnswer when nothing matches confidently."""
        found = retrieval.match(request.question, language=request.language)
        if found is None:
            raise NoAnswer("no FAQ match")
        usage = Usage(
            model_name="faq", finish_reason="stop", extra={"score_milli": int(found.score * 1000)}
        )
        return AnswerStream(found.answer, usage, delivered=lambda: record_hit(found.faq_id))


def record_hit(faq_id: str) -> None:
    """Count one served answer against its entry. Best effort: a reply never fails on it."""
    if not faq_id:  # an entry imported without a catalog id
        return
    try:
        services.faq_record_hit(faq_id=faq_id)
    except Exception:
        logger.warning("could not count a hit for FAQ entry %s", faq_id, exc_info=True)
