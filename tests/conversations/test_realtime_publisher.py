"""The publisher of sync code, on the real channel layer (channels-redis on the suite's Redis).

Several events published together travel as one layer message per group.

Sends that nobody waits for (staff pings, queue changes, the edge's answers) come in a
burst on a surge's night. Each one in flight holds a connection of the publisher loop's
pool, so unbounded they opened one Redis connection apiece: 400 for 200 publishes here.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from urllib.parse import urlparse

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from apps.conversations import realtime

BURST = 200


def connections_to(port: int) -> int:
    """Open TCP connections from this process to ``port`` (its sockets in /proc)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with open(table) as rows:
            next(rows)  # the header
            for row in rows:
                fields = row.split()
                established = fields[3] == "01"
                if established and int(fields[2].rsplit(":", 1)[1], 16) == port:
                    count += fields[9] in inodes
    return count


def test_a_burst_of_unwaited_publishes_shares_a_few_redis_connections():
    port = urlparse(settings.REDIS_URL).port or 6379
    realtime.publish(uuid.uuid4().hex, realtime.notice("queued", "warm"))  # the loop is up
    before = connections_to(port)

    for _ in range(BURST):
        realtime.publish(uuid.uuid4().hex, realtime.notice("queued", "in line"), wait=False)
    time.sleep(1.0)  # for the burst to go out (a fraction of that here)

    opened = connections_to(port) - before
    # Each of the few sends in flight at once reaches two groups: a connection each.
    assert opened <= 2 * 8 + 4, opened


def test_several_events_go_to_each_group_as_one_layer_message_in_order():
    # A reply answered whole at the edge is three events: one message per group, not
    # three, each of which costs the layer a round trip or four.
    layer = get_channel_layer()
    hex_id = uuid.uuid4().hex
    customer, staff = (async_to_sync(layer.new_channel)() for _ in range(2))
    async_to_sync(layer.group_add)(realtime.conversation_group(hex_id), customer)
    async_to_sync(layer.group_add)(realtime.staff_conversation_group(hex_id), staff)
    events = (
        realtime.reply_start(7, 6),
        realtime.reply_delta(7, 3, "Yes"),
        realtime.reply_end(7, "Yes", "faq", 4),
    )
    realtime.publish(hex_id, *events)
    realtime.publish(hex_id, realtime.notice("handoff", "A person is coming."))

    async def two_messages(channel: str) -> list[dict]:
        return [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(2)]

    for channel in (customer, staff):
        batch, single = async_to_sync(two_messages)(channel)
        assert batch["type"] == realtime.GROUP_EVENTS_TYPE
        assert realtime.events_in(batch) == list(events)
        assert single["type"] == realtime.GROUP_EVENT_TYPE
        assert realtime.events_in(single) == [realtime.notice("handoff", "A person is coming.")]
