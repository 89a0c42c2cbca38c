"""Over the real websocket, with a real worker: a model reply that hands out a coupon code is
held back. The "cloud" model is a scripted OpenAI-compatible server on loopback (a fault
injected at the edge: the model saying what it must not)."""

from __future__ import annotations

import pytest

from apps.conversations.models import Message
from apps.faq.answer_cache import cached_answer, is_cacheable
from apps.inference.canned import held_answer
from apps.ops.flags import flags_bump_version
from apps.ops.services import flags_update
from tests.inference.fixtures import demo_faq, empty_faq, fresh_breakers, own_answer_cache  # noqa: F401
from tests.inference.servers import ScriptedCompletionServer
from tests.stack import start_live_stack

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

QUESTION = "Do you have any coupon codes?"
PROMISE = ["Sure", "!", " Use", " code", " SAVE", "20", " for", " 20", "%", " off", "."]


@pytest.fixture
def promising_stack(demo_faq, own_answer_cache, fresh_breakers, tmp_path):  # noqa: F811
    """Daphne and a worker whose cloud model streams ``PROMISE`` to every question."""
    server = ScriptedCompletionServer(PROMISE)
    flags_update(user=None, changes={"mode": "cloud_only"})
    stack = start_live_stack(
        tmp_path,
        CLOUD_BASE_URL=server.base_url,
        FAQ_REDIS_PREFIX=own_answer_cache,
        BREAKER_NAMESPACE=fresh_breakers,
    )
    yield stack
    stack.stop()
    server.close()
    flags_bump_version()


def test_a_coupon_the_faq_does_not_hold_is_held_back_for_an_honest_answer(promising_stack):
    events = promising_stack.ask(QUESTION)
    honest = held_answer("en")
    shown = "".join(e["delta"] for e in events if e["type"] == "reply.delta")
    restart = next(e for e in events if e["type"] == "reply.restart")
    assert restart["reason"] == "held"
    assert "SAVE20" not in shown and "20%" not in shown  # never streamed, not even in part
    assert shown.endswith(honest)
    assert (events[-1]["text"], events[-1]["route"]) == (honest, "canned")

    row = Message.objects.get(id=events[-1]["message_id"])
    assert (row.text, row.status, row.route) == (honest, "done", "canned")
    assert (row.held_reason, row.fallback_reason) == ("coupon_code", "held")
    assert is_cacheable(QUESTION) and cached_answer(QUESTION) is None  # a good reply would be
