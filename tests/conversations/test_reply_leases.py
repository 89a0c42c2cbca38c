"""Reply leases and the reaper, on real Postgres, the real broker queue and channel layer."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.conversations import leases, replies, services
from apps.conversations.models import Message
from apps.conversations.reaper import Reaper
from tests.realtime import BrokerQueue, GroupListener

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker() -> BrokerQueue:
    queue = BrokerQueue()
    queue.clear()
    return queue


@pytest.fixture
def conversation():
    return services.conversation_for_session(session_key=uuid.uuid4().hex)


def a_reply(conversation, *, status: str, lease_in_s: float, **fields) -> Message:
    return Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=status,
        lease_until=timezone.now() + timedelta(seconds=lease_in_s),
        **fields,
    )


def test_it_leaves_a_reply_alone_while_its_writer_holds_the_lease(conversation, broker):
    reply = a_reply(conversation, status="streaming", lease_in_s=30, text="Orders", attempt=1)
    replies.reply_generate(message_id=reply.id)  # a duplicate task: turned away
    assert leases.replies_reap() == 0
    reply.refresh_from_db()
    assert (reply.status, reply.text, reply.attempt) == ("streaming", "Orders", 1)
    assert broker.reply_ids() == []


def test_the_reaper_requeues_a_reply_whose_writer_stopped_renewing(conversation, broker):
    reply = a_reply(conversation, status="streaming", lease_in_s=-1, text="Orders", attempt=1)
    listener = GroupListener(conversation)

    assert leases.replies_reap() == 1

    reply.refresh_from_db()
    assert (reply.status, reply.text, reply.restarts) == ("pending", "", 1)
    assert broker.reply_ids() == [reply.id]
    assert [e["type"] for e in listener.drain(quiet_s=0.3)] == ["reply.restart"]
    claim = leases.reply_claim(message_id=reply.id)
    assert claim is not None and claim.attempt == 2


def test_only_the_current_attempt_may_write(conversation):
    reply = a_reply(conversation, status="pending", lease_in_s=30)
    first = leases.reply_claim(message_id=reply.id)
    Message.objects.filter(id=reply.id).update(lease_until=timezone.now() - timedelta(seconds=1))
    leases.replies_reap()
    second = leases.reply_claim(message_id=reply.id)
    assert first is not None and second is not None
    assert not leases.lease_renew(first)
    assert leases.lease_renew(second)


def test_it_requeues_a_queued_reply_whose_task_was_lost_once_per_grace(conversation, broker):
    reply = a_reply(conversation, status="pending", lease_in_s=-1)
    assert leases.replies_reap() == 1
    assert leases.replies_reap() == 0  # its grace starts again
    assert broker.reply_ids() == [reply.id]


def test_after_a_redis_restart_it_requeues_every_queued_reply(conversation, broker):
    waiting = [a_reply(conversation, status="pending", lease_in_s=30) for _ in range(3)]
    assert leases.replies_reap(every_pending=True) == 3
    assert sorted(broker.reply_ids()) == [r.id for r in waiting]


def test_a_redis_restart_is_told_by_its_run_id(conversation, broker, monkeypatch):
    reaper = Reaper(interval_s=60)
    a_reply(conversation, status="pending", lease_in_s=30)
    assert reaper.sweep() == 0  # first sight of Redis: nothing to compare
    run_ids = iter(["restarted-redis"])
    monkeypatch.setattr(  # the fault: Redis came back as a new server
        "apps.conversations.reaper.redis_run_id", lambda: next(run_ids)
    )
    assert reaper.sweep() == 1


def test_a_reply_that_keeps_killing_its_writer_ends_as_an_apology(conversation, settings):
    settings.REPLY_MAX_ATTEMPTS = 2
    conversation.language = "en"
    conversation.save()
    reply = a_reply(conversation, status="streaming", lease_in_s=-1, text="Ord", attempt=2)
    listener = GroupListener(conversation)

    leases.replies_reap()

    reply.refresh_from_db()
    assert (reply.status, reply.route, reply.fallback_reason) == ("failed", "canned", "attempts")
    assert reply.text and "Ord" not in reply.text
    events = listener.drain(quiet_s=0.3)
    assert [e["type"] for e in events] == ["reply.restart", "reply.end"]
    assert events[-1]["text"] == reply.text


def test_a_resume_of_a_rewritten_reply_starts_over(conversation):
    reply = a_reply(conversation, status="done", lease_in_s=0, text="Orders ship in 2 days.")
    Message.objects.filter(id=reply.id).update(restarts=1)
    events = services.replay_events(conversation=conversation, last_seq=5, message_id=reply.id)
    assert [e["type"] for e in events] == [
        "reply.restart",
        "reply.start",
        "reply.delta",
        "reply.end",
    ]
    assert events[2]["delta"] == "Orders ship in 2 days."
