"""The publisher of sync code, on the real channel layer (channels-redis on the suite's Redis).

Sends that nobody waits for (staff pings, queue changes, the edge's answers) come in a
burst on a surge's night. Each one in flight holds a connection of the publisher loop's
pool, so unbounded they opened one Redis connection apiece: 400 for 200 publishes here.
"""

from __future__ import annotations

import os
import time
import uuid
from urllib.parse import urlparse

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
