"""The router is a plain function: flags + breaker states + request -> ordered plan."""

from __future__ import annotations

import pytest

from apps.inference.router import RouteRequest, Step, plan_routes
from apps.ops.flags import Flags

FLAGS = Flags(
    local_keywords=("stock", "size", "发货"),
    cloud_keywords=("refund", "broken", "投诉"),
    complaint_min_turns=2,
    long_message_chars=100,
)
CLOSED = {"local": "closed", "cloud": "closed"}


# A follow-up turn by default: the answer cache (first turns only) stays out of these plans.
def plan(flags=FLAGS, breakers=CLOSED, text="hello", turns=2, status="ai", queue_depth=0):
    return plan_routes(flags, breakers, RouteRequest(text, turns, status, queue_depth))


def with_(**changes) -> Flags:
    return Flags(**{**FLAGS.__dict__, **changes})


def test_it_prefers_local_then_cloud_then_faq_then_canned_by_default():
    assert plan().routes == ("local", "cloud", "faq", "canned")


def test_it_sends_stock_and_size_questions_to_local_first():
    assert plan(text="Is this in STOCK in size M?").routes[0] == "local"
    assert plan(text="什么时候发货", turns=5).routes[0] == "local"


def test_it_sends_a_multi_turn_complaint_to_cloud_first():
    assert plan(text="I want a refund, it arrived broken", turns=2).routes[:2] == (
        "cloud",
        "local",
    )


def test_a_first_message_complaint_stays_on_the_default():
    routes = plan(text="I want a refund", turns=1).routes
    assert routes[:2] == ("cache", "local")  # a generic first message; the cache comes first


def test_a_complaint_beats_a_local_topic():
    assert plan(text="refund my size M order", turns=3).routes[0] == "cloud"


def test_it_sends_long_messages_to_cloud_first():
    assert plan(text="x" * 100).routes[0] == "cloud"
    assert plan(text="x" * 99).routes[0] == "local"


def test_default_backend_cloud_puts_cloud_first():
    assert plan(with_(default_backend="cloud")).routes[:2] == ("cloud", "local")


@pytest.mark.parametrize(
    ("mode", "routes"),
    [
        ("auto", ("local", "cloud", "faq", "canned")),
        ("local_only", ("local", "faq", "canned")),
        ("cloud_only", ("cloud", "faq", "canned")),
        ("faq_only", ("faq", "canned")),
    ],
)
def test_each_mode_allows_its_routes(mode, routes):
    assert plan(with_(mode=mode)).routes == routes


def test_routes_left_out_by_mode_are_skipped_with_reason_flag():
    steps = plan(with_(mode="faq_only")).steps
    assert steps[:2] == (Step("local", "flag"), Step("cloud", "flag"))


def test_a_killed_backend_is_skipped_with_reason_killed():
    steps = plan(with_(killed=frozenset({"local"}))).steps
    assert steps[0] == Step("local", "killed")
    assert plan(with_(killed=frozenset({"local"}))).routes == ("cloud", "faq", "canned")


def test_a_single_model_mode_is_a_choice_not_a_fallback():
    assert plan(with_(mode="cloud_only")).steps[0] == Step("cloud")
    assert plan(with_(mode="local_only"), text="x" * 500).steps[0] == Step("local")


def test_the_kill_switch_wins_over_the_mode():
    result = plan(with_(mode="cloud_only", killed=frozenset({"cloud"})))
    assert result.routes == ("faq", "canned")
    assert Step("cloud", "killed") in result.steps


def test_killing_faq_leaves_the_apology():
    assert plan(with_(mode="faq_only", killed=frozenset({"faq"}))).routes == ("canned",)


def test_an_open_breaker_is_skipped_with_reason_breaker_open():
    result = plan(breakers={"local": "open", "cloud": "closed"})
    assert result.steps[0] == Step("local", "breaker_open")
    assert result.routes == ("cloud", "faq", "canned")


