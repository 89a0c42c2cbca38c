"""The reaper: a thread in every worker that queues again the replies nobody is writing.

Every worker runs one, so replies are recovered as long as any worker lives, with no
process of its own to deploy; sweeps are conditional UPDATEs, so they never collide.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection

from apps.config.redis_client import redis_run_id
from apps.conversations.leases import replies_reap

logger = logging.getLogger(__name__)


class Reaper:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._run_id: str | None = None
        self._thread = threading.Thread(target=self._loop, name="reply-reaper", daemon=True)

    def start(self) -> Reaper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def sweep(self) -> int:
        return replies_reap(every_pending=self._redis_restarted())

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
        try:
            self._sweep_until_stopped()
        finally:
            connection.close()

    def _sweep_until_stopped(self) -> None:
        while not self._stop.wait(self.interval_s):
            close_old_connections()  # a connection broken by a Postgres blip is replaced
            try:
                if requeued := self.sweep():
                    logger.info("reaper queued %s replies again", requeued)
            except Exception:  # Postgres or Redis away: the next sweep tries again
                logger.warning("reaper sweep failed", exc_info=True)


def start_reaper() -> Reaper:
    return Reaper(settings.REAPER_INTERVAL_S).start()
