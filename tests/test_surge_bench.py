"""`make bench-surge` counts what its customers saw by the protocol's rules, and drives the
traffic mix the issue asks for. No timings here: those live in the bench alone."""

from __future__ import annotations

import random
from typing import Any

from tests.bench.surge import goals, slowest_figures
from tests.bench.surge_client import Customer
from tests.bench.surge_traffic import COMPLAINT_MIN_CHARS, QuestionPool, make_burst


class FakeSocket:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, frame: str) -> None:
        self.sent.append(frame)


def customer() -> Customer:
    return Customer(stack=None, session="s", ws=FakeSocket())  # type: ignore[arg-type]


async def play(seen: Customer, *events: dict[str, Any]) -> Customer:
    for at, event in enumerate(events, start=1):
        await seen.on_event(event, float(at))
    return seen


def start() -> dict[str, Any]:
    return {"type": "reply.start", "message_id": 7, "reply_to": 6}


def delta(seq: int, text: str) -> dict[str, Any]:
    return {"type": "reply.delta", "message_id": 7, "seq": seq, "delta": text}


def end(text: str) -> dict[str, Any]:
    return {"type": "reply.end", "message_id": 7, "text": text, "route": "local", "ttft_ms": 5}


async def test_it_counts_one_clean_reply_once():
    seen = await play(
        customer(), start(), delta(5, "Hello"), delta(11, " there"), end("Hello there")
    )
    assert seen.route == "local" and not seen.duplicated and not seen.short_deltas


async def test_it_counts_a_second_reply_end_as_duplicated():
    seen = await play(customer(), start(), delta(2, "Hi"), end("Hi"), end("Hi"))
    assert seen.duplicated


async def test_it_counts_text_shown_twice_or_contradicted_by_the_end_as_duplicated():
    twice = await play(customer(), start(), delta(2, "Hi"), delta(4, "Hi"), end("Hi"))
    other = await play(customer(), start(), delta(3, "Hey"), end("Bye"))
    assert twice.duplicated and other.duplicated


async def test_a_restart_voids_the_text_before_it():
    seen = await play(
        customer(),
        start(),
        delta(3, "Hel"),
        {"type": "reply.restart", "message_id": 7, "reason": "requeued"},
        delta(2, "Hi"),
        end("Hi"),
    )
    assert not seen.duplicated


async def test_a_gap_asks_for_a_replay_and_its_identical_end_is_not_a_duplicate():
    seen = await play(customer(), start(), delta(2, "Hi"), delta(9, " there"), end("Hi there"))
    assert seen.resumes == 1 and '"last_seq": 2' in seen.ws.sent[-1]  # type: ignore[attr-defined]
    await seen.on_event(end("Hi there"), 9.0)  # the replay it asked for
    assert not seen.duplicated and seen.short_deltas


async def test_a_queued_notice_is_the_first_thing_visible_and_its_fields_are_optional():
    seen = await play(
        customer(),
        {"type": "notice", "kind": "queued", "text": "…"},
        {"type": "notice", "kind": "queued", "text": "…", "place": 3, "wait_s": 4},
        start(),
        delta(2, "Hi"),
    )
    assert (seen.first_visible_at, seen.first_text_at) == (1.0, 4.0)
    assert seen.first_notice("queued").place is None  # type: ignore[union-attr]
    assert [(n.place, n.wait_s) for n in seen.notices] == [(None, None), (3, 4)]


async def test_the_slowest_customers_are_listed_with_what_they_saw_first():
    told = await play(customer(), {"type": "notice", "kind": "queued", "text": "…"}, start())
    answered = await play(customer(), {"type": "message.accepted"}, start(), delta(2, "Hi"))
    silent = customer()
    for seen in (told, answered, silent):
        seen.sent_at = 0.0
    slowest = slowest_figures([told, answered, silent], kept=1)
    first = {"first_visible_ms": 3000.0, "by": "text", "accepted_ms": 1000.0, "route": None}
    assert slowest == [first]
    assert [s["by"] for s in slowest_figures([told, answered])] == ["text", "queued"]


def test_a_burst_mixes_languages_sorts_and_repeats():
    pool = QuestionPool(random.Random(1))
    burst = make_burst(pool, load=10.0, rate=50.0, count=400)
    kinds = {a.kind for a in burst.asks}
    repeats = sum(a.kind == "repeat" for a in burst.asks)
    assert kinds == {"faq", "off_catalog", "complaint", "repeat"}
    assert {a.language for a in burst.asks} == {"en", "zh"}
    assert 0.2 * 400 < repeats < 0.4 * 400
    complaints = [a.text for a in burst.asks if a.kind == "complaint"]
    assert min(map(len, complaints)) >= COMPLAINT_MIN_CHARS
    assert list(burst.offsets) == sorted(burst.offsets) and burst.offsets[-1] < 8.0


def test_the_naive_burst_words_every_question_once():
    burst = make_burst(QuestionPool(random.Random(2)), load=1.0, rate=5.0, count=60)
    unique_texts = {a.text for a in burst.made_unique("t").asks}
    assert len({a.text for a in burst.asks}) < 60 == len(unique_texts)


def test_goals_come_from_the_figures():
    arm = {"first_visible_ms_p99": 300.0, "lost": 0, "duplicated": 0}
    ours = {0.5: arm, 10.0: arm | {"first_visible_ms_p99": 900.0}}
    result = goals(ours, {10.0: arm | {"lost": 2}})
    assert result["first_visible_p99_10x_within_1s"]["met"]
    assert not result["first_visible_p99_10x_within_2x_of_0.5x"]["met"]
    assert result["none_lost_or_duplicated"] == {"met": False, "lost": 2, "duplicated": 0}
