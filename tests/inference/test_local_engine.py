"""The continuously batched local engine, on the shipped demo model."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from mlx_lm.utils import load_tokenizer

from apps.inference.backends.local_mlx import EngineConfig, LocalEngine, chat_tokens, fit_prompt
from apps.inference.base import GenerationParams
from apps.inference.kv_cache import ReplyRecord
from apps.inference.prompts import Turn, build_messages
from tests.demo_questions import DEMO_QUESTIONS

QUESTIONS = DEMO_QUESTIONS[:6]
PARAMS = GenerationParams(max_tokens=48)


@pytest.fixture(scope="module")
def engine():
    engine = LocalEngine(EngineConfig(models=(settings.LOCAL_MODEL,), max_batch=8))
    engine.warm_up()
    return engine


def ask(engine, question: str, key: str, history: list[Turn] | None = None) -> str:
    turns = [*(history or []), Turn("user", question)]
    return "".join(engine.submit(build_messages(turns), cache_key=key, params=PARAMS))


def ask_concurrently(engine, questions: list[str], prefix: str) -> list[str]:
    results: list[str | None] = [None] * len(questions)

    def run(i: int) -> None:
        results[i] = ask(engine, questions[i], f"{prefix}-{i}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(questions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_it_gives_batched_requests_the_text_they_get_alone(engine):
    alone = [ask(engine, q, f"alone-{i}") for i, q in enumerate(QUESTIONS)]
    before = engine.stats.max_decode_batch
    batched = ask_concurrently(engine, QUESTIONS, "batched")
    assert batched == alone
    assert all(alone)
    assert engine.stats.max_decode_batch >= 2 or before >= 2


def test_it_admits_a_request_while_others_decode(engine):
    long_params = GenerationParams(max_tokens=160)
    running = engine.submit(
        build_messages([Turn("user", QUESTIONS[0])]), cache_key="runner", params=long_params
    )
    first = next(iter(running))
    late = ask(engine, QUESTIONS[1], "late-joiner")
    rest = "".join(running)
    assert late == ask(engine, QUESTIONS[1], "late-joiner-alone")
    assert first + rest == "".join(
        engine.submit(
            build_messages([Turn("user", QUESTIONS[0])]), cache_key="runner-2", params=long_params
        )
    )


def test_it_frees_the_slot_of_a_cancelled_request(engine):
    victim = engine.submit(
        build_messages([Turn("user", QUESTIONS[2])]),
        cache_key="victim",
        params=GenerationParams(max_tokens=400),
    )
    iterator = iter(victim)
    next(iterator)
    victim.cancel()
    list(iterator)  # ends promptly instead of running to 400 tokens
    assert victim.usage.tokens_out < 400
    assert engine.stats.cancelled >= 1
    deadline = time.monotonic() + 5
    while engine.snapshot()["active"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.snapshot()["active"] == 0
    assert ask(engine, QUESTIONS[3], "after-cancel")


def test_it_reuses_the_kv_cache_of_the_previous_turn_with_identical_output(engine):
    first_reply = ask(engine, QUESTIONS[0], "reuse")
    history = [Turn("user", QUESTIONS[0]), Turn("assistant", first_reply)]
    hits = engine.cache_store.counters.hits
    reused = ask(engine, QUESTIONS[4], "reuse", history)
    assert engine.cache_store.counters.hits == hits + 1
    assert engine.cache_store.counters.reused_tokens > 0
    full = ask(engine, QUESTIONS[4], "reuse-cold", history)
    assert reused == full


@pytest.mark.parametrize("references", [(), ("THE SHOP FACT",)])
def test_it_truncates_a_long_prompt_keeping_the_system_prompt_head_and_latest_turn(references):
    tokenizer = load_tokenizer(Path(settings.LOCAL_MODEL))

    def template(messages):
        return chat_tokens(tokenizer, messages)

    history = []
    for i in range(40):
        history += [Turn("user", f"question number {i} about my order"), Turn("assistant", "ok")]
    history.append(Turn("user", "LATEST QUESTION"))
    messages = build_messages(history, references)

    tokens, truncated = fit_prompt(messages, template, 200)
    text = tokenizer.decode(tokens)
    assert truncated
    assert len(tokens) <= 200
    assert messages[0]["content"] in text
    assert "LATEST QUESTION" in text
    assert "question number 0 " in text  # the head
    assert "question number 20 " not in text
    assert all(reference in text for reference in references)  # the question's own
    assert fit_prompt(messages[:3], template, 200) == (template(messages[:3]), False)


def test_it_continues_from_the_reply_tokens_it_generated_not_their_re_encoding(engine):
    """The next turn's prompt carries the ids the model generated for its reply, so the KV
    prefix runs through the whole reply even when the text re-encodes to other ids."""
    (resident,) = engine.shelf.residents
    tokenizer = resident.tokenizer
    history = [Turn("user", QUESTIONS[0])]
    reply_text = "Orders ship in 1-2 days."
    prompt = chat_tokens(tokenizer, build_messages(history))
    generated = [tokenizer.encode(ch, add_special_tokens=False)[0] for ch in reply_text]
    engine.cache_store.put("splice", prompt, [], ReplyRecord(prompt, generated, reply_text))
    history += [Turn("assistant", reply_text), Turn("user", QUESTIONS[4])]
    messages = build_messages(history)

    plain = chat_tokens(tokenizer, messages)
    re_encoded = tokenizer.encode(reply_text, add_special_tokens=False)
    suffix = plain[len(prompt) + len(re_encoded) :]
    request = SimpleNamespace(cache_key="splice", messages=messages)
    assert generated != re_encoded
    assert engine._with_own_reply_tokens(request, tokenizer, plain) == prompt + generated + suffix

    edited = SimpleNamespace(cache_key="splice", messages=[*messages[:-2], messages[-1]])
    assert (
        engine._with_own_reply_tokens(edited, tokenizer, plain) == plain
    )  # history changed: no splice
