from django.urls import path, re_path

from apps.api import views

urlpatterns = [
    path("chat/completions", views.chat_completions, name="api-chat-completions"),
    path("models", views.models, name="api-models"),
    path(
        "conversations/<uuid:conversation>/messages",
        views.conversation_messages,
        name="api-conversation-messages",
    ),
    path("openapi.json", views.openapi_document, name="api-openapi"),
    # Anything else under /v1/ (newlines included) gets OpenAI's 404, not Django's page.
    re_path(r"(?P<rest>[\s\S]*)\Z", views.unknown),
]
