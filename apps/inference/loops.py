"""Runaway output: a model reply that starts repeating itself is cut where the repetition began.

A small model on input it does not know can loop ("… I can only Welcome Welcome Welcome …",
"YesOrdersOrdersOrders…"). ``LoopGuard`` reads a reply as it streams, as a sequence of
*units*: every letter, digit, Han character or emoji, case-folded, with whitespace and
punctuation skipped. A loop is then the same for "Welcome Welcome", "WelcomeWelcome",
"Welcome, welcome!" and "欢迎欢迎": the tail of the unit sequence repeats with some period
``p`` (a ``p``-unit n-gram, 1 ≤ ``p`` ≤ ``MAX_PERIOD``) back to back, for ``MIN_COPIES``
copies (``LONG_COPIES`` once the unit is a whole phrase of ``LONG_PERIOD`` units or more)
and at least ``MIN_LOOP_UNITS`` units in all. A word said twice or three times ("very very",
"谢谢谢谢", "👍👍👍") is far below that.

For each period the guard keeps how many trailing units equal the unit ``p`` before them,
so each new unit costs ``MAX_PERIOD`` comparisons, whatever the reply's length.

What the customer may see: everything before the longest repetition still running
(``safe_length``). A repetition that breaks off is released a delta later; one that grows
into a loop is never shown, and the reply ends where the repetition began, after the
loop's first copy (``cut``).
"""

from __future__ import annotations

import unicodedata

MAX_PERIOD = 64  # units: a phrase of about ten words, or a Chinese sentence
MIN_COPIES = 3
LONG_PERIOD = 20  # a unit this long said twice back to back is already a loop
LONG_COPIES = 2
MIN_LOOP_UNITS = 20
LOOP_FINISH = "loop"  # the finish reason of a reply cut here (``Message.finish_reason``)


def _is_unit(char: str) -> bool:
    """Letters, digits, Han, kana, emoji and other symbols; not spaces, punctuation, marks
    or the joiners inside emoji sequences."""
    return unicodedata.category(char)[0] in "LNS"


class LoopGuard:
    """Feed it the reply's text as it grows; it says where a loop starts, if one does."""

    def __init__(self) -> None:
        self._units: list[str] = []
        self._offsets: list[int] = []  # each unit's offset in the text
        self._runs = [0] * (MAX_PERIOD + 1)  # period -> trailing units equal to p before
        self._read = 0  # characters of the text already read
        self._loop_start: int | None = None  # unit index where the first repeat began

    @property
    def looping(self) -> bool:
        return self._loop_start is not None

    def feed(self, text: str) -> bool:
        """Read ``text`` (the whole reply so far, which only grows); True once it loops."""
        for offset in range(self._read, len(text)):
            if self._loop_start is not None:
                break
            char = text[offset]
            if _is_unit(char):
                self._add(char.casefold(), offset)
        self._read = len(text)
        return self.looping

    def safe_length(self, text: str) -> int:
        """How much of ``text`` is safe to show: up to the last unit before the longest
        repetition still running (the spaces and punctuation after it wait for the next
        unit, as they may belong to the repeats)."""
        if self._loop_start is not None:
            return self.cut(text)
        return self._end_before(len(self._units) - max(self._runs))

    def cut(self, text: str) -> int:
        """Where the reply ends once it loops: at the last unit before the repetition began
        (the loop's first copy is kept; the punctuation after it goes with the repeats)."""
        if self._loop_start is None:
            return len(text)
        return self._end_before(self._loop_start)

    def _end_before(self, unit: int) -> int:
        return self._offsets[unit - 1] + 1 if unit else 0

    def _add(self, unit: str, offset: int) -> None:
        units, runs = self._units, self._runs
        index = len(units)
        units.append(unit)
        self._offsets.append(offset)
        for period in range(1, min(MAX_PERIOD, index) + 1):
            runs[period] = runs[period] + 1 if units[index - period] == unit else 0
            if _loops(period, runs[period]):
                self._loop_start = index + 1 - runs[period]
                return


def _loops(period: int, repeated: int) -> bool:
    """``repeated`` units after a first copy of ``period`` units repeat it: a loop?"""
    copies = LONG_COPIES if period >= LONG_PERIOD else MIN_COPIES
    return repeated >= (copies - 1) * period and repeated + period >= MIN_LOOP_UNITS
