"""The reply policy, over replies in Chinese and English checked against the demo FAQ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.demo_model import CORPUS_DIR
from apps.faq import DEMO_CATALOG
from apps.inference.policy import knowledge_from, reply_check, settled_length
from apps.inference.prompts import system_prompt

CASES = Path(__file__).parent / "data" / "reply_policy.jsonl"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def knowledge():
    return knowledge_from(tuple(row["answer"] for row in _rows(DEMO_CATALOG)))


@pytest.mark.parametrize("case", _rows(CASES), ids=lambda case: case["text"][:40])
def test_it_holds_back_what_the_faq_does_not_state(case, knowledge):
    verdict = reply_check(case["text"], knowledge)
    assert (verdict.allowed, verdict.reason) == (not case["held"], case["held"])


def test_it_lets_every_answer_the_demo_model_was_taught_through(knowledge):
    taught = [row["text"] for row in _rows(CORPUS_DIR / "answers.jsonl")]
    taught += [row["reply"] for row in _rows(CORPUS_DIR / "smalltalk.jsonl")]
    held = [text for text in taught if not reply_check(text, knowledge).allowed]
    assert held == []


def test_it_compares_with_the_faq_as_it_is_now(knowledge):
    reply = "Gift wrapping costs ¥10 per order."
    assert not reply_check(reply, knowledge).allowed
    edited = knowledge_from(("Gift wrapping costs ¥10 per order.",))
    assert reply_check(reply, edited).allowed


def test_it_holds_back_the_system_prompt_quoted_whole():
    verdict = reply_check(f"Sure, here they are: {system_prompt()}", knowledge_from(()))
    assert verdict.reason == "prompt_leak"


@pytest.mark.parametrize(
    ("streamed", "settled"),
    [
        ("Use code SAVE", "Use code "),  # a code still forming
        ("It costs ¥5", "It costs "),  # ¥5 may become ¥50
        ("Orders ship fast. We will refund you", "Orders ship fast."),  # a promise forming
        ("我们会给您全额退", "我们会给您全额退"),  # no refund word yet
        ("Refunds go back to your original", "Refunds go back to your "),  # no commitment
        ("订单满", "订单满"),
    ],
)
def test_it_shows_only_words_and_sentences_that_are_settled(streamed, settled):
    assert streamed[: settled_length(streamed)] == settled
