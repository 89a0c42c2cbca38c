"""Honest fixed replies for when no backend can answer."""

from __future__ import annotations

from apps.inference.language import localized

APOLOGY = {
    "en": (
        "Sorry, I can't answer that right now. A member of our team can help: "
        'tap "Talk to a person" and we\'ll get back to you.'
    ),
    "zh": "抱歉,我现在无法回答这个问题。您可以点击“转人工”,我们的客服会尽快为您处理。",
}


def apology(language: str) -> str:
    return localized(APOLOGY, language)
