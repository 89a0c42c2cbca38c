"""The OpenAPI 3.0 description of the API, served at ``/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from apps.api.parsing import MAX_MESSAGES, MAX_NAME_CHARS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _param(
    name: str, where: str, schema: dict[str, Any], *, required: bool = False
) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {
        400: "invalid_request_error: the request is malformed",
        401: "authentication_error: no key, or an unknown or revoked one",
        403: "permission_error: the key lacks the scope",
        404: "not found",
        405: "method not allowed",
        413: "the body is larger than API_MAX_BODY_BYTES",
        429: "rate_limit_exceeded: the key's limit is full; see Retry-After",
        503: "the desk is briefly unavailable; retry",
        504: "the reply did not end within API_REPLY_TIMEOUT_S",
    }
    responses = {str(status): _json(_ref("Error"), words[status]) for status in statuses}
    responses.get("405", {}).pop("content", None)  # Django's own, with no body to speak of
    if "429" in responses:
        responses["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return responses


_NULLABLE_STRING = {"type": "string", "nullable": True}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["message", "type", "param", "code"],
                "properties": {
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                    "param": _NULLABLE_STRING,
                    "code": _NULLABLE_STRING,
                },
            }
        },
    },
    "TextPart": {
        "type": "object",
        "required": ["type", "text"],
        "properties": {"type": {"type": "string", "enum": ["text"]}, "text": {"type": "string"}},
    },
    "Message": {
        "type": "object",
        "required": ["role"],
        "properties": {
            "role": {"type": "string", "enum": ["user", "assistant", "system", "developer"]},
            "content": {
                "nullable": True,
                "oneOf": [{"type": "string"}, {"type": "array", "items": _ref("TextPart")}],
            },
        },
    },
    "ChatCompletionRequest": {
        "type": "object",
        "required": ["model", "messages"],
        "properties": {
            "model": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS},
            "messages": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_MESSAGES,
                "items": _ref("Message"),
                "description": "The history; only the last message, the customer's (role "
                "user), is new. system and developer messages are not sent to the model.",
            },
            "stream": {"type": "boolean", "nullable": True},
            "stream_options": {
                "type": "object",
                "nullable": True,
                "properties": {"include_usage": {"type": "boolean"}},
            },
            "user": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_NAME_CHARS,
                "description": "Your id of the customer: one customer keeps one conversation "
                "per key. Or the header X-SurgeDesk-Customer.",
            },
        },
    },
    "Handoff": {
        "type": "object",
        "nullable": True,
        "description": "null while the AI has the conversation.",
        "required": ["status", "reason", "agent", "text"],
        "properties": {
            "status": {"type": "string", "enum": ["waiting_human", "human", "closed"]},
            "reason": _NULLABLE_STRING,
            "agent": _NULLABLE_STRING,
            "text": {"type": "string", "description": "What the customer is told."},
        },
    },
    "SurgeDesk": {
        "type": "object",
        "required": ["conversation", "route", "sentiment", "handoff"],
        "properties": {
            "conversation": {"type": "string", "format": "uuid"},
            "message_id": {"type": "integer"},
            "reply_id": {"type": "integer", "nullable": True},
            "route": {
                "type": "string",
                "nullable": True,
                "enum": ["local", "cloud", "faq", "cache", "canned", None],
            },
            "sentiment": {
                "type": "string",
                "nullable": True,
                "enum": ["negative", "neutral", "positive", None],
            },
            "sentiment_score": {"type": "number", "nullable": True},
            "handoff": _ref("Handoff"),
        },
    },
    "Usage": {
        "type": "object",
        "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
        "properties": {
            "prompt_tokens": {"type": "integer"},
            "completion_tokens": {"type": "integer"},
            "total_tokens": {"type": "integer"},
        },
    },
    "ChatCompletion": {
        "type": "object",
        "required": ["id", "object", "created", "model", "choices", "usage", "surgedesk"],
        "properties": {
            "id": {"type": "string"},
            "object": {"type": "string", "enum": ["chat.completion"]},
            "created": {"type": "integer"},
            "model": {"type": "string"},
            "choices": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1,
                "items": {
                    "type": "object",
                    "required": ["index", "message", "finish_reason"],
                    "properties": {
                        "index": {"type": "integer"},
                        "message": {
                            "type": "object",
                            "required": ["role", "content"],
                            "properties": {
                                "role": {"type": "string", "enum": ["assistant"]},
                                "content": {"type": "string"},
                            },
                        },
                        "finish_reason": {"type": "string"},
                    },
                },
            },
            "usage": _ref("Usage"),
            "surgedesk": _ref("SurgeDesk"),
        },
    },
    "ModelList": {
        "type": "object",
        "required": ["object", "data"],
        "properties": {
            "object": {"type": "string", "enum": ["list"]},
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "object", "created", "owned_by"],
                    "properties": {
                        "id": {"type": "string"},
                        "object": {"type": "string", "enum": ["model"]},
                        "created": {"type": "integer"},
                        "owned_by": {"type": "string"},
                    },
                },
            },
        },
    },
    "ConversationMessages": {
        "type": "object",
        "required": ["object", "conversation", "status", "handoff", "data"],
        "properties": {
            "object": {"type": "string", "enum": ["list"]},
            "conversation": {"type": "string", "format": "uuid"},
            "status": {"type": "string", "enum": ["ai", "waiting_human", "human", "closed"]},
            "handoff": _ref("Handoff"),
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "role", "content", "created"],
                    "properties": {
                        "id": {"type": "integer"},
                        "role": {"type": "string", "enum": ["user", "assistant", "agent"]},
                        "content": {"type": "string"},
                        "created": {"type": "integer"},
                        "route": _NULLABLE_STRING,
                        "agent": _NULLABLE_STRING,
                    },
                },
            },
        },
    },
}


def _example(*, stream: bool) -> dict[str, Any]:
    return {
        "model": "surgedesk",
        "messages": [{"role": "user", "content": "How long does shipping take?"}],
        "user": "customer-42",
        "stream": stream,
    }


def _paths() -> dict[str, Any]:
    return {
        "/v1/chat/completions": {
            "post": {
                "operationId": "createChatCompletion",
                "summary": "Ask the desk; the answer streams (SSE) with stream: true",
                "parameters": [
                    _param(
                        "X-SurgeDesk-Customer",
                        "header",
                        {"type": "string", "maxLength": MAX_NAME_CHARS},
                    ),
                    _param("Idempotency-Key", "header", {"type": "string"}),
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _ref("ChatCompletionRequest"),
                            "examples": {
                                "answer": {"value": _example(stream=False)},
                                "streamed": {"value": _example(stream=True)},
                            },
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The answer; with stream: true, server-sent events: "
                        "chat.completion.chunk objects as data: lines, then data: [DONE]",
                        "content": {
                            "application/json": {"schema": _ref("ChatCompletion")},
                            "text/event-stream": {
                                "schema": {
                                    "type": "object",
                                    "description": "One event: data is a JSON "
                                    "chat.completion.chunk, or [DONE] last",
                                    "required": ["data"],
                                    "properties": {"data": {"type": "string"}},
                                }
                            },
                        },
                    },
                    **_errors(400, 401, 403, 405, 413, 429, 503, 504),
                },
            }
        },
        "/v1/models": {
            "get": {
                "operationId": "listModels",
                "responses": {
                    "200": _json(_ref("ModelList"), "The one model: the desk"),
                    **_errors(401, 405, 429, 503),
                },
            }
        },
        "/v1/conversations/{conversation}/messages": {
            "get": {
                "operationId": "listConversationMessages",
                "summary": "A conversation's messages after a message id (agent replies)",
                "parameters": [
                    _param(
                        "conversation", "path", {"type": "string", "format": "uuid"}, required=True
                    ),
                    _param("after", "query", {"type": "integer", "minimum": 0}),
                ],
                "responses": {
                    "200": _json(_ref("ConversationMessages"), "Messages, oldest first"),
                    **_errors(400, 401, 403, 404, 405, 429, 503),
                },
            }
        },
    }


def document(server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "SurgeDesk API",
            "version": "1",
            "description": "OpenAI-compatible chat completions backed by the desk: routing, "
            "fallback, FAQ grounding, sentiment, handoff to a person. See the README, "
            "section API.",
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
