"""Reading the routing flags from any process, cheaply, and seeing changes without a restart.

Each process keeps the last snapshot it read. A write bumps a version key in Redis
(``flags_bump_version``); readers compare that one small key before trusting their copy,
so a change reaches every worker on its next message. If Redis cannot be reached the
copy is trusted for ``OPS_FLAGS_TTL_S`` seconds, then re-read from Postgres.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.db import DatabaseError

from apps.config.redis_client import shared_redis
from apps.ops.hours import BusinessHours
from apps.ops.vocabulary import KILLABLE_ROUTES, Mode, Route

logger = logging.getLogger(__name__)

VERSION_KEY = "surgedesk:ops:flags:version"


@dataclass(frozen=True)
class Flags:
    """A plain snapshot of the routing flags: what the router and deadlines need."""

    mode: str = Mode.AUTO
    killed: frozenset[str] = frozenset()
    default_backend: str = Route.LOCAL
    local_keywords: tuple[str, ...] = ()
    cloud_keywords: tuple[str, ...] = ()
    complaint_min_turns: int = 2
    long_message_chars: int = 280
    max_tokens: int = 160
    ttft_deadline_ms: int = 3000
    total_deadline_ms: int = 20000
    surge_queue_depth: int = 16
    admission_control: bool = True
    escalation_negative_streak: int = 2
    escalation_strong_negative: float = -0.75
    ai_helps_while_waiting: bool = True
    business_hours: BusinessHours = field(default_factory=BusinessHours)


@dataclass
class _Cached:
    flags: Flags
    version: bytes | None
    loaded_at: float


_lock = threading.Lock()
_cached: _Cached | None = None


def current_flags() -> Flags:
    """The live flags; a database error yields the last good copy (or the defaults)."""
    global _cached
    version = _read_version()
    cached = _cached
    if cached is not None and _still_fresh(cached, version):
        return cached.flags
    try:
        flags = _load_flags()
    except DatabaseError:
        logger.warning("routing flags unreadable; using the last known copy", exc_info=True)
        return cached.flags if cached is not None else Flags()
    with _lock:
        _cached = _Cached(flags=flags, version=version, loaded_at=time.monotonic())
    return flags


def loaded_flags(version: bytes | None) -> Flags | None:
    """The flags this process loaded, if ``version`` says they are still the live ones;
    None when none are loaded or they changed since. For a caller that must not wait on
    Postgres: ``version`` is its own read of ``VERSION_KEY``, through ``version_of`` (None:
    Redis unreachable), in a round trip it makes anyway."""
    cached = _cached
    if cached is None or not _still_fresh(cached, version):
        return None
    return cached.flags


def flags_bump_version() -> None:
    """Tell every process its copy is stale. Call after the write commits."""
    try:
        shared_redis(timeout_s=0.5).incr(VERSION_KEY)
    except redis.RedisError:
        logger.warning("could not bump the flags version; workers see it within the TTL")
    forget_cached_flags()


def forget_cached_flags() -> None:
    global _cached
    with _lock:
        _cached = None


def _still_fresh(cached: _Cached, version: bytes | None) -> bool:
    if version is not None:
        return cached.version == version
    return time.monotonic() - cached.loaded_at < settings.OPS_FLAGS_TTL_S


def _read_version() -> bytes | None:
    """The version key, or None when Redis is unreachable. A missing key reads as b"0"."""
    try:
        return version_of(shared_redis(timeout_s=0.5).get(VERSION_KEY))  # type: ignore[arg-type]
    except redis.RedisError:
        return None


def version_of(raw: bytes | None) -> bytes:
    """The version key's value as read (bytes: a raw client); a missing key reads as b"0"."""
    return raw if isinstance(raw, bytes) and raw else b"0"


def _load_flags() -> Flags:
    from apps.ops.models import RoutingFlags, split_keywords

    row = RoutingFlags.objects.filter(pk=1).first() or RoutingFlags()
    killed = {route for route in KILLABLE_ROUTES if getattr(row, f"kill_{route}")}
    return Flags(
        mode=row.mode,
        killed=frozenset(killed),
        default_backend=row.default_backend,
        local_keywords=split_keywords(row.local_keywords),
        cloud_keywords=split_keywords(row.cloud_keywords),
        complaint_min_turns=row.complaint_min_turns,
        long_message_chars=row.long_message_chars,
        max_tokens=row.max_tokens,
        ttft_deadline_ms=row.ttft_deadline_ms,
        total_deadline_ms=row.total_deadline_ms,
        surge_queue_depth=row.surge_queue_depth,
        admission_control=row.admission_control,
        escalation_negative_streak=row.escalation_negative_streak,
        escalation_strong_negative=row.escalation_strong_negative,
        ai_helps_while_waiting=row.ai_helps_while_waiting,
        business_hours=row.business_hours(),
    )
