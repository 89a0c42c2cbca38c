"""Fuzzing FAQ matching over the demo catalog (index, text analysis, spelling): any text
is ranked without a crash, in bounded time."""

from __future__ import annotations

import pytest
from hypothesis import given

from apps.faq import DEMO_CATALOG
from apps.faq.index import FaqIndex
from apps.faq.spelling import Speller
from tests.bench.faq import load_catalog
from tests.hostile_text import FUZZ, hostile_text


@pytest.fixture(scope="module")
def demo_index() -> FaqIndex:
    """Built once, before the deadline counts (jieba loads its dictionary on first use)."""
    index = FaqIndex.build(load_catalog(DEMO_CATALOG))
    index.rank("warm up 预热")
    return index


@FUZZ
@given(hostile_text)
def test_any_text_is_ranked(demo_index, text):
    ranked = demo_index.rank(text, limit=3)
    assert len(ranked) <= 3
    assert all(0 < scored.score <= 1 for scored in ranked)


@FUZZ
@given(hostile_text)
def test_any_word_is_corrected_or_kept(text):
    correct = Speller(["shipping", "warranty", "delivery"]).for_one_text()
    for word in text.split():
        assert isinstance(correct(word), str)
