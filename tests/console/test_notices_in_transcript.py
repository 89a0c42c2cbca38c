"""Every notice the customer is sent is kept, word for word, in the staff transcript."""

from __future__ import annotations

import pytest

from apps.console.selectors import console_transcript
from apps.conversations.models import Message
from apps.conversations.services import handoff_request
from apps.conversations.staff import (
    conversation_close,
    conversation_hand_back,
    conversation_take_over,
)
from tests.console.conftest import make_conversation

pytestmark = pytest.mark.django_db


def test_handoff_takeover_hand_back_and_close_notices_are_in_the_transcript(alice):
    conversation = make_conversation()
    first = handoff_request(conversation=conversation)
    again = handoff_request(conversation=conversation)  # pressed twice: told twice
    conversation_take_over(conversation_id=conversation.id, agent=alice)
    conversation_hand_back(conversation_id=conversation.id, agent=alice)
    conversation_close(conversation_id=conversation.id, agent=alice)

    notices = [m for m in console_transcript(conversation) if m.event == Message.Event.NOTICE]
    assert [m.notice_kind for m in notices] == [
        "handoff",
        "handoff",
        "agent_joined",
        "handed_back",
        "closed",
        "csat",
    ]
    assert [notices[0].text, notices[1].text] == [first["text"], again["text"]]
    assert "alice" in notices[2].text
    # Staff eyes only: the customer's own page never lists system rows.
    assert all(m.role == Message.Role.SYSTEM for m in notices)


def test_the_console_renders_a_notice_and_the_rating_as_inert_text(alice_client, alice):
    conversation = make_conversation()
    conversation_close(conversation_id=conversation.id, agent=alice)
    conversation.csat.rating, conversation.csat.comment = 2, "<script>alert(1)</script>"
    conversation.csat.save()
    body = alice_client.get(f"/console/{conversation.id}/").content.decode()
    assert 'data-notice-kind="closed"' in body and 'data-notice-kind="csat"' in body
    assert 'data-rating="2"' in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body
