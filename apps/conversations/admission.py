"""Admission control: the line of replies waiting for a worker, as every process sees it.

Postgres says which replies are queued; Redis mirrors the line so that any web process can
read, in one round trip, how long it is, where a reply stands in it and how fast the
workers get through it:

- ``waiting``: a sorted set of the ids of the replies queued for a worker, scored by when
  they joined: the order the broker hands them to workers in;
- ``finished``: when the latest replies were finished, and how long each took from a
  worker taking it to its first token: the measured service rate, and how soon a reply a
  worker takes starts streaming.

With these the edge (``services.reply_admit``) decides, before any worker hop, whether a
new reply can start within its first-token deadline. If it cannot, the edge answers at
once from the FAQ when it is confident, or tells the customer their place and the
honest wait, and streams the reply when its turn comes.

The mirror is best effort. A Redis error reads as an empty line of unknown speed: every
reply is queued, as if there were no admission control. The reaper puts the mirror right
from Postgres (``line_reconcile``) after a Redis restart or a missed update.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from itertools import takewhile
from typing import TypeVar

import redis
import redis.asyncio as aioredis
from django.conf import settings

from apps.config.redis_client import shared_async_redis, shared_redis
from apps.ops import rollups
from apps.ops.flags import Flags

logger = logging.getLogger(__name__)
T = TypeVar("T")

# The service rate is measured over the replies finished in this window...
RATE_WINDOW_S = 10.0
# ...and is unknown until this many were finished in it.
RATE_MIN_SAMPLES = 3
RATE_SAMPLES_KEPT = 256


def _key(name: str) -> str:
    # The line mirrors the broker's queue, so it shares the broker's namespace.
    return f"{settings.CELERY_KEY_PREFIX}surgedesk:line:{name}"


@dataclass(frozen=True)
class Line:
    """The line as measured now."""

    depth: int  # replies waiting for a worker
    rate: float | None  # replies/s the workers finished lately; None when unmeasured
    # Seconds from a worker taking a reply to its first token, for nine in ten lately: a
    # busy model is slow to start even with no line. None when unmeasured.
    start_s: float | None = None

    def wait_s(self, ahead: int) -> float | None:
        """How long until a reply with ``ahead`` replies before it starts streaming."""
        start = self.start_s or 0.0
        if ahead <= 0:
            return start
        return ahead / self.rate + start if self.rate else None


EMPTY = Line(depth=0, rate=None)


@dataclass(frozen=True)
class Place:
    """Where a queued reply stands, in the terms the customer is told."""

    place: int  # 1: the next reply a worker takes
    wait_s: int | None  # whole seconds until a worker starts it; None: not measured yet


@dataclass(frozen=True)
class Admission:
    shortcut: bool  # the reply cannot start within its first-token deadline: FAQ first
    notify: Place | None  # tell the customer their place at once


def admission_for(line: Line, flags: Flags) -> Admission:
    """What the edge does with a new reply that has ``line.depth`` replies before it.

    A reply that would wait past its first-token deadline (or, while the rate is not yet
    measured, a line past the ops surge threshold) tries a confident FAQ answer first. A
    customer who would wait noticeably is told their place at once; while the rate is not
    measured, only once the line is ``QUEUE_NOTICE_AT`` long, so a quiet shop never shows
    a notice for a momentary line of two.
    """
    if not flags.admission_control:
        return Admission(shortcut=False, notify=None)
    wait = line.wait_s(line.depth)
    if wait is None:
        surging = 0 < flags.surge_queue_depth <= line.depth
        notify = line.depth >= settings.QUEUE_NOTICE_AT
    else:
        surging = wait * 1000 > flags.ttft_deadline_ms
        notify = wait >= settings.QUEUE_NOTICE_WAIT_S
    return Admission(shortcut=surging, notify=place_in(line, line.depth) if notify else None)


def place_in(line: Line, ahead: int) -> Place:
    wait = line.wait_s(ahead)
    return Place(place=ahead + 1, wait_s=None if wait is None else math.ceil(wait))


@dataclass(frozen=True)
class Finished:
    """One sample of the workers' pace: a reply a worker finished."""

    at: float  # time.time() when it finished
    start_s: float | None  # from the worker taking it to its first token; None: no text

    def encoded(self) -> str:
        return repr(self.at) if self.start_s is None else f"{self.at!r} {self.start_s!r}"

    @classmethod
    def decoded(cls, raw: bytes) -> Finished:
        at, _, start = raw.partition(b" ")
        return cls(float(at), float(start) if start else None)


def start_from(finished: Iterable[Finished], now: float) -> float | None:
    """The first-token time that nine in ten replies finished in the window stayed within."""
    starts = sorted(
        f.start_s for f in finished if f.start_s is not None and 0 <= now - f.at <= RATE_WINDOW_S
    )
    if len(starts) < RATE_MIN_SAMPLES:
        return None
    return starts[min(len(starts) - 1, math.ceil(0.9 * len(starts)) - 1)]


