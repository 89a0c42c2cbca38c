"""Admission control on the real stack: Daphne, a Celery worker, Redis and Postgres.

A worker frozen with SIGSTOP takes no task, so a line of replies builds up as it does at
a sale's midnight, and what the edge does meanwhile is all the customer gets.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from apps.conversations import staff
from apps.conversations.models import Conversation, Message
from apps.ops.services import flags_update
from tests.demo_questions import OFF_CATALOG, unique_tag
from tests.stack import ChatClient, LiveStack, stacks_reread_shop, start_live_stack

pytestmark = pytest.mark.slow

REFUND = "When will my refund arrive?"


def first_events(client: ChatClient, count: int, timeout: float = 30.0) -> list[dict]:
    return [client.recv(timeout=timeout) for _ in range(count)]


def kinds(events: list[dict]) -> list[str]:
    return [e["type"] if e["type"] != "notice" else f"notice:{e['kind']}" for e in events]


def queued_places(events: list[dict]) -> list[int]:
    return [e["place"] for e in events if e["type"] == "notice" and e["kind"] == "queued"]


def test_a_cached_answer_comes_from_the_edge_with_no_worker(live_stack: LiveStack, chat):
    # Its answer names no amount: over this stack's empty FAQ the reply policy would hold
    # one back, and a held reply is never remembered.
    question = f"Which countries do you deliver to {unique_tag()}?"
    first = chat()
    first.send_message(question)
    written = first.reply_events()[-1]
    assert written["route"] in ("local", "cloud"), written  # by the worker, remembered
    with live_stack.paused("worker"):
        later = chat()
        other_tab = chat(session=later.session)
        later.send_message(question)
        end = later.reply_events()[-1]
        # The asking socket got the answer straight from its web process; the layer's
        # copy reached the session's other tab, and was not sent to the first again:
        # a frame sent after the copy reached the other tab is answered after it.
        assert other_tab.reply_events()[-1] == end
        later.send_json({"type": "no-such-type"})
        later.recv_until(lambda e: e["type"] == "error")
    assert end["route"] == "cache"
    assert end["text"] == first.received[-1]["text"]
    reply_kinds = [e["type"] for e in later.received if e["type"].startswith("reply.")]
    assert reply_kinds == ["reply.start", "reply.delta", "reply.end"]


@pytest.fixture
def frozen_line_stack(transactional_db, tmp_path, settings):
    """A stack of its own, with the demo catalog: its line and its workers' rate start
    unmeasured. A line of 3 counts as a surge and a line of 2 is announced."""
    call_command("load_demo_faq", stdout=io.StringIO())
    flags_update(user=None, changes={"surge_queue_depth": 3})
    stack = start_live_stack(tmp_path, QUEUE_NOTICE_AT="2", QUEUE_PLACE_TICK_S="0.2")
    # Staff act from this process here: on the stack's line, as its web process would.
    settings.CELERY_KEY_PREFIX = stack.env["CELERY_KEY_PREFIX"]
    yield stack
    stack.stop()
    # The shared stack's processes must not keep answering from this test's catalog.
    stacks_reread_shop()


def test_a_long_line_gets_faq_answers_and_its_place_at_once_and_a_handoff_never_waits(
    frozen_line_stack: LiveStack, django_user_model
):
    stack = frozen_line_stack
    clients = [stack.chat_client() for _ in range(4)]
    agent = django_user_model.objects.create_user("agent", is_staff=True)
    with stack.paused("worker"):
        for number, client in enumerate(clients, start=1):
            client.send_message(f"{OFF_CATALOG} {unique_tag()}")
            events = first_events(client, 1)
            if number >= 3:  # two replies ahead: told as it arrives, before it is stored
                assert kinds(events) == ["notice:queued"]
                assert (events[0]["place"], events[0]["wait_s"]) == (number, None)
                # Its reply took that very place: it is not told twice.
                events = first_events(client, 1)
            assert kinds(events) == ["message.accepted"]

        # Three replies wait: a question the FAQ is sure of is answered at the edge...
        asks_refund = stack.chat_client()
        asks_refund.send_message(REFUND)
        answered = asks_refund.reply_events()
        assert answered[-1]["route"] == "faq"
        # (Told the line first, as it arrived: the client drops that at the answer's text.)
        assert kinds(asks_refund.received)[:2] == ["notice:queued", "message.accepted"]
        assert Message.objects.get(id=answered[-1]["message_id"]).fallback_reason == "surge"
        # ...and one it cannot answer is told its place in the same breath.
        waits = stack.chat_client()
        waits.send_message(f"{OFF_CATALOG} {unique_tag()}")
        events = first_events(waits, 2)
        assert kinds(events) == ["notice:queued", "message.accepted"]
        assert events[0]["place"] == 5

        # Asking for a person, or a person taking over, waits for no AI reply in line.
        clients[0].send_json({"type": "handoff"})
        clients[0].recv_until(lambda e: e["type"] == "notice" and e["kind"] == "handoff")
        taken = Conversation.objects.get(session_key=clients[1].session)
        staff.conversation_take_over(conversation_id=taken.id, agent=agent)
        staff.agent_reply_post(conversation_id=taken.id, agent=agent, text="Hi, Ann here.")
        heard = clients[1].recv_until(lambda e: e["type"] == "agent.message")
        assert all(e["type"] != "reply.start" for e in heard)
        # Ann answers now: however long the line, that customer is not told a place in it.
        clients[1].send_message("Thanks Ann, where is my parcel?")
        heard = clients[1].recv_until(lambda e: e["type"] == "message.accepted")
        assert "notice:queued" not in kinds(heard)

    # The worker wakes: every reply still in line is written, once.
    for client in (clients[0], clients[2], clients[3], waits):
        events = client.reply_events()
        assert [e["type"] for e in events].count("reply.end") == 1
    cancelled = Message.objects.get(conversation=taken, role=Message.Role.ASSISTANT)
    assert cancelled.status == Message.Status.CANCELLED


def test_the_place_is_told_again_as_the_line_moves(paced_cloud, tmp_path):
    """Cloud replies paced like a hosted model's: eight at a time, the rest in line."""
    stack = start_live_stack(
        tmp_path,
        CLOUD_BASE_URL=paced_cloud.base_url,
        QUEUE_NOTICE_AT="4",
        QUEUE_PLACE_TICK_S="0.2",
    )
    try:
        clients = [stack.chat_client() for _ in range(24)]
        for client in clients:
            client.send_message(f"{OFF_CATALOG} {unique_tag()}")
        heard = [client.reply_events(timeout=120) for client in clients]
    finally:
        stack.stop()
    for events in heard:
        assert [e["type"] for e in events].count("reply.end") == 1
        places = queued_places(events)
        assert places == sorted(places, reverse=True)  # a place only ever goes down
        told = [i for i, e in enumerate(events) if e["type"] == "notice"]
        text = next(i for i, e in enumerate(events) if e["type"] in ("reply.delta", "reply.end"))
        assert all(i < text for i in told)  # told while waiting, never once text came
    moved = [queued_places(events) for events in heard if len(set(queued_places(events))) > 1]
    assert moved, "nobody was told a new place as the line moved"
    estimates = [e["wait_s"] for events in heard for e in events if e.get("kind") == "queued"]
    assert any(wait is not None for wait in estimates)  # once the workers' rate is measured


def test_a_reply_a_busy_model_is_slow_to_start_is_told_its_place(paced_cloud, tmp_path):
    """No line at all, so nothing is announced; but the model holds its first token back.
    Once the customer has waited QUEUE_NOTICE_WAIT_S with no text, they are told."""
    paced_cloud.delay_s = 2.0
    stack = start_live_stack(tmp_path, CLOUD_BASE_URL=paced_cloud.base_url)
    try:
        client = stack.chat_client()
        client.send_message(f"{OFF_CATALOG} {unique_tag()}")
        events = client.reply_events(timeout=60)
    finally:
        stack.stop()
    assert paced_cloud.delayed >= 1
    told = [i for i, e in enumerate(events) if e.get("kind") == "queued"]
    text = next(i for i, e in enumerate(events) if e["type"] in ("reply.delta", "reply.end"))
    assert len(told) == 1 and told[0] < text
    assert events[told[0]]["place"] == 1  # a worker has it: nobody is ahead
    assert [e["type"] for e in events].count("reply.end") == 1
