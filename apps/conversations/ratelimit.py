"""Rate limits on what a customer's socket sends, shared by every web process via Redis.

The counting is the ``limits`` library's (fixed windows, Redis storage, asyncio). Each
action is counted per session and per client IP, since sessions are free to mint; the
first limit that is full refuses it and says when to try again. While Redis is
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

from django.conf import settings
from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter

from apps.config.redis_client import COMMAND_TIMEOUT_S

logger = logging.getLogger(__name__)

_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FixedWindowRateLimiter] = (
    weakref.WeakKeyDictionary()
)


def _limiter() -> FixedWindowRateLimiter:
    """The running event loop's limiter (a Redis pool cannot cross loops)."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        storage = RedisStorage(
            f"async+{settings.REDIS_URL}",
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix=f"{settings.CELERY_KEY_PREFIX}surgedesk:limits",
            socket_timeout=COMMAND_TIMEOUT_S,
            socket_connect_timeout=COMMAND_TIMEOUT_S,
        )
        limiter = _limiters[loop] = FixedWindowRateLimiter(storage)
    return limiter


def _rate(action: str, scope: str) -> RateLimitItem:
    return parse(settings.CHAT_RATE_LIMITS[action][scope])


async def retry_after(action: str, *, session: str, ip: str) -> int | None:
    """Count one ``action`` (``message``, ``resume``, ``handoff``) for this session and
    client IP: None when it may go ahead, else the whole seconds until it may."""
    limiter = _limiter()
    for scope, identity in (("session", session), ("ip", ip)):
        item = _rate(action, scope)
        try:
            if await limiter.hit(item, action, scope, identity):
                continue
            stats = await limiter.get_window_stats(item, action, scope, identity)
        except Exception:  # limits' StorageError: Redis away, or slow
            logger.warning("rate limit unchecked: Redis unreachable")
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))
    return None


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
