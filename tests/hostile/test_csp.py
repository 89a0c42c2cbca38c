"""Every page that shows hostile text sends a Content-Security-Policy that would stop
markup that slipped through: no inline script, no eval, connections only to the site."""

from __future__ import annotations

import urllib.parse

import pytest
from django.conf import settings

from apps.conversations.models import Conversation, Message
from tests.hostile.inputs import INPUTS

HOSTILE = [entry.text for entry in INPUTS if entry.renders and entry.kind == "xss"]


@pytest.fixture
def hostile_conversation(client) -> Conversation:
    client.get("/")  # the widget's session owns this conversation
    conversation = Conversation.objects.get(session_key=client.session.session_key)
    for text in HOSTILE:
        Message.objects.create(conversation=conversation, role=Message.Role.CUSTOMER, text=text)
    return conversation


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def assert_strict(response) -> None:
    policy = directives(response.headers.get("Content-Security-Policy", ""))
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts is not None, response.request["PATH_INFO"]
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(scripts), scripts
    connect = policy.get("connect-src", policy.get("default-src", []))
    assert [source for source in connect if not _own(source)] == [], connect


def _own(source: str) -> bool:
    """'self', or the site's own websocket (a bare ``wss:`` would allow any host)."""
    url = urllib.parse.urlsplit(source)
    return source == "'self'" or (
        url.scheme in {"ws", "wss"} and url.hostname in settings.ALLOWED_HOSTS
    )


@pytest.mark.django_db
def test_the_widget_page_holding_hostile_text_sends_a_strict_policy(client, hostile_conversation):
    assert_strict(client.get("/"))


@pytest.mark.django_db
def test_staff_pages_holding_hostile_text_send_a_strict_policy(admin_client, hostile_conversation):
    message = hostile_conversation.messages.first()
    for path in [
        "/console/",
        f"/console/{hostile_conversation.id}/",
        f"/admin/conversations/conversation/{hostile_conversation.id}/change/",
        "/admin/conversations/message/?q=script",
        f"/admin/conversations/message/{message.id}/change/",
    ]:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert_strict(response)
