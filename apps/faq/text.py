"""Turn Chinese, English or mixed text into retrieval units.

A unit is a string with a kind prefix:
- ``c:<concept>``: a lexicon concept, shared by both languages (the cross-language bridge);
- ``w:<word>``: a word the lexicon does not know (an English stem or a jieba word);
- ``n:<digits>``: a number, which only ever adds evidence (see ``index.py``);
- ``g:<two characters>``: a Chinese character bigram (``lexical_units`` only), which still
  matches where jieba cut the question and the entry differently.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import jieba

from apps.config.languages import has_han
from apps.faq import lexicon

jieba.setLogLevel(logging.WARNING)

# A Chinese run may carry digits (双11, 7天); a digit run on its own is treated as English.
_RUN = re.compile(r"[\u3400-\u9fff0-9]*[\u3400-\u9fff][\u3400-\u9fff0-9]*|[a-z]+|[0-9]+")
_NOT_WORD = re.compile(r"[^\w\u3400-\u9fff]+|_")
_APOSTROPHES = re.compile(r"['’‘`´]")
_MAX_PHRASE = 4
# jieba's HMM guesses new words at ~8 µs a character where its dictionary splits nothing
# (1,000 × 太好: 17 ms, against 2 ms without). Questions are short: a longer chunk is cut
# with the dictionary alone, so a message at the size cap stays within its budget.
_HMM_MAX_CHARS = 160

Corrector = Callable[[str], str]


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), case-folded, apostrophes joined, punctuation to spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _APOSTROPHES.sub("", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


def stem(word: str) -> str:
    """A deliberately small suffix stripper: it only has to agree with itself on both sides."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("sses", "ss"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return _undouble(word[: -len(suffix)] + repl)
    if word.endswith("es") and word[-3] in "sxz" and len(word) > 4:
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    # shipp -> ship, cancell -> cancel; keep "ss" (address).
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "sz" and word[-1].isalpha():
        return word[:-1]
    return word.removesuffix("e") if len(word) > 4 else word


@dataclass(frozen=True)
class Lexicon:
    """The lexicon compiled for fast lookup: Chinese terms and stemmed English phrases."""

    zh_terms: dict[str, tuple[str, ...]]
    zh_max_len: int
    en_phrases: dict[tuple[str, ...], tuple[str, ...]]
    en_surface_words: frozenset[str]


@lru_cache(maxsize=1)
def compiled_lexicon() -> Lexicon:
    zh: dict[str, set[str]] = {}
    en: dict[tuple[str, ...], set[str]] = {}
    surface: set[str] = set()
    for concept, spec in lexicon.CONCEPTS.items():
        for term in (t.strip() for t in spec.split("|")):
            if not term:
                continue
            if has_han(term):
                zh.setdefault(normalize(term).replace(" ", ""), set()).add(concept)
                continue
            words = normalize(term).split()
            surface.update(words)
            key = tuple(_english_stems(words, corrector=None))
            if key:
                en.setdefault(key, set()).add(concept)
    return Lexicon(
        zh_terms={k: tuple(sorted(v)) for k, v in zh.items()},
        zh_max_len=max(map(len, zh)),
        en_phrases={k: tuple(sorted(v)) for k, v in en.items()},
        en_surface_words=frozenset(surface),
    )


def analyze(text: str, corrector: Corrector | None = None) -> list[str]:
    """Units for a text, in order (duplicates kept; callers decide how to count them)."""
    units: list[str] = []
    english: list[str] = []
    for run in _RUN.findall(normalize(text)):
        if has_han(run):
            units.extend(_english_units(english, corrector))
            english = []
            units.extend(_chinese_units(run))
        else:
            english.append(run)
    units.extend(_english_units(english, corrector))
    return units


# --- English -------------------------------------------------------------------------------


def _english_stems(words: Iterable[str], corrector: Corrector | None) -> list[str]:
    stems: list[str] = []
    for word in words:
        word = lexicon.EN_REWRITES.get(word, word)
        if corrector is not None and not word.isdigit():
            word = corrector(word)
        if word in lexicon.EN_NEGATIONS:
            word = "not"
        if word in lexicon.EN_HARD_STOPWORDS:
            continue
        stems.extend(stem(part) for part in word.split())
    return stems


