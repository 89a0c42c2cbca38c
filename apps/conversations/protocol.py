"""Validation of client frames (protocol v1). Every rejection carries a stable code.

This is the one place untrusted input is normalised: the text of a ``PostMessage`` has no
control or format characters left (``normalize_text``), and everything behind the parser
may assume clean text.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, TypeGuard

from django.conf import settings

# A valid frame is one flat object; a little room for fields a later version may add.
MAX_JSON_DEPTH = 8
# Ids and sequence numbers are Postgres bigints; a larger one could only fail in the query.
MAX_INT = 2**63 - 1


class ProtocolError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class PostMessage:
    client_msg_id: uuid.UUID
    text: str


@dataclass(frozen=True)
class Resume:
    last_seq: int
    message_id: int | None


@dataclass(frozen=True)
class Handoff:
    pass


@dataclass(frozen=True)
class CsatSubmit:
    rating: int
    comment: str


ClientEvent = PostMessage | Resume | Handoff | CsatSubmit

# The rating scale of ``csat.submit``, and of ``Csat.rating``.
CSAT_MIN, CSAT_MAX = 1, 5


def max_frame_bytes() -> int:
    """The largest frame a valid client event can be, in UTF-8 bytes. The web server's
    transport cap is this same number (``apps.config.web``)."""
    # JSON escaping can grow each character to 12 bytes (\\ud83d\\ude00); allow that plus fields.
    return settings.CHAT_MAX_MESSAGE_CHARS * 12 + 1024


def parse_client_event(raw: str) -> ClientEvent:
    # Characters, not bytes: never more than the bytes, and free to count.
    if len(raw) > max_frame_bytes():
        raise ProtocolError("frame_too_large", "the frame is larger than any valid message")
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise ProtocolError("invalid_json", f"the frame nests deeper than {MAX_JSON_DEPTH}")
    try:
        data = json.loads(raw)
    except ValueError:
        raise ProtocolError("invalid_json", "the frame is not valid JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("invalid_json", "the frame must be a JSON object")
    kind = data.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise ProtocolError("unknown_type", f"unknown message type: {str(kind)[:40]!r}")
    return parser(data)


def _parse_message(data: dict) -> PostMessage:
    raw_id = data.get("client_msg_id")
    if not isinstance(raw_id, str):
        raise ProtocolError("invalid_client_msg_id", "client_msg_id must be a UUID string")
    try:
        client_msg_id = uuid.UUID(raw_id)
    except ValueError:
        raise ProtocolError("invalid_client_msg_id", "client_msg_id must be a UUID") from None
    return PostMessage(client_msg_id=client_msg_id, text=customer_text(data.get("text")))


def customer_text(text: object) -> str:
    """A customer message's text, normalised and checked against the cap; every channel
    (the widget's socket, the API) takes customer text through here."""
    text = _clean_text(text, "text")
    if not text:
        raise ProtocolError("empty_text", "text must not be empty")
    if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise ProtocolError(
            "text_too_long", f"text is longer than {settings.CHAT_MAX_MESSAGE_CHARS} characters"
        )
    return text


def _parse_csat_submit(data: dict) -> CsatSubmit:
    rating = data.get("rating")
    if not _is_int(rating) or not CSAT_MIN <= rating <= CSAT_MAX:
        raise ProtocolError(
            "invalid_field", f"rating must be an integer from {CSAT_MIN} to {CSAT_MAX}"
        )
    # Optional; what is left after normalising may be empty (no comment).
    comment = _clean_text(data.get("comment", ""), "comment")
    cap = settings.CSAT_COMMENT_MAX_CHARS
    if len(comment) > cap:
        raise ProtocolError("comment_too_long", f"comment is longer than {cap} characters")
    return CsatSubmit(rating=rating, comment=comment)


def _clean_text(value: object, field: str) -> str:
    """A text field, normalised (``normalize_text``); "" when nothing visible is left."""
    if not isinstance(value, str):
        raise ProtocolError("invalid_field", f"{field} must be a string")
    if not _encodable(value):
        # UTF-8 (and so Postgres) cannot hold a lone surrogate ("\ud800").
        raise ProtocolError("invalid_text", f"{field} holds characters that are not text")
    return normalize_text(value)


def _parse_resume(data: dict) -> Resume:
    last_seq = data.get("last_seq")
    message_id = data.get("message_id")
    if not _is_int(last_seq) or not 0 <= last_seq <= MAX_INT:
        raise ProtocolError("invalid_field", "last_seq must be a non-negative integer")
    if message_id is not None and (not _is_int(message_id) or not 0 < message_id <= MAX_INT):
        raise ProtocolError("invalid_field", "message_id must be a positive integer")
    return Resume(last_seq=last_seq, message_id=message_id)


# --------------------------------------------------------------------------- text


def _char_class(code_points: list[int]) -> str:
    """A regex character class of ``code_points`` (ascending), written as ranges."""
    ranges: list[list[int]] = []
    for c in code_points:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "[" + "".join(re.escape(chr(a)) + "-" + re.escape(chr(b)) for a, b in ranges) + "]"


# Zero-width joiners hold emoji sequences (👩‍💻) and some scripts' letters together.
_JOINERS = "\u200c\u200d"
# Letters that render as nothing: Hangul fillers, the blank Braille pattern.
_BLANK_LETTERS = "\u115f\u1160\u3164\uffa0\u2800"


def _dropped(ch: str, category: str) -> bool:
    """Controls (C0, DEL, C1) but newline and tab; format characters but the joiners. That
    takes zero-width spaces, the BOM, soft hyphens, bidi embeddings, overrides and isolates
    (an unclosed one reverses what staff see after it) and tag characters (invisible ASCII,
    a way to hide instructions from people but not from the model)."""
    if category == "Cc":
        return ch not in "\n\t"
    return category == "Cf" and ch not in _JOINERS


def _invisible(ch: str, category: str) -> bool:
    """What shows nothing on its own: whitespace, separators, controls, joiners, marks with
    nothing to mark (variation selectors among them) and blank letters. Unassigned code
    points are not in the list: they may be emoji newer than this Python's Unicode."""
    return category in ("Cc", "Cf") or category[0] in "ZM" or ch in _BLANK_LETTERS


def _text_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Built from this Python's Unicode database once (a fifth of a second), matched in C."""
    dropped: list[int] = []
    invisible: list[int] = []
    for c in range(sys.maxunicode + 1):
        ch = chr(c)
        category = unicodedata.category(ch)
        if _dropped(ch, category):
            dropped.append(c)
        if _invisible(ch, category):
            invisible.append(c)
    return re.compile(_char_class(dropped) + "+"), re.compile(_char_class(invisible) + "*")


_DROPPED, _ONLY_INVISIBLE = _text_patterns()


def normalize_text(text: str) -> str:
    """The customer's text without control and format characters, trimmed; "" when nothing
    visible is left (zero-width or blank characters only)."""
    text = _DROPPED.sub("", text).strip()
    return "" if _ONLY_INVISIBLE.fullmatch(text) else text


# --------------------------------------------------------------------------- JSON shape

# A string literal, escapes included; an unterminated one runs to the end (one pass).
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(raw: str) -> int:
    """How deep the brackets outside strings nest: one linear pass, before any parsing (a
    recursive parser given 20,000 ``[`` would run out of stack)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", raw))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_PARSERS: dict[str, Callable[[dict[str, Any]], ClientEvent]] = {
    "message": _parse_message,
    "resume": _parse_resume,
    "handoff": lambda data: Handoff(),
    "csat.submit": _parse_csat_submit,
}
