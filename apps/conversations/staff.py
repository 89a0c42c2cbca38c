"""What staff do to a conversation: take over, reply, note, hand back to the AI, close.

Every write is one transaction that claims its state with a conditional UPDATE, so two
agents racing for the same conversation cannot both win. Events go out after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.conversations import cancellation, notices, realtime
from apps.conversations.admission import line_leave
from apps.conversations.csat import csat_request
from apps.conversations.escalation import waiting_for_person_recorded
from apps.conversations.models import Conversation, Csat, Message
from apps.conversations.notice_log import notice_sent
from apps.conversations.signals import agent_message_posted

logger = logging.getLogger(__name__)

IN_FLIGHT = (Message.Status.PENDING, Message.Status.STREAMING)


class StaffActionError(Exception):
    """The action does not fit the conversation's state; ``detail`` says why, for the agent."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def agent_name(agent: AbstractBaseUser) -> str:
    return agent.get_full_name() or agent.get_username()


def _system_event(conversation: Conversation, agent, event: str, text: str) -> Message:
    return Message.objects.create(
        conversation=conversation,
        role=Message.Role.SYSTEM,
        event=event,
        author=agent,
        text=text,
    )


def _cancel_ai_replies(conversation: Conversation) -> list[int]:
    """Cancel the AI replies in flight; their ids, for the workers' cancel signal.

    Row locks order this after any in-progress checkpoint of a reply: a delta written
    before the cancel is published before it, and none after.
    """
    in_flight = Message.objects.select_for_update().filter(
        conversation=conversation, role=Message.Role.ASSISTANT, status__in=IN_FLIGHT
    )
    cancelled = list(in_flight.values_list("id", flat=True))
    Message.objects.filter(id__in=cancelled).update(
        status=Message.Status.CANCELLED, lease_until=None, updated_at=timezone.now()
    )
    for reply_id in cancelled:  # out of the line: its customer is no longer told a place
        transaction.on_commit(partial(line_leave, reply_id))
    return cancelled


@dataclass(frozen=True)
class Takeover:
    conversation: Conversation
    cancelled_reply_ids: list[int]


@transaction.atomic
def conversation_take_over(*, conversation_id: int, agent: AbstractBaseUser) -> Takeover:
    """Assign the conversation to ``agent`` and stop any AI reply in flight."""
    claimed = (
        Conversation.objects.filter(
            id=conversation_id,
            status__in=[Conversation.Status.AI, Conversation.Status.WAITING_HUMAN],
        )
        .filter(Q(assigned_agent__isnull=True) | Q(assigned_agent=agent))
        .update(status=Conversation.Status.HUMAN, assigned_agent=agent, waiting_since=None)
    )
    conversation = Conversation.objects.select_related("assigned_agent").get(id=conversation_id)
    if claimed != 1:
        if conversation.status == Conversation.Status.HUMAN and conversation.assigned_agent:
            if conversation.assigned_agent_id == agent.pk:
                return Takeover(conversation, [])
            raise StaffActionError(
                f"{agent_name(conversation.assigned_agent)} already has this conversation."
            )
        raise StaffActionError("This conversation is closed.")
    cancelled = _cancel_ai_replies(conversation)
    event = _system_event(
        conversation, agent, Message.Event.TAKEOVER, f"{agent_name(agent)} took over"
    )
    joined = notices.agent_joined(conversation.language, agent=agent_name(agent))
    notice = notice_sent(conversation=conversation, notice=realtime.notice("agent_joined", joined))
    transaction.on_commit(lambda: _announce_takeover(conversation, cancelled, notice, event.id))
    transaction.on_commit(waiting_for_person_recorded)
    return Takeover(conversation, cancelled)


def _announce_takeover(
    conversation: Conversation, cancelled: list[int], notice: realtime.Notice, event_id: int
) -> None:
    group = conversation.uuid.hex
    cancellation.request_cancel(group, cancelled)
    for reply in Message.objects.filter(id__in=cancelled):
        realtime.publish(group, realtime.reply_end(reply.id, reply.text, "", reply.ttft_ms))
    realtime.publish(group, notice)
    realtime.publish_to_staff(group, event_id)
    realtime.publish_queue_change(conversation.id)


