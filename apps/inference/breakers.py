"""One circuit breaker per backend, shared by every web and worker process through Redis.

pybreaker keeps the state, counters and ``opened_at`` under one Redis namespace per
backend. An open breaker lets a probe through once ``BREAKER_RESET_TIMEOUT_S`` has
passed (half-open); ``BREAKER_SUCCESS_THRESHOLD`` successes in a row close it again.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pybreaker
import redis
from django.conf import settings

from apps.config.redis_client import shared_redis
from apps.inference.registry import MODEL_ROUTES
from apps.ops import rollups

logger = logging.getLogger(__name__)

# Only model routes have a breaker: the FAQ, the cache and the apology answer from memory.
BACKENDS = MODEL_ROUTES
CLOSED, OPEN, HALF_OPEN = pybreaker.STATE_CLOSED, pybreaker.STATE_OPEN, pybreaker.STATE_HALF_OPEN


class AttemptCancelled(Exception):
    """The caller stopped the reply (takeover, customer gone): not the backend's fault."""


_lock = threading.Lock()
_breakers: dict[tuple[object, ...], pybreaker.CircuitBreaker] = {}


def get_breaker(backend: str) -> pybreaker.CircuitBreaker:
    """The process's breaker object for ``backend``; its state lives in Redis."""
    key = (
        backend,
        settings.BREAKER_NAMESPACE,
        settings.BREAKER_FAIL_MAX,
        settings.BREAKER_RESET_TIMEOUT_S,
        settings.BREAKER_SUCCESS_THRESHOLD,
    )
    with _lock:
        if key not in _breakers:
            _breakers[key] = _make_breaker(backend)
        return _breakers[key]


def breaker_state(backend: str) -> str:
    """``closed``, ``open`` or ``half-open`` as the router should see it.

    An open breaker whose reset timeout has passed reads as half-open: the next call is
    the probe. If Redis is down, pybreaker falls back to closed (fail open).
    """
    breaker = get_breaker(backend)
    return _as_routed(breaker, breaker.current_state)


def breaker_states() -> dict[str, str]:
    """``breaker_state`` of every backend, their states read in one round trip: the edge
    and every reply's plan read them all, for every message."""
    breakers = {backend: get_breaker(backend) for backend in BACKENDS}
    try:
        raw = shared_redis().mget([_storage(b).state_key() for b in breakers.values()])
    except redis.RedisError:  # fail open, as pybreaker's own read does
        logger.warning("breaker states unknown: Redis unreachable")
        return {backend: _storage(b).fallback_state() for backend, b in breakers.items()}
    return {  # a state not set yet is read alone: pybreaker's read sets it
        backend: breaker_state(backend) if state is None else _as_routed(breaker, _text(state))
        for (backend, breaker), state in zip(breakers.items(), raw, strict=True)
    }


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw  # a raw client gives bytes


def _as_routed(breaker: pybreaker.CircuitBreaker, state: str) -> str:
    if state == OPEN and _reset_elapsed(breaker):
        return HALF_OPEN
    return state


def _storage(breaker: pybreaker.CircuitBreaker) -> _FailOpenRedisStorage:
    return breaker._state_storage  # type: ignore[return-value]


def breaker_snapshot() -> list[dict[str, object]]:
    """For the ops page: state, consecutive failures and when it opened, per backend."""
    rows = []
    for backend in BACKENDS:
        breaker = get_breaker(backend)
        state = breaker_state(backend)
        opened_at = breaker._state_storage.opened_at if state != CLOSED else None
        rows.append(
            {
                "backend": backend,
                "state": state,
                "fail_counter": breaker.fail_counter,
                "fail_max": breaker.fail_max,
                "opened_at": opened_at,
            }
        )
    return rows


def _reset_elapsed(breaker: pybreaker.CircuitBreaker) -> bool:
    opened_at = breaker._state_storage.opened_at
    if opened_at is None:
        return True
    return datetime.now(UTC) >= opened_at + timedelta(seconds=breaker.reset_timeout)


class _FailOpenRedisStorage(pybreaker.CircuitRedisStorage):
    """pybreaker's Redis storage, which fails open on every read, except when it is made:
    a breaker first needed while Redis is down must not fail the reply."""

    def _initialize_redis_state(self, state: str) -> None:
        try:
            super()._initialize_redis_state(state)
        except redis.RedisError:
            logger.warning("breaker state not initialised: Redis unreachable")  # done on read

    def state_key(self) -> str:
        """Where the state lives, for reading several breakers' in one round trip."""
        return self._namespace("state")

    def fallback_state(self) -> str:
        return self._fallback_circuit_state


class _RollupListener(pybreaker.CircuitBreakerListener):
    """Puts each state change this process makes or notices on the dashboard's timeline."""

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        rollups.breaker_changed(backend=str(cb.name), state=str(new_state.name))


def _make_breaker(backend: str) -> pybreaker.CircuitBreaker:
    storage = _FailOpenRedisStorage(
        pybreaker.STATE_CLOSED,
        shared_redis(),
        namespace=f"{settings.BREAKER_NAMESPACE}:{backend}",
    )
    return pybreaker.CircuitBreaker(
        fail_max=settings.BREAKER_FAIL_MAX,
        reset_timeout=settings.BREAKER_RESET_TIMEOUT_S,
        success_threshold=settings.BREAKER_SUCCESS_THRESHOLD,
        # A cancelled reply says nothing about the backend's health.
        exclude=[AttemptCancelled, GeneratorExit],
        state_storage=storage,
        listeners=[_RollupListener()],
        name=backend,
        # Re-raise the attempt's own error on trip, so the caller sees why it failed.
        throw_new_error_on_trip=False,
    )
