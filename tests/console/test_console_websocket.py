"""The staff websockets: agents only; the queue and a watched conversation update live.

Each test runs its coroutine on a loop of its own thread: the session's Playwright browser
keeps an event loop running in the main thread once a browser test has run.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async as db_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from apps.config.asgi import application
from apps.conversations import realtime
from apps.conversations.models import Message
from tests.console.conftest import client_for, make_conversation, make_user

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://localhost")


def run(coroutine) -> None:
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result(timeout=60)


def communicator(path: str, session_key: str | None = None) -> WebsocketCommunicator:
    headers = [ORIGIN]
    if session_key:
        cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def session_of(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@db_async
def agent_session() -> str:
    return session_of(client_for(make_user("alice", "agent")))


@db_async
def customer_session() -> str:
    client = Client()
    client.get("/")
    return session_of(client)


@db_async
def plain_user_session() -> str:
    return session_of(client_for(make_user("mallory")))


@pytest.mark.parametrize("path", ["/ws/console/queue/", "/ws/console/conversations/1/"])
def test_it_refuses_anonymous_customers_and_non_agents(path):
    run(refuses_anonymous_customers_and_non_agents(path))


async def refuses_anonymous_customers_and_non_agents(path: str) -> None:
    sessions = [None, await customer_session(), await plain_user_session()]
    for session in sessions:
        ws = communicator(path, session)
        connected, code = await ws.connect()
        assert not connected
        assert code == 4403
        await ws.disconnect()


def test_the_queue_socket_asks_for_the_agents_page_on_connect_and_after_a_change():
    run(the_queue_socket_asks_for_the_agents_page_on_connect_and_after_a_change())


async def the_queue_socket_asks_for_the_agents_page_on_connect_and_after_a_change() -> None:
    """A push is small whatever the queue's size: it has the page load its own list."""
    session = await agent_session()
    ws = communicator("/ws/console/queue/?filter=waiting&page=3", session)
    assert (await ws.connect())[0]
    first = await ws.receive_from(timeout=5)
    assert 'id="queue-refresh" hx-swap-oob="true"' in first
    assert 'hx-get="/console/queue/?filter=waiting&amp;page=3"' in first

    conversation = await db_async(make_conversation)(status="waiting_human", waited_minutes=1)
    await get_channel_layer().group_send(
        realtime.QUEUE_GROUP,
        {
            "type": "chat.event",
            "event": {"type": "queue.changed", "conversation_id": conversation.id},
        },
    )
    assert await ws.receive_from(timeout=5) == first
    await ws.disconnect()

    for bad in ("filter=angry", "page=0", "page=x"):
        refused = communicator(f"/ws/console/queue/?{bad}", session)
        assert await refused.connect() == (False, 4400)
        await refused.disconnect()


def test_the_conversation_socket_relays_rows_and_deltas():
    run(the_conversation_socket_relays_rows_and_deltas())


async def the_conversation_socket_relays_rows_and_deltas() -> None:
    session = await agent_session()
    conversation = await db_async(make_conversation)(status="ai", waited_minutes=1)
    reply = await db_async(Message.objects.create)(
        conversation=conversation, role="assistant", status="streaming", text=""
    )
    ws = communicator(f"/ws/console/conversations/{conversation.id}/", session)
    assert (await ws.connect())[0]
    group = realtime.staff_conversation_group(conversation.uuid.hex)
    layer = get_channel_layer()

    async def send(event: dict) -> dict:
        await layer.group_send(group, {"type": "chat.event", "event": event})
        return json.loads(await ws.receive_from(timeout=5))

    row = await send(realtime.reply_start(reply.id, None))
    assert row["type"] == "row" and f'id="msg-{reply.id}"' in row["html"]
    delta = await send(realtime.reply_delta(reply.id, 5, "<b>Hi"))
    assert delta == {"type": "delta", "message_id": reply.id, "seq": 5, "delta": "<b>Hi"}

    note = await db_async(Message.objects.create)(
        conversation=conversation, role="system", event="note", text="<i>call back</i>"
    )
    row = await send({"type": "staff.message", "message_id": note.id})
    assert "msg--note" in row["html"] and "&lt;i&gt;call back&lt;/i&gt;" in row["html"]
    await ws.disconnect()


def test_it_closes_with_4404_for_a_missing_conversation():
    run(it_closes_with_4404_for_a_missing_conversation())


async def it_closes_with_4404_for_a_missing_conversation() -> None:
    ws = communicator("/ws/console/conversations/999999/", await agent_session())
    connected, code = await ws.connect()
    assert (connected, code) == (False, 4404)
