"""OpenAI's response shapes, with the desk's own extension field, ``surgedesk``."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from apps.api.completions import CustomerTurn
from apps.api.errors import ApiError
from apps.api.selectors import Answer

logger = logging.getLogger(__name__)

MODEL_ID = "surgedesk"
SERVER_ERROR = ApiError(
    503, "the desk is briefly unavailable; retry", type="server_error", code="unavailable"
)


def extension(answer: Answer) -> dict[str, Any]:
    return {
        "conversation": answer.conversation,
        "message_id": answer.message_id,
        "reply_id": answer.reply_id,
        "route": answer.route or None,
        "sentiment": answer.sentiment or None,
        "sentiment_score": answer.sentiment_score,
        "handoff": answer.handoff,
    }


def usage(answer: Answer) -> dict[str, int]:
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_tokens": answer.prompt_tokens + answer.completion_tokens,
    }


def completion_id(answer_or_turn: Answer | CustomerTurn) -> str:
    if isinstance(answer_or_turn, Answer):
        return f"chatcmpl-{answer_or_turn.reply_id or answer_or_turn.message_id}"
    received = answer_or_turn.received
    assert received is not None
    return f"chatcmpl-{answer_or_turn.reply_id or received.posted.customer_message.id}"


def completion(answer: Answer) -> dict[str, Any]:
    return {
        "id": completion_id(answer),
        "object": "chat.completion",
        "created": answer.created,
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage(answer),
        "surgedesk": extension(answer),
    }


def models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "surgedesk"}],
    }


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


class Chunks:
    """Server-sent events of one streamed completion: ``data:`` chunks, then ``[DONE]``."""

    def __init__(self, turn: CustomerTurn) -> None:
        self.turn = turn
        self.id = completion_id(turn)
        self.created = int(time.time())

    def chunk(
        self, delta: dict[str, Any], *, finish_reason: str | None = None, **extra: Any
    ) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return _event(
            {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": MODEL_ID,
                "choices": [choice],
                **extra,
            }
        )

    async def events(self) -> AsyncIterator[str]:
        yield self.chunk({"role": "assistant", "content": ""})
        try:
            async for piece in self.turn.pieces():
                if piece.restart:
                    # The text sent so far is void: a client drops it (README, "API").
                    yield self.chunk({"content": ""}, surgedesk={"restart": piece.restart})
                elif piece.text:
                    yield self.chunk({"content": piece.text})
            answer = await self.turn.answer()
        except ApiError as exc:
            yield _event(exc.body())
            yield "data: [DONE]\n\n"
            return
        except Exception:  # the status went out already: say so in the stream, as OpenAI does
            logger.exception("streaming completion %s failed", self.id)
            yield _event(SERVER_ERROR.body())
            yield "data: [DONE]\n\n"
            return
        if answer.reply_id is None and answer.text:  # who has the conversation now
            yield self.chunk({"content": answer.text})
        yield self.chunk({}, finish_reason="stop", surgedesk=extension(answer))
        if self.turn.request.include_usage:
            yield _event(
                {
                    "id": self.id,
                    "object": "chat.completion.chunk",
                    "created": self.created,
                    "model": MODEL_ID,
                    "choices": [],
                    "usage": usage(answer),
                }
            )
        yield "data: [DONE]\n\n"
