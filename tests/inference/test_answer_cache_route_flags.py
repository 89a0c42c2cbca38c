"""Routing-flag changes empty the answer cache, and a reply caught by one is not remembered."""

from __future__ import annotations

import pytest

from apps.faq.answer_cache import cached_answer, remember_answer
from apps.inference.prompts import Turn
from apps.inference.service import stream_reply
from apps.ops.flags import forget_cached_flags
from apps.ops.services import flags_update

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_breakers", "demo_faq")]

QUESTION = "When do refunds arrive?"


@pytest.fixture(autouse=True)
def fresh_flags(own_answer_cache):
    forget_cached_flags()
    yield
    forget_cached_flags()


def set_flags(django_capture_on_commit_callbacks, **changes) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        flags_update(user=None, changes=changes)


def test_a_flag_change_empties_the_cache(django_capture_on_commit_callbacks):
    remember_answer(QUESTION, "answered under the old flags")
    set_flags(django_capture_on_commit_callbacks, mode="faq_only")
    assert cached_answer(QUESTION) is None


def test_a_reply_written_while_the_flags_changed_is_not_remembered(
    django_capture_on_commit_callbacks,
):
    set_flags(django_capture_on_commit_callbacks, mode="faq_only")
    stream = stream_reply([Turn("user", QUESTION)], cache_key="k")  # the live flags
    deltas = iter(stream)
    next(deltas)
    set_flags(django_capture_on_commit_callbacks, kill_faq=True)
    list(deltas)
    assert (stream.outcome.route, stream.outcome.remembered) == ("faq", False)
    assert cached_answer(QUESTION) is None


def test_a_reply_under_unchanged_live_flags_is_remembered(django_capture_on_commit_callbacks):
    set_flags(django_capture_on_commit_callbacks, mode="faq_only")
    stream = stream_reply([Turn("user", QUESTION)], cache_key="k")
    text = "".join(stream)
    assert (stream.outcome.route, stream.outcome.remembered) == ("faq", True)
    assert cached_answer(QUESTION) == text
