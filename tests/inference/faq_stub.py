"""A deterministic FAQ matcher for fallback tests (``settings.FAQ_MATCHER``).

It stands in for ``apps.faq.retrieval.match`` so these tests do not depend on retrieval
quality: "refund" matches, anything else abstains.
"""

from __future__ import annotations

from dataclasses import dataclass

REFUND_ANSWER = "Refunds reach your card within 5-7 working days after we receive the item."


@dataclass(frozen=True)
class Match:
    answer: str
    score: float


def match(text: str, *, language: str) -> Match | None:
    return Match(REFUND_ANSWER, 0.9) if "refund" in text.lower() else None
