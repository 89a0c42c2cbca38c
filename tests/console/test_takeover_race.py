"""Two agents press Take over at once through the views: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.console.conftest import client_for, make_conversation, make_user

HTMX = {"HX-Request": "true"}


@pytest.mark.django_db(transaction=True)
def test_two_agents_racing_for_a_takeover_one_wins_the_other_is_told_who():
    agents = [make_user("alice", "agent"), make_user("bob", "agent")]
    clients = [client_for(agent) for agent in agents]
    conversation = make_conversation(status="waiting_human", waited_minutes=2)
    barrier = threading.Barrier(2)
    bodies: dict[str, str] = {}

    def press(client, name: str) -> None:
        try:
            barrier.wait(timeout=10)
            response = client.post(f"/console/{conversation.id}/take-over/", headers=HTMX)
            bodies[name] = response.content.decode()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=press, args=(c, a.username))
        for c, a in zip(clients, agents, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    conversation.refresh_from_db()
    winner = conversation.assigned_agent.username
    loser = "bob" if winner == "alice" else "alice"
    assert conversation.status == "human"
    assert "Hand back to AI" in bodies[winner]
    assert f"{winner} already has this conversation." in bodies[loser]
    assert conversation.messages.filter(event="takeover").count() == 1
