"""A small typo corrector for English words (SymSpell-style delete lookup, no dictionary file).

The vocabulary is the lexicon plus every word in the loaded catalog, so "shiping" becomes
"shipping" and "warrenty" becomes "warranty", while words the shop never uses stay as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

_MIN_LEN = 5  # shorter words have too many neighbours to correct safely
# Bounded cost per message: a question has a handful of typos; a hostile 2,000 characters
# of near-misses would otherwise search for every one of its ~300 words.
MAX_SEARCHES_PER_TEXT = 24
# Known words scored per typo, when a large catalog gives one typo more neighbours than this.
MAX_CANDIDATES = 64


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

    def for_one_text(self) -> Callable[[str], str]:
        """``correct`` for the words of one message: after ``MAX_SEARCHES_PER_TEXT`` words
        that needed a search, the rest stay as typed."""
        searches = 0

        def correct(word: str) -> str:
            nonlocal searches
            if not self._searchable(word) or searches >= MAX_SEARCHES_PER_TEXT:
                return word
            searches += 1
            return self.correct(word)

        return correct

    def _searchable(self, word: str) -> bool:
        return word not in self._known and _MIN_LEN <= len(word) <= self._longest and word.isalpha()

    def _correct(self, word: str) -> str:
        if not self._searchable(word):
            return word
        limit = _max_edits(word)
        candidates = {c for v in _deletes(word, limit) for c in self._index.get(v, ())}
        scored = [(edit_distance(word, c), c) for c in self._likeliest(word, candidates)]
        scored = [(d, c) for d, c in scored if d <= min(limit, _max_edits(c))]
        if not scored:
            return word
        # Closest first; among equals prefer lexicon words, then the same first letter.
        scored.sort(key=lambda dc: (dc[0], *self._preference(word, dc[1])))
        return scored[0][1]

    def _preference(self, word: str, candidate: str) -> tuple[bool, bool, str]:
        return candidate not in self._preferred, candidate[0] != word[0], candidate

    def _likeliest(self, word: str, candidates: set[str]) -> list[str]:
        """The candidates worth an edit distance (each costs one table of len² cells)."""
        if len(candidates) <= MAX_CANDIDATES:
            return list(candidates)
        ranked = sorted(candidates, key=lambda c: self._preference(word, c))
        return ranked[:MAX_CANDIDATES]
