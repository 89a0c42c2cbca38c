"""One client_msg_id, one reply: sent twice at once from two sockets of one session, or
resent while its reply streams."""

from __future__ import annotations

import threading
import uuid

import pytest

from apps.conversations.models import Message

pytestmark = [pytest.mark.slow]


def test_the_same_message_sent_twice_at_once_gets_one_reply(live_stack, transactional_db):
    session = live_stack.new_session()
    sockets = [live_stack.chat_client(session=session) for _ in range(2)]
    frame = {"type": "message", "client_msg_id": str(uuid.uuid4()), "text": "Do you ship abroad?"}
    barrier = threading.Barrier(len(sockets))

    def send(client) -> None:
        barrier.wait()
        client.send_json(frame)

    threads = [threading.Thread(target=send, args=(client,)) for client in sockets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    accepted = [
        c.recv_until(lambda e: e["type"] == "message.accepted")[-1]["message_id"] for c in sockets
    ]
    for client in sockets:
        client.reply_events()
        client.close()

    assert accepted[0] == accepted[1]
    assert Message.objects.filter(role=Message.Role.CUSTOMER).count() == 1
    assert Message.objects.filter(role=Message.Role.ASSISTANT).count() == 1


def test_a_resend_while_the_reply_streams_gets_no_second_reply(live_stack, transactional_db):
    client = live_stack.chat_client()
    client_msg_id = client.send_message("Can I return shoes?")
    client.recv_until(lambda e: e["type"] == "reply.start")
    client.send_message("Can I return shoes?", client_msg_id)  # the widget's resend
    events = client.reply_events()
    client.send_json({"type": "resume", "last_seq": 0})
    client.reply_events()  # the replay ends it again; nothing else follows

    starts = {e["message_id"] for e in client.received if e["type"] == "reply.start"}
    assert len(starts) == 1 and events[-1]["type"] == "reply.end"
    assert Message.objects.filter(role=Message.Role.ASSISTANT).count() == 1
    assert Message.objects.filter(client_msg_id=client_msg_id).count() == 1
