"""A worker SIGKILLed mid-reply: its lease runs out, another worker writes the reply from
the start, and the customer gets exactly one final reply on the same socket."""

from __future__ import annotations

import pytest

from apps.conversations.models import Message
from tests.faults import kill_reply_writer, wait_for_streaming_text
from tests.stack import start_live_stack

pytestmark = [pytest.mark.slow]


@pytest.fixture
def two_worker_stack(paced_cloud, tmp_path):
    stack = start_live_stack(
        tmp_path,
        workers=2,
        CLOUD_BASE_URL=paced_cloud.base_url,
        REPLY_LEASE_S="2",
        REAPER_INTERVAL_S="0.3",
    )
    yield stack
    stack.stop()


def test_it_finishes_a_reply_whose_worker_was_killed(two_worker_stack):
    client = two_worker_stack.chat_client()
    client.send_message("How long does delivery take?")
    start = client.recv_until(lambda e: e["type"] == "reply.start")[-1]
    reply_id = start["message_id"]
    wait_for_streaming_text(reply_id)

    killed = kill_reply_writer(two_worker_stack, reply_id)
    events = client.reply_events(timeout=60)

    reply = Message.objects.get(id=reply_id)
    assert reply.status == Message.Status.DONE
    assert reply.attempt == 2 and reply.restarts == 1
    assert not reply.lease_owner.endswith(f":{two_worker_stack.processes[killed].pid}")
    ends = [e for e in events if e["type"] == "reply.end"]
    assert len(ends) == 1 and ends[0]["text"] == reply.text != ""
    assert any(e["type"] == "reply.restart" for e in events)  # the voided words go away
    assert Message.objects.filter(role=Message.Role.ASSISTANT).count() == 1
