"""What the web process answers at once, with no worker: the plan up to its first model."""

from __future__ import annotations

import uuid

import pytest

from apps.faq.answer_cache import remember_answer
from apps.inference.canned import apology
from apps.inference.prompts import Turn
from apps.inference.service import edge_reply
from apps.ops.flags import forget_cached_flags
from apps.ops.services import flags_update
from tests.demo_questions import unique_tag
from tests.inference.fixtures import REFUND_ANSWER

pytestmark = pytest.mark.usefixtures("fresh_breakers", "demo_faq")

REFUND = "When will my refund arrive?"
OFF_TOPIC = "Tell me a joke about penguins"


@pytest.fixture(autouse=True)
def flags_of_this_test():
    """Flags set here live in this test's transaction only: forget them after it."""
    forget_cached_flags()
    yield
    forget_cached_flags()


def set_flags(**changes) -> None:
    flags_update(user=None, changes=changes)
    forget_cached_flags()  # this test's transaction never commits, so no version bump


def edge(*turns: str, over_deadline: bool = False, status: str = "ai"):
    history = [Turn("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(turns)]
    return edge_reply(
        history,
        cache_key=uuid.uuid4().hex,
        conversation_status=status,
        over_deadline=over_deadline,
    )


@pytest.mark.parametrize("mode", ["auto", "local_only", "cloud_only", "faq_only"])
def test_a_cached_answer_is_given_at_the_edge_in_every_mode(mode):
    set_flags(mode=mode)
    question = f"Do you sell gift cards? {unique_tag()}"
    assert remember_answer(question, "Yes, from 50 to 500 yuan.")
    answered = edge(question)
    assert answered is not None
    assert (answered.outcome.route, answered.text) == ("cache", "Yes, from 50 to 500 yuan.")
    assert answered.outcome.fallback_reason == ""  # the cache is a choice, not a failure


def test_a_later_turn_is_never_answered_from_the_cache():
    question = f"Do you sell gift cards? {unique_tag()}"
    assert remember_answer(question, "Yes.")
    assert edge("hi", "Hello! How can I help?", question) is None  # the model reads context


def test_with_a_short_line_the_faq_waits_for_the_model():
    assert edge(REFUND) is None


def test_with_a_line_too_long_a_confident_faq_answer_is_given_at_once():
    answered = edge("hi", "Hello!", REFUND, over_deadline=True)
    assert answered is not None
    assert (answered.outcome.route, answered.outcome.fallback_reason) == ("faq", "surge")
    assert answered.text == REFUND_ANSWER


def test_with_a_line_too_long_a_question_the_faq_cannot_answer_still_waits_for_a_model():
    assert edge(OFF_TOPIC, over_deadline=True) is None


def test_with_no_model_to_try_the_edge_answers_everything():
    set_flags(mode="faq_only")
    faq = edge(REFUND)
    assert faq is not None and (faq.outcome.route, faq.text) == ("faq", REFUND_ANSWER)
    set_flags(mode="auto", kill_local=True, kill_cloud=True)
    sorry = edge(OFF_TOPIC)
    assert sorry is not None
    assert (sorry.outcome.route, sorry.text) == ("canned", apology("en"))
    assert sorry.outcome.fallback_reason == "killed"


def test_a_conversation_a_person_handles_gets_nothing_from_the_edge():
    assert edge(REFUND, over_deadline=True, status="human") is None
