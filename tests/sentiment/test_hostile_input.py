"""Inputs built to be slow keep the tags they always had. Their cost is measured by
``make bench-hostile``; here only what the tagger says about them is checked."""

from __future__ import annotations

import pytest

from apps.sentiment.tagger import tag


@pytest.mark.parametrize(
    "text, label",  # the tags these always had
    [
        ("一" * 2000, "neutral"),
        ("1" * 2000, "neutral"),
        ("?" * 1999 + "x", "negative"),  # impatience, as "人呢?????"
        ("太好" * 1000, "positive"),
        ("very good " * 200, "positive"),
        ("如果好。" * 500, "positive"),
    ],
    ids=["2,000 x 一", "a digit run", "question marks", "太好 x 1,000", "very good x 200", "ifs"],
)
def test_a_message_built_to_be_slow_gets_a_plain_tag(text, label):
    assert tag(text).label == label


@pytest.mark.parametrize(
    "text, cue",
    [
        ("都三天了还没发货", "都三天了"),
        ("一二三天了", "一二三天了"),
        ("48小时了都没动", "48小时了都没动"),
        ("只到了两件", "只到了两"),
        ("问了123次了", "问了123次"),
    ],
)
def test_counts_are_still_read_from_the_start_of_their_run(text, cue):
    assert any(c.startswith(f"{cue}:") for c in tag(text).cues)


def test_a_question_mark_before_trailing_punctuation_still_makes_a_question():
    # A question damps its praise: "?" then only punctuation, wherever the run starts.
    assert tag("it is good?!?! ...").score == tag("it is good?").score < tag("it is good").score
    assert tag("?????good").score == tag("it is good").score


def test_a_word_too_long_to_be_one_is_dropped_and_the_words_around_it_still_count():
    noise = "".join(chr(97 + (i * 7919) % 26) for i in range(2000))  # one 2,000-letter word
    assert tag(noise).label == "neutral"
    assert tag(f"{noise} this is terrible").label == tag("this is terrible").label == "negative"
    assert tag(f"thanks, great help {noise}").label == "positive"
