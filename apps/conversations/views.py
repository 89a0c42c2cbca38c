from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from apps.config.languages import django_language
from apps.conversations.selectors import conversation_transcript
from apps.conversations.services import conversation_for_session


@require_GET
def chat_page(request: HttpRequest) -> HttpResponse:
    """The customer widget; makes sure the browser has a session that owns a conversation.

    It speaks the conversation's language; before the first message, the browser's.
    """
    if request.session.session_key is None:
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
    }
    with translation.override(language):
        response = render(request, "conversations/chat.html", context)
    response.headers["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language"])
    return response