def _english_units(words: list[str], corrector: Corrector | None) -> list[str]:
    if not words:
        return []
    stems = _english_stems(words, corrector)
    phrases = compiled_lexicon().en_phrases
    units: list[str] = []
    i = 0
    while i < len(stems):
        for size in range(min(_MAX_PHRASE, len(stems) - i), 0, -1):
            concepts = phrases.get(tuple(stems[i : i + size]))
            if concepts:
                units.extend(f"c:{c}" for c in concepts)
                i += size
                break
        else:
            units.extend(_leftover_english(stems[i]))
            i += 1
    return units


def _leftover_english(word: str) -> list[str]:
    if word.isdigit():
        return [f"n:{word}"]
    if len(word) < 2 or word in _SOFT_STEMS:
        return []
    return [f"w:{word}"]


_SOFT_STEMS = frozenset(stem(w) for w in lexicon.EN_SOFT_STOPWORDS) | lexicon.EN_SOFT_STOPWORDS


# --- Chinese -------------------------------------------------------------------------------


def _chinese_units(run: str) -> list[str]:
    """Lexicon terms where they cover the most text; jieba segments what the lexicon leaves."""
    lex = compiled_lexicon()
    units: list[str] = []
    residual: list[str] = []
    for piece, is_term in _segment(run, lex):
        if not is_term:
            residual.append(piece)
            continue
        units.extend(_jieba_units("".join(residual)))
        residual = []
        units.extend(f"c:{c}" for c in lex.zh_terms[piece])
    units.extend(_jieba_units("".join(residual)))
    return units


def _segment(run: str, lex: Lexicon) -> list[tuple[str, bool]]:
    """Cover as many characters with terms as possible, then use as few terms as possible.

    Greedy longest-match gets "几天到账" wrong (几天到 + 账); this prefers 几天 + 到账.
    """
    n = len(run)
    # best[i] = (characters covered, -terms used, length of the term at i or 0) for run[i:]
    best: list[tuple[int, int, int]] = [(0, 0, 0)] * (n + 1)
    for i in range(n - 1, -1, -1):
        covered, terms, _ = best[i + 1]
        choice = (covered, terms, 0)
        for size in range(1, min(lex.zh_max_len, n - i) + 1):
            if run[i : i + size] in lex.zh_terms:
                covered, terms, _ = best[i + size]
                choice = max(choice, (covered + size, terms - 1, size))
        best[i] = choice
    pieces, i = [], 0
    while i < n:
        size = best[i][2]
        pieces.append((run[i : i + size], True) if size else (run[i], False))
        i += size or 1
    return pieces


def _jieba_units(chunk: str) -> list[str]:
    if not chunk:
        return []
    units = []
    for word in jieba.lcut(chunk, HMM=len(chunk) <= _HMM_MAX_CHARS):
        word = word.strip()
        if not word or word in lexicon.ZH_STOPWORDS:
            continue
        units.append(f"n:{word}" if word.isdigit() else f"w:{word}")
    return units


def lexical_units(text: str, corrector: Corrector | None = None) -> list[str]:
    """``analyze``'s units plus the character bigrams of the Chinese runs: what BM25 indexes."""
    bigrams = [
        f"g:{run[i : i + 2]}"
        for run in _RUN.findall(normalize(text))
        if has_han(run)
        for i in range(len(run) - 1)
        if not _is_filler(run[i : i + 2])
    ]
    return analyze(text, corrector) + bigrams


def _is_filler(bigram: str) -> bool:
    """A stopword, or two single-character stopwords: 你好, 请问, 的吗 say nothing."""
    stop = lexicon.ZH_STOPWORDS
    return bigram in stop or (bigram[0] in stop and bigram[1] in stop) or bigram.isdigit()


def warm_up() -> None:
    """Load jieba's dictionary now (about a second) rather than inside the first match."""
    jieba.initialize()
    compiled_lexicon()