def rate_from(finished_at: Iterable[float], now: float) -> float | None:
    """Replies/s over the replies finished in the last ``RATE_WINDOW_S``.

    Counted up to ``now``, not to the last finish, so workers that stopped finishing
    (stalled, or gone) read slower the longer they stay silent.
    """
    recent = [t for t in finished_at if 0 <= now - t <= RATE_WINDOW_S]
    if len(recent) < RATE_MIN_SAMPLES:
        return None
    return len(recent) / max(now - min(recent), 1.0)


# -- reads ---------------------------------------------------------------------------


def line_now() -> Line:
    """The line's depth and the workers' measured rate; an empty line without Redis."""
    pipe = shared_redis().pipeline(transaction=False)
    pipe.zcard(_key("waiting"))
    pipe.lrange(_key("finished"), 0, -1)
    try:
        depth, finished = pipe.execute()
    except redis.RedisError:
        logger.warning("line unknown: Redis unreachable")
        return EMPTY
    return _measured(depth, finished)


def line_depth() -> int:
    """How many replies wait for a worker (0 without Redis): the depth alone, without
    reading the rate's samples."""
    try:
        return int(shared_redis().zcard(_key("waiting")))
    except redis.RedisError:
        logger.warning("line unknown: Redis unreachable")
        return 0


def _measured(depth: int, raw_finished: Iterable[bytes]) -> Line:
    """The line from its raw reads: the set's size and the finished replies' samples.

    The samples are newest first (``line_finished`` pushes to the head), so decoding stops
    at the first one older than the window: every message at the edge reads the line, and
    decoding all ``RATE_SAMPLES_KEPT`` was most of that read's cost.
    """
    now = time.time()
    decoded = (Finished.decoded(raw) for raw in raw_finished)
    finished = list(takewhile(lambda f: now - f.at <= RATE_WINDOW_S, decoded))
    return Line(
        depth=int(depth),
        rate=rate_from((f.at for f in finished), now),
        start_s=start_from(finished, now),
    )


def line_ahead_of(reply_id: int) -> int | None:
    """How many queued replies a worker takes before this one; None: it is not in line."""
    try:
        rank = shared_redis().zrank(_key("waiting"), str(reply_id))
    except redis.RedisError:
        return None
    return None if rank is None else int(rank)  # type: ignore[arg-type]


async def places_of(reply_ids: list[int]) -> tuple[Line, dict[int, int | None]]:
    """The line, and how many replies wait before each of ``reply_ids`` (None: not waiting
    any more). For the web process's place watcher, on its event loop."""
    pipe = _line_pipeline()
    for reply_id in reply_ids:
        pipe.zrank(_key("waiting"), reply_id)
    depth, finished, *ranks = await pipe.execute()
    return _measured(depth, finished), dict(zip(reply_ids, ranks, strict=True))


async def line_with(*keys: str) -> tuple[Line, list[bytes | None]]:
    """The line, and the raw values of ``keys``, in one round trip of the event loop's
    client: no thread to wait for, and nothing queued behind the messages being stored."""
    pipe = _line_pipeline()
    for key in keys:
        pipe.get(key)
    depth, finished, *values = await pipe.execute()
    return _measured(depth, finished), values


def _line_pipeline() -> aioredis.client.Pipeline:
    pipe = shared_async_redis().pipeline(transaction=False)
    pipe.zcard(_key("waiting"))
    pipe.lrange(_key("finished"), 0, -1)
    return pipe


# -- writes (best effort: the reaper reconciles) ---------------------------------------


def line_join(reply_id: int) -> None:
    """The reply's task goes to the broker now. A reply already in line keeps its place
    (a duplicate task for it does not move the first one back)."""
    joined = {str(reply_id): time.time()}

    def join(client: redis.Redis) -> int:
        pipe = client.pipeline(transaction=False)
        pipe.zadd(_key("waiting"), joined, nx=True)
        pipe.zcard(_key("waiting"))
        return int(pipe.execute()[1])

    depth = _best_effort("join", join)
    if depth is not None:
        rollups.queue_joined(depth=depth)


def line_leave(reply_id: int) -> int | None:
    """A worker took the reply, or it ended without one: the line's depth after it left
    (None while Redis is unreachable)."""

    def leave(client: redis.Redis) -> int:
        pipe = client.pipeline(transaction=False)
        pipe.zrem(_key("waiting"), str(reply_id))
        pipe.zcard(_key("waiting"))
        return int(pipe.execute()[1])

    return _best_effort("leave", leave)


def line_finished(start_s: float | None) -> None:
    """A worker finished a reply whose first token came ``start_s`` after it took it: one
    more sample of the workers' pace."""
    sample = Finished(time.time(), start_s).encoded()

    def record(client: redis.Redis) -> None:
        pipe = client.pipeline(transaction=False)
        pipe.lpush(_key("finished"), sample)
        pipe.ltrim(_key("finished"), 0, RATE_SAMPLES_KEPT - 1)
        pipe.execute()

    _best_effort("record a finished reply", record)


