"""Only signed-in agents reach the console; everyone else is sent away or refused."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.console.conftest import PASSWORD, client_for, make_conversation, make_user

pytestmark = pytest.mark.django_db

PAGES = ["/console/", "/console/queue/"]
CONVERSATION_PAGES = ["/console/{id}/", "/console/{id}/transcript/"]
ACTIONS = ["take-over", "hand-back", "close", "reply", "note", "typing"]


def test_it_sends_anonymous_users_to_the_console_login(client):
    conversation = make_conversation()
    for url in PAGES + [u.format(id=conversation.id) for u in CONVERSATION_PAGES]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/console/login/?next="), url
    response = client.post(f"/console/{conversation.id}/take-over/")
    assert response.status_code == 302


def test_it_refuses_a_signed_in_user_without_the_agent_role():
    conversation = make_conversation()
    client = client_for(make_user("mallory"))
    for url in PAGES + [u.format(id=conversation.id) for u in CONVERSATION_PAGES]:
        assert client.get(url).status_code == 403, url
    for action in ACTIONS:
        response = client.post(f"/console/{conversation.id}/{action}/", {"text": "hi"})
        assert response.status_code == 403, action
    conversation.refresh_from_db()
    assert conversation.status == "ai"
    assert conversation.messages.count() == 1


def test_it_refuses_a_customer_session(client):
    client.get("/")  # the widget page gives the browser a session, not a role
    assert client.get("/console/").status_code == 302


def test_it_refuses_an_agent_on_ops_pages(alice_client):
    assert alice_client.get("/ops/").status_code == 403


def test_it_lets_an_agent_sign_in_and_see_the_queue(alice):
    client = Client()
    response = client.post("/console/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_it_answers_404_for_a_missing_conversation(alice_client):
    assert alice_client.get("/console/999999/").status_code == 404
    assert alice_client.post("/console/999999/take-over/").status_code == 404
