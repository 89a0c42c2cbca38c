"""The queue: open conversations only, waiting first, then longest wait, then unhappiest."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from apps.console.selectors import QueueView, queue_page, sentiment_trend
from apps.conversations.models import Conversation
from tests.console.conftest import make_conversation

pytestmark = pytest.mark.django_db


def queue_rows():
    return queue_page(QueueView(), AnonymousUser()).rows


def ids(rows) -> list[int]:
    return [row.conversation.id for row in rows]


def test_it_puts_waiting_conversations_first_longest_wait_first():
    ai_old = make_conversation(waited_minutes=60)
    waiting_new = make_conversation(status="waiting_human", waited_minutes=2)
    waiting_old = make_conversation(status="waiting_human", waited_minutes=20)
    human = make_conversation(status="human", waited_minutes=5)
    assert ids(queue_rows()) == [waiting_old.id, waiting_new.id, ai_old.id, human.id]


def test_it_breaks_equal_waits_by_the_most_negative_sentiment():
    calm = make_conversation(status="waiting_human", waited_minutes=10, scores=(0.1,))
    angry = make_conversation(status="waiting_human", waited_minutes=10, scores=(-0.9,))
    Conversation.objects.filter(id=calm.id).update(waiting_since=angry.waiting_since)
    assert ids(queue_rows()) == [angry.id, calm.id]


def test_it_leaves_out_closed_conversations_and_bare_page_views():
    make_conversation(status="closed", waited_minutes=99)
    Conversation.objects.create(session_key="just-looking")  # opened the page, said nothing
    asked = make_conversation(status="waiting_human", waited_minutes=1, scores=())
    assert ids(queue_rows()) == [asked.id]


def test_it_shows_the_sentiment_trend_of_the_last_two_customer_messages():
    make_conversation(waited_minutes=3, scores=(0.2, -0.6))
    (row,) = queue_rows()
    assert row.trend == "worsening"
    assert row.last_score == pytest.approx(-0.6)
    assert sentiment_trend(-0.5, -0.9) == "improving"
    assert sentiment_trend(-0.5, -0.55) == "steady"
    assert sentiment_trend(None, 0.3) == ""


def test_the_list_page_renders_rows_in_queue_order(alice_client):
    ai = make_conversation(waited_minutes=30, escalation_reason="")
    waiting = make_conversation(
        status="waiting_human", waited_minutes=1, escalation_reason="asked_for_human"
    )
    body = alice_client.get("/console/").content.decode()
    assert body.index(f'data-conversation-id="{waiting.id}"') < body.index(
        f'data-conversation-id="{ai.id}"'
    )
    assert waiting.get_escalation_reason_display() in body
    assert 'ws-connect="/ws/console/queue/?filter=all&amp;page=1"' in body
