from __future__ import annotations

import re

_HAN = re.compile(r"[\u3400-\u9fff]")


def detect_language(text: str) -> str:
    """'zh' when the text has any Han character, else 'en': enough for routing replies."""
    return "zh" if _HAN.search(text) else "en"


def localized(texts: dict[str, str], language: str, **values: object) -> str:
    """The text for ``language`` (English when there is none), with ``values`` filled in."""
    return texts.get(language, texts["en"]).format(**values)
