"""Writing one AI reply: claim it, stream it to the conversation, persist it, end it once.

The reply's worker holds a lease on it (``leases``) and renews it while it writes. If
the worker dies, the lease runs out and another worker writes the reply from the start.
If the worker is told to stop (SIGTERM), it lets the reply finish within
``WORKER_DRAIN_S`` and then hands it to another worker the same way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.config.logs import log_context
from apps.conversations import realtime
from apps.conversations.admission import line_depth, line_finished
from apps.conversations.cancellation import is_cancel_requested
from apps.conversations.leases import (
    Claim,
    lease_renew,
    reply_claim,
    reply_enqueue,
    reply_hand_back,
)
from apps.conversations.models import Message
from apps.conversations.selectors import history_for_reply
from apps.inference.service import ReplyOutcome, ReplyStream, Restart, stream_reply
from apps.ops.counters import observe_reply

logger = logging.getLogger(__name__)


def reply_generate(*, message_id: int) -> None:
    """Claim a queued reply and write it; a reply not (or no longer) queued is skipped.

    A worker that is stopping takes no new reply: Celery still hands it tasks while it
    drains, and one it took would only be handed back at the drain bound (it once took
    back the very reply it had just handed back). The task goes back to the queue.
    """
    if draining():
        logger.info("draining: reply %s goes back to the queue for another worker", message_id)
        reply_enqueue(message_id)
        return
    claim = reply_claim(message_id=message_id)
    if claim is None:
        logger.info("reply %s already claimed or gone; skipping", message_id)
        return
    with log_context(conversation_id=claim.reply.conversation_id, message_id=message_id):
        _ReplyWriter(claim).run()


# -- draining on SIGTERM -------------------------------------------------------------

_drain_deadline: float | None = None


def drain_begin(bound_s: float) -> None:
    """This worker stops: replies in flight get ``bound_s`` more seconds, then go back."""
    global _drain_deadline
    _drain_deadline = time.monotonic() + bound_s
    logger.info("draining: replies in flight get %.1f s to finish", bound_s)


def draining() -> bool:
    return _drain_deadline is not None


def drain_due() -> bool:
    return _drain_deadline is not None and time.monotonic() >= _drain_deadline


class ReplyWatch:
    """One thread beside each reply being written, ticking every ``TICK_S``: it renews the
    reply's lease, and stops the stream when staff cancelled the reply (a Redis signal,
    noticed within a tick even while a slow backend sends nothing), when the reply is
    another attempt's now (``lost``) or when the worker's drain bound passed (``drained``).
    """

    TICK_S = 0.1

    def __init__(self, claim: Claim, group: str, stop_stream: Callable[[], None]) -> None:
        self.claim = claim
        self.group = group
        self.stop_stream = stop_stream
        self.lost = False
        self.drained = False
        self._renew_every_s = settings.REPLY_LEASE_S / 4
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, name="reply-watch", daemon=True)

    def __enter__(self) -> ReplyWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _keep(self) -> None:
        try:
            self._watch_until_stopped()
        finally:
            connection.close()  # this thread's own connection

    def _watch_until_stopped(self) -> None:
        renewed_at = time.monotonic()
        while not self._stop.wait(self.TICK_S):
            if is_cancel_requested(self.group, self.claim.reply.id):
                self.stop_stream()
                return
            if drain_due():
                self.drained = True
                self.stop_stream()
                return
            if time.monotonic() - renewed_at >= self._renew_every_s:
                if not self._renew():
                    self.lost = True
                    self.stop_stream()
                    return
                renewed_at = time.monotonic()

    def _renew(self) -> bool:
        try:
            return lease_renew(self.claim)
        except Exception:  # Postgres away: keep writing; the lease has slack for a blip
            logger.warning("lease renewal failed for reply %s", self.claim.reply.id)
            return True


class _ReplyWriter:
    """Streams one reply: coalesces deltas, checkpoints text, then publishes it.

    Each checkpoint writes the text to Postgres and publishes it inside one transaction
    that holds the reply's row lock. A client that resumes from the database therefore
    never misses what it would have seen live, and a takeover (which locks the row to
    cancel it) is ordered after every delta published before it and before none after.
    Every write is conditional on the reply still being this attempt's: a checkpoint that
    finds it cancelled, or taken over by another attempt, stops generation.
    """

    def __init__(self, claim: Claim) -> None:
        self.claim = claim
        self.reply = claim.reply
        self.group = self.reply.conversation.uuid.hex
        self.text = ""
        self.pending = ""
        self.last_flush = 0.0
        self.flush_s = settings.REPLY_FLUSH_MS / 1000

    def run(self) -> None:
        realtime.publish(self.group, realtime.reply_start(self.reply.id, self.reply.reply_to_id))
        stream = stream_reply(
            history_for_reply(self.reply),
            cache_key=self.group,
            conversation_status=self.reply.conversation.status,
            queue_depth=line_depth(),
        )
        with ReplyWatch(self.claim, self.group, stream.cancel) as watch:
            try:
                completed = self._relay(stream)
            except Exception:
                logger.exception("reply %s failed; handing it to another attempt", self.reply.id)
                self._hand_back()
                raise
        if watch.drained:
            logger.info("reply %s unfinished at the drain bound; handing it back", self.reply.id)
            self._hand_back()
        elif completed and not watch.lost:
            self._finish(stream)

    def _relay(self, stream: ReplyStream) -> bool:
        """Forward the stream; False once the reply turns out to be cancelled."""
        for delta in stream:
            if isinstance(delta, Restart):
                self.text = self.pending = ""
                event = realtime.reply_restart(self.reply.id, delta.reason)
                if not self._checkpoint(event, restarted=True):
                    stream.cancel()
                    return False
                continue
            self.pending += delta
            due = not self.text or time.monotonic() - self.last_flush >= self.flush_s
            if due and not self._flush():
                stream.cancel()
                return False
        return not self.pending or self._flush()

    def _flush(self) -> bool:
        text = self.text + self.pending
        if not self._checkpoint(realtime.reply_delta(self.reply.id, len(text), self.pending)):
            return False
        self.text, self.pending = text, ""
        self.last_flush = time.monotonic()
        return True

    def _checkpoint(
        self,
        event: realtime.ServerEvent,
        *,
        final: bool = False,
        restarted: bool = False,
        **fields: object,
    ) -> bool:
        if restarted:
            fields["restarts"] = self.reply.restarts = self.reply.restarts + 1
        with transaction.atomic():
            updated = Message.objects.filter(
                id=self.reply.id, status=Message.Status.STREAMING, attempt=self.claim.attempt
            ).update(text=self.text + self.pending, updated_at=timezone.now(), **fields)
            if updated == 1 and not final:
                realtime.publish(self.group, event)
        if updated == 1 and final:  # once committed, so the row already says what it says
            realtime.publish(self.group, event)
        return updated == 1

    def _hand_back(self) -> None:
        try:
            reply_hand_back(self.claim)
        except Exception:  # Postgres away: the lease runs out and the reaper does it
            logger.warning("could not hand reply %s back", self.reply.id, exc_info=True)

    def _finish(self, stream: ReplyStream) -> None:
        outcome = stream.outcome
        text = self.text + self.pending
        line_finished(None if outcome.ttft_ms is None else outcome.ttft_ms / 1000)
        observe_done(outcome, self.reply)
        self._checkpoint(
            realtime.reply_end(self.reply.id, text, outcome.route, outcome.ttft_ms),
            final=True,
            **done_fields(outcome),
        )


def observe_done(outcome: ReplyOutcome, reply: Message) -> None:
    """Count a reply that ended well, and log it: its ids and figures, never its text."""
    logger.info(
        "reply finished",
        extra={
            "conversation_id": reply.conversation_id,
            "message_id": reply.id,
            "route": outcome.route,
            "fallback_reason": outcome.fallback_reason,
            "ttft_ms": outcome.ttft_ms,
            "total_ms": outcome.total_ms,
        },
    )
    observe_reply(
        route=outcome.route,
        fallback_reason=outcome.fallback_reason,
        status=Message.Status.DONE,
        ttft_ms=outcome.ttft_ms,
    )


def done_fields(outcome: ReplyOutcome) -> dict[str, Any]:
    """What the row of a reply finished with ``outcome`` records."""
    return {
        "status": Message.Status.DONE,
        "route": outcome.route,
        "model_name": outcome.model_name,
        "fallback_reason": outcome.fallback_reason,
        "held_reason": outcome.held_reason,
        "finish_reason": outcome.finish_reason,
        "grounded_on": list(outcome.grounded_on),
        "ttft_ms": outcome.ttft_ms,
        "total_ms": outcome.total_ms,
        "tokens_in": outcome.tokens_in,
        "tokens_out": outcome.tokens_out,
        "lease_until": None,
    }
