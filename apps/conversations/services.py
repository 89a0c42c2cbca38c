"""Writes for conversations: post a customer message, queue its reply, replay on resume."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.config.languages import detect_language
from apps.conversations import realtime
from apps.conversations.admission import (
    EMPTY,
    Line,
    Place,
    admission_for,
    line_ahead_of,
    line_now,
    line_with,
    place_in,
)
from apps.conversations.escalation import (
    EscalationConfig,
    conversation_escalate,
    customer_message_tagged,
    escalation_check,
    escalation_config,
    handoff_notice_for,
)
from apps.conversations.leases import pending_lease, reply_enqueue
from apps.conversations.models import Conversation, Message
from apps.conversations.notice_log import notice_sent
from apps.conversations.replies import done_fields, observe_done
from apps.conversations.selectors import (
    Earlier,
    earlier_messages,
    history_for_reply,
    messages_changed_since,
    messages_to_replay,
    open_conversation_for_session,
    turns_of,
)
from apps.inference.prompts import Turn
from apps.inference.service import EdgeReply, edge_reply
from apps.ops import rollups
from apps.ops.flags import VERSION_KEY, Flags, current_flags, loaded_flags, version_of

logger = logging.getLogger(__name__)

FINAL_STATUSES = (Message.Status.DONE, Message.Status.FAILED, Message.Status.CANCELLED)


def conversation_for_session(
    *, session_key: str, channel: str = Conversation.Channel.WIDGET
) -> Conversation:
    """The session's open conversation, created on first use (on ``channel``)."""
    conversation = open_conversation_for_session(session_key)
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(session_key=session_key, channel=channel)
    except IntegrityError:  # a concurrent request created it first
        return open_conversation_for_session(session_key)


@dataclass(frozen=True)
class PostResult:
    customer_message: Message
    created: bool
    reply: Message | None = None  # the AI reply it gets, pending: for ``reply_admit``
    # The turns ``reply`` answers (its prompt), read with the message: for ``reply_admit``.
    history: tuple[Turn, ...] = ()


class ConversationClosed(Exception):
    """The conversation was closed by staff; the session starts a new one."""


@transaction.atomic
def message_post(
    *, conversation: Conversation, client_msg_id: uuid.UUID, text: str, flags: Flags | None = None
) -> PostResult:
    """Store a customer message and its pending AI reply; a resent ``client_msg_id`` is a
    no-op. The caller then sends the reply on its way with ``reply_admit``; a reply it
    never admits (its process died in between) is queued by the reaper after its grace.

    While a human has the conversation, no AI reply is made. ``flags``: the routing flags
    the caller already read for this message (else the live ones).
    """
    conversation = Conversation.objects.select_for_update().get(id=conversation.id)
    if conversation.status == Conversation.Status.CLOSED:
        raise ConversationClosed
    # The row lock orders every post to this conversation: a resend finds its first copy.
    # One read serves the resend check, the escalation rule and the reply's prompt.
    earlier = earlier_messages(conversation)
    sent_before = next((m.id for m in earlier if m.client_msg_id == client_msg_id), None)
    if sent_before is not None:
        first_copy = conversation.messages.get(id=sent_before)  # its conversation cached
        return PostResult(customer_message=first_copy, created=False)
    customer_message = customer_message_tagged(
        conversation=conversation, client_msg_id=client_msg_id, text=text
    )
    if not conversation.language:
        conversation.language = detect_language(text)
    config = escalation_config(flags)
    message_escalate_if_due(
        conversation=conversation, message=customer_message, earlier=earlier, config=config
    )
    conversation.save()
    reply = None
    if _ai_answers(conversation, config):
        reply = Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            status=Message.Status.PENDING,
            reply_to=customer_message,
            lease_until=pending_lease(),
        )
    transaction.on_commit(
        partial(
            realtime.publish_customer_message,
            conversation.uuid.hex,
            conversation.id,
            customer_message.id,
        )
    )
    transaction.on_commit(partial(rollups.customer_message, sentiment=customer_message.sentiment))
    turns = turns_of((m.role, m.text) for m in earlier)
    history = (*turns, Turn(role="user", text=text)) if reply is not None else ()
    return PostResult(customer_message=customer_message, created=True, reply=reply, history=history)


@transaction.atomic
def history_seed(*, conversation: Conversation, turns: Sequence[Turn]) -> None:
    """Store the turns a client brings from before the desk knew its conversation (the
    API's earlier ``messages``), so the model sees them; once a conversation has
    messages, the stored transcript is the history and nothing is added."""
    conversation = Conversation.objects.select_for_update().get(id=conversation.id)
    if not turns or conversation.messages.exists():
        return
    for turn in turns:
        if turn.role == "user":
            customer_message_tagged(
                conversation=conversation, client_msg_id=uuid.uuid4(), text=turn.text
            )
        else:
            Message.objects.create(
                conversation=conversation, role=Message.Role.ASSISTANT, text=turn.text
            )
    conversation.save()


