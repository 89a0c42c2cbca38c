"""Model replies and the answer cache: only a whole reply is remembered (real backends)."""

from __future__ import annotations

import uuid

import pytest

from apps.faq.answer_cache import cached_answer
from apps.inference.prompts import Turn
from apps.inference.service import Restart, stream_reply
from apps.ops.flags import Flags
from tests.inference.fixtures import REFUND_ANSWER

pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("fresh_breakers", "demo_faq"),
]

QUESTION = "When do refunds arrive?"


def reply(flags: Flags):
    stream = stream_reply([Turn("user", QUESTION)], cache_key=uuid.uuid4().hex, flags=flags)
    items = list(stream)
    return items, stream.outcome


def test_a_whole_local_reply_is_remembered_and_served_next():
    # The demo model (settings.LOCAL_MODEL) ends its answers well within max_tokens.
    items, outcome = reply(Flags(mode="local_only", max_tokens=160))
    assert (outcome.route, outcome.finish_reason, outcome.remembered) == ("local", "stop", True)
    assert cached_answer(QUESTION) == "".join(items)

    again, outcome = reply(Flags(mode="local_only", max_tokens=160))
    assert (again, outcome.route, outcome.model_name) == (["".join(items)], "cache", "answer-cache")


def test_a_reply_cut_at_max_tokens_is_not_remembered(cloud_server):
    _, outcome = reply(Flags(mode="cloud_only", max_tokens=4))
    assert (outcome.route, outcome.finish_reason, outcome.remembered) == ("cloud", "length", False)
    assert cached_answer(QUESTION) is None


def test_a_restarted_reply_is_not_remembered(cloud_server, proxy_factory):
    proxy_factory(cloud_server.port, stall_after=1500)  # some chunks, then silence
    flags = Flags(mode="cloud_only", max_tokens=200, ttft_deadline_ms=3000, total_deadline_ms=1500)
    items, outcome = reply(flags)
    assert any(isinstance(item, Restart) for item in items)
    assert (items[-1], outcome.route, outcome.restarts) == (REFUND_ANSWER, "faq", 1)
    assert not outcome.remembered
    assert cached_answer(QUESTION) is None
