"""The loop detector (``apps.inference.loops``) on Chinese, English and mixed streams: loops
are cut after their first copy, text that repeats a little is left alone."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from apps.demo_model import CORPUS_DIR
from apps.inference.backends.local_mlx import EngineConfig, LocalEngine
from apps.inference.base import GenerationParams
from apps.inference.loops import LoopGuard
from apps.inference.prompts import Turn, build_messages
from tests.demo_questions import DEMO_QUESTIONS


def streamed(text: str, step: int = 3) -> tuple[LoopGuard, str, str]:
    """Feed ``text`` a few characters at a time, as deltas come; returns the guard, what
    it let through while streaming (never taken back) and where the reply ends."""
    guard, shown = LoopGuard(), ""
    for end in range(step, len(text) + step, step):
        part = text[:end]
        if guard.feed(part):
            break
        shown = part[: max(len(shown), guard.safe_length(part))]
    return guard, shown, part[: guard.cut(part)]


LOOPS = [
    # The two loops: an emoji flood and a zero-width prompt drew these.
    (
        "M on orders，正在为 a I can only " + "Welcome " * 40,
        "M on orders，正在为 a I can only Welcome",
    ),
    # "s" ends both words, so the repetition begins one letter early: "sOrder" repeats.
    ("Yes" + "Orders" * 50, "YesOrder"),
    ("您好，" + "欢迎光临" * 12, "您好，欢迎光临"),
    ("订单" + "我我我我" * 10, "订单我"),
    ("Your order 您的订单 " * 8, "Your order 您的订单"),
    ("Hi! " + "Welcome, welcome! WELCOME. " * 6, "Hi! Welcome"),
    ("Refunds take 3-5 days. " * 4, "Refunds take 3-5 days"),  # a sentence said again
    ("退款会在3-5个工作日内原路退回。" * 3, "退款会在3-5个工作日内原路退回"),
    ("Total: 1" + "0" * 40, "Total: 10"),
    ("😀" * 60, "😀"),
]


@pytest.mark.parametrize(("text", "kept"), LOOPS, ids=[kept[:16] for _, kept in LOOPS])
def test_it_cuts_a_loop_after_its_first_copy_and_never_shows_a_repeat(text, kept):
    guard, shown, ended = streamed(text)
    assert guard.looping
    assert ended == kept
    assert kept.startswith(shown)  # what was shown stays true: the loop never reached it


NOT_LOOPS = [
    "Thank you! Thank you! We look forward to seeing you again.",
    "This jacket is very very warm, and the sizes run true.",
    "好的好的，谢谢谢谢！哈哈哈，祝您购物愉快。",
    "👍👍👍 Your order has shipped.",
    "Orders leave within 1-2 days; returns within 30 days; refunds within 3-5 days.",
    "Order 100000 ships today. Order 100001 ships tomorrow.",
    "您的订单已发货，订单号1212，预计3-5天送达。您的订单可以在“我的订单”里查看。",
    "Size S fits 160-165 cm, size M fits 165-170 cm, size L fits 170-175 cm.",
    "Mississippi, Tennessee and Kentucky all ship in 3 days.",
    "ha ha ha, good one! 🎉🎉",
]


@pytest.mark.parametrize("text", NOT_LOOPS, ids=[text[:16] for text in NOT_LOOPS])
def test_it_leaves_text_that_repeats_a_little_whole(text):
    guard, shown, ended = streamed(text)
    assert not guard.looping
    assert ended == text
    assert text.startswith(shown)


def test_a_repetition_that_breaks_off_is_held_only_while_it_runs():
    guard = LoopGuard()
    text = "Hello hello hello"
    guard.feed(text)
    assert text[: guard.safe_length(text)] == "Hello"  # the repeats may be a loop starting
    text += " there, how can I help"
    guard.feed(text)
    assert guard.safe_length(text) == len(text)


def test_it_finds_the_same_loop_whatever_the_delta_sizes():
    text = "Yes" + "Orders" * 50
    assert {streamed(text, step)[2] for step in (1, 2, 7, 40, len(text))} == {"YesOrder"}


def _rows(name: str) -> list[dict]:
    lines = (CORPUS_DIR / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def test_no_answer_the_demo_model_was_taught_reads_as_a_loop():
    taught = [row["text"] for row in _rows("answers.jsonl")]
    taught += [row["reply"] for row in _rows("smalltalk.jsonl")]
    assert [text for text in taught if streamed(text)[0].looping] == []


def test_the_demo_models_replies_to_the_demo_questions_are_not_cut():
    engine = LocalEngine(EngineConfig(models=(settings.LOCAL_MODEL,), max_batch=8))
    params = GenerationParams(max_tokens=settings.LOCAL_MAX_TOKENS)
    streams = {  # all submitted before any is read: they decode as one batch
        question: engine.submit(
            build_messages([Turn("user", question)]), cache_key=question, params=params
        )
        for question in DEMO_QUESTIONS
    }
    replies = {question: "".join(stream) for question, stream in streams.items()}
    assert all(replies.values())
    assert {q: reply for q, reply in replies.items() if streamed(reply)[0].looping} == {}
