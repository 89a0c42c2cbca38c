"""Console fixtures: agents, a non-agent user, and conversations in given states."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from apps.conversations.models import Conversation, Message

PASSWORD = "pw-for-tests-only"


def make_user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(db) -> User:
    return make_user("alice", "agent")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob", "agent")


@pytest.fixture
def alice_client(alice) -> Client:
    return client_for(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return client_for(bob)


def make_conversation(
    *,
    status: str = Conversation.Status.AI,
    waited_minutes: float | None = None,
    scores: tuple[float, ...] = (0.0,),
    **fields,
) -> Conversation:
    """A conversation with one customer message per sentiment score, oldest first."""
    now = timezone.now()
    conversation = Conversation.objects.create(
        session_key=f"s-{Conversation.objects.count()}-{now.timestamp()}",
        status=status,
        waiting_since=now - timedelta(minutes=waited_minutes)
        if waited_minutes is not None and status == Conversation.Status.WAITING_HUMAN
        else None,
        sentiment_score=scores[-1] if scores else None,
        **fields,
    )
    for index, score in enumerate(scores):
        message = Message.objects.create(
            conversation=conversation,
            role=Message.Role.CUSTOMER,
            text=f"customer message {index}",
            sentiment="negative" if score < 0 else "neutral",
            sentiment_score=score,
        )
        if waited_minutes is not None:
            at = now - timedelta(minutes=waited_minutes) + timedelta(seconds=index)
            Message.objects.filter(id=message.id).update(created_at=at)
    return conversation


def make_surge(*, ai: int, waiting: int, negative_every: int = 10) -> list[Conversation]:
    """A surge's queue, in bulk: ``ai`` conversations the AI is answering (every
    ``negative_every``-th one negative) and ``waiting`` ones waiting for a person, each
    with one customer message; the waiting ones were created last (newest)."""
    now = timezone.now()
    conversations = Conversation.objects.bulk_create(
        Conversation(
            session_key=f"surge-{index}-{now.timestamp()}",
            status=Conversation.Status.AI if index < ai else Conversation.Status.WAITING_HUMAN,
            waiting_since=None if index < ai else now - timedelta(seconds=index - ai + 1),
            escalation_reason="" if index < ai else "asked_for_human",
            sentiment="negative" if index < ai and index % negative_every == 0 else "neutral",
            language="en",
        )
        for index in range(ai + waiting)
    )
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            role=Message.Role.CUSTOMER,
            text=f"surge question {index}",
            sentiment=conversation.sentiment,
            sentiment_score=-0.6 if conversation.sentiment == "negative" else 0.0,
        )
        for index, conversation in enumerate(conversations)
    )
    return conversations
