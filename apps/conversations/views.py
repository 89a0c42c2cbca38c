from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.conversations.selectors import conversation_transcript
from apps.conversations.services import conversation_for_session


@require_GET
def chat_page(request: HttpRequest) -> HttpResponse:
    """The customer widget; makes sure the browser has a session that owns a conversation."""
    if request.session.session_key is None:
        request.session.save()
    session_key = request.session.session_key
    assert session_key is not None  # saving a session gives it a key
    conversation = conversation_for_session(session_key=session_key)
    return render(
        request,
        "conversations/chat.html",
        {
            "messages": conversation_transcript(conversation),
            "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
        },
    )
