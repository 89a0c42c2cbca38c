"""channels-redis's core layer, with a ``receive`` that outlives a Redis outage.

The stock layer raises from ``receive`` when Redis goes away, which ends the consumer and
closes its websocket with 1011. Here a consumer's ``receive`` waits for Redis to answer
again instead, then hands the consumer one ``layer.reconnected`` message: Redis may have
restarted empty, so group memberships and undelivered events may be gone, and the
consumer re-joins its groups and replays from Postgres (the truth) what changed since
``since``. Every consumer on this layer handles that message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from typing import Any

import redis
from channels_redis.core import RedisChannelLayer

logger = logging.getLogger(__name__)

RECONNECTED = "layer.reconnected"
PROBE_INTERVAL_S = (0.1, 0.2, 0.5, 1.0)
# Events published just before the failure was noticed may be lost too.
SINCE_MARGIN_S = 2.0

REDIS_DOWN = (redis.RedisError, OSError)
# Each failed try drops one stale pooled connection, and a pool may hold one per socket
# that joined at once: a socket that gave up early stayed out of its group, silent.
JOIN_RETRY_S = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)


def _unless_cancelled(exc: BaseException) -> None:
    """redis-py may report a cancelled command as a connection error: a consumer being
    shut down must end, not wait for Redis."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc


class ReconnectingRedisChannelLayer(RedisChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recoveries: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Task[None]
        ] = weakref.WeakKeyDictionary()
        # Each outage this process noticed is an epoch, with the time it began. A channel
        # that was busy while another noticed it (so its own receive never failed) is
        # still behind: its next receive gets ``layer.reconnected`` all the same.
        self._outages: list[float] = []
        self._epoch_of: dict[str, int] = {}

    async def new_channel(self, prefix: str = "specific.") -> str:
        channel: str = await super().new_channel(prefix)
        self._epoch_of[channel] = len(self._outages)
        return channel

    async def drop_loop_connections(self) -> None:
        """Close this event loop's pooled connections (they may lead to a Redis that has
        restarted); other loops' connections, and any receive on them, are untouched."""
        loop_layer = self._layers.get(asyncio.get_running_loop())  # channels-redis's own
        if loop_layer is not None:
            await loop_layer.flush()

    def forget(self, channel: str) -> None:
        """The channel's consumer ended."""
        self._epoch_of.pop(channel, None)

    async def receive(self, channel: str) -> dict[str, Any]:
        epoch = self._epoch_of.get(channel, len(self._outages))
        if epoch < len(self._outages):
            return self._reconnected(channel, since=self._outages[epoch])
        try:
            return await super().receive(channel)
        except REDIS_DOWN as exc:
            _unless_cancelled(exc)
            logger.warning("channel layer lost Redis (%r); waiting for it", exc)
            await asyncio.shield(self._wait_for_redis())
        # A channel made while Redis was already away has the current outage's epoch.
        return self._reconnected(channel, since=self._outages[min(epoch, len(self._outages) - 1)])

    def _reconnected(self, channel: str, *, since: float) -> dict[str, Any]:
        self._epoch_of[channel] = len(self._outages)
        return {"type": RECONNECTED, "since": since - SINCE_MARGIN_S}

    def _wait_for_redis(self) -> asyncio.Task[None]:
        """One probe per event loop, however many consumers wait on it."""
        loop = asyncio.get_running_loop()
        recovery = self._recoveries.get(loop)
        if recovery is None or recovery.done():
            self._outages.append(time.time())
            recovery = self._recoveries[loop] = loop.create_task(self._probe_until_up())
        return recovery

    async def _probe_until_up(self) -> None:
        attempt = 0
        while True:
            try:
                await self.connection(0).ping()
            except REDIS_DOWN as exc:
                _unless_cancelled(exc)
                await asyncio.sleep(PROBE_INTERVAL_S[min(attempt, len(PROBE_INTERVAL_S) - 1)])
                attempt += 1
                continue
            logger.info("channel layer reached Redis again")
            return


class RejoinsGroups:
    """Consumer mixin: joins groups so that a Redis outage neither kills the consumer nor
    leaves it outside its groups. ``resync(since)`` replays what the socket may have missed.
    """

    channel_layer: Any
    channel_name: str

    def _joined(self) -> set[str]:
        if not hasattr(self, "_groups_joined"):
            self._groups_joined: set[str] = set()
        return self._groups_joined

    async def join_group(self, group: str) -> None:
        """Join ``group``; while Redis is down, the join happens once it is back.

        Right after a Redis restart the pool still holds connections to the old server:
        each failed try drops one, so a few quick tries get through.
        """
        self._joined().add(group)
        for delay_s in JOIN_RETRY_S:
            try:
                await self.channel_layer.group_add(group, self.channel_name)
                return
            except REDIS_DOWN as exc:
                failure = exc
            await asyncio.sleep(delay_s)
        logger.warning("could not join %s yet (%r)", group, failure)

    async def leave_group(self, group: str) -> None:
        self._joined().discard(group)
        # Left behind while Redis is down, a membership expires on its own (group_expiry).
        with contextlib.suppress(*REDIS_DOWN):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        try:
            await super().websocket_disconnect(message)  # type: ignore[misc]
        finally:
            forget = getattr(self.channel_layer, "forget", None)
            if forget is not None:  # the in-memory layer of some tests has none
                forget(self.channel_name)

    async def layer_reconnected(self, message: dict[str, Any]) -> None:
        for group in self._joined():
            await self.join_group(group)
        try:
            await self.resync(message["since"])
        except Exception:  # Postgres away too: the client's own resume catches up later
            logger.warning("resync after a Redis outage failed", exc_info=True)

    async def resync(self, since: float) -> None:
        raise NotImplementedError
