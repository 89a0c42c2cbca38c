"""Honest fixed replies for when no backend can answer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.config.languages import customer_text

APOLOGY = _(
    "Sorry, I can't answer that right now. A member of our team can help: "
    'tap "Talk to a person" and we\'ll get back to you.'
)

# Instead of a model reply held back for promising what the shop never offered (``policy``).
HELD = _(
    "I can't confirm that here: refunds, compensation, coupons and prices are decided by our "
    'team, not by me. Tap "Talk to a person" and a member of our team will help you.'
)

# Ends a model reply that was stopped for repeating itself (``loops``).
LOOP_END = _(
    "… Sorry, my answer went wrong there. Please ask again in other words, or tap "
    '"Talk to a person" and a member of our team will help you.'
)


def apology(language: str) -> str:
    return customer_text(APOLOGY, language)


def held_answer(language: str) -> str:
    return customer_text(HELD, language)


def loop_ending(language: str) -> str:
    return customer_text(LOOP_END, language)
