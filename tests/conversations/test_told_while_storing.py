"""A message whose storing waits behind others: its customer is told their place within
the notice wait of its arrival, not once it is stored.

Real Postgres and Redis, the consumer in this process. The wait is a real one: another
connection holds the conversations' rows, as a burst of messages does on a surge's night
(``message_post`` locks its conversation's row).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection, transaction

from apps.conversations.consumers import ChatConsumer
from apps.conversations.models import Conversation, Message
from apps.ops.flags import current_flags
from tests.realtime import BrokerQueue, new_session

pytestmark = pytest.mark.django_db(transaction=True)


async def open_socket() -> tuple[WebsocketCommunicator, str]:
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/")
    session = await new_session()
    communicator.scope["session"] = session
    connected, _ = await communicator.connect()
    assert connected
    return communicator, session.session_key


@contextmanager
def rows_held(session_keys: list[str]) -> Iterator[None]:
    """Another connection holds these sessions' conversation rows until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            rows = Conversation.objects.select_for_update().filter(session_key__in=session_keys)
            assert len(rows) == len(session_keys)
            held.set()
            release.wait(30)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join()


async def types_until_accepted(communicator: WebsocketCommunicator) -> list[str]:
    heard = [(await communicator.receive_json_from(timeout=30))["type"]]
    while heard[-1] != "message.accepted":
        heard.append((await communicator.receive_json_from(timeout=30))["type"])
    return heard


async def test_a_message_stored_behind_another_is_told_its_place_before_it_is_stored(line):
    BrokerQueue().clear()
    await database_sync_to_async(current_flags)()  # as a web process has, after its first
    (first, first_key), (second, second_key) = await open_socket(), await open_socket()
    with rows_held([first_key, second_key]):
        await first.send_json_to({"type": "message", "client_msg_id": str(uuid.uuid4()),
                                  "text": "Where is my parcel?"})  # fmt: skip
        await asyncio.sleep(0.1)  # its storing has begun, and waits
        await second.send_json_to({"type": "message", "client_msg_id": str(uuid.uuid4()),
                                   "text": "Do you ship to Hong Kong?"})  # fmt: skip
        # Told while its message still waits to be stored (the rows are held till here).
        notice = await second.receive_json_from(timeout=10)
        assert notice["type"] == "notice" and notice["kind"] == "queued"
        assert notice["place"] == 2  # the first message, still being stored, is ahead
    assert await types_until_accepted(second) == ["message.accepted"]  # told once only
    # Nobody was ahead of the first as it arrived: its customer was told nothing before.
    assert await types_until_accepted(first) == ["message.accepted"]
    # Both are stored, each with its reply in line for a worker.
    customer = Message.Role.CUSTOMER
    assert await Message.objects.filter(role=customer).acount() == 2
    assert len(BrokerQueue()) == 2
    for communicator in (first, second):
        await communicator.disconnect()
