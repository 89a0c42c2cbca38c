"""Staff actions on a conversation: takeover (also mid-reply), agent replies, hand back, close."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.contrib.auth import get_user_model

from apps.conversations import replies, services, staff
from apps.conversations.models import Conversation, Message
from apps.conversations.selectors import conversation_transcript
from tests.realtime import GroupListener

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def agents():
    users = get_user_model().objects
    return users.create_user("alice", password="x"), users.create_user("bob", password="x")


@pytest.fixture
def conversation():
    conversation = services.conversation_for_session(session_key=uuid.uuid4().hex)
    return conversation


def post(conversation: Conversation, text: str) -> services.PostResult:
    return services.message_post(conversation=conversation, client_msg_id=uuid.uuid4(), text=text)


def test_it_stops_a_streaming_reply_on_takeover_and_sends_no_ai_text_after(
    conversation, agents, paced_cloud, settings
):
    """The real "cloud" stalls after the reply's first words, so the takeover lands
    mid-reply; the writer runs in this process, as a worker thread would."""
    settings.CLOUD_BASE_URL = paced_cloud.base_url
    paced_cloud.stall_after = 1500
    post(conversation, "where is my parcel?")
    reply = Message.objects.get(role=Message.Role.ASSISTANT)
    listener = GroupListener(conversation)

    writer = threading.Thread(target=replies.reply_generate, kwargs={"message_id": reply.id})
    writer.start()
    while not Message.objects.filter(id=reply.id).exclude(text="").exists():
        time.sleep(0.01)
    staff.conversation_take_over(conversation_id=conversation.id, agent=agents[0])
    writer.join(30)

    assert not writer.is_alive()  # the cancel reached a stream that would never end
    assert paced_cloud.wait_for_hangups(1)  # and it let go of the cloud's connection
    reply.refresh_from_db()
    assert reply.status == Message.Status.CANCELLED and reply.text
    events = listener.drain()
    joined = next(i for i, e in enumerate(events) if e.get("kind") == "agent_joined")
    assert not [e for e in events[joined:] if e["type"] in ("reply.delta", "reply.restart")]
    streamed = "".join(e["delta"] for e in events if e["type"] == "reply.delta")
    assert streamed == reply.text  # the customer saw exactly the stored partial text


def test_it_lets_only_one_of_two_racing_agents_take_over(conversation, agents):
    outcomes: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def take(agent) -> None:
        barrier.wait()
        try:
            staff.conversation_take_over(conversation_id=conversation.id, agent=agent)
            outcomes[agent.username] = "won"
        except staff.StaffActionError as exc:
            outcomes[agent.username] = exc.detail

    threads = [threading.Thread(target=take, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(outcomes.values(), key=str)[-1] == "won"
    winner = next(name for name, result in outcomes.items() if result == "won")
    loser = next(name for name in outcomes if name != winner)
    assert outcomes[loser] == f"{winner} already has this conversation."
    conversation.refresh_from_db()
    assert conversation.assigned_agent.username == winner
    assert conversation.status == Conversation.Status.HUMAN


def test_it_keeps_the_ai_quiet_while_a_human_has_the_conversation(conversation, agents):
    staff.conversation_take_over(conversation_id=conversation.id, agent=agents[0])
    post(conversation, "hello?")
    assert not Message.objects.filter(role=Message.Role.ASSISTANT).exists()

    staff.agent_reply_post(conversation_id=conversation.id, agent=agents[0], text="Hi, I'm here")
    agent_message = Message.objects.get(role=Message.Role.AGENT)
    assert agent_message.author == agents[0]
    assert agent_message.route == Message.Route.AGENT

    staff.conversation_hand_back(conversation_id=conversation.id, agent=agents[0])
    post(conversation, "thanks, one more question")
    assert Message.objects.filter(role=Message.Role.ASSISTANT).count() == 1
    staff_events = Message.objects.filter(role=Message.Role.SYSTEM).exclude(
        event=Message.Event.NOTICE  # the notices the customer was sent, kept for staff
    )
    events = list(staff_events.values_list("event", flat=True))
    assert events == [Message.Event.TAKEOVER, Message.Event.HAND_BACK]


def test_it_refuses_replies_from_an_agent_who_has_not_taken_over(conversation, agents):
    staff.conversation_take_over(conversation_id=conversation.id, agent=agents[0])
    with pytest.raises(staff.StaffActionError):
        staff.agent_reply_post(conversation_id=conversation.id, agent=agents[1], text="hi")
    with pytest.raises(staff.StaffActionError):
        staff.conversation_hand_back(conversation_id=conversation.id, agent=agents[1])


def test_it_hides_internal_notes_and_events_from_the_customer(conversation, agents):
    post(conversation, "hello")
    staff.internal_note_add(conversation_id=conversation.id, agent=agents[0], text="VIP buyer")
    staff.conversation_take_over(conversation_id=conversation.id, agent=agents[0])
    roles = {m.role for m in conversation_transcript(conversation)}
    assert Message.Role.SYSTEM not in roles
    assert Message.objects.filter(event=Message.Event.NOTE, text="VIP buyer").exists()


def test_it_starts_a_new_conversation_after_a_close(conversation, agents):
    staff.conversation_close(conversation_id=conversation.id, agent=agents[0])
    with pytest.raises(services.ConversationClosed):
        post(conversation, "hello again")
    fresh = services.conversation_for_session(session_key=conversation.session_key)
    assert fresh != conversation
    assert post(fresh, "hello again").created
