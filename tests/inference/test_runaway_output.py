"""A model that loops is stopped on every route: the reply keeps what came before the loop,
ends with an honest line, and records ``finish_reason`` ``loop``.

The cloud route here is a scripted OpenAI-compatible server on loopback that streams a
reply that loops (the demo model's own loop on an emoji flood, token by token).
"""

from __future__ import annotations

import uuid

import pytest

from apps.inference.canned import loop_ending
from apps.inference.prompts import Turn
from apps.inference.service import ReplyStream
from apps.ops.flags import Flags
from apps.ops.vocabulary import Mode
from tests.inference.servers import ScriptedCompletionServer
from tests.stack import GENEROUS_DEADLINES

pytestmark = pytest.mark.usefixtures("fresh_breakers", "empty_faq")

CLOUD_ONLY = Flags(mode=Mode.CLOUD_ONLY, max_tokens=400, **GENEROUS_DEADLINES)
OPENING = ["M on", " orders", "，正在", "为 a", " I can", " only"]


@pytest.fixture
def looping_cloud(settings):
    server = ScriptedCompletionServer([*OPENING, *[" Welcome"] * 300])
    settings.CLOUD_BASE_URL = server.base_url
    yield server
    server.close()


def test_a_cloud_reply_that_loops_ends_after_the_first_copy_with_an_honest_line(looping_cloud):
    stream = ReplyStream([Turn("user", "😀" * 200)], cache_key=uuid.uuid4().hex, flags=CLOUD_ONLY)
    deltas = list(stream)
    text = "".join(d for d in deltas if isinstance(d, str))

    assert text == "M on orders，正在为 a I can only Welcome" + loop_ending("en")
    assert text.count("Welcome") == 1  # no delta ever carried a repeat
    assert all(isinstance(d, str) for d in deltas)  # nothing shown had to be taken back
    outcome = stream.outcome
    assert (outcome.route, outcome.finish_reason, outcome.held_reason) == ("cloud", "loop", "")
    assert not outcome.remembered


def test_the_honest_line_is_in_the_customers_language(settings):
    server = ScriptedCompletionServer(["您好，", *["欢迎光临"] * 40])
    settings.CLOUD_BASE_URL = server.base_url
    try:
        stream = ReplyStream([Turn("user", "你好？？？")], cache_key="zh", flags=CLOUD_ONLY)
        text = "".join(d for d in stream if isinstance(d, str))
    finally:
        server.close()
    assert text == "您好，欢迎光临" + loop_ending("zh")
    assert stream.outcome.finish_reason == "loop"
