"""CSAT: the widget asks once per conversation for a rating from 1 to 5 and a comment.

It asks when staff close the conversation, or when an AI conversation has been idle for
``CSAT_IDLE_S``. The idle check is a sweep in every background worker, every
``CSAT_SWEEP_S``: the idle state (the messages' last writes) and the request (one ``Csat``
row per conversation, made under the conversation's row lock) live in Postgres, so any
number of workers sweep with one result, and a restart loses nothing. The request goes
to the customer's sockets through the channel layer; a socket that was not there (closed,
reconnecting, another web process restarting) gets it when it next connects, until the
customer answers or writes again.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from apps.conversations import notices, realtime
from apps.conversations.models import Conversation, Csat, Message
from apps.conversations.notice_log import notice_record
from apps.conversations.selectors import (
    customer_wrote_since,
    idle_unasked_conversations,
    latest_csat_for_session,
)

logger = logging.getLogger(__name__)

CSAT_NOTICE_KIND = "csat"  # the request's row in the staff transcript
# Conversations asked per transaction batch of one sweep; the next sweep takes the rest.
SWEEP_BATCH = 200


class CsatRefused(Exception):
    """A ``csat.submit`` that cannot be taken; ``code`` is the protocol's error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def csat_request(*, conversation: Conversation, trigger: str) -> bool:
    """Ask the customer to rate ``conversation``, once: False if it was asked before, or
    if the customer never wrote in it. The caller holds the conversation's row lock."""
    if not conversation.messages.filter(role=Message.Role.CUSTOMER).exists():
        return False
    csat, created = Csat.objects.get_or_create(
        conversation=conversation, defaults={"trigger": trigger, "requested_at": timezone.now()}
    )
    if not created:
        return False
    event = _request_event(csat, conversation.language)
    notice_record(conversation=conversation, kind=CSAT_NOTICE_KIND, text=event["text"])
    transaction.on_commit(partial(realtime.publish, conversation.uuid.hex, event))
    return True


def csat_request_idle(*, now: datetime | None = None) -> int:
    """Ask every conversation idle for ``CSAT_IDLE_S`` (one sweep); how many were asked."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.CSAT_IDLE_S)
    idle = list(idle_unasked_conversations(cutoff).values_list("id", flat=True)[:SWEEP_BATCH])
    return sum(_request_if_still_idle(conversation_id, cutoff) for conversation_id in idle)


@transaction.atomic
def _request_if_still_idle(conversation_id: int, cutoff: datetime) -> bool:
    conversation = Conversation.objects.select_for_update().get(id=conversation_id)
    # Under the lock that orders every message post: the customer may have written since.
    if not idle_unasked_conversations(cutoff).filter(id=conversation_id).exists():
        return False
    return csat_request(conversation=conversation, trigger=Csat.Trigger.IDLE)


def csat_pending(*, session_key: str) -> realtime.CsatRequest | None:
    """The request a socket opening for this session should show: the latest, while it is
    unanswered and the customer has not written since."""
    csat = latest_csat_for_session(session_key)
    if csat is None or csat.rating is not None:
        return None
    if customer_wrote_since(session_key, csat.requested_at):
        return None
    return _request_event(csat, csat.conversation.language)


@transaction.atomic
def csat_submit(*, session_key: str, rating: int, comment: str) -> realtime.CsatAccepted:
    """Store the session's answer to its latest request. An answer is final: a second one
    is refused (``csat_already_given``)."""
    csat = latest_csat_for_session(session_key)
    if csat is None:
        raise CsatRefused("csat_not_requested", "nothing was asked to be rated")
    rated = Csat.objects.filter(id=csat.id, rating__isnull=True).update(
        rating=rating, comment=comment, rated_at=timezone.now()
    )
    if not rated:
        raise CsatRefused("csat_already_given", "this conversation was rated already")
    conversation = csat.conversation
    request_row = conversation.messages.filter(
        event=Message.Event.NOTICE, notice_kind=CSAT_NOTICE_KIND
    ).first()
    if request_row is not None:  # staff re-read the request's row, which shows the answer
        transaction.on_commit(
            partial(realtime.publish_to_staff, conversation.uuid.hex, request_row.id)
        )
    return realtime.csat_accepted(rating, notices.csat_thanks(conversation.language))


def _request_event(csat: Csat, language: str) -> realtime.CsatRequest:
    return realtime.csat_request(
        notices.csat_request(language),
        reason=csat.trigger,
        comment_max=settings.CSAT_COMMENT_MAX_CHARS,
    )


def _sweep_forever(interval_s: float) -> None:
    """Until the worker exits (a daemon thread)."""
    while True:
        time.sleep(interval_s)
        try:
            close_old_connections()
            if asked := csat_request_idle():
                logger.info("asked %s idle conversations for a rating", asked)
        except Exception:  # Postgres or Redis away: the next sweep asks them
            logger.warning("CSAT sweep failed", exc_info=True)


def start_csat_sweeper() -> threading.Thread:
    thread = threading.Thread(
        target=_sweep_forever, args=(settings.CSAT_SWEEP_S,), name="csat-sweeper", daemon=True
    )
    thread.start()
    return thread
