"""Priority lanes over the real stack: a served FAQ answer is counted by the background
worker, and a flood of background work never reaches the reply worker, so customers'
replies go out while the background queue still holds every task.

The stack here runs a reply worker only; each test starts the background worker when it
wants the background queue drained, and it is stopped again afterwards.
"""

from __future__ import annotations

import pytest
from django.db.models import Sum

from apps.config.queues import BACKGROUND_QUEUE
from apps.conversations.models import Message
from apps.faq.models import FaqEntry
from apps.faq.tasks import RECORD_HIT_TASK
from apps.ops.services import flags_update
from tests.realtime import BrokerQueue
from tests.stack import stop_process, wait_until

pytestmark = pytest.mark.slow

FLOOD = 200
QUESTIONS = ["How long does delivery take?", "Can I return my shoes?", "Do you ship to Canada?"]


@pytest.fixture(scope="module")
def reply_lane_stack(django_db_setup, django_db_blocker, tmp_path_factory):
    from tests.stack import start_live_stack

    with django_db_blocker.unblock():
        stack = start_live_stack(tmp_path_factory.mktemp("lanes"), REPLY_FLUSH_MS="10")
    yield stack
    stack.stop()


@pytest.fixture
def stack(reply_lane_stack, stack_faq_keys, transactional_db):
    """The stack without a background worker, its background queue empty."""
    background_queue(reply_lane_stack).clear()
    yield reply_lane_stack
    if "background" in reply_lane_stack.processes:
        stop_process(reply_lane_stack.processes["background"])
    background_queue(reply_lane_stack).clear()


def background_queue(stack) -> BrokerQueue:
    return BrokerQueue(BACKGROUND_QUEUE, prefix=stack.key_prefix)


def total_hits() -> int:
    return FaqEntry.objects.aggregate(total=Sum("hit_count"))["total"] or 0


def test_a_served_faq_answer_is_counted_by_the_background_worker(stack, demo_catalog):
    flags_update(user=None, changes={"mode": "faq_only"})
    client = stack.chat_client()
    client.send_message("how long will delivery take")
    end = client.reply_events()[-1]
    client.close()
    assert end["route"] == "faq"

    # The reply is out; its hit waits on the background lane, which the reply worker
    # does not read.
    assert background_queue(stack).first_args() == ["ship-time"]
    assert FaqEntry.objects.get(external_id="ship-time").hit_count == 0

    stack.start_background_worker()
    wait_until(lambda: FaqEntry.objects.get(external_id="ship-time").hit_count == 1)
    assert len(background_queue(stack)) == 0


def test_a_flood_of_background_tasks_never_delays_a_reply(stack, demo_catalog):
    stack.enqueue(RECORD_HIT_TASK, "ship-time", queue=BACKGROUND_QUEUE, copies=FLOOD)
    assert len(background_queue(stack)) == FLOOD

    clients = [stack.chat_client() for _ in QUESTIONS]
    for client, question in zip(clients, QUESTIONS, strict=True):
        client.send_message(question)
    ends = [client.reply_events()[-1] for client in clients]
    for client in clients:
        client.close()

    for end in ends:
        assert Message.objects.get(id=end["message_id"]).text == end["text"] != ""
    # Every reply went out with the whole flood still queued: the reply worker took none
    # of it. (A reply that fell back to the FAQ queued one hit more.)
    faq_replies = sum(end["route"] == "faq" for end in ends)
    assert len(background_queue(stack)) == FLOOD + faq_replies
    assert total_hits() == 0

    # The flood was real work, for the background lane: its worker takes it. (All of it
    # would take a while: a worker that takes a task only when a thread is free fetches
    # about once a second, its -c 2 threads at a time.)
    stack.start_background_worker()
    wait_until(lambda: total_hits() >= 4)
    assert len(background_queue(stack)) < FLOOD + faq_replies
