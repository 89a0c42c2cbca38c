"""An answer served by the FAQ route counts a hit on its entry; counting never fails a reply."""

from __future__ import annotations

import pytest

from apps.faq.models import FaqEntry
from apps.inference.prompts import Turn
from apps.inference.service import stream_reply
from apps.ops.flags import Flags

FAQ_ONLY = Flags(mode="faq_only")


def hits(faq_id: str) -> int:
    return FaqEntry.objects.get(external_id=faq_id).hit_count


def ask(text: str, *, turns: int = 1):
    history = [Turn("user", "hi"), Turn("assistant", "Hello!")] * (turns - 1)
    stream = stream_reply([*history, Turn("user", text)], cache_key="k", flags=FAQ_ONLY)
    return "".join(stream), stream.outcome


@pytest.mark.django_db
def test_an_faq_answer_counts_one_hit_on_its_entry(demo_catalog):
    text, outcome = ask("how long will delivery take", turns=2)
    assert outcome.route == "faq"
    assert text == FaqEntry.objects.get(external_id="ship-time").answer
    assert hits("ship-time") == 1
    ask("How long does delivery take?", turns=2)
    assert hits("ship-time") == 2


@pytest.mark.django_db
def test_a_cache_hit_is_not_an_faq_hit(demo_catalog):
    ask("How long does delivery take?")  # from the FAQ, then remembered
    _, outcome = ask("How long does delivery take?")
    assert outcome.route == "cache"
    assert hits("ship-time") == 1


@pytest.mark.django_db
def test_a_failing_hit_counter_does_not_fail_the_reply(demo_catalog, monkeypatch):
    def broken(*, faq_id: str) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr("apps.faq.services.faq_record_hit", broken)
    text, outcome = ask("How long does delivery take?")
    assert outcome.route == "faq" and text
