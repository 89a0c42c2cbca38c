"""The OpenAI-compatible endpoints: thin async views over ``completions`` and ``selectors``.

Every view is exempt from CSRF on purpose: a caller proves who it is with its API key in
the ``Authorization`` header, never with a cookie, so a forged cross-site request carries
no credential to ride on. Everything else (django-csp, security headers) applies as usual.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.api import openapi, rendering, selectors
from apps.api.auth import key_for
from apps.api.completions import CustomerTurn, on_db
from apps.api.errors import ApiError, invalid, not_found, too_large
from apps.api.models import Scope
from apps.api.parsing import parse_chat_request
from apps.conversations.protocol import MAX_INT

logger = logging.getLogger(__name__)

View = Callable[..., Coroutine[Any, Any, HttpResponseBase]]


def api_view(view: View) -> View:
    """Refusals in OpenAI's error shape; a database out of reach is a 503, not a 500."""

    @wraps(view)
    async def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return await view(request, *args, **kwargs)
        except ApiError as exc:
            return exc.response()
        except (OperationalError, InterfaceError):
            logger.warning("database unreachable for %s", request.path)
            return ApiError(
                503,
                "the desk is briefly unavailable; retry",
                type="server_error",
                code="unavailable",
            ).response()

    return csrf_exempt(wrapped)


@require_POST
@api_view
async def chat_completions(request: HttpRequest) -> HttpResponseBase:
    key = await key_for(request, Scope.CHAT)
    chat = parse_chat_request(
        _body(request), customer_header=request.headers.get("X-SurgeDesk-Customer")
    )
    turn = CustomerTurn(key, chat, request.headers.get("Idempotency-Key", ""))
    await turn.start()
    if chat.stream:
        response = StreamingHttpResponse(
            rendering.Chunks(turn).events(), content_type="text/event-stream; charset=utf-8"
        )
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each chunk at once
        return response
    async for _ in turn.pieces():
        pass  # the stored reply is the answer; its pieces only say when it is final
    return JsonResponse(rendering.completion(await turn.answer()))


def _body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:  # past Django's own cap (DATA_UPLOAD_MAX_MEMORY_SIZE)
        raise too_large() from None


@require_GET
@api_view
async def models(request: HttpRequest) -> HttpResponseBase:
    await key_for(request)
    return JsonResponse(rendering.models())


@require_GET
@api_view
async def conversation_messages(request: HttpRequest, conversation: uuid.UUID) -> HttpResponseBase:
    """A conversation's messages after ``after`` (a message id): how a client fetches an
    agent's reply once a person has the conversation."""
    key = await key_for(request, Scope.CONVERSATIONS)
    after = _after(request.GET.get("after", "0"))
    found = await on_db(selectors.conversation_of_key)(key, conversation)
    if found is None:
        raise not_found("no such conversation for this key", param="conversation")
    messages = await on_db(selectors.messages_after)(found, after)
    return JsonResponse(
        {
            "object": "list",
            "conversation": str(found.uuid),
            "status": found.status,
            "handoff": await on_db(selectors.handoff_of)(found),
            "data": messages,
        }
    )


def _after(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_INT:
        raise invalid("after must be a message id (a non-negative integer)", param="after")
    return int(raw)


@require_GET
async def openapi_document(request: HttpRequest) -> HttpResponseBase:
    return JsonResponse(openapi.document(request.build_absolute_uri("/")))


@csrf_exempt
async def unknown(request: HttpRequest, rest: str) -> HttpResponseBase:
    return not_found(f"no such endpoint: {request.method} /v1/{rest[:80]}").response()
