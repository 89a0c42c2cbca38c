"""An answer served by the FAQ route queues one hit for its entry on the background lane:
the count runs in the background worker, never in the reply, and never fails a reply."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from apps.config.queues import BACKGROUND_QUEUE
from apps.faq import tasks
from apps.faq.models import FaqEntry
from apps.inference.prompts import Turn
from apps.inference.service import stream_reply
from apps.ops.flags import Flags
from tests.realtime import BrokerQueue

FAQ_ONLY = Flags(mode="faq_only")


@pytest.fixture
def hit_queue():
    """This process's background queue in the test Redis (no worker consumes it)."""
    queue = BrokerQueue(BACKGROUND_QUEUE)
    queue.clear()
    yield queue
    queue.clear()


def hits(faq_id: str) -> int:
    return FaqEntry.objects.get(external_id=faq_id).hit_count


def ask(text: str, *, turns: int = 1):
    history = [Turn("user", "hi"), Turn("assistant", "Hello!")] * (turns - 1)
    stream = stream_reply([*history, Turn("user", text)], cache_key="k", flags=FAQ_ONLY)
    return "".join(stream), stream.outcome


@pytest.mark.django_db
def test_an_faq_answer_queues_one_hit_for_its_entry(demo_catalog, hit_queue):
    text, outcome = ask("how long will delivery take", turns=2)
    assert outcome.route == "faq"
    assert text == FaqEntry.objects.get(external_id="ship-time").answer
    assert hit_queue.first_args() == ["ship-time"]
    assert hits("ship-time") == 0  # not in the reply's path: the background worker counts
    ask("How long does delivery take?", turns=2)
    assert hit_queue.first_args() == ["ship-time", "ship-time"]


@pytest.mark.django_db
def test_the_hit_task_counts_one_hit_on_its_entry(demo_catalog):
    tasks.record_hit("ship-time")
    tasks.record_hit("ship-time")
    assert hits("ship-time") == 2
    tasks.record_hit("no-such-entry")  # deleted since it was queued: nothing to count


@pytest.mark.django_db
def test_a_cache_hit_is_not_an_faq_hit(demo_catalog, hit_queue):
    ask("How long does delivery take?")  # from the FAQ, then remembered
    _, outcome = ask("How long does delivery take?")
    assert outcome.route == "cache"
    assert hit_queue.first_args() == ["ship-time"]


@pytest.mark.django_db
def test_a_broker_that_refuses_the_hit_does_not_fail_the_reply(
    demo_catalog, hit_queue, monkeypatch
):
    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.record_hit, "apply_async", refused)  # the fault: the broker
    text, outcome = ask("How long does delivery take?")
    assert outcome.route == "faq"
    assert text == FaqEntry.objects.get(external_id="ship-time").answer
    assert len(hit_queue) == 0
