"""A server-side failure on one frame gets an error event; the socket stays usable."""

from __future__ import annotations

import uuid

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore

from apps.conversations import services
from apps.conversations.consumers import ChatConsumer
from tests.realtime import new_session

pytestmark = pytest.mark.django_db(transaction=True)


async def test_it_answers_a_failed_frame_with_server_error_and_keeps_the_socket(monkeypatch):
    def broken_post(**kwargs):
        raise RuntimeError("database went away")  # the fault, injected on purpose

    monkeypatch.setattr(services, "message_post", broken_post)
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/")
    communicator.scope["session"] = await new_session()
    connected, _ = await communicator.connect()
    assert connected

    await communicator.send_json_to(
        {"type": "message", "client_msg_id": str(uuid.uuid4()), "text": "hello"}
    )
    error = await communicator.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "server_error"

    await communicator.send_json_to({"type": "bogus"})
    assert (await communicator.receive_json_from(timeout=5))["code"] == "unknown_type"
    await communicator.disconnect()


async def test_it_closes_a_socket_without_a_session():
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/")
    communicator.scope["session"] = SessionStore()
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401
