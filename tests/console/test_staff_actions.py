"""Take over, reply, note, hand back and close through the console views."""

from __future__ import annotations

import pytest

from apps.console.models import CannedResponse
from apps.conversations.models import Conversation, Message
from tests.console.conftest import make_conversation

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def post(client, conversation: Conversation, action: str, **data):
    return client.post(f"/console/{conversation.id}/{action}/", data, headers=HTMX)


def events(conversation: Conversation) -> list[str]:
    """Staff events (the notices the customer was sent are rows too: test_notices_in_transcript)."""
    staff_events = conversation.messages.filter(role=Message.Role.SYSTEM).exclude(
        event=Message.Event.NOTICE
    )
    return list(staff_events.values_list("event", flat=True))


def test_it_takes_over_and_stops_the_ai_reply_in_flight(alice, alice_client):
    conversation = make_conversation(status="waiting_human", waited_minutes=3)
    pending = Message.objects.create(
        conversation=conversation, role="assistant", status="streaming", text="Your ord"
    )
    response = post(alice_client, conversation, "take-over")
    assert response.status_code == 200
    assert 'id="conv-actions"' in response.content.decode()
    assert "Hand back to AI" in response.content.decode()
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assigned_agent) == ("human", alice)
    pending.refresh_from_db()
    assert (pending.status, pending.text) == ("cancelled", "Your ord")
    assert events(conversation) == ["takeover"]


def test_it_posts_an_agent_reply_and_returns_an_empty_form(alice, alice_client):
    conversation = make_conversation(status="human", assigned_agent=alice)
    response = post(alice_client, conversation, "reply", text="  Hi, Alice here.  ")
    assert response.status_code == 200
    assert 'id="reply-form"' in response.content.decode()
    reply = conversation.messages.get(role=Message.Role.AGENT)
    assert (reply.text, reply.author, reply.route) == ("Hi, Alice here.", alice, "agent")


def test_it_keeps_the_text_and_says_why_when_a_reply_is_refused(alice_client):
    conversation = make_conversation(status="waiting_human", waited_minutes=1)
    response = post(alice_client, conversation, "reply", text="<b>hello</b>")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Take over the conversation first." in body
    assert "&lt;b&gt;hello&lt;/b&gt;" in body  # escaped, kept for a second try
    assert not conversation.messages.filter(role=Message.Role.AGENT).exists()


def test_it_adds_an_internal_note_that_only_staff_see(alice_client, client):
    conversation = make_conversation(status="ai", waited_minutes=1)
    assert post(alice_client, conversation, "note", text="VIP, be gentle").status_code == 200
    note = conversation.messages.get(event=Message.Event.NOTE)
    assert note.role == Message.Role.SYSTEM
    page = alice_client.get(f"/console/{conversation.id}/").content.decode()
    assert "VIP, be gentle" in page
    assert "msg--note" in page


def test_it_hands_back_to_the_ai_then_closes(alice, alice_client):
    conversation = make_conversation(status="human", assigned_agent=alice)
    assert post(alice_client, conversation, "hand-back").status_code == 200
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assigned_agent) == ("ai", None)
    response = post(alice_client, conversation, "close")
    assert "Back to the queue" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    assert events(conversation) == ["hand_back", "closed"]


def test_without_htmx_an_action_redirects_or_answers_409(alice_client):
    conversation = make_conversation(status="waiting_human", waited_minutes=1)
    response = alice_client.post(f"/console/{conversation.id}/take-over/")
    assert response.status_code == 302
    assert response["Location"] == f"/console/{conversation.id}/"
    conversation.refresh_from_db()
    conversation.status = "closed"
    conversation.save()
    response = alice_client.post(f"/console/{conversation.id}/hand-back/")
    assert response.status_code == 409
    assert "Take over the conversation first." in response.content.decode()


def test_it_tells_the_second_agent_who_has_the_conversation(alice_client, bob_client, bob):
    conversation = make_conversation(status="waiting_human", waited_minutes=1)
    post(alice_client, conversation, "take-over")
    response = post(bob_client, conversation, "take-over")
    assert response.status_code == 200
    assert "alice already has this conversation." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.assigned_agent.username == "alice"


def test_the_conversation_page_shows_context_transcript_and_canned_responses(alice_client):
    conversation = make_conversation(
        status="waiting_human",
        waited_minutes=4,
        scores=(0.0, -0.8),
        escalation_reason="negative_streak",
    )
    Message.objects.create(
        conversation=conversation,
        role="assistant",
        text="<script>alert(1)</script>Sorry!",
        route="faq",
        fallback_reason="ttft_deadline",
        ttft_ms=42,
        total_ms=300,
    )
    CannedResponse.objects.create(title="Greeting", text="Hello! I'm here to help.")
    CannedResponse.objects.create(title="Hidden", text="nope", enabled=False)
    body = alice_client.get(f"/console/{conversation.id}/").content.decode()
    assert "customer message 0" in body  # the first question, in the handoff context
    assert "ttft_deadline" in body and "route faq" in body and "TTFT 42 ms" in body
    assert "0.00 → -0.80" in body and "worsening" in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Sorry!" in body
    assert "Hello! I&#x27;m here to help." in body and "Hidden" not in body
    assert 'hx-headers=\'{"X-CSRFToken": "' in body


def test_typing_pings_answer_204(alice, alice_client):
    conversation = make_conversation(status="human", assigned_agent=alice)
    assert post(alice_client, conversation, "typing").status_code == 204