def test_a_half_open_breaker_lets_the_probe_through():
    assert plan(breakers={"local": "half-open", "cloud": "closed"}).routes[0] == "local"


def test_both_breakers_open_falls_to_faq_then_apology():
    assert plan(breakers={"local": "open", "cloud": "open"}).routes == ("faq", "canned")


def test_a_conversation_a_person_handles_gets_no_machine_reply():
    assert plan(status="human").steps == ()
    assert plan(status="waiting_human").routes[0] == "local"


def test_the_plan_always_ends_with_the_apology():
    worst = with_(mode="cloud_only", killed=frozenset({"cloud", "faq", "local"}))
    assert plan(worst, breakers={"local": "open", "cloud": "open"}).routes == ("canned",)


# -- the answer cache ------------------------------------------------------------------------


def test_a_first_generic_question_tries_the_cache_before_the_plan():
    result = plan(text="How long does delivery take?", turns=1)
    assert result.steps[0] == Step("cache", shortcut=True)
    assert result.routes == ("cache", "local", "cloud", "faq", "canned")
    assert result.cacheable


def test_a_follow_up_turn_never_uses_the_cache():
    result = plan(text="How long does delivery take?", turns=2)
    assert "cache" not in result.routes
    assert not result.cacheable


@pytest.mark.parametrize(
    "text",
    ["Where is my order?", "Has order 20240611001 shipped?", "我的快递到哪了", "x" * 301, "?!"],
)
def test_a_question_about_the_customers_own_order_never_uses_the_cache(text):
    result = plan(text=text, turns=1)
    assert "cache" not in result.routes
    assert not result.cacheable


@pytest.mark.parametrize("status", ["waiting_human", "human", "closed"])
def test_a_conversation_handed_to_a_person_never_uses_the_cache(status):
    assert not plan(text="How long does delivery take?", turns=1, status=status).cacheable


@pytest.mark.parametrize("mode", ["auto", "local_only", "cloud_only", "faq_only"])
def test_every_mode_may_answer_from_the_cache(mode):
    # Safe because a flag change empties the cache (see the router's docstring).
    result = plan(with_(mode=mode), text="Is shipping free?", turns=1)
    assert result.routes[0] == "cache"


def test_a_cache_miss_still_ends_with_the_apology_when_everything_is_off():
    worst = with_(mode="faq_only", killed=frozenset({"local", "cloud", "faq"}))
    assert plan(worst, text="Is shipping free?", turns=1).routes == ("cache", "canned")


def test_in_a_surge_a_confident_faq_answer_goes_first():
    surge = plan(with_(surge_queue_depth=10), queue_depth=10)
    assert surge.routes == ("faq", "local", "cloud", "canned")
    assert surge.steps[0] == Step("faq", shortcut=True, chosen_because="surge")


def test_below_the_surge_threshold_the_plan_is_unchanged():
    assert plan(with_(surge_queue_depth=10), queue_depth=9).routes == (
        "local",
        "cloud",
        "faq",
        "canned",
    )
    assert plan(with_(surge_queue_depth=0), queue_depth=500).routes[0] == "local"


def test_a_surge_keeps_the_cache_first_and_respects_the_faq_kill_switch():
    first_turn = plan(
        with_(surge_queue_depth=1), text="How do refunds work?", turns=1, queue_depth=3
    )
    assert first_turn.routes[:2] == ("cache", "faq")
    killed = plan(with_(surge_queue_depth=1, killed=frozenset({"faq"})), queue_depth=3)
    assert killed.routes == ("local", "cloud", "canned")


def test_a_short_question_on_a_local_topic_is_a_simple_intent_for_the_small_model():
    assert plan(text="Is this in stock in size M?").simple
    assert plan(text="什么时候发货", turns=5).simple
    assert not plan(text="Tell me about your shop").simple  # no local topic
    assert not plan(text="size " + "x" * 100).simple  # long
    assert not plan(text="Wrong size and broken, I want a refund", turns=2).simple  # complaint
