"""Validation of a chat completion request: OpenAI's shape in, clean turns out.

Customer text goes through the widget's own normaliser (``protocol.customer_text``), so
what is stored, tagged and matched is the same whichever channel it came by.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from apps.api.errors import invalid, too_large
from apps.conversations.protocol import ProtocolError, customer_text, json_depth
from apps.inference.prompts import Turn

# A request is an object of arrays of objects (content parts): room to spare.
MAX_JSON_DEPTH = 16
MAX_MESSAGES = 200
MAX_NAME_CHARS = 256
KEPT_ROLES = ("user", "assistant")
# Instructions are the desk's own (its system prompt and output policy); an integrator's
# are not sent to the model.
IGNORED_ROLES = ("system", "developer")


@dataclass(frozen=True)
class ChatRequest:
    history: list[Turn]  # the turns before the new one, oldest first
    text: str  # the last user turn: the one new customer message
    stream: bool
    include_usage: bool
    customer: str  # the integrator's id of its customer; "" for none


def parse_json_body(body: bytes) -> dict[str, Any]:
    if len(body) > settings.API_MAX_BODY_BYTES:
        raise too_large()
    try:
        raw = body.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("the body is not UTF-8", code="invalid_json") from None
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise invalid(f"the body nests deeper than {MAX_JSON_DEPTH}", code="invalid_json")
    try:
        data = json.loads(raw)
    except ValueError:
        raise invalid("the body is not valid JSON", code="invalid_json") from None
    if not isinstance(data, dict):
        raise invalid("the body must be a JSON object", code="invalid_json")
    return data


def parse_chat_request(body: bytes, *, customer_header: str | None) -> ChatRequest:
    data = parse_json_body(body)
    _name(data.get("model"), "model", required=True)
    if data.get("n") not in (None, 1):
        raise invalid("n must be 1: the desk gives one answer", param="n")
    for unsupported in ("tools", "functions"):
        if data.get(unsupported):
            raise invalid(f"{unsupported} are not supported by this desk", param=unsupported)
    turns = _turns(data.get("messages"))
    if turns[-1].role != "user":
        raise invalid("the last message must be the customer's (role user)", param="messages")
    customer = _name(data.get("user"), "user") or _name(customer_header, "X-SurgeDesk-Customer")
    return ChatRequest(
        history=turns[:-1],
        text=turns[-1].text,
        stream=_flag(data.get("stream"), "stream"),
        include_usage=_include_usage(data.get("stream_options")),
        customer=customer,
    )


def _turns(messages: object) -> list[Turn]:
    if not isinstance(messages, list) or not messages:
        raise invalid("messages must be a non-empty array", param="messages")
    if len(messages) > MAX_MESSAGES:
        raise invalid(f"messages holds more than {MAX_MESSAGES} entries", param="messages")
    turns = [_turn(message, f"messages[{index}]") for index, message in enumerate(messages)]
    kept = [turn for turn in turns if turn is not None]
    if not kept:
        raise invalid("messages holds no user message", param="messages")
    return kept


def _turn(message: object, param: str) -> Turn | None:
    """One message as a turn; None for one the model is not shown (instructions, an
    assistant message without text)."""
    if not isinstance(message, dict):
        raise invalid("each message must be an object", param=param)
    role = message.get("role")
    if role not in (*KEPT_ROLES, *IGNORED_ROLES):
        raise invalid(
            f"role must be one of user, assistant, system, developer; got {str(role)[:40]!r}",
            param=f"{param}.role",
        )
    content = _content(message.get("content"), f"{param}.content")
    if role in IGNORED_ROLES or (role == "assistant" and content is None):
        return None
    try:
        text = customer_text(content)
    except ProtocolError as exc:
        if role == "assistant" and exc.code == "empty_text":
            return None
        raise invalid(
            f"{param}.content: {exc.detail}", param=f"{param}.content", code=exc.code
        ) from None
    return Turn(role="user" if role == "user" else "assistant", text=text)


def _content(content: object, param: str) -> str | None:
    """A message's text: a string, or text parts (``{"type": "text", "text": ...}``)."""
    if content is None or isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise invalid("content must be a string or an array of text parts", param=param)
    texts = []
    for part in content:
        if not isinstance(part, dict) or part.get("type") != "text":
            raise invalid("only text parts are supported", param=param)
        if not isinstance(part.get("text"), str):
            raise invalid("a text part's text must be a string", param=param)
        texts.append(part["text"])
    return "".join(texts)


def _name(value: object, param: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_CHARS:
        raise invalid(f"{param} must be a string of 1-{MAX_NAME_CHARS} characters", param=param)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(f"{param} holds characters that are not text", param=param) from None
    return value


def _flag(value: object, param: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(f"{param} must be a boolean", param=param)
    return value


def _include_usage(options: object) -> bool:
    if options is None:
        return False
    if not isinstance(options, dict):
        raise invalid("stream_options must be an object", param="stream_options")
    return _flag(options.get("include_usage"), "stream_options.include_usage")
