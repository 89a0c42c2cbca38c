"""Every breaker's state in one read says what each one's own read says: open, half-open
once its reset timeout passed, set up when missing, and closed (fail open) without Redis."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from apps.config.redis_client import shared_redis
from apps.inference.breakers import BACKENDS, breaker_state, breaker_states, get_breaker

pytestmark = pytest.mark.usefixtures("fresh_breakers")


def one_by_one() -> dict[str, str]:
    return {backend: breaker_state(backend) for backend in BACKENDS}


def test_states_not_set_yet_are_set_and_read_closed(fresh_breakers):
    assert breaker_states() == dict.fromkeys(BACKENDS, "closed")
    # pybreaker's read set them up, as a state read alone would have.
    assert all(shared_redis().keys(f"{fresh_breakers}:{backend}:*") for backend in BACKENDS)


def test_an_open_breaker_reads_open_then_half_open_as_its_own_read_does(settings):
    get_breaker("cloud").open()
    states = breaker_states()
    assert states["cloud"] == "open" and states == one_by_one()
    time.sleep(settings.BREAKER_RESET_TIMEOUT_S)
    states = breaker_states()
    assert states["cloud"] == "half-open" and states == one_by_one()


def test_without_redis_every_breaker_reads_closed():
    get_breaker("cloud").open()
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):  # nothing listens there
        assert breaker_states() == dict.fromkeys(BACKENDS, "closed")
