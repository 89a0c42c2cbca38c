"""Per-minute rollups of what the desk does, written as it happens, for the ops dashboard.

Web and worker processes sum their events in memory, and a thread of each writes them
every ``FLUSH_S`` in one pipelined round trip (on a surge a message records two or three
events, and a round trip apiece sat on the thread storing it). A reader flushes its own
process first; other processes' events show within ``FLUSH_S``. Each minute has two keys
that live ``ROLLUP_TTL_S`` (over a day, so the 24 h plot is whole):

- a hash of counts: ``reply:<route>``, ``fallback:<reason>``, ``ttft:<bucket>`` (a TTFT
  histogram, so percentiles can be taken over any run of minutes), ``sentiment:<label>``,
  ``handoff:<reason>``; and of the last value a gauge took in the minute, ``last:<gauge>``;
- a sorted set of the highest value each gauge reached in the minute (``ZADD GT``):
  ``queue_depth``, ``queue_wait_ms``, ``waiting_human``, ``breaker:<backend>``.

Rollups are for eyes, never the truth (Postgres is): a Redis error loses the events of that
flush and is logged (a process killed between flushes loses its last ones), and the caller
never waits. They read no app, so every floor may record.
"""

from __future__ import annotations

import atexit
import bisect
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import redis
from django.conf import settings

from apps.config.redis_client import shared_redis

logger = logging.getLogger(__name__)

ROLLUP_TTL_S = 26 * 3600
MINUTE_S = 60
FLUSH_S = 0.5
# Upper bounds (ms) of the TTFT histogram's buckets; a last one, "inf", takes the rest.
TTFT_BUCKETS_MS: tuple[int, ...] = (
    25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 20000,
)  # fmt: skip
# A breaker's state as a level, so the worst state of a minute is its highest.
BREAKER_LEVELS = {"closed": 0, "half-open": 1, "open": 2}


def _key(minute: int) -> str:
    # Live stacks and deployments sharing one Redis db keep apart, as the broker does.
    return f"{settings.CELERY_KEY_PREFIX}surgedesk:rollup:{minute}"


def _peak_key(minute: int) -> str:
    return _peak_key_of(_key(minute))


def _peak_key_of(key: str) -> str:
    return key + ":peak"


