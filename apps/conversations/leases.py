"""Reply leases: which worker writes a reply, until when, and what happens when it stops.

A reply in flight is ``pending`` (queued) or ``streaming`` (a worker writes it), and both
carry ``lease_until``:

- pending: the moment a queued reply that no worker took counts as lost (its task vanished
  with a Redis restart, or could not be enqueued at all). The reaper queues it again.
- streaming: until when its worker is known to be alive. The worker renews the lease
  while it writes; a worker killed mid-reply stops renewing, and the reaper puts the reply
  back in the queue, its text voided, for another worker to write from the start.

Each claim is one attempt, and only the current attempt may write the row, so whatever
dies and whoever races, a reply ends exactly once. Claims are conditional UPDATEs, so any
number of workers and reapers may run side by side.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone

from apps.config.celery import app as celery_app
from apps.config.queues import INTERACTIVE_QUEUE
from apps.conversations import realtime
from apps.conversations.admission import line_join, line_leave, line_reconcile
from apps.conversations.models import Message
from apps.conversations.selectors import replies_in
from apps.inference.canned import apology
from apps.ops import rollups
from apps.ops.counters import observe_reply

logger = logging.getLogger(__name__)

GENERATE_REPLY_TASK = "conversations.generate_reply"
REAP_BATCH = 200


def lease_owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.REPLY_LEASE_S)


def _grace(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.REPLY_PENDING_GRACE_S)


def pending_lease() -> datetime:
    """The lease a newly queued reply starts with."""
    return _grace(timezone.now())


def reply_enqueue(message_id: int) -> bool:
    """Queue the reply's task; if the broker cannot take it, leave it to the reaper."""
    line_join(message_id)  # before the task: a worker may take it at once
    try:
        celery_app.send_task(GENERATE_REPLY_TASK, args=(message_id,), queue=INTERACTIVE_QUEUE)
    except Exception as exc:
        logger.warning("could not queue reply %s (%r); the reaper will", message_id, exc)
        Message.objects.filter(id=message_id, status=Message.Status.PENDING).update(
            lease_until=timezone.now()
        )
        return False
    return True


@dataclass(frozen=True)
class Claim:
    reply: Message
    attempt: int


def reply_claim(*, message_id: int) -> Claim | None:
    """Take a queued reply for this worker; None when it is not queued (any more)."""
    now = timezone.now()
    claimed = Message.objects.filter(
        id=message_id, role=Message.Role.ASSISTANT, status=Message.Status.PENDING
    ).update(
        status=Message.Status.STREAMING,
        attempt=F("attempt") + 1,
        lease_until=_lease(now),
        lease_owner=lease_owner_name(),
        updated_at=now,
    )
    if claimed != 1:
        return None
    depth = line_leave(message_id)
    reply = Message.objects.select_related("conversation").get(id=message_id)
    waited_ms = int((now - reply.created_at).total_seconds() * 1000)
    rollups.reply_taken(waited_ms=waited_ms, depth=depth)
    return Claim(reply=reply, attempt=reply.attempt)


def lease_renew(claim: Claim) -> bool:
    """Extend this attempt's lease; False once the reply is no longer this attempt's."""
    return _owned(claim).update(lease_until=_lease(timezone.now())) == 1


def reply_hand_back(claim: Claim) -> bool:
    """Give a reply this worker cannot finish to another worker, from the start."""
    return _back_to_queue(_owned(claim), claim.reply.id)


def replies_reap(
    *,
    every_pending: bool = False,
    write_here: Callable[[int], bool] | None = None,
    here_first: bool = False,
) -> int:
    """Queue again the replies in flight whose lease ran out; how many were queued.

    ``every_pending`` queues every queued reply, lease or not: Redis restarted, and the
    broker may have lost every task it held (a duplicate task is harmless: the claim
    turns it away). ``write_here`` takes a reply and writes it in this process, if it has
    room (True when it took it): when the broker cannot take the reply, or first of all
    with ``here_first`` (the workers are still reconnecting to a restarted broker).
    """
    now = timezone.now()
    requeued = 0
    expired = _streaming().filter(lease_until__lt=now)
    for message_id in expired.values_list("id", flat=True)[:REAP_BATCH]:
        requeued += _back_to_queue(expired.filter(id=message_id), message_id)
    lost = _pending() if every_pending else _pending().filter(lease_until__lt=now)
    for message_id in lost.values_list("id", flat=True)[:REAP_BATCH]:
        # The UPDATE elects one reaper per reply among all the workers sweeping.
        if lost.filter(id=message_id).update(lease_until=_grace(now)) == 1:
            requeued += _requeue(message_id, write_here, here_first=here_first)
    return requeued


def _requeue(
    message_id: int, write_here: Callable[[int], bool] | None, *, here_first: bool
) -> bool:
    if write_here is None:
        return reply_enqueue(message_id)
    if here_first:
        return write_here(message_id) or reply_enqueue(message_id)
    return reply_enqueue(message_id) or write_here(message_id)


def line_resync() -> int:
    """Make the line's mirror in Redis hold the replies Postgres has queued."""
    return line_reconcile(set(_pending().values_list("id", flat=True)))


def _owned(claim: Claim) -> QuerySet[Message]:
    return _streaming().filter(id=claim.reply.id, attempt=claim.attempt)


def _back_to_queue(streaming: QuerySet[Message], message_id: int) -> bool:
    """Void a streaming reply's text and queue it again, or end it after too many tries."""
    now = timezone.now()
    if streaming.filter(attempt__gte=settings.REPLY_MAX_ATTEMPTS).exists():
        return _give_up(streaming, message_id)
    updated = streaming.update(
        status=Message.Status.PENDING,
        text="",
        restarts=F("restarts") + 1,
        lease_until=_grace(now),
        lease_owner="",
        updated_at=now,
    )
    if updated != 1:
        return False
    reply = Message.objects.select_related("conversation").get(id=message_id)
    logger.info("reply %s goes back to the queue after attempt %s", message_id, reply.attempt)
    realtime.publish(reply.conversation.uuid.hex, realtime.reply_restart(message_id, "requeued"))
    reply_enqueue(message_id)
    return True


def _give_up(streaming: QuerySet[Message], message_id: int) -> bool:
    """A reply whose every attempt died ends as an honest apology, never as silence."""
    reply = Message.objects.select_related("conversation").get(id=message_id)
    text = apology(reply.conversation.language)
    updated = streaming.update(
        status=Message.Status.FAILED,
        text=text,
        route=Message.Route.CANNED,
        fallback_reason="attempts",
        restarts=F("restarts") + 1,
        lease_until=None,
        updated_at=timezone.now(),
    )
    if updated != 1:
        return False
    logger.warning("reply %s failed %s attempts; it ends as an apology", message_id, reply.attempt)
    observe_reply(
        route=Message.Route.CANNED, fallback_reason="attempts", status="failed", ttft_ms=None
    )
    realtime.publish(
        reply.conversation.uuid.hex,
        realtime.reply_restart(message_id, "attempts"),
        realtime.reply_end(message_id, text, Message.Route.CANNED, None),
    )
    return True


def _streaming() -> QuerySet[Message]:
    return replies_in(Message.Status.STREAMING)


def _pending() -> QuerySet[Message]:
    return replies_in(Message.Status.PENDING)
