"""The FAQ route: answer with a stored FAQ entry when retrieval finds a confident match.

``apps.faq.retrieval.match`` owns the abstain threshold: a weak match is no match, and
the chain moves on to the apology. A served answer counts a hit on its entry, on the
``background`` lane (``apps.faq.tasks``), never in the reply's path.
"""

from __future__ import annotations

from apps.faq import retrieval, tasks
from apps.inference.base import AnswerStream, BackendRequest, NoAnswer, Usage
from apps.ops.vocabulary import Route


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
        return AnswerStream(found.answer, usage, delivered=lambda: tasks.hit_enqueue(found.faq_id))
