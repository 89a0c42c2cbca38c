"""The answer cache route: a repeated generic first question is answered from the cache."""

from __future__ import annotations

import uuid

import pytest

from apps.faq.answer_cache import cached_answer, remember_answer
from apps.inference.prompts import Turn
from apps.inference.service import stream_reply
from apps.ops.flags import Flags
from tests.inference.fixtures import REFUND_ANSWER

pytestmark = pytest.mark.usefixtures("fresh_breakers", "demo_faq")

QUESTION = "When do refunds arrive?"  # generic, and the demo FAQ answers it
FAQ_ONLY = Flags(mode="faq_only")


def reply(history, *, flags=FAQ_ONLY, status="ai"):
    stream = stream_reply(
        history, cache_key=uuid.uuid4().hex, conversation_status=status, flags=flags
    )
    return "".join(stream), stream.outcome


def test_it_answers_the_second_asker_from_the_cache():
    first_text, first = reply([Turn("user", QUESTION)])
    assert (first.route, first.remembered) == ("faq", True)

    text, outcome = reply([Turn("user", "when do REFUNDS arrive")])  # same question, normalized
    assert (text, outcome.route) == (first_text, "cache")
    assert outcome.fallback_reason == ""  # the cache is a choice, not a failure
    assert outcome.attempts == []
    assert outcome.ttft_ms is not None


def test_a_miss_follows_the_normal_plan_and_is_not_a_fallback_reason():
    text, outcome = reply([Turn("user", QUESTION)])
    assert (text, outcome.route, outcome.fallback_reason) == (REFUND_ANSWER, "faq", "flag")
    assert outcome.attempts == [("local", "flag"), ("cloud", "flag")]
    assert cached_answer(QUESTION) == REFUND_ANSWER


def test_the_apology_is_never_remembered():
    question = "Tell me a joke about penguins"  # the demo FAQ abstains
    _, outcome = reply([Turn("user", question)])
    assert (outcome.route, outcome.remembered) == ("canned", False)
    assert cached_answer(question) is None


def test_a_conversation_waiting_for_a_person_neither_reads_nor_fills_the_cache():
    remember_answer(QUESTION, "an answer cached earlier")
    text, outcome = reply([Turn("user", QUESTION)], status="waiting_human")
    assert (text, outcome.route, outcome.remembered) == (REFUND_ANSWER, "faq", False)
    assert cached_answer(QUESTION) == "an answer cached earlier"


def test_a_human_conversation_gets_no_machine_reply_even_on_a_cached_question():
    remember_answer(QUESTION, "an answer cached earlier")
    text, outcome = reply([Turn("user", QUESTION)], status="human")
    assert (text, outcome.route) == ("", "")


def test_a_question_about_the_customers_own_order_is_never_cached():
    question = "When do refunds arrive for order 20240611001?"
    _, outcome = reply([Turn("user", question)])
    assert (outcome.route, outcome.remembered) == ("faq", False)
    assert reply([Turn("user", question)])[1].route == "faq"


def test_a_follow_up_turn_depends_on_the_conversation_so_it_is_never_cached():
    remember_answer(QUESTION, "an answer cached earlier")
    history = [Turn("user", "hi"), Turn("assistant", "Hello!"), Turn("user", QUESTION)]
    text, outcome = reply(history)
    assert (text, outcome.route, outcome.remembered) == (REFUND_ANSWER, "faq", False)


def test_the_cache_answers_even_with_every_route_killed():
    # Only answers produced under the current flags are cached (flag changes empty it).
    remember_answer(QUESTION, "an answer cached earlier")
    flags = Flags(mode="auto", killed=frozenset({"local", "cloud", "faq"}))
    assert reply([Turn("user", QUESTION)], flags=flags)[1].route == "cache"


def test_a_cancelled_reply_is_not_remembered():
    stream = stream_reply([Turn("user", QUESTION)], cache_key="k", flags=FAQ_ONLY)
    deltas = iter(stream)
    next(deltas)
    stream.cancel()
    list(deltas)
    assert not stream.outcome.remembered
    assert cached_answer(QUESTION) is None
