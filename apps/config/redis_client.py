"""Every Redis connection SurgeDesk opens, and the timeouts they share.

redis-py 8 defaults ``socket_timeout`` to 5 s. A blocking command that waits as long
(channels-redis's BZPOPMIN waits 5 s, kombu's BRPOP 1 s) then raises ``TimeoutError``
and takes its caller down with it: every idle websocket died within 5-26 s that way.
So blocking clients get a socket timeout well above their blocking wait, and every
client checks a pooled connection's health before reusing it after a quiet spell, which
is also how web and workers find their way back after a Redis restart.

Redis is never the truth here (Postgres is): counters, flags, breakers and signals use
short timeouts and their callers treat a Redis error as "unknown" and carry on.
"""

from __future__ import annotations

import asyncio
import weakref
from functools import lru_cache
from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings

# channels-redis blocks on BZPOPMIN for up to 5 s; kombu on BRPOP for 1 s.
CHANNEL_LAYER_BLOCK_S = 5
SOCKET_TIMEOUT_BLOCKING_S = 15.0
SOCKET_CONNECT_TIMEOUT_S = 2.0
HEALTH_CHECK_INTERVAL_S = 10
# Non-blocking commands on the request path: fail fast, then treat the value as unknown.
COMMAND_TIMEOUT_S = 1.0
# An event loop's commands share a few connections. Unbounded, its pool grew by one for
# each command in flight at a surge's peak, and a new connection costs the loop a connect,
# a handshake and (redis-py 8) a read of the package's metadata from disk: that was a
# third of a surging web process's event loop.
ASYNC_POOL_CONNECTIONS = 16


def channel_layer_hosts(url: str) -> list[dict[str, Any]]:
    """The channels-redis ``hosts`` setting: one host whose reads outlast a BZPOPMIN."""
    return [
        {
            "address": url,
            "socket_timeout": SOCKET_TIMEOUT_BLOCKING_S,
            "socket_connect_timeout": SOCKET_CONNECT_TIMEOUT_S,
            "socket_keepalive": True,
            "health_check_interval": HEALTH_CHECK_INTERVAL_S,
        }
    ]


def broker_transport_options(key_prefix: str) -> dict[str, Any]:
    """kombu's Redis transport options for the Celery broker (BRPOP, publishes)."""
    options: dict[str, Any] = {
        "socket_timeout": SOCKET_TIMEOUT_BLOCKING_S,
        "socket_connect_timeout": SOCKET_CONNECT_TIMEOUT_S,
        "socket_keepalive": True,
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
    }
    if key_prefix:
        options["global_keyprefix"] = key_prefix
    return options


def shared_redis(timeout_s: float = COMMAND_TIMEOUT_S, *, decode: bool = False) -> redis.Redis:
    """This process's client for counters, flags, breakers and signals.

    Replies stay bytes unless ``decode``: pybreaker's Redis storage decodes them itself.
    """
    return _client(settings.REDIS_URL, timeout_s, decode)


@lru_cache(maxsize=8)
def _client(url: str, timeout_s: float, decode: bool) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=decode, **_short_timeouts(timeout_s))


_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


def shared_async_redis() -> aioredis.Redis:
    """The asyncio client of the running event loop (a pool cannot cross loops)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        pool = aioredis.BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            max_connections=ASYNC_POOL_CONNECTIONS,
            timeout=COMMAND_TIMEOUT_S,  # waiting for a free connection counts as slow
            **_short_timeouts(COMMAND_TIMEOUT_S),
        )
        client = _async_clients[loop] = aioredis.Redis(connection_pool=pool)
    return client


def _short_timeouts(timeout_s: float) -> dict[str, Any]:
    return {
        "socket_timeout": timeout_s,
        "socket_connect_timeout": min(timeout_s, SOCKET_CONNECT_TIMEOUT_S),
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
    }


def redis_run_id() -> str | None:
    """Redis's run id, new at every restart (None while unreachable): a restarted Redis
    without persistence has lost the broker's queued tasks."""
    try:
        return str(shared_redis(decode=True).info("server")["run_id"])
    except redis.RedisError:
        return None
