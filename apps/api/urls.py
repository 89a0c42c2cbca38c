from django.urls import path

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
    path("<path:rest>", views.unknown),
]
