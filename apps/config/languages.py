"""The customers' languages: which one a text is in, and the words for it in that language.

A conversation's ``language`` is "en" or "zh" ("" until its first message). This module is
the one place that maps it to Django's language codes (``settings.LANGUAGES``); customer
texts are ``gettext`` messages, translated in ``locale/`` and rendered through
``customer_text``.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation
from django.utils.functional import Promise

_HAN = re.compile(r"[\u3400-\u9fff]")
ENGLISH, CHINESE = "en", "zh-hans"


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def detect_language(text: str) -> str:
    """'zh' when the text has any Han character, else 'en' (mixed text is Chinese-led)."""
    return "zh" if has_han(text) else "en"


def django_language(language: str) -> str:
    """Django's code for a conversation's language: "zh" (also "zh-*", Django's own
    "zh-hans" and "mixed") is Simplified Chinese; anything else, "" included, English."""
    folded = (language or "").lower()
    return CHINESE if folded.startswith("zh") or folded == "mixed" else ENGLISH


def customer_text(message: str | Promise, language: str, **values: Any) -> str:
    """``message`` (a lazy gettext string) in ``language``, with ``%(name)s`` values filled."""
    with translation.override(django_language(language)):
        text = str(message)
    return text % values if values else text
