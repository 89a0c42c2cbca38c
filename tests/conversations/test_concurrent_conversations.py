"""Eight conversations at once through the real worker share one batched engine."""

from __future__ import annotations

import threading

import pytest

from apps.conversations.models import Message
from apps.inference import engine_stats
from tests.demo_questions import DEMO_QUESTIONS

pytestmark = pytest.mark.slow

QUESTIONS = DEMO_QUESTIONS


def batched_steps() -> int:
    return sum(figures.get("batched_steps", 0) for figures in engine_stats.all_engines().values())


def test_it_answers_eight_concurrent_conversations_in_one_batch(chat):
    clients = [chat() for _ in QUESTIONS]
    before = batched_steps()
    endings: list[dict | None] = [None] * len(clients)
    go = threading.Barrier(len(clients))

    def converse(i: int) -> None:
        go.wait()
        clients[i].send_message(QUESTIONS[i])
        endings[i] = clients[i].reply_events(timeout=120)[-1]

    threads = [threading.Thread(target=converse, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(150)

    assert all(end is not None and end["text"] for end in endings)
    assert Message.objects.filter(role="assistant", status="done").count() == len(QUESTIONS)
    assert batched_steps() > before
