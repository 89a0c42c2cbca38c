"""The channel layer outlives a Redis restart: every channel is told, once, to re-join its
groups, also one whose consumer was busy while Redis was away; then messages flow again."""

from __future__ import annotations

import asyncio

from apps.config.channel_layer import RECONNECTED, ReconnectingRedisChannelLayer
from apps.config.redis_client import channel_layer_hosts


async def test_every_channel_hears_of_a_redis_restart_once(private_redis):
    layer = ReconnectingRedisChannelLayer(hosts=channel_layer_hosts(private_redis.url))
    waiting, busy = await layer.new_channel(), await layer.new_channel()
    receiving = asyncio.ensure_future(layer.receive(waiting))
    await asyncio.sleep(0.2)

    await asyncio.to_thread(private_redis.restart, 1.0)
    reconnected = await asyncio.wait_for(receiving, 10)
    assert reconnected["type"] == RECONNECTED
    # ``busy`` never failed a receive of its own; it is behind all the same.
    assert (await asyncio.wait_for(layer.receive(busy), 5))["type"] == RECONNECTED

    await layer.group_add("customers", busy)
    await layer.group_send("customers", {"type": "chat.event", "n": 1})
    assert await asyncio.wait_for(layer.receive(busy), 5) == {"type": "chat.event", "n": 1}
    await layer.flush()