def message_escalate_if_due(
    *,
    conversation: Conversation,
    message: Message,
    earlier: list[Earlier],
    config: EscalationConfig,
) -> None:
    """Escalate the conversation if the rule says so, given the message's sentiment and
    those of the customer's ``earlier`` messages."""
    reason = escalation_check(
        conversation=conversation, message=message, earlier=earlier, config=config
    )
    if reason:
        _publish_on_commit(
            conversation,
            conversation_escalate(conversation=conversation, reason=reason, config=config),
        )


@dataclass(frozen=True)
class Admitted:
    # Answered at the edge, at once: the whole reply, for the socket that asked to send
    # itself (the conversation's other sockets and staff get them through the layer).
    answer: tuple[realtime.ServerEvent, ...] = ()
    place: Place | None = None  # queued, and the customer should be told their place now
    announced: bool = False  # queued, and the customer is told their place as it moves


@dataclass(frozen=True)
class Received:
    posted: PostResult
    # None: no AI reply to admit, or admitting it failed (the reaper queues it after its
    # grace: the message is stored either way).
    admitted: Admitted | None


def message_receive(*, conversation: Conversation, client_msg_id: uuid.UUID, text: str) -> Received:
    """What a customer's socket calls: store the message, then admit its reply.

    One call, so one trip to the web's database pool, and one read of the routing flags
    for the whole message. The socket answers ``message.accepted`` before it relays any
    event this publishes: a consumer handles its channel's messages one at a time, after
    the frame that caused them.
    """
    flags = current_flags()
    posted = message_post(
        conversation=conversation, client_msg_id=client_msg_id, text=text, flags=flags
    )
    if posted.reply is None:
        return Received(posted=posted, admitted=None)
    try:
        admitted = reply_admit(reply=posted.reply, flags=flags, history=posted.history)
    except Exception:
        logger.exception("admitting reply %s failed; the reaper queues it", posted.reply.id)
        admitted = None
    return Received(posted=posted, admitted=admitted)


@dataclass(frozen=True)
class Arrival:
    """Where a customer message arriving now would stand in line, were it stored now."""

    place: Place
    # A noticeable wait (``admission_for``): tell it at once. Otherwise it is told only if
    # storing the message keeps the customer waiting ``QUEUE_NOTICE_WAIT_S`` with nothing.
    now: bool


@dataclass(frozen=True)
class ArrivalLine:
    """What every message arriving now is told its place from: one read serves them all."""

    flags: Flags
    line: Line


async def line_for_arrivals() -> ArrivalLine | None:
    """The routing flags this process loaded and the line, for ``place_on_arrival``; None
    while no flags are loaded or admission control is off.

    One round trip to Redis on the caller's event loop, and none to Postgres: the flags
    are the ones this process loaded, while the version key says they are still the live
    ones (``message_receive`` loads them afresh).
    """
    line, (version,) = await line_with(VERSION_KEY)
    flags = loaded_flags(version_of(version))
    if flags is None or not flags.admission_control:
        return None
    return ArrivalLine(flags=flags, line=line)


def place_on_arrival(
    seen: ArrivalLine | None, *, conversation_status: str, unstored: int = 0
) -> Arrival | None:
    """The place a customer message arriving now is told before it is stored, from the
    line as ``seen`` lately: on a surge's night every database thread of a web process
    may be busy storing earlier messages, and the customer must not wait behind them to
    learn that they wait. ``message_receive`` then tells the place its reply took. None:
    nobody is ahead of it, admission control is off, or the conversation (its status as
    the caller last knew it) is not the AI's. ``unstored``: messages the caller took
    before this one and is still storing; they count as ahead, so the place told later
    is never further back (some of them are answered at once instead).
    """
    if seen is None or conversation_status != Conversation.Status.AI:
        return None
    line = replace(seen.line, depth=seen.line.depth + unstored)
    notify = admission_for(line, seen.flags).notify
    if notify is not None:
        return Arrival(place=notify, now=True)
    return Arrival(place=place_in(line, line.depth), now=False) if line.depth else None


