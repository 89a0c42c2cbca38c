from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from apps.config.languages import django_language
from apps.conversations import ratelimit
from apps.conversations.protocol import CSAT_MAX, CSAT_MIN
from apps.conversations.selectors import conversation_transcript
from apps.conversations.services import conversation_for_session


@require_GET
def chat_page(request: HttpRequest) -> HttpResponse:
    """The customer widget; makes sure the browser has a session that owns a conversation.

    It speaks the conversation's language; before the first message, the browser's. A new
    session counts against its address's limit (``CHAT_RATE_LIMITS["session"]``).
    """
    if request.session.session_key is None:
        ip = ratelimit.request_client_ip(request) or "unknown"
        wait_s = ratelimit.retry_after_sync("session", ip=ip)
        if wait_s is not None:
            return _too_many_sessions(wait_s)
        request.session.save()
    session_key = request.session.session_key
    assert session_key is not None  # saving a session gives it a key
    conversation = conversation_for_session(session_key=session_key)
    language = django_language(
        conversation.language or translation.get_language_from_request(request)
    )
    context = {
        "messages": conversation_transcript(conversation),
        "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
        "csat_scale": range(CSAT_MIN, CSAT_MAX + 1),
    }
    with translation.override(language):
        response = render(request, "conversations/chat.html", context)
    response.headers["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language"])
    return response


def _too_many_sessions(wait_s: int) -> HttpResponse:
    response = HttpResponse(
        "Too many new chats from your network. Please try again shortly.",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response.headers["Retry-After"] = str(wait_s)
    return response
