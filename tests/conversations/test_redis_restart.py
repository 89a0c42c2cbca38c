"""Redis restarted under load: sockets stay open, replies in flight and messages sent
while it was down all end exactly once, and no customer sees an error."""

from __future__ import annotations

import threading
import time

import pytest

from apps.conversations.models import Message
from tests.faults import Conversation, converse
from tests.stack import start_live_stack

pytestmark = [pytest.mark.slow]

QUESTIONS = ["How long does delivery take?", "Can I return shoes?", "Do you ship abroad?"]


@pytest.fixture
def stack_on_private_redis(paced_cloud, private_redis, tmp_path):
    stack = start_live_stack(
        tmp_path,
        REDIS_URL=private_redis.url,
        CLOUD_BASE_URL=paced_cloud.base_url,
        REAPER_INTERVAL_S="0.3",
    )
    yield stack
    stack.stop()


def test_it_answers_every_message_through_a_redis_restart(stack_on_private_redis, private_redis):
    clients = [stack_on_private_redis.chat_client() for _ in range(6)]
    seen: list[Conversation] = [Conversation() for _ in clients]

    def run(index: int) -> None:
        time.sleep(index * 0.2)  # arrivals spread over the restart
        seen[index] = converse(clients[index], QUESTIONS)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # replies are streaming now
    private_redis.restart(down_s=3)
    for thread in threads:
        thread.join(120)

    for each in seen:
        assert not each.socket_closed
        assert each.errors == []
        assert len(each.finals) == len(QUESTIONS) and all(each.finals)
    replies = Message.objects.filter(role=Message.Role.ASSISTANT)
    assert replies.count() == len(clients) * len(QUESTIONS)
    assert set(replies.values_list("status", flat=True)) == {Message.Status.DONE}
    for client in clients:
        client.close()
