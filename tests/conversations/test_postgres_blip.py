"""Postgres out of reach for a few seconds: a message sent meanwhile is refused with
``unavailable`` and nothing of it is stored; a reply in flight is recovered; once the
database is back, the resent message is answered, on the same socket."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from apps.conversations.models import Message
from tests.faults import wait_for_streaming_text
from tests.inference.servers import FaultyProxy
from tests.stack import start_live_stack

pytestmark = [pytest.mark.slow]


@pytest.fixture
def database_link(transactional_db):
    """The stack reaches Postgres through this proxy; the test process does not."""
    proxy = FaultyProxy(int(connection.settings_dict["PORT"] or 5432))
    yield proxy
    proxy.close()


def test_it_refuses_then_answers_across_a_postgres_blip(paced_cloud, database_link, tmp_path):
    db = connection.settings_dict
    stack = start_live_stack(
        tmp_path,
        DATABASE_URL=f"postgres://{db['USER']}@127.0.0.1:{database_link.port}/{db['NAME']}",
        CLOUD_BASE_URL=paced_cloud.base_url,
        REPLY_LEASE_S="2",
        REAPER_INTERVAL_S="0.3",
    )
    try:
        client = stack.chat_client()
        client.send_message("How long does delivery take?")
        first_reply = client.recv_until(lambda e: e["type"] == "reply.start")[-1]["message_id"]
        wait_for_streaming_text(first_reply)

        database_link.cut()
        second = client.send_message("Can I return shoes?")
        refused = client.recv_until(lambda e: e["type"] == "error", timeout=30)[-1]
        assert refused["code"] == "unavailable" and refused["client_msg_id"] == second
        assert not Message.objects.filter(client_msg_id=second).exists()  # nothing half-stored
        time.sleep(3)
        database_link.heal()
        client.send_message("Can I return shoes?", second)  # as the widget resends it

        ends: dict[int, str] = {}
        while len(ends) < 2:
            event = client.recv(timeout=60)
            if event["type"] == "error" and event["code"] == "unavailable":
                time.sleep(0.5)  # the stack is still reconnecting
                client.send_message("Can I return shoes?", second)
            elif event["type"] == "reply.end":
                ends[event["message_id"]] = event["text"]
    finally:
        stack.stop()

    replies = Message.objects.filter(role=Message.Role.ASSISTANT).order_by("id")
    assert replies[0].id == first_reply and len(replies) == 2
    assert all(r.status == Message.Status.DONE and ends[r.id] == r.text != "" for r in replies)
    assert Message.objects.filter(client_msg_id=second).count() == 1
