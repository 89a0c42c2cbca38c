"""Validation of client frames (protocol v1). Every rejection carries a stable code."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

from django.conf import settings


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


ClientEvent = PostMessage | Resume | Handoff


def _frame_cap() -> int:
    # JSON escaping can grow each character to 12 bytes (\\ud83d\\ude00); allow that plus fields.
    return settings.CHAT_MAX_MESSAGE_CHARS * 12 + 1024


def parse_client_event(raw: str) -> ClientEvent:
    if len(raw) > _frame_cap():
        raise ProtocolError("frame_too_large", "the frame is larger than any valid message")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
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
    text = data.get("text")
    if not isinstance(text, str):
        raise ProtocolError("invalid_field", "text must be a string")
    if "\x00" in text or not _encodable(text):
        # Postgres refuses NUL, and UTF-8 cannot hold a lone surrogate ("\ud800").
        raise ProtocolError("invalid_text", "text holds characters that are not text")
    text = text.strip()
    if not text:
        raise ProtocolError("empty_text", "text must not be empty")
    if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise ProtocolError(
            "text_too_long", f"text is longer than {settings.CHAT_MAX_MESSAGE_CHARS} characters"
        )
    return PostMessage(client_msg_id=client_msg_id, text=text)


def _parse_resume(data: dict) -> Resume:
    last_seq = data.get("last_seq")
    message_id = data.get("message_id")
    if not _is_int(last_seq) or last_seq < 0:
        raise ProtocolError("invalid_field", "last_seq must be a non-negative integer")
    if message_id is not None and (not _is_int(message_id) or message_id <= 0):
        raise ProtocolError("invalid_field", "message_id must be a positive integer")
    return Resume(last_seq=last_seq, message_id=message_id)


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
}
