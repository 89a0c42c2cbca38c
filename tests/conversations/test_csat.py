"""CSAT in Postgres: who is asked (once, and only when due), and the summary the ops
dashboard reads (``csat_summary``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from apps.conversations.csat import CsatRefused, csat_pending, csat_request_idle, csat_submit
from apps.conversations.models import Conversation, Csat, Message
from apps.conversations.selectors import csat_summary
from tests.console.conftest import make_conversation

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 11, 30, tzinfo=UTC)


def idle_for(minutes: float, **fields) -> Conversation:
    conversation = make_conversation(**fields)
    at = timezone.now() - timedelta(minutes=minutes)
    conversation.messages.update(updated_at=at, created_at=at)
    return conversation


def test_the_sweep_asks_only_idle_ai_conversations_and_each_once(settings):
    settings.CSAT_IDLE_S = 600
    due = idle_for(11)
    recent = idle_for(5)
    waiting = idle_for(30, status="waiting_human", waited_minutes=30)
    silent = Conversation.objects.create(session_key="page-view-only")
    Message.objects.filter(conversation=silent).update(
        updated_at=timezone.now() - timedelta(days=1)
    )
    busy = idle_for(30)
    Message.objects.create(conversation=busy, role="assistant", status="pending")
    Message.objects.filter(conversation=busy).update(updated_at=timezone.now() - timedelta(hours=1))

    assert csat_request_idle() == 1
    assert csat_request_idle() == 0  # asked once, whatever the sweeps
    assert list(Csat.objects.values_list("conversation_id", "trigger")) == [(due.id, "idle")]
    for skipped in (recent, waiting, silent, busy):
        assert not Csat.objects.filter(conversation=skipped).exists()
    request_row = due.messages.get(event=Message.Event.NOTICE)
    assert request_row.notice_kind == "csat" and "1" in request_row.text


def test_a_pending_request_lapses_once_the_customer_writes_and_a_rating_is_final():
    conversation = idle_for(60)
    csat_request_idle(now=timezone.now() + timedelta(days=1))
    session = conversation.session_key
    assert csat_pending(session_key=session)["reason"] == "idle"

    Message.objects.create(conversation=conversation, role="customer", text="one more thing")
    assert csat_pending(session_key=session) is None  # not asked again while chatting on
    assert csat_submit(session_key=session, rating=2, comment="")["rating"] == 2
    with pytest.raises(CsatRefused) as refused:
        csat_submit(session_key=session, rating=5, comment="")
    assert refused.value.code == "csat_already_given"
    with pytest.raises(CsatRefused) as nothing:
        csat_submit(session_key="never-asked", rating=5, comment="")
    assert nothing.value.code == "csat_not_requested"
    assert Csat.objects.get().rating == 2


def test_the_database_holds_one_rating_per_conversation_within_the_scale():
    conversation = make_conversation()
    Csat.objects.create(conversation=conversation, trigger="idle", requested_at=DAY)
    with pytest.raises(IntegrityError):
        Csat.objects.create(conversation=conversation, trigger="closed", requested_at=DAY)


def test_csat_summary_counts_ratings_given_in_the_range():
    for rating, hours in [(5, 1), (4, 2), (4, 3), (1, 5), (3, 30), (None, 4)]:
        Csat.objects.create(
            conversation=make_conversation(),
            trigger="closed",
            requested_at=DAY,
            rating=rating,
            rated_at=DAY + timedelta(hours=hours) if rating else None,
        )
    summary = csat_summary(DAY, DAY + timedelta(days=1))
    assert summary.count == 4
    assert summary.average == pytest.approx(3.5)
    assert summary.distribution == {1: 1, 2: 0, 3: 0, 4: 2, 5: 1}
    empty = csat_summary(DAY - timedelta(days=2), DAY)
    assert (empty.average, empty.count, set(empty.distribution.values())) == (None, 0, {0})