def reply_admit(
    *, reply: Message, flags: Flags | None = None, history: Sequence[Turn] = ()
) -> Admitted:
    """Send a new pending reply on its way, by the line's measured length and speed.

    A cached answer to the same question is given at once. So is a confident FAQ answer
    when the reply could not start within its first-token deadline. Anything else goes to
    the workers, with the customer's place when they would wait. ``admission_control``
    off: everything goes to the workers, unannounced. ``history``: the reply's prompt turns
    if the caller has read them already.
    """
    flags = flags or current_flags()
    line = line_now() if flags.admission_control else EMPTY
    admission = admission_for(line, flags)
    if flags.admission_control:
        edge = edge_reply(
            history or history_for_reply(reply),
            cache_key=reply.conversation.uuid.hex,
            conversation_status=reply.conversation.status,
            over_deadline=admission.shortcut,
            flags=flags,
        )
        answer = _reply_answer_now(reply, edge) if edge is not None else ()
        if answer:
            return Admitted(answer=answer)
    reply_enqueue(reply.id)
    announced = flags.admission_control
    if admission.notify is None:
        return Admitted(announced=announced)
    # Read again now it is in line: replies that joined meanwhile may be ahead of it.
    ahead = line_ahead_of(reply.id)
    place = place_in(line, line.depth if ahead is None else ahead)
    return Admitted(place=place, announced=announced)


@transaction.atomic
def _reply_answer_now(reply: Message, edge: EdgeReply) -> tuple[realtime.ServerEvent, ...]:
    """Write the edge's answer as the whole reply: its events, or none if the reply is no
    longer pending (staff took the conversation over meanwhile)."""
    outcome = edge.outcome
    answered = Message.objects.filter(id=reply.id, status=Message.Status.PENDING).update(
        text=edge.text, updated_at=timezone.now(), **done_fields(outcome)
    )
    if not answered:
        return ()
    observe_done(outcome, reply)
    events = (
        realtime.reply_start(reply.id, reply.reply_to_id),
        realtime.reply_delta(reply.id, len(edge.text), edge.text),
        realtime.reply_end(reply.id, edge.text, outcome.route, outcome.ttft_ms),
    )
    hex_id = reply.conversation.uuid.hex
    transaction.on_commit(partial(realtime.publish, hex_id, *events, wait=False))
    return events


def _publish_on_commit(conversation: Conversation, event: realtime.ServerEvent) -> None:
    # Bound now: a lambda would see whatever the caller's variable holds at commit time.
    transaction.on_commit(partial(realtime.publish, conversation.uuid.hex, event))


def _ai_answers(conversation: Conversation, config: EscalationConfig) -> bool:
    if conversation.status == Conversation.Status.WAITING_HUMAN:
        return config.ai_helps_while_waiting
    return conversation.status == Conversation.Status.AI


@transaction.atomic
def handoff_request(*, conversation: Conversation) -> realtime.Notice:
    """The customer pressed "talk to a person": queue the conversation for staff."""
    conversation = Conversation.objects.select_for_update().get(id=conversation.id)
    config = escalation_config()
    if conversation.status != Conversation.Status.AI:  # asked before: told again
        notice = handoff_notice_for(conversation, config, timezone.now())
        return notice_sent(conversation=conversation, notice=notice)
    notice = conversation_escalate(
        conversation=conversation,
        reason=Conversation.EscalationReason.ASKED_FOR_HUMAN,
        config=config,
    )
    conversation.save()
    transaction.on_commit(lambda: realtime.publish_queue_change(conversation.id))
    return notice


def replay_events(
    *, conversation: Conversation, last_seq: int, message_id: int | None
) -> list[realtime.ServerEvent]:
    """Events that bring a reconnecting client up to date, read from Postgres.

    ``last_seq`` is how many characters of the first replayed reply the client holds.
    """
    messages = messages_to_replay(conversation, message_id=message_id)
    return _replay(messages, held_by_first=last_seq)


def replay_changed_since(
    *, conversation: Conversation, since: datetime
) -> list[realtime.ServerEvent]:
    """What a socket may have missed while its channel layer was away, in full.

    The client merges by ``seq``, so text it already holds is ignored.
    """
    return _replay(messages_changed_since(conversation, since), held_by_first=0)


def _replay(messages: list[Message], *, held_by_first: int) -> list[realtime.ServerEvent]:
    events: list[realtime.ServerEvent] = []
    for index, message in enumerate(messages):
        if message.role == Message.Role.AGENT:
            events.append(realtime.agent_message(message.id, message.text, "agent"))
            continue
        held = held_by_first if index == 0 else 0
        if held and message.restarts:
            # The text was written again since the client got its part: it may hold words
            # of a voided attempt, so it starts over.
            events.append(realtime.reply_restart(message.id, "resync"))
            held = 0
        if held == 0:
            events.append(realtime.reply_start(message.id, message.reply_to_id))
        if len(message.text) > held:
            events.append(realtime.reply_delta(message.id, len(message.text), message.text[held:]))
        if message.status in FINAL_STATUSES:
            events.append(
                realtime.reply_end(message.id, message.text, message.route, message.ttft_ms)
            )
    return events
