from django.urls import path

from apps.console.consumers import ConversationWatchConsumer, QueueConsumer
from apps.conversations.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi()),
    path("ws/console/queue/", QueueConsumer.as_asgi()),
    path("ws/console/conversations/<int:conversation_id>/", ConversationWatchConsumer.as_asgi()),
]
