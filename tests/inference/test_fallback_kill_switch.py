"""Kill switches and modes: a killed backend is not called at all."""

from __future__ import annotations

import pytest

from apps.inference.prompts import Turn
from apps.inference.service import stream_reply
from apps.ops.flags import Flags
from tests.inference.fixtures import REFUND_ANSWER

pytestmark = pytest.mark.usefixtures("fresh_breakers")

HISTORY = [Turn("user", "When will my refund arrive?")]


def run(flags: Flags):
    stream = stream_reply(HISTORY, cache_key="k1", flags=flags)
    return "".join(stream), stream.outcome


@pytest.mark.slow
@pytest.mark.usefixtures("demo_faq")
def test_a_killed_cloud_is_never_contacted(cloud_server, proxy_factory):
    proxy = proxy_factory(cloud_server.port)
    flags = Flags(mode="cloud_only", max_tokens=8)
    assert run(flags)[1].route == "cloud"
    assert proxy.connections == 1

    text, outcome = run(Flags(mode="cloud_only", killed=frozenset({"cloud"})))
    assert (text, outcome.route, outcome.fallback_reason) == (REFUND_ANSWER, "faq", "killed")
    assert outcome.attempts == [("cloud", "killed")]
    assert proxy.connections == 1


@pytest.mark.usefixtures("demo_faq")
def test_faq_only_never_touches_a_model():
    # No server and no local weights are needed: neither model route runs.
    text, outcome = run(Flags(mode="faq_only"))
    assert (text, outcome.route, outcome.fallback_reason) == (REFUND_ANSWER, "faq", "flag")
    assert outcome.attempts == [("local", "flag"), ("cloud", "flag")]


def test_killing_everything_still_answers_with_the_apology():
    flags = Flags(mode="auto", killed=frozenset({"local", "cloud", "faq"}))
    text, outcome = run(flags)
    assert outcome.route == "canned"
    assert "Talk to a person" in text
    assert outcome.fallback_reason == "killed"


@pytest.mark.usefixtures("empty_faq")
def test_an_empty_faq_catalog_means_no_match():
    _, outcome = run(Flags(mode="faq_only"))
    assert outcome.route == "canned"
    assert outcome.attempts == [("local", "flag"), ("cloud", "flag"), ("faq", "error")]
