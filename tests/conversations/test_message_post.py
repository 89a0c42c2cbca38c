from __future__ import annotations

import uuid

import pytest

from apps.conversations import services
from apps.conversations.models import Conversation, Message
from tests.realtime import BrokerQueue, GroupListener

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    return services.conversation_for_session(session_key="s" * 32)


@pytest.fixture
def broker() -> BrokerQueue:
    queue = BrokerQueue()
    queue.clear()
    return queue


def test_it_stores_the_message_and_a_pending_reply(
    conversation, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.message_post(
            conversation=conversation, client_msg_id=uuid.uuid4(), text="退款多久到账?"
        )
    assert result.created
    reply = Message.objects.get(role=Message.Role.ASSISTANT)
    assert reply.status == Message.Status.PENDING
    assert reply.reply_to == result.customer_message
    assert broker.reply_ids() == [reply.id]
    assert reply.lease_until is not None  # lost if no worker takes it: the reaper requeues
    conversation.refresh_from_db()
    assert conversation.language == "zh"


def test_it_makes_a_resend_a_no_op(conversation, broker, django_capture_on_commit_callbacks):
    client_msg_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.message_post(
            conversation=conversation, client_msg_id=client_msg_id, text="hi"
        )
        again = services.message_post(
            conversation=conversation, client_msg_id=client_msg_id, text="hi"
        )
    assert not again.created
    assert again.customer_message == first.customer_message
    assert Message.objects.count() == 2
    assert len(broker.reply_ids()) == 1


def test_it_enqueues_nothing_when_the_transaction_rolls_back(
    conversation, broker, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(  # the fault: the database refuses the reply's insert
        Message.objects, "create", lambda **kw: (_ for _ in ()).throw(RuntimeError("db down"))
    )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.message_post(conversation=conversation, client_msg_id=uuid.uuid4(), text="hi")
    assert not Message.objects.exists()
    assert broker.reply_ids() == []


def test_it_keeps_one_open_conversation_per_session():
    first = services.conversation_for_session(session_key="k" * 32)
    assert services.conversation_for_session(session_key="k" * 32) == first
    Conversation.objects.filter(id=first.id).update(status=Conversation.Status.CLOSED)
    assert services.conversation_for_session(session_key="k" * 32) != first


def test_it_tells_the_customer_their_place_when_replies_queue_up(
    broker, django_capture_on_commit_callbacks, settings
):
    settings.QUEUE_NOTICE_AT = 3
    sessions = [services.conversation_for_session(session_key=f"q{i}" * 8) for i in range(5)]
    listeners = [GroupListener(conversation) for conversation in sessions]
    with django_capture_on_commit_callbacks(execute=True):
        for conversation in sessions:
            services.message_post(
                conversation=conversation, client_msg_id=uuid.uuid4(), text="How long is shipping?"
            )
    published = [event for listener in listeners for event in listener.drain(quiet_s=0.3)]
    queued = [e for e in published if e.get("kind") == "queued"]
    assert len(queued) == 2
    assert "3 replies are ahead of yours" in queued[0]["text"]
    assert "4 replies are ahead of yours" in queued[1]["text"]


def test_an_escalation_and_a_queue_notice_both_reach_the_customer(
    broker, django_capture_on_commit_callbacks, settings
):
    settings.QUEUE_NOTICE_AT = 1
    first, second = (services.conversation_for_session(session_key=k * 16) for k in "ab")
    listener = GroupListener(second)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post(conversation=first, client_msg_id=uuid.uuid4(), text="hello")
        services.message_post(conversation=second, client_msg_id=uuid.uuid4(), text="转人工")
    assert [e["kind"] for e in listener.drain(quiet_s=0.3)] == ["handoff", "queued"]
