"""Stop the cloud server mid-run: the breaker opens, the fallback answers; restart: it closes."""

from __future__ import annotations

import time

import pytest

from apps.inference.breakers import breaker_state
from apps.inference.prompts import Turn
from apps.inference.service import stream_reply
from apps.ops.flags import Flags
from tests.inference.fixtures import REFUND_ANSWER

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("fresh_breakers", "demo_faq")]

FLAGS = Flags(mode="cloud_only", max_tokens=16, ttft_deadline_ms=3000, total_deadline_ms=10000)
HISTORY = [Turn("user", "When will my refund arrive?")]


def reply(flags: Flags = FLAGS):
    stream = stream_reply(HISTORY, cache_key="c1", flags=flags)
    text = "".join(d for d in stream if isinstance(d, str))
    return text, stream.outcome


def test_it_answers_from_cloud_while_the_server_is_up(cloud_server):
    text, outcome = reply()
    assert outcome.route == "cloud"
    assert outcome.fallback_reason == ""
    assert text and outcome.tokens_out
    assert breaker_state("cloud") == "closed"


def test_a_stopped_server_opens_the_breaker_and_the_faq_answers(cloud_server, proxy_factory):
    proxy = proxy_factory(cloud_server.port)
    assert reply()[1].route == "cloud"
    cloud_server.stop()

    for _ in range(2):  # BREAKER_FAIL_MAX failures, each answered by the fallback
        text, outcome = reply()
        # "error", not "ttft_deadline": the closed connection was noticed before the deadline.
        assert (outcome.route, outcome.fallback_reason, text) == ("faq", "error", REFUND_ANSWER)
    assert breaker_state("cloud") == "open"
    tried = proxy.connections

    text, outcome = reply()
    assert (outcome.route, outcome.fallback_reason, text) == ("faq", "breaker_open", REFUND_ANSWER)
    assert outcome.attempts == [("cloud", "breaker_open")]
    assert proxy.connections == tried, "the open breaker answered without contacting the cloud"


def test_without_a_faq_match_the_apology_answers(cloud_server):
    cloud_server.stop()
    stream = stream_reply([Turn("user", "hello?")], cache_key="c2", flags=FLAGS)
    text = "".join(d for d in stream if isinstance(d, str))
    assert stream.outcome.route == "canned"
    assert "Talk to a person" in text
    assert stream.outcome.attempts == [("cloud", "error"), ("faq", "error")]


def test_a_restarted_server_goes_half_open_then_closed(cloud_server, settings):
    cloud_server.stop()
    reply(), reply()
    assert breaker_state("cloud") == "open"
    opened = time.monotonic()
    cloud_server.start()
    time.sleep(max(0.0, opened + settings.BREAKER_RESET_TIMEOUT_S - time.monotonic()))
    assert breaker_state("cloud") == "half-open"
    assert reply()[1].route == "cloud"  # the probe
    assert breaker_state("cloud") == "half-open"  # one success of BREAKER_SUCCESS_THRESHOLD=2
    assert reply()[1].route == "cloud"
    assert breaker_state("cloud") == "closed"


def test_a_failed_probe_opens_the_breaker_again(cloud_server, settings):
    cloud_server.stop()
    reply(), reply()
    time.sleep(settings.BREAKER_RESET_TIMEOUT_S)
    assert breaker_state("cloud") == "half-open"
    assert reply()[1].fallback_reason == "error"
    assert breaker_state("cloud") == "open"
