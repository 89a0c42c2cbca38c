"""Rate limits on what customers do, shared by every web process via Redis.

The counting is the ``limits`` library's (fixed windows, Redis storage; asyncio for the
socket, sync for views). Each action (a frame type, a socket open, a new session) is
counted per session, per client IP, since sessions are free to mint, and, for handoffs,
over all sessions at once; the first limit that is full refuses it and says when to try
again. While Redis is
unreachable nothing is refused: refusing every customer because a counter store is down
would be the outage we exist to avoid.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
import weakref
from functools import lru_cache
from typing import Any

import limits.storage
import limits.strategies
from django.conf import settings
from django.http import HttpRequest
from limits import RateLimitItem, WindowStats, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter

from apps.config.redis_client import COMMAND_TIMEOUT_S, shared_async_redis

logger = logging.getLogger(__name__)

_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FixedWindowRateLimiter] = (
    weakref.WeakKeyDictionary()
)


def _limiter() -> FixedWindowRateLimiter:
    """The running event loop's limiter (a Redis pool cannot cross loops)."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        # The loop's own few connections (``shared_async_redis``); limits types its
        # options as scalars, but hands a pool to redis-py as documented.
        storage = RedisStorage(
            f"async+{settings.REDIS_URL}",
            implementation="redispy",
            connection_pool=shared_async_redis().connection_pool,  # type: ignore[arg-type]
            wrap_exceptions=True,
            key_prefix=_key_prefix(settings.CELERY_KEY_PREFIX),
        )
        limiter = _limiters[loop] = FixedWindowRateLimiter(storage)
    return limiter


def _sync_limiter() -> limits.strategies.FixedWindowRateLimiter:
    return _sync_limiter_on(settings.REDIS_URL, settings.CELERY_KEY_PREFIX)


@lru_cache(maxsize=8)
def _sync_limiter_on(url: str, prefix: str) -> limits.strategies.FixedWindowRateLimiter:
    """One Redis pool per Redis, not one per request."""
    storage = limits.storage.RedisStorage(url, **_storage_options(prefix))
    return limits.strategies.FixedWindowRateLimiter(storage)


def _key_prefix(prefix: str) -> str:
    return f"{prefix}surgedesk:limits"


def _storage_options(prefix: str) -> dict[str, Any]:
    return {
        "wrap_exceptions": True,
        "key_prefix": _key_prefix(prefix),
        "socket_timeout": COMMAND_TIMEOUT_S,
        "socket_connect_timeout": COMMAND_TIMEOUT_S,
    }


def _windows(action: str, *, session: str, ip: str) -> list[tuple[RateLimitItem, str, str]]:
    """The action's limits with the identity each counts: this session, this address, or
    every session at once (``global``)."""
    identities = {"session": session, "ip": ip, "global": "all"}
    rates = settings.CHAT_RATE_LIMITS[action]
    return [(parse(rate), scope, identities[scope]) for scope, rate in rates.items()]


def _seconds_until(stats: WindowStats) -> int:
    return max(1, math.ceil(stats.reset_time - time.time()))


async def retry_after(action: str, *, session: str = "", ip: str) -> int | None:
    """Count one ``action`` (a frame type, ``socket`` or ``session``; see
    ``CHAT_RATE_LIMITS``) against each of its limits: None when it may go ahead, else the
    whole seconds until it may."""
    windows: list[tuple[RateLimitItem, tuple[str, ...]]] = [
        (item, (action, scope, identity))
        for item, scope, identity in _windows(action, session=session, ip=ip)
    ]
    return await _first_full(windows)


async def retry_after_rate(rate: str, *names: str) -> int | None:
    """``retry_after`` for a limit that is no customer action's: one ``rate`` (``limits``
    notation, e.g. an API key's own ``"60/minute"``) counted under ``names``."""
    return await _first_full([(parse(rate), names)])


async def _first_full(windows: list[tuple[RateLimitItem, tuple[str, ...]]]) -> int | None:
    """Count one hit in each window, in order: the whole seconds until the first full one
    has room again, or None when none is full."""
    limiter = _limiter()
    try:
        for item, names in windows:
            if not await limiter.hit(item, *names):
                return _seconds_until(await limiter.get_window_stats(item, *names))
    except Exception:  # limits' StorageError: Redis away, or slow
        logger.warning("rate limit unchecked: Redis unreachable")
    return None


def retry_after_sync(action: str, *, ip: str) -> int | None:
    """``retry_after`` for a view; the same counters, through ``limits``' sync API."""
    limiter = _sync_limiter()
    try:
        for item, scope, identity in _windows(action, session="", ip=ip):
            if not limiter.hit(item, action, scope, identity):
                return _seconds_until(limiter.get_window_stats(item, action, scope, identity))
    except Exception:  # limits' StorageError: Redis away, or slow
        logger.warning("rate limit unchecked: Redis unreachable")
    return None


def request_client_ip(request: HttpRequest) -> str | None:
    """``client_ip`` of an HTTP request (the chat page, staff logins); None for a request
    made in code, with no peer (``force_login``)."""
    peer = request.META.get("REMOTE_ADDR")
    return client_ip(peer, request.headers.get("X-Forwarded-For")) if peer else None


def client_ip(peer: str | None, forwarded_for: str | None) -> str:
    """The visitor's address: the peer's, unless the peer is a trusted proxy, in which case
    the nearest ``X-Forwarded-For`` address that is no trusted proxy (a client can write
    anything at the far end of that header, never at the near end)."""
    trusted = settings.TRUSTED_PROXIES
    address = peer or "unknown"
    if not forwarded_for or not _is_trusted(address, trusted):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        if hop and not _is_trusted(hop, trusted):
            return hop
    return address


def _is_trusted(address: str, trusted: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in trusted)
