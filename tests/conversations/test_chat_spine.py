"""One customer message end to end on the real stack: Daphne, Redis, Celery, the demo model."""

from __future__ import annotations

import time

import pytest

from apps.conversations.models import Message

pytestmark = pytest.mark.slow


def test_it_streams_a_reply_whose_deltas_equal_the_final_and_stored_text(chat):
    client = chat()
    client_msg_id = client.send_message("How long does delivery take?")

    accepted = client.recv()
    assert accepted["type"] == "message.accepted"
    assert accepted["client_msg_id"] == client_msg_id
    events = client.reply_events()

    start, *deltas, end = events
    assert start["type"] == "reply.start"
    assert start["reply_to"] == accepted["message_id"]
    assert all(e["type"] == "reply.delta" for e in deltas)
    assert len(deltas) >= 2
    seqs = [e["seq"] for e in deltas]
    assert seqs == sorted(set(seqs))
    streamed = "".join(e["delta"] for e in deltas)
    assert streamed == end["text"]
    assert seqs[-1] == len(streamed)
    assert end["route"] == "local"

    stored = Message.objects.get(id=end["message_id"])
    assert stored.text == end["text"]
    assert stored.status == Message.Status.DONE
    assert stored.role == Message.Role.ASSISTANT
    assert stored.reply_to_id == accepted["message_id"]
    assert stored.ttft_ms is not None and stored.tokens_out > 0


def test_it_answers_a_resent_message_only_once(chat):
    client = chat()
    client_msg_id = client.send_message("Can I return shoes?")
    client.recv_until(lambda e: e["type"] == "reply.end")

    client.send_message("Can I return shoes?", client_msg_id=client_msg_id)
    again = client.recv()
    assert again["type"] == "message.accepted"
    with pytest.raises(TimeoutError):
        client.recv(timeout=3)
    assert Message.objects.filter(role=Message.Role.ASSISTANT).count() == 1
    assert Message.objects.filter(role=Message.Role.CUSTOMER).count() == 1


def test_it_replays_a_reply_to_a_client_that_reconnects(chat, live_stack):
    first = chat()
    first.send_message("退货要怎么办理？")
    accepted = first.recv()
    start = first.recv_until(lambda e: e["type"] == "reply.start")[-1]
    first.close()

    # Let the reply finish while nobody listens, then resume as the same session.
    message = Message.objects.get(id=start["message_id"])
    for _ in range(300):
        message.refresh_from_db()
        if message.status == Message.Status.DONE:
            break
        time.sleep(0.1)
    second = chat(session=first.session)
    second.send_json({"type": "resume", "last_seq": 0})
    replay = second.reply_events(timeout=10)
    assert replay[0]["type"] == "reply.start"
    assert replay[-1]["text"] == message.text
    assert "".join(e["delta"] for e in replay if e["type"] == "reply.delta") == message.text
    assert accepted["message_id"] == message.reply_to_id


def test_it_resumes_mid_reply_from_the_offset_the_client_holds(chat):
    client = chat()
    client.send_message("What payment methods do you accept?")
    events = client.reply_events()
    text = events[-1]["text"]
    held = len(text) // 2

    client.send_json({"type": "resume", "last_seq": held, "message_id": events[-1]["message_id"]})
    replay = client.reply_events(timeout=10)
    assert [e["type"] for e in replay] == ["reply.delta", "reply.end"]
    assert replay[0]["delta"] == text[held:]
    assert replay[0]["seq"] == len(text)