def minute_of(at: float) -> int:
    """The minute (epoch seconds at its start) that ``at`` falls in."""
    return int(at // MINUTE_S) * MINUTE_S


def ttft_bucket(ttft_ms: float) -> str:
    index = bisect.bisect_left(TTFT_BUCKETS_MS, ttft_ms)
    return str(TTFT_BUCKETS_MS[index]) if index < len(TTFT_BUCKETS_MS) else "inf"


def record(
    *,
    counts: Mapping[str, int] | None = None,
    gauges: Mapping[str, float] | None = None,
    at: float | None = None,
) -> None:
    """Add ``counts`` to the current minute and set each of ``gauges`` (its last value and
    its peak in the minute), at this process's next flush."""
    minute = minute_of(time.time() if at is None else at)
    _buffer().add(_key(minute), counts or {}, gauges or {})


def flush() -> None:
    """Write what this process recorded since its last flush, in one round trip."""
    _buffer().flush()


class _Buffer:
    """This process's events since its last flush, keyed by the Redis key they go to (its
    prefix as it was when they happened)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._gauges: dict[tuple[str, str], tuple[float, float]] = {}  # (last, peak)
        threading.Thread(target=self._keep_flushing, name="rollups", daemon=True).start()

    def add(self, key: str, counts: Mapping[str, int], gauges: Mapping[str, float]) -> None:
        with self._lock:
            for name, amount in counts.items():
                self._counts[key, name] += amount
            for name, value in gauges.items():
                _, peak = self._gauges.get((key, name), (value, value))
                self._gauges[key, name] = (value, max(peak, value))

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
            gauges, self._gauges = self._gauges, {}
        if not (counts or gauges):
            return
        pipe = shared_redis().pipeline(transaction=False)
        for (key, name), amount in counts.items():
            pipe.hincrby(key, name, amount)
        for (key, name), (last, peak) in gauges.items():
            pipe.hset(key, f"last:{name}", last)
            pipe.zadd(_peak_key_of(key), {name: peak}, gt=True)
        hashes = {key for key, _ in (*counts, *gauges)}
        for key in (*hashes, *{_peak_key_of(key) for key, _ in gauges}):
            pipe.expire(key, ROLLUP_TTL_S)
        try:
            pipe.execute()
        except redis.RedisError:
            logger.warning("rollups not recorded (Redis unreachable)")

    def _keep_flushing(self) -> None:
        while True:
            time.sleep(FLUSH_S)
            self.flush()


_current: _Buffer | None = None
_current_lock = threading.Lock()


def _buffer() -> _Buffer:
    global _current
    with _current_lock:
        if _current is None:
            _current = _Buffer()
        return _current


def _forget_parents_buffer() -> None:
    # A forked child has its parent's buffer but not its thread; the parent writes those
    # events itself, so the child starts empty (else they would count twice).
    global _current, _current_lock
    _current, _current_lock = None, threading.Lock()


def _flush_at_exit() -> None:
    if _current is not None:  # nothing recorded: no buffer (and no thread) to start now
        _current.flush()


os.register_at_fork(after_in_child=_forget_parents_buffer)
atexit.register(_flush_at_exit)


# -- the events ---------------------------------------------------------------------


def reply_finished(*, route: str, fallback_reason: str, ttft_ms: int | None) -> None:
    counts = {f"reply:{route or 'none'}": 1}
    if fallback_reason:
        counts[f"fallback:{fallback_reason}"] = 1
    if ttft_ms is not None:
        counts[f"ttft:{ttft_bucket(ttft_ms)}"] = 1
    record(counts=counts)


def customer_message(*, sentiment: str) -> None:
    record(counts={f"sentiment:{sentiment or 'none'}": 1})


def handoff(*, reason: str) -> None:
    record(counts={f"handoff:{reason}": 1})


def queue_joined(*, depth: int) -> None:
    record(gauges={"queue_depth": depth})


def reply_taken(*, waited_ms: int, depth: int | None) -> None:
    """A worker took a reply that waited ``waited_ms`` since the customer's message and
    left ``depth`` behind it (None: unknown)."""
    gauges = {"queue_wait_ms": waited_ms}
    if depth is not None:
        gauges["queue_depth"] = depth
    record(gauges=gauges)


def waiting_for_person(*, conversations: int) -> None:
    record(gauges={"waiting_human": conversations})


def breaker_changed(*, backend: str, state: str) -> None:
    record(gauges={f"breaker:{backend}": BREAKER_LEVELS.get(state, 0)})


# -- reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class Minute:
    start: int  # epoch seconds
    counts: dict[str, int] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)
    peaks: dict[str, float] = field(default_factory=dict)


def minutes_between(first: int, last: int) -> list[Minute]:
    """Every minute from ``first`` to ``last`` (minute starts), oldest first, in one round
    trip, after this process's own flush; a minute nothing happened in is empty."""
    flush()
    starts = range(minute_of(first), minute_of(last) + 1, MINUTE_S)
    pipe = shared_redis().pipeline(transaction=False)
    for start in starts:
        pipe.hgetall(_key(start))
        pipe.zrange(_peak_key(start), 0, -1, withscores=True)
    replies = pipe.execute()
    return [
        _minute(start, replies[2 * index], replies[2 * index + 1])
        for index, start in enumerate(starts)
    ]


def _minute(start: int, raw: dict[bytes, bytes], peaks: list[tuple[bytes, float]]) -> Minute:
    counts: dict[str, int] = {}
    last: dict[str, float] = {}
    for name, value in raw.items():
        key = name.decode()
        if key.startswith("last:"):
            last[key.removeprefix("last:")] = float(value)
        else:
            counts[key] = int(value)
    return Minute(start, counts, last, {name.decode(): score for name, score in peaks})
