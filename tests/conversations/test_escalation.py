"""Every customer message is tagged; sentiment and explicit requests escalate to a human."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.conversations import services
from apps.conversations.models import Conversation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    return services.conversation_for_session(session_key=uuid.uuid4().hex)


def post(conversation, text):
    services.message_post(conversation=conversation, client_msg_id=uuid.uuid4(), text=text)
    conversation.refresh_from_db()
    return Message.objects.filter(role=Message.Role.CUSTOMER).latest("id")


def at(hour: int):
    return datetime(2026, 11, 11, hour, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_it_tags_and_stores_every_customer_message(conversation):
    message = post(conversation, "退款多久能到账？")
    assert message.sentiment == "neutral"
    angry = post(conversation, "质量太差了,太失望了")
    assert angry.sentiment == "negative" and angry.sentiment_score < 0
    assert conversation.sentiment == "negative"


def test_it_escalates_after_two_negative_messages_in_a_row(conversation):
    post(conversation, "My parcel still hasn't shipped.")
    assert conversation.status == Conversation.Status.AI
    post(conversation, "This is ridiculous, nobody answers my emails.")
    assert conversation.status == Conversation.Status.WAITING_HUMAN
    assert conversation.escalation_reason == "negative_streak"
    assert conversation.waiting_since is not None
    assert Message.objects.filter(event=Message.Event.ESCALATED).count() == 1


def test_it_escalates_on_one_strongly_negative_message(conversation):
    post(conversation, "垃圾店铺!!! 骗子!!! 质量太差,退款也不处理,我要曝光你们 😡😡")
    assert conversation.escalation_reason == "strong_negative"


def test_it_escalates_when_asked_for_a_person_in_words(conversation):
    post(conversation, "转人工")
    assert conversation.escalation_reason == "asked_for_human"


def test_it_escalates_from_the_handoff_button_and_keeps_the_ai_helping(conversation):
    notice = services.handoff_request(conversation=conversation)
    conversation.refresh_from_db()
    assert notice["type"] == "notice" and notice["kind"] == "handoff"
    assert conversation.escalation_reason == "asked_for_human"
    post(conversation, "How long does delivery take?")
    assert Message.objects.filter(role=Message.Role.ASSISTANT).count() == 1


def test_the_notice_says_a_person_is_coming_during_business_hours(conversation, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(10))
    notice = services.handoff_request(conversation=conversation)
    assert "join" in notice["text"] and "offline" not in notice["text"]


def test_the_notice_gives_the_hours_when_the_team_is_offline(conversation, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(23))
    conversation.language = "zh"
    conversation.save()
    notice = services.handoff_request(conversation=conversation)
    assert "不在线" in notice["text"] and "09:00" in notice["text"]


@pytest.mark.slow
def test_it_persists_the_tag_of_a_message_sent_over_the_websocket(chat):
    client = chat()
    client.send_message("太好了,又延迟了")
    accepted = client.recv()
    stored = Message.objects.get(id=accepted["message_id"])
    assert stored.sentiment == "negative"
    assert stored.sentiment_score is not None
