"""Fuzzing the tagger: any text gets a tag, in bounded time (the deadline catches a blowup),
and the counting patterns made linear find what the unanchored ones found."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from apps.sentiment.lexicon import en, zh
from apps.sentiment.tagger import tag
from tests.hostile_text import FUZZ, hostile_text

OLD_NUM = "[0-9一二三四五六七八九十两几半多俩仨]+"
OLD_QUESTION = r"\?[\s\W]*$"
NUM_PATTERNS = [p for p, _ in zh.NEG_PATTERNS + zh.POS_PATTERNS if zh._NUM in p]
counting_text = st.text(
    st.sampled_from("一二三十两几半多1 2天个月周了还都也没到只到收第次遍好?,。")
)


@FUZZ
@given(hostile_text)
def test_any_text_gets_a_tag(text):
    result = tag(text)
    assert result.label in {"negative", "neutral", "positive"}
    assert -1.0 <= result.score <= 1.0


@FUZZ
@given(counting_text)
def test_counts_match_where_the_unanchored_patterns_matched(text):
    for pattern in NUM_PATTERNS:
        old = [m.span() for m in re.finditer(pattern.replace(zh._NUM, OLD_NUM), text)]
        assert [m.span() for m in re.finditer(pattern, text)] == old


@FUZZ
@given(st.text(st.sampled_from("?!. a一\n"), max_size=40))
def test_the_question_ending_matches_where_the_old_one_did(text):
    new = en.QUESTION_PATTERNS[0]
    assert bool(re.search(new, text)) == bool(re.search(OLD_QUESTION, text))
