"""Hypothesis strategies for hostile text, shared by the fuzz tests (the hostile suite of
named inputs is the package ``tests.hostile``).

Super-linear costs show on long repetitive text (one pattern start per character), so
besides any text at all these build repeats of short pieces up to the size cap.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st

CAP = 2000
# Loose enough for a loaded 2-core machine; the old quadratic paths took 0.3-18 s.
FUZZ = settings(max_examples=60, deadline=400, database=None)

# Pieces the text paths react to: counting characters, cue words, negators, intensifiers,
# question and clause punctuation, invisible characters, emoji, digits, letters.
PIECES = [
    "一", "二", "三天", "了", "还", "没", "不", "太", "好", "很", "吗", "?", "!", "。", ",",
    "1", "a", "e", " ", "not ", "very ", "good ", "@", ".", "-", "第", "次", "如果", "但是",
    "\u200b", "\u202e", "\ufe0f", "\u200d", "😡", "🙄", "\n", "shiping", "refund", "退款",
]  # fmt: skip

piece = st.sampled_from(PIECES)
unit = st.lists(piece, min_size=1, max_size=4).map("".join)


@st.composite
def repeated(draw: st.DrawFn) -> str:
    """A short unit repeated up to the cap: where backtracking and scans per start blow up."""
    text = draw(unit)
    return (text * (CAP // len(text) + 1))[: draw(st.integers(CAP // 2, CAP))]


any_text = st.text(max_size=CAP)
hostile_text = st.one_of(any_text, repeated(), st.lists(piece, max_size=400).map("".join))
