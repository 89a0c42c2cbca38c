"""A slow cloud (a delaying proxy on loopback): the deadlines fire and the fallback answers.

What is checked is what the customer and the cloud see (the reasons recorded, the bytes the
proxy forwarded, the connections it saw close), never how long anything took: timings
belong to ``make bench-fallback``.
"""

from __future__ import annotations

import pytest

from apps.inference.breakers import get_breaker
from apps.inference.prompts import Turn
from apps.inference.service import Restart, stream_reply
from apps.ops.flags import Flags
from tests.inference.fixtures import REFUND_ANSWER

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("fresh_breakers", "demo_faq")]

HISTORY = [Turn("user", "When will my refund arrive?")]


def run(flags: Flags):
    stream = stream_reply(HISTORY, cache_key="d1", flags=flags)
    items = list(stream)
    return items, stream.outcome


def test_a_missed_ttft_deadline_falls_back_without_waiting_for_the_cloud(
    cloud_server, proxy_factory
):
    proxy = proxy_factory(cloud_server.port, delay_s=3.0)
    flags = Flags(mode="cloud_only", ttft_deadline_ms=400, total_deadline_ms=10000)
    items, outcome = run(flags)
    assert items == [REFUND_ANSWER]
    assert (outcome.route, outcome.fallback_reason) == ("faq", "ttft_deadline")
    assert outcome.attempts == [("cloud", "ttft_deadline")]
    assert proxy.response_bytes == 0, "the FAQ answered before the cloud's first byte"


def test_a_fast_enough_server_meets_the_ttft_deadline(cloud_server, proxy_factory):
    proxy = proxy_factory(cloud_server.port, delay_s=0.2)
    # Deadlines far past the 0.2 s hold: the other pytest worker may be keeping both cores busy.
    flags = Flags(mode="cloud_only", max_tokens=8, ttft_deadline_ms=10000, total_deadline_ms=20000)
    _, outcome = run(flags)
    assert (outcome.route, outcome.fallback_reason) == ("cloud", "")
    assert outcome.ttft_ms is not None
    assert proxy.delayed == 1, "the response was held back, and still came in time"


def test_a_stall_after_some_text_restarts_the_reply_on_the_next_route(cloud_server, proxy_factory):
    proxy = proxy_factory(cloud_server.port, stall_after=1500)  # some chunks, then silence
    flags = Flags(mode="cloud_only", max_tokens=200, ttft_deadline_ms=3000, total_deadline_ms=1500)
    items, outcome = run(flags)
    restart_at = next(i for i, item in enumerate(items) if isinstance(item, Restart))
    assert restart_at > 0, "some cloud text came before the restart"
    assert items[restart_at] == Restart(failed_route="cloud", reason="total_deadline")
    assert items[restart_at + 1 :] == [REFUND_ANSWER]
    assert (outcome.route, outcome.fallback_reason) == ("faq", "total_deadline")
    assert outcome.restarts == 1
    assert proxy.wait_for_hangups(1), "the stalled cloud stream was cancelled, not left open"


def test_repeated_deadline_misses_open_the_breaker(cloud_server, proxy_factory):
    proxy = proxy_factory(cloud_server.port, delay_s=3.0)
    flags = Flags(mode="cloud_only", ttft_deadline_ms=200, total_deadline_ms=5000)
    assert [run(flags)[1].fallback_reason for _ in range(3)] == [
        "ttft_deadline",
        "ttft_deadline",
        "breaker_open",
    ]
    assert proxy.connections == 2


def test_a_reply_cancelled_mid_stream_frees_the_cloud_and_spares_its_breaker(
    cloud_server, proxy_factory
):
    proxy = proxy_factory(cloud_server.port, stall_after=1500)
    flags = Flags(mode="cloud_only", max_tokens=200, ttft_deadline_ms=3000, total_deadline_ms=9000)
    stream = stream_reply(HISTORY, cache_key="d2", flags=flags)
    deltas = iter(stream)
    next(deltas)
    stream.cancel()  # a takeover: the pump thread is blocked reading the stalled cloud
    assert list(deltas) == []
    assert proxy.wait_for_hangups(1)
    assert stream.outcome.attempts == []
    assert get_breaker("cloud").fail_counter == 0