def line_reconcile(pending_ids: set[int]) -> int:
    """Make the mirror hold exactly ``pending_ids`` (read from Postgres); how many it fixed.

    A reply that changed meanwhile may be wrong until the next call; no id stays wrong.
    """
    client = shared_redis()
    members: list[bytes] = client.zrange(_key("waiting"), 0, -1)  # type: ignore[assignment]
    mirrored = {int(member) for member in members}
    stale, missing = mirrored - pending_ids, pending_ids - mirrored
    pipe = client.pipeline(transaction=False)
    if stale:
        pipe.zrem(_key("waiting"), *map(str, stale))
    if missing:
        now = time.time()
        pipe.zadd(_key("waiting"), {str(reply_id): now for reply_id in missing}, nx=True)
    pipe.execute()
    return len(stale) + len(missing)


def _best_effort(what: str, write: Callable[[redis.Redis], T]) -> T | None:
    try:
        return write(shared_redis())
    except redis.RedisError:
        logger.warning("line: could not %s (Redis unreachable); the reaper reconciles", what)
        return None


# -- telling waiting customers their place (web processes) ----------------------------

Notify = Callable[[Place], Awaitable[None]]


@dataclass
class _Waiting:
    notify: Notify
    told: int | None  # the place last told, None: not told yet
    # Fires once ``QUEUE_NOTICE_WAIT_S`` has passed with no text: see ``_tell_if_silent``.
    silence: asyncio.TimerHandle | None = None


class PlaceWatcher:
    """One loop per web process that tells each customer waiting in line their place as
    the line moves, one read of Redis a tick for all of them.

    A customer the estimate said would not wait is told too, the moment they have waited
    ``QUEUE_NOTICE_WAIT_S`` with no text: the first thing a customer sees never waits on
    a wrong estimate, whether the reply is still in line or a busy model is slow to start
    it. A socket calls ``forget`` once it has relayed a reply's first text.
    """

    def __init__(self) -> None:
        self._waiting: dict[int, _Waiting] = {}
        self._task: asyncio.Task[None] | None = None
        self._tellings: set[asyncio.Task[None]] = set()

    def watch(
        self, reply_id: int, notify: Notify, *, told: Place | None, waited_s: float = 0.0
    ) -> None:
        """Tell ``reply_id``'s customer, who has waited ``waited_s`` since their message
        arrived, each new place (``notify``); ``told``: the place told them so far."""
        waiting = _Waiting(notify, told.place if told is not None else None)
        loop = asyncio.get_running_loop()
        if told is None:
            waiting.silence = loop.call_later(
                max(settings.QUEUE_NOTICE_WAIT_S - waited_s, 0.0), self._tell_if_silent, reply_id
            )
        self._waiting[reply_id] = waiting
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())

    def forget(self, reply_ids: Iterable[int]) -> None:
        for reply_id in reply_ids:
            waiting = self._waiting.pop(reply_id, None)
            if waiting is not None and waiting.silence is not None:
                waiting.silence.cancel()

    async def _run(self) -> None:
        while self._waiting:
            await asyncio.sleep(settings.QUEUE_PLACE_TICK_S)
            try:
                await self._tick()
            except redis.RedisError:
                logger.warning("places not updated: Redis unreachable")

    async def _tick(self) -> None:
        told = [reply_id for reply_id, w in self._waiting.items() if w.told is not None]
        if not told:
            return
        line, ranks = await places_of(told)
        for reply_id, rank in ranks.items():
            waiting = self._waiting.get(reply_id)
            if waiting is None:
                continue
            if rank is None:  # a worker took it: the reply's start replaces the notice
                del self._waiting[reply_id]
                continue
            await self._tell(reply_id, waiting, place_in(line, rank))

    def _tell_if_silent(self, reply_id: int) -> None:
        task = asyncio.get_running_loop().create_task(self._tell_silent(reply_id))
        self._tellings.add(task)  # held, so the loop does not drop it half done
        task.add_done_callback(self._tellings.discard)

    async def _tell_silent(self, reply_id: int) -> None:
        waiting = self._waiting.get(reply_id)
        if waiting is None or waiting.told is not None:
            return
        try:
            line, ranks = await places_of([reply_id])
        except redis.RedisError:
            logger.warning("place of reply %s unknown: Redis unreachable", reply_id)
            return
        rank = ranks[reply_id]
        # Taken by a worker and not started yet: no one is ahead, and the wait is the
        # model's own start.
        await self._tell(reply_id, waiting, place_in(line, 0 if rank is None else rank))
        if rank is None:
            self._waiting.pop(reply_id, None)

    async def _tell(self, reply_id: int, waiting: _Waiting, place: Place) -> None:
        if waiting.told is not None and place.place >= waiting.told:
            return  # a place told only ever goes down (see ``ChatConsumer._post_message``)
        waiting.told = place.place
        try:
            await waiting.notify(place)
        except Exception:  # a socket closing under us must not stop the others
            logger.warning("could not tell reply %s its place", reply_id, exc_info=True)


_watchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PlaceWatcher] = (
    weakref.WeakKeyDictionary()
)


def place_watcher() -> PlaceWatcher:
    """The running event loop's watcher (a web process has one loop)."""
    return _watchers.setdefault(asyncio.get_running_loop(), PlaceWatcher())
