"""CSAT over the real stack: the widget's socket is asked once, after staff close the
conversation or after it idled (the background worker's sweep), and a rating is taken once.

Real Daphne, reply and background workers, Redis and Postgres (``live_stack``); the
conversation is closed by the staff service in this process, whose events reach the
socket through Redis, as from the console.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.conversations.models import Conversation, Csat, Message
from apps.conversations.staff import conversation_close
from tests.console.conftest import make_user
from tests.stack import wait_until

pytestmark = pytest.mark.slow

QUESTION = "How long does delivery take?"
# Each frame is refused with its code, whatever the socket was asked.
BAD_SUBMITS = {
    "rating missing": ({}, "invalid_field"),
    "rating a string": ({"rating": "4"}, "invalid_field"),
    "rating a float": ({"rating": 4.0}, "invalid_field"),
    "rating a boolean": ({"rating": True}, "invalid_field"),
    "rating null": ({"rating": None}, "invalid_field"),
    "rating zero": ({"rating": 0}, "invalid_field"),
    "rating six": ({"rating": 6}, "invalid_field"),
    "rating past a bigint": ({"rating": 2**70}, "invalid_field"),
    "rating an object": ({"rating": {"value": 5}}, "invalid_field"),
    "comment a number": ({"rating": 3, "comment": 5}, "invalid_field"),
    "comment a list": ({"rating": 3, "comment": ["nice"]}, "invalid_field"),
    "comment over the cap": ({"rating": 3, "comment": "好" * 501}, "comment_too_long"),
    "comment a lone surrogate": ({"rating": 3, "comment": "ok \ud800"}, "invalid_text"),
    "nothing was asked": ({"rating": 5, "comment": "great"}, "csat_not_requested"),
}
# Bidi override, zero-width space and markup: stored normalised, never as markup's effect.
HOSTILE_COMMENT = "\u202eQuick\u200b and <b>kind</b>\x00  "


def asked(client, timeout: float = 30.0) -> dict:
    return client.recv_until(lambda e: e["type"] == "csat.request", timeout)[-1]


def submit(client, **fields) -> dict:
    client.send_json({"type": "csat.submit", **fields})
    return client.recv_until(lambda e: e["type"] in ("csat.accepted", "error"), timeout=15)[-1]


def conversation_of(client) -> Conversation:
    return Conversation.objects.get(session_key=client.session)


def test_a_bad_rating_is_refused_with_its_code_and_the_socket_stays_usable(chat):
    client = chat()
    for name, (fields, code) in BAD_SUBMITS.items():
        client.ws.send(json.dumps({"type": "csat.submit", **fields}))
        error = client.recv(timeout=10)
        assert (error["type"], error["code"]) == ("error", code), name
        assert error["detail"]
    assert not Csat.objects.exists()
    client.send_message(QUESTION)
    assert client.reply_events()[-1]["text"]


def test_after_staff_close_the_widget_is_asked_once_and_a_rating_is_final(chat):
    agent = make_user("alice", "agent")
    client = chat()
    client.send_message(QUESTION)
    client.reply_events()
    conversation = conversation_of(client)

    conversation_close(conversation_id=conversation.id, agent=agent)
    events = client.recv_until(lambda e: e["type"] == "csat.request", timeout=30)
    kinds = [e.get("kind") or e["type"] for e in events]
    assert kinds.index("closed") < kinds.index("csat.request")  # asked after the close
    request = events[-1]
    assert request["reason"] == "closed" and request["comment_max"] == 500
    assert "1" in request["text"] and "5" in request["text"]

    accepted = submit(client, rating=4, comment=HOSTILE_COMMENT)
    assert accepted == {"type": "csat.accepted", "rating": 4, "text": accepted["text"]}
    again = submit(client, rating=1, comment="changed my mind")
    assert again["code"] == "csat_already_given"

    csat = Csat.objects.get(conversation=conversation)
    assert (csat.rating, csat.comment, csat.trigger) == (4, "Quick and <b>kind</b>", "closed")
    # The transcript keeps what the customer read: the closed notice, then the request (a
    # busy machine may have told the customer their place in line before).
    notices = conversation.messages.filter(event=Message.Event.NOTICE).exclude(notice_kind="queued")
    assert list(notices.values_list("notice_kind", flat=True)) == ["closed", "csat"]
    assert notices.get(notice_kind="csat").text == request["text"]


def test_an_idle_conversation_is_asked_by_the_background_worker_even_after_a_reconnect(
    live_stack, chat
):
    client = chat()
    client.send_message(QUESTION)
    client.reply_events()
    conversation = conversation_of(client)
    # Idle since an hour ago, as far as Postgres knows (the sweep reads the last writes).
    an_hour_ago = timezone.now() - timedelta(hours=1)
    conversation.messages.update(updated_at=an_hour_ago, created_at=an_hour_ago)

    request = asked(client)
    assert request["reason"] == "idle"
    csat = Csat.objects.get(conversation=conversation)
    assert csat.trigger == "idle" and csat.rating is None

    # The socket went away and came back (a reload, another web process): asked again,
    # the same request, until it is answered.
    client.close()
    back = chat(session=client.session)
    assert back.recv(timeout=10) == request
    assert submit(back, rating=5)["type"] == "csat.accepted"
    again = chat(session=client.session)
    again.send_json({"type": "resume", "last_seq": 0})
    replayed = again.reply_events()
    assert "csat.request" not in {e["type"] for e in replayed}
    # The sweep keeps running every second; one request is all it ever makes.
    wait_until(lambda: Csat.objects.get(id=csat.id).rating == 5)
    assert conversation.messages.filter(notice_kind="csat").count() == 1
