"""Over the real websocket: a second customer asking the same question gets the cached answer."""

from __future__ import annotations

import pytest

from apps.conversations.models import Message
from apps.faq.answer_cache import invalidate_all

pytestmark = pytest.mark.slow

QUESTION = "Which countries do you deliver to?"


@pytest.fixture
def empty_answer_cache():
    """The live stack shares this Redis db and prefix: start empty, and leave nothing behind."""
    invalidate_all()
    yield
    invalidate_all()


@pytest.mark.usefixtures("empty_answer_cache")
def test_a_second_customer_gets_the_first_customers_answer_from_the_cache(chat):
    alice, bob = chat(), chat()
    alice.send_message(QUESTION)
    first_end = alice.reply_events()[-1]
    assert first_end["route"] == "local"

    bob.send_message("which COUNTRIES do you deliver to")  # the same question, written differently
    second_end = bob.reply_events()[-1]
    assert (second_end["route"], second_end["text"]) == ("cache", first_end["text"])

    saved = Message.objects.get(id=second_end["message_id"])
    assert (saved.route, saved.text, saved.fallback_reason) == ("cache", first_end["text"], "")
    assert saved.conversation_id != Message.objects.get(id=first_end["message_id"]).conversation_id
