"""Every notice a customer is sent is kept in the transcript, word for word, for staff.

A row is a system message (``event`` ``notice``, ``notice_kind`` its kind): the customer's
page never shows system messages, and staff see what the customer read, when.
"""

from __future__ import annotations

from django.db import transaction

from apps.conversations import realtime
from apps.conversations.models import Conversation, Message


def notice_record(*, conversation: Conversation, kind: str, text: str) -> Message:
    """Keep one notice sent (or about to be sent) to the customer; staff watching see it."""
    row = Message.objects.create(
        conversation=conversation,
        role=Message.Role.SYSTEM,
        event=Message.Event.NOTICE,
        notice_kind=kind,
        text=text,
    )
    group = conversation.uuid.hex
    transaction.on_commit(lambda: realtime.publish_to_staff(group, row.id))
    return row


def notice_sent(*, conversation: Conversation, notice: realtime.Notice) -> realtime.Notice:
    """``notice`` kept in the transcript; returned for the caller to send."""
    notice_record(conversation=conversation, kind=notice["kind"], text=notice["text"])
    return notice
