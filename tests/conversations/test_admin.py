"""Staff review conversations and messages in Django admin, with filters and search."""

from __future__ import annotations

import uuid

import pytest

from apps.conversations import services
from apps.conversations.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    conversation = services.conversation_for_session(session_key=uuid.uuid4().hex)
    services.message_post(
        conversation=conversation, client_msg_id=uuid.uuid4(), text="Where is my refund?"
    )
    Message.objects.filter(role=Message.Role.ASSISTANT).update(
        status=Message.Status.DONE, route=Message.Route.FAQ, text="Refunds take 3-5 days."
    )
    return conversation


def test_it_lists_and_searches_conversations(admin_client, conversation):
    response = admin_client.get("/admin/conversations/conversation/", {"q": "refund"})
    assert response.status_code == 200
    assert str(conversation.uuid) in response.content.decode()

    response = admin_client.get(f"/admin/conversations/conversation/{conversation.id}/change/")
    assert "Refunds take 3-5 days." in response.content.decode()


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"status__exact": "done"}, 2),
        ({"status__exact": "pending"}, 0),
        ({"route__exact": "faq"}, 1),
        ({"role__exact": "customer"}, 1),
    ],
)
def test_it_filters_messages(admin_client, conversation, query, expected):
    response = admin_client.get("/admin/conversations/message/", query)
    assert response.status_code == 200
    assert response.context["cl"].result_count == expected
