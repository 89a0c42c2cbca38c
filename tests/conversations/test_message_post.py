from __future__ import annotations

import uuid

import pytest

from apps.conversations import services
from apps.conversations.admission import line_finished, line_now
from apps.conversations.models import Conversation, Message
from apps.conversations.selectors import history_for_reply
from tests.realtime import BrokerQueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    return services.conversation_for_session(session_key="s" * 32)


@pytest.fixture
def broker() -> BrokerQueue:
    queue = BrokerQueue()
    queue.clear()
    return queue


def test_it_stores_the_message_and_a_pending_reply_that_admission_queues(
    conversation, broker, line, django_capture_on_commit_callbacks
):
    question = f"退款多久到账? {uuid.uuid4().hex[:6]}"  # no cached answer from another test
    with django_capture_on_commit_callbacks(execute=True):
        result = services.message_post(
            conversation=conversation, client_msg_id=uuid.uuid4(), text=question
        )
    assert result.created
    reply = Message.objects.get(role=Message.Role.ASSISTANT)
    assert result.reply == reply
    assert reply.status == Message.Status.PENDING
    assert reply.reply_to == result.customer_message
    assert reply.lease_until is not None  # lost if never admitted: the reaper queues it
    assert broker.reply_ids() == []  # nothing queued until it is admitted

    admitted = services.reply_admit(reply=reply)
    assert not admitted.answer
    assert admitted.place is None  # an empty line: nothing to tell
    assert broker.reply_ids() == [reply.id]
    assert line_now().depth == 1
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
    assert again.reply is None  # nothing more to admit
    assert Message.objects.count() == 2


def test_a_resend_s_first_copy_comes_with_its_conversation(
    conversation, broker, django_assert_num_queries
):
    client_msg_id = uuid.uuid4()
    services.message_post(conversation=conversation, client_msg_id=client_msg_id, text="hi")
    again = services.message_post(conversation=conversation, client_msg_id=client_msg_id, text="hi")
    with django_assert_num_queries(0):  # the API reads it on its event loop
        assert again.customer_message.conversation.id == conversation.id


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


def test_a_customer_who_would_wait_is_told_their_place_and_the_wait(
    broker, line, django_capture_on_commit_callbacks, settings
):
    settings.QUEUE_NOTICE_WAIT_S = 0.5
    for _ in range(4):  # the workers just finished four replies: 4 replies/s
        line_finished(None)
    sessions = [services.conversation_for_session(session_key=f"q{i}" * 8) for i in range(6)]
    places = []
    with django_capture_on_commit_callbacks(execute=True):
        for number, conversation in enumerate(sessions):
            posted = services.message_post(
                conversation=conversation,
                client_msg_id=uuid.uuid4(),
                text=f"Tell me about gift wrapping, variant {uuid.uuid4().hex[:6]} {number}",
            )
            places.append(services.reply_admit(reply=posted.reply).place)
    # With d replies ahead the wait is d/4 s: from two ahead on, over half a second.
    assert places[:2] == [None, None]
    assert [(p.place, p.wait_s) for p in places[2:]] == [(3, 1), (4, 1), (5, 1), (6, 2)]
    assert broker.reply_ids() == list(
        Message.objects.filter(role=Message.Role.ASSISTANT)
        .order_by("id")
        .values_list("id", flat=True)
    )


def test_the_reply_s_prompt_is_read_with_the_message_as_a_worker_reads_it(conversation, broker):
    first = services.message_post(conversation=conversation, client_msg_id=uuid.uuid4(), text="Hi")
    Message.objects.filter(id=first.reply.id).update(text="Hello! How can I help?")
    unanswered = services.message_post(
        conversation=conversation, client_msg_id=uuid.uuid4(), text="Where is my parcel?"
    )  # its reply stays empty: not a turn
    posted = services.message_post(
        conversation=conversation, client_msg_id=uuid.uuid4(), text="退货政策是什么？"
    )

    assert unanswered.reply is not None and posted.reply is not None
    assert posted.history == tuple(history_for_reply(posted.reply))
    assert [turn.text for turn in posted.history] == [
        "Hi", "Hello! How can I help?", "Where is my parcel?", "退货政策是什么？",
    ]  # fmt: skip
