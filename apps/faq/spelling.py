"""A small typo corrector for English words (SymSpell-style delete lookup, no dictionary file).

The vocabulary is the lexicon plus every word in the loaded catalog, so "shiping" becomes
"shipping" and "warrenty" becomes "warranty", while words the shop never uses stay as typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

_MIN_LEN = 5  # shorter words have too many neighbours to correct safely


def _max_edits(word: str) -> int:
    return 2 if len(word) >= 8 else 1


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insert, delete, substitute, swap neighbours."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


class Speller:
    """Maps an unknown word to the closest known word, or returns it unchanged."""

    def __init__(self, vocabulary: Iterable[str], preferred: Iterable[str] = ()) -> None:
        self._known = frozenset(w for w in vocabulary if w.isalpha())
        self._preferred = frozenset(preferred)
        # No word longer than this is within two edits of a known word. Bounding here keeps
        # a hostile 2,000-letter word from building its ~L² deletes (seconds and GBs).
        self._longest = max(map(len, self._known), default=0) + 2
        self._index: dict[str, list[str]] = {}
        for word in self._known:
            if len(word) >= _MIN_LEN - 1:
                for variant in _deletes(word, _max_edits(word)):
                    self._index.setdefault(variant, []).append(word)
        self.correct = lru_cache(maxsize=4096)(self._correct)

    def _correct(self, word: str) -> str:
        if word in self._known or not _MIN_LEN <= len(word) <= self._longest:
            return word
        if not word.isalpha():
            return word
        limit = _max_edits(word)
        candidates = {c for v in _deletes(word, limit) for c in self._index.get(v, ())}
        scored = [(edit_distance(word, c), c) for c in candidates]
        scored = [(d, c) for d, c in scored if d <= min(limit, _max_edits(c))]
        if not scored:
            return word
        # Closest first; among equals prefer lexicon words, then the same first letter.
        scored.sort(
            key=lambda dc: (dc[0], dc[1] not in self._preferred, dc[1][0] != word[0], dc[1])
        )
        return scored[0][1]