def _assigned(conversation_id: int, agent: AbstractBaseUser) -> Conversation:
    conversation = Conversation.objects.select_for_update().get(id=conversation_id)
    if conversation.status != Conversation.Status.HUMAN or conversation.assigned_agent_id != (
        agent.pk
    ):
        raise StaffActionError("Take over the conversation first.")
    return conversation


@transaction.atomic
def agent_reply_post(*, conversation_id: int, agent: AbstractBaseUser, text: str) -> Message:
    text = text.strip()
    if not text:
        raise StaffActionError("The reply is empty.")
    conversation = _assigned(conversation_id, agent)
    message = Message.objects.create(
        conversation=conversation,
        role=Message.Role.AGENT,
        author=agent,
        route=Message.Route.AGENT,
        text=text,
    )
    Conversation.objects.filter(id=conversation.id).update(updated_at=timezone.now())
    name = agent_name(agent)
    transaction.on_commit(
        lambda: realtime.publish(
            conversation.uuid.hex, realtime.agent_message(message.id, text, name)
        )
    )
    transaction.on_commit(
        partial(
            agent_message_posted.send,
            sender=Message,
            message_id=message.id,
            channel=conversation.channel,
        )
    )
    return message


def agent_typing(*, conversation_id: int, agent: AbstractBaseUser) -> None:
    conversation = Conversation.objects.get(id=conversation_id)
    if conversation.assigned_agent_id == agent.pk:
        realtime.publish(conversation.uuid.hex, realtime.agent_typing(agent_name(agent)))


@transaction.atomic
def internal_note_add(*, conversation_id: int, agent: AbstractBaseUser, text: str) -> Message:
    """A note for staff only: it never reaches the customer's socket or page."""
    text = text.strip()
    if not text:
        raise StaffActionError("The note is empty.")
    conversation = Conversation.objects.get(id=conversation_id)
    note = _system_event(conversation, agent, Message.Event.NOTE, text)
    transaction.on_commit(lambda: realtime.publish_to_staff(conversation.uuid.hex, note.id))
    return note


@transaction.atomic
def conversation_hand_back(*, conversation_id: int, agent: AbstractBaseUser) -> Conversation:
    conversation = _assigned(conversation_id, agent)
    conversation.status = Conversation.Status.AI
    conversation.assigned_agent = None
    conversation.escalation_reason = ""
    conversation.save(update_fields=["status", "assigned_agent", "escalation_reason", "updated_at"])
    event = _system_event(
        conversation, agent, Message.Event.HAND_BACK, f"{agent_name(agent)} handed back to the AI"
    )
    notice = realtime.notice("handed_back", notices.handed_back(conversation.language))
    notice_sent(conversation=conversation, notice=notice)
    transaction.on_commit(lambda: _announce(conversation, notice, event.id))
    return conversation


@transaction.atomic
def conversation_close(*, conversation_id: int, agent: AbstractBaseUser) -> Conversation:
    conversation = Conversation.objects.select_for_update().get(id=conversation_id)
    if conversation.status == Conversation.Status.CLOSED:
        raise StaffActionError("This conversation is already closed.")
    if conversation.status == Conversation.Status.HUMAN and conversation.assigned_agent_id not in (
        None,
        agent.pk,
    ):
        raise StaffActionError("Another agent has this conversation.")
    conversation.status = Conversation.Status.CLOSED
    conversation.waiting_since = None
    conversation.save(update_fields=["status", "waiting_since", "updated_at"])
    cancelled = _cancel_ai_replies(conversation)
    event = _system_event(
        conversation, agent, Message.Event.CLOSED, f"{agent_name(agent)} closed the conversation"
    )
    notice = realtime.notice("closed", notices.closed(conversation.language))
    notice_sent(conversation=conversation, notice=notice)
    transaction.on_commit(lambda: cancellation.request_cancel(conversation.uuid.hex, cancelled))
    transaction.on_commit(lambda: _announce(conversation, notice, event.id))
    transaction.on_commit(waiting_for_person_recorded)
    # After the closed notice (commit callbacks run in order): the widget asks for a rating.
    csat_request(conversation=conversation, trigger=Csat.Trigger.CLOSED)
    return conversation


def _announce(conversation: Conversation, notice: realtime.Notice, event_id: int) -> None:
    group = conversation.uuid.hex
    realtime.publish(group, notice)
    realtime.publish_to_staff(group, event_id)
    realtime.publish_queue_change(conversation.id)
