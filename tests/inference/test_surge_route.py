"""In a surge the FAQ answers what it can at once; the models keep the rest."""

from __future__ import annotations

import uuid

import pytest

from apps.inference.prompts import Turn
from apps.inference.service import stream_reply
from apps.ops.flags import Flags
from tests.inference.fixtures import REFUND_ANSWER

pytestmark = pytest.mark.usefixtures("fresh_breakers", "demo_faq")

SURGE = Flags(mode="local_only", surge_queue_depth=4)
HISTORY = [Turn("user", "hi"), Turn("assistant", "Hello! How can I help?")]


def reply(text: str, queue_depth: int):
    stream = stream_reply(
        [*HISTORY, Turn("user", text)],
        cache_key=uuid.uuid4().hex,
        queue_depth=queue_depth,
        flags=SURGE,
    )
    return "".join(stream), stream.outcome


def test_a_confident_faq_answer_skips_the_model_and_says_why():
    text, outcome = reply("When will my refund arrive?", queue_depth=4)
    assert (outcome.route, outcome.fallback_reason, text) == ("faq", "surge", REFUND_ANSWER)


@pytest.mark.slow
def test_a_question_the_faq_cannot_answer_still_reaches_the_model():
    text, outcome = reply("Tell me a joke about penguins", queue_depth=4)
    assert outcome.route == "local" and text
    assert outcome.fallback_reason == ""  # the FAQ's miss is no fallback


@pytest.mark.slow
def test_below_the_threshold_the_model_answers_first():
    _, outcome = reply("When will my refund arrive?", queue_depth=3)
    assert outcome.route == "local"
