"""Escalation rules. Pure functions, no database."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from apps.sentiment.escalation import EscalationPolicy, asks_for_human, escalation_reason
from apps.sentiment.tagger import tag

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "text",
    [
        "转人工",
        "人工客服在吗",
        "我要找真人",
        "人工人工!",
        "叫你们经理出来",
        "不要机器人了,换个人回答",
        "我要投诉",
        "轉人工",
        "talk to a person",
        "Can I speak to someone?",
        "I want a real person",
        "representative",
        "Let me talk to your manager",
        "please connect me to a human agent",
        "human please",
        "Are you a bot? I want a human",
        "is there a human I can talk to?",
        "I want to file a complaint",
    ],
)
def test_asks_for_human(text: str) -> None:
    assert asks_for_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "你是真人吗",
        "是人工客服吗?",
        "不用转人工了,谢谢",
        "Are you human?",
        "am I talking to a bot?",
        "no need for a human, thanks",
        "退款多久到账",
        "I'll talk to my husband first",
        "Hi, is anyone there?",
        "人工智能真厉害",
        "where is my refund",
    ],
)
def test_does_not_ask_for_human(text: str) -> None:
    assert not asks_for_human(text)


def history(*texts: str) -> list[tuple[str, float]]:
    return [(r.label, r.score) for r in map(tag, texts)]


def test_explicit_request_wins_even_when_calm() -> None:
    recent = history("我想转人工")
    assert escalation_reason(text="我想转人工", recent_labels_scores=recent) == "asked_for_human"
    assert (
        escalation_reason(text="talk to a human", recent_labels_scores=history("talk to a human"))
        == "asked_for_human"
    )


@pytest.mark.parametrize(
    "messages",
    [
        ("退款怎么还没到", "都一周了还没发货"),
        ("My order still hasn't shipped.", "Still no update on my refund."),
    ],
)
def test_negative_streak(messages: tuple[str, str]) -> None:
    recent = history(*messages)
    assert all(label == "negative" for label, _ in recent)
    assert all(score > -0.75 for _, score in recent)  # each alone is not a strong negative
    assert escalation_reason(text=messages[-1], recent_labels_scores=recent) == "negative_streak"
    # One negative after a neutral one is not a streak.
    calm = history("How do I get a refund?", messages[-1])
    assert escalation_reason(text=messages[-1], recent_labels_scores=calm) is None


@pytest.mark.parametrize(
    "text", ["垃圾服务,气死我了,我要去12315!!!😡", "This is the worst service ever!!! 😡"]
)
def test_strong_negative_alone_escalates(text: str) -> None:
    recent = history("你好", text) if "垃圾" in text else history("Hello", text)
    assert recent[-1][1] <= -0.75
    assert escalation_reason(text=text, recent_labels_scores=recent) == "strong_negative"


def test_policy_is_configurable_and_validated() -> None:
    recent = [("negative", -0.3), ("negative", -0.4), ("negative", -0.5)]
    assert escalation_reason(text="x", recent_labels_scores=recent) == "negative_streak"
    strict = EscalationPolicy(negative_streak=4, strong_negative_score=-0.45)
    assert escalation_reason(text="x", recent_labels_scores=recent, policy=strict) == (
        "strong_negative"
    )
    lenient = EscalationPolicy(negative_streak=4, strong_negative_score=-0.9)
    assert escalation_reason(text="x", recent_labels_scores=recent, policy=lenient) is None
    with pytest.raises(ValueError):
        EscalationPolicy(negative_streak=0)
    with pytest.raises(ValueError):
        EscalationPolicy(strong_negative_score=0.5)


def test_no_history_only_checks_the_request() -> None:
    assert escalation_reason(text="你好", recent_labels_scores=[]) is None
    assert escalation_reason(text="转人工", recent_labels_scores=[]) == "asked_for_human"
