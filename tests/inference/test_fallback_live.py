"""End to end: stop the cloud server during a conversation; the customer still gets an answer."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from apps.conversations.models import Message
from apps.ops.services import flags_update
from tests.inference.fixtures import REFUND_ANSWER
from tests.stack import start_live_stack

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@contextmanager
def environ(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def cloud_stack(cloud_server, fresh_breakers, demo_faq, own_answer_cache, tmp_path):
    """Daphne + a Celery worker whose cloud backend is the test's mlx_lm.server; the FAQ
    it falls back to is the demo catalog, retrieved for real."""
    with environ(
        CLOUD_BASE_URL=cloud_server.base_url,
        FAQ_REDIS_PREFIX=own_answer_cache,
        BREAKER_NAMESPACE=fresh_breakers,
        BREAKER_FAIL_MAX="2",
    ):
        stack = start_live_stack(tmp_path)
    yield stack
    stack.stop()


def test_stopping_the_cloud_server_mid_conversation_still_answers(cloud_stack, cloud_server):
    # The first reply is the cloud server's first request, its slowest: here its first
    # token once took 2,050 ms and missed a 2 s deadline. A stopped server fails at once,
    # so the deadline only has to let the first reply through.
    flags_update(
        user=None, changes={"mode": "cloud_only", "max_tokens": 16, "ttft_deadline_ms": 5000}
    )
    client = cloud_stack.chat_client()
    try:
        client.send_message("Hello, when will my refund arrive?")
        first = client.reply_events(timeout=60)[-1]
        assert first["route"] == "cloud"

        cloud_server.stop()
        for _ in range(3):  # errors, then the breaker opens; every reply still comes
            client.send_message("When will my refund arrive? I am still waiting")
            end = client.reply_events(timeout=30)[-1]
            assert (end["route"], end["text"]) == ("faq", REFUND_ANSWER)
        row = Message.objects.get(id=end["message_id"])
        assert (row.route, row.status, row.text) == ("faq", "done", end["text"])
        assert row.fallback_reason == "breaker_open"  # the third failure met an open breaker
    finally:
        client.close()
