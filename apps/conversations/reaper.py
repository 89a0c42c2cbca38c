"""The reaper: a thread in every reply worker that queues again the replies nobody is writing.

Every reply worker runs one, so replies are recovered as long as any of them lives, with no
process of its own to deploy; sweeps are conditional UPDATEs, so they never collide.

While the broker is down (Redis away), a reply that cannot be queued is written right
here instead, a few at a time: Postgres and the model still work, and the customer's
socket replays the answer from Postgres once Redis is back.

It also keeps the line's mirror in Redis (``admission``) true to Postgres.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection

from apps.config.redis_client import redis_run_id
from apps.conversations.leases import line_resync, replies_reap
from apps.conversations.replies import reply_generate

logger = logging.getLogger(__name__)


class WriteHere:
    """Writes replies in this worker's own threads, at most ``slots`` at once."""

    def __init__(self, slots: int) -> None:
        self._slots = threading.BoundedSemaphore(slots)

    def __call__(self, message_id: int) -> bool:
        if not self._slots.acquire(blocking=False):
            return False
        threading.Thread(target=self._write, args=(message_id,), daemon=True).start()
        return True

    def _write(self, message_id: int) -> None:
        try:
            reply_generate(message_id=message_id)
        except Exception:  # its lease runs out, and the reply is written again
            logger.exception("reply %s failed while the broker was down", message_id)
        finally:
            connection.close()
            self._slots.release()


class Reaper:
    def __init__(self, interval_s: float, write_here: WriteHere | None = None) -> None:
        self.interval_s = interval_s
        self.write_here = write_here
        self._here_first_until = 0.0
        self._run_id: str | None = None
        self._line_checked_at = 0.0
        self._thread = threading.Thread(target=self._loop, name="reply-reaper", daemon=True)

    def start(self) -> Reaper:
        self._thread.start()
        return self

    def sweep(self) -> int:
        if restarted := self._redis_restarted():
            self._here_first_until = time.monotonic() + BROKER_SETTLE_S
        if restarted or time.monotonic() >= self._line_checked_at + LINE_RECONCILE_S:
            self._line_checked_at = time.monotonic()
            if fixed := line_resync():
                logger.info("the line's mirror in Redis had %s replies wrong", fixed)
        return replies_reap(
            every_pending=restarted,
            write_here=self.write_here,
            here_first=time.monotonic() < self._here_first_until,
        )

    def _redis_restarted(self) -> bool:
        run_id = redis_run_id()
        if run_id is None:
            return False
        restarted = self._run_id is not None and run_id != self._run_id
        self._run_id = run_id
        if restarted:
            logger.warning("Redis restarted; queueing every pending reply again")
        return restarted

    def _loop(self) -> None:
        """Until the worker exits (a daemon thread)."""
        while True:
            time.sleep(self.interval_s)
            try:
                close_old_connections()  # a connection broken by a Postgres blip is replaced
                if requeued := self.sweep():
                    logger.info("reaper queued %s replies again", requeued)
            except Exception:  # Postgres or Redis away: the next sweep tries again
                logger.warning("reaper sweep failed", exc_info=True)


# Replies one worker writes by itself while the broker is down.
WRITE_HERE_SLOTS = 4
# After a Redis restart, Celery's consumers take seconds to reconnect (their retry waits
# 2 s, then 4 s): replies found lost meanwhile are written here first.
BROKER_SETTLE_S = 10.0
# How often the line's mirror in Redis (``admission``) is compared with Postgres.
LINE_RECONCILE_S = 5.0


def start_reaper() -> Reaper:
    return Reaper(settings.REAPER_INTERVAL_S, WriteHere(WRITE_HERE_SLOTS)).start()
