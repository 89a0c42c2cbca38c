"""Offline sentiment tagger for shop chat in Chinese, English and a mix of both.

A cue lexicon (``apps.sentiment.lexicon``) plus a handful of rules that generic sentiment
models get wrong on customer-service text:

- domain complaint cues: 还没发货, 退款怎么还没到, "hasn't shipped", "where is my refund";
- a plain question is neutral even when it names a refund or a return (退款多久到账?);
- negation and its scope: 不好 / "not good" are negative, 不错 / "not bad" positive;
- intensifiers and downtoners (太, 非常, very, !!!; 有点, a bit);
- sarcasm: praise followed by a complaint, or marked by 呵呵 / 🙄, counts as a complaint;
- politeness that masks anger ("thanks for nothing", 真是谢谢你们啊);
- 绝了 / "lol" take the polarity of the rest of the message;
- a cue-less statement (a plain complaint narrative: 收到的衣服有一块污渍) goes to a small
  Naive Bayes (``apps.sentiment.fallback``) trained in-process on hand-written chat.

Offline and Django-free: importing compiles the lexicon (~0.15 s); the first cue-less message
trains the fallback (~0.05 s). Typical cost per message is ~0.1 ms.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from itertools import islice, takewhile
from types import ModuleType
from typing import Literal

from apps.sentiment import fallback
from apps.sentiment.lexicon import en, shared, zh

Label = Literal["negative", "neutral", "positive"]

# score = tanh(cue sum / SCORE_SCALE), in [-1, 1]. The scale keeps "strong" (≤ -0.75, a cue
# sum ≤ -1.56) for about a fifth of complaints: anger, threats, several failures at once, not
# every two-cue complaint like 都一周了还没发货 (-0.69).
SCORE_SCALE = 1.6
NEGATIVE_THRESHOLD = -0.16
POSITIVE_THRESHOLD = 0.16
STRONG_NEGATIVE_SCORE = -0.75

# Cues at least this strong keep their weight inside a plain question ("凭什么?").
QUESTION_PROOF_WEIGHT = 0.55
QUESTION_NEG_DAMPING = 0.3
QUESTION_POS_DAMPING = 0.35
# A cue under a condition ("如果坏了", "if it arrives damaged") is hypothetical.
CONDITIONAL_DAMPING = 0.25
# Thanks in a request or next to a complaint is courtesy, not praise.
POLITE_DAMPING = 0.3
# A cue at least this negative counts as a complaint for the sarcasm and repetition rules.
COMPLAINT_WEIGHT = 0.4
SARCASM_FLIP = -0.8
NEGATED_POSITIVE = -0.8
NEGATED_NEGATIVE = -0.6
BEFORE_CONTRAST = 0.7
AFTER_CONTRAST = 1.2
MAX_MULTIPLIER = 2.2
# Units (a CJK character or an ASCII word) allowed between a negator and its cue, not counting
# intensifiers: "not very good" / 不是很好 are negated. Chinese allows a gap only of auxiliary
# words (不会再回购, 没让我失望), so 赔不了我耽误的时间 is not negated.
NEGATION_WINDOW_EN = 3
NEGATION_WINDOW_ZH = 3
ZH_NEGATION_GAP = frozenset(
    "会再让我你您人太很是那么什怎能要想算够用得被给令使这样特别非常大都也就还"
)
MODIFIER_WINDOW = 2
# A modifier or negator that ends this many characters or more before a cue is out of its
# scope, whatever lies between. Real ones sit a few words away; the bound keeps a hostile
# message (1,000 × 太好) at a few comparisons per cue instead of one per earlier modifier.
MAX_REACH_CHARS = 64
# Naive Bayes fallback (no cue found): trusted past this log-odds margin over neutral,
# and mapped to a modest score that can never reach STRONG_NEGATIVE_SCORE.
FALLBACK_MARGIN = 2.0
FALLBACK_BASE_SCORE = 0.2
FALLBACK_SCORE_PER_MARGIN = 0.02
FALLBACK_MAX_SCORE = 0.4


@dataclass(frozen=True, slots=True)
class SentimentResult:
    """``score`` < 0 is negative; ``strong`` marks a strongly negative message."""

    label: Label
    score: float
    strong: bool = False
    cues: tuple[str, ...] = field(default=(), compare=False)


class Kind(Enum):
    POS = "pos"
    NEG = "neg"
    POLITE = "polite"
    SHADOW = "shadow"
    NEGATOR = "negator"
    INTENSIFIER = "intensifier"
    DOWNTONER = "downtoner"
    CONTRAST = "contrast"
    CONDITIONAL = "conditional"
    CONDITIONAL_POST = "conditional_post"
    REPETITION = "repetition"
    SARCASM = "sarcasm"
    SARCASM_WEAK = "sarcasm_weak"
    CONTEXTUAL = "contextual"


SCORED = frozenset({Kind.POS, Kind.NEG, Kind.POLITE, Kind.SARCASM})


@dataclass(frozen=True, slots=True)
class Entry:
    kind: Kind
    weight: float


@dataclass(slots=True)
class Token:
    start: int
    end: int
    text: str
    entry: Entry
    contrib: float = 0.0


# --------------------------------------------------------------------------- normalisation

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "「": '"', "」": '"'})
_HANT = str.maketrans(shared.HANT_TO_HANS)
_STRIP = re.compile("[\ufe0f\ufe0e\u200d\u200b\U0001f3fb-\U0001f3ff]")
_LETTER_RUN = re.compile(r"([a-z])\1{2,}")
_ASCII_WORD = re.compile(r"[a-z']+")
_SPACES = re.compile(r"\s+")
# No cue is a word this long: such a run is noise (or an attack), and every cue pattern
# would try each of its letters.
_OVERLONG_WORD = re.compile(r"[a-z0-9]{40,}+")


def _fold(text: str) -> str:
    """Width, case, script and emoji-variant folding shared by the text and the lexicon keys."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).translate(_HANT)
    return _STRIP.sub("", text).lower()


def _fix_typo(match: re.Match[str]) -> str:
    word = match.group(0)
    return shared.TYPOS.get(word, word)


def normalize(text: str) -> str:
    """Fold the text, shorten letter runs ("soooo" → "soo"), drop words too long to be one,
    and fix common English typos."""
    text = _OVERLONG_WORD.sub(" ", _LETTER_RUN.sub(r"\1\1", _fold(text)))
    text = _ASCII_WORD.sub(_fix_typo, text)
    return _SPACES.sub(" ", text).strip()


# --------------------------------------------------------------------------- compiled lexicon


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _bounded(pattern: str, first: str, last: str) -> str:
    """Wrap a cue in ASCII word boundaries where it starts or ends with a letter or digit."""
    left = r"(?<![a-z0-9])" if _is_ascii_alnum(first) else ""
    right = r"(?![a-z0-9])" if _is_ascii_alnum(last) else ""
    return f"{left}{pattern}{right}"


def _literal_table() -> dict[str, Entry]:
    groups: list[tuple[Kind, Iterable[str] | dict[str, float]]] = []
    for lang in (zh, en):
        groups += [
            (Kind.POS, lang.POSITIVE),
            (Kind.NEG, lang.NEGATIVE),
            (Kind.POLITE, lang.POLITE),
            (Kind.SARCASM, lang.SARCASM),
            (Kind.CONTEXTUAL, lang.CONTEXTUAL),
            (Kind.INTENSIFIER, lang.INTENSIFIERS),
            (Kind.DOWNTONER, lang.DOWNTONERS),
            (Kind.SHADOW, lang.SHADOW),
            (Kind.NEGATOR, lang.NEGATORS),
            (Kind.CONTRAST, lang.CONTRAST),
            (Kind.CONDITIONAL, lang.CONDITIONAL),
            (Kind.CONDITIONAL_POST, lang.CONDITIONAL_POST),
            (Kind.REPETITION, lang.REPETITION),
            (Kind.SARCASM_WEAK, lang.SARCASM_WEAK),
        ]
    groups += [(Kind.POS, {k: v for k, v in shared.EMOJI.items() if v > 0})]
    groups += [(Kind.NEG, {k: v for k, v in shared.EMOJI.items() if v < 0})]
    groups += [(Kind.SARCASM, shared.SARCASM_EMOJI)]
    table: dict[str, Entry] = {}
    for kind, items in groups:
        weights = items if isinstance(items, dict) else dict.fromkeys(items, 0.0)
        for key, weight in weights.items():
            # Keys go through the same normalisation as the text, so "thank u" matches too.
            # First definition wins; tests/sentiment guard against accidental duplicates.
            table.setdefault(normalize(key), Entry(kind, weight))
    return table


def _index_literals(table: dict[str, Entry]) -> dict[str, tuple[int, ...]]:
    """First character → candidate key lengths, longest first (a flat trie, fast in CPython)."""
    lengths: dict[str, set[int]] = {}
    for key in table:
        lengths.setdefault(key[0], set()).add(len(key))
    return {ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()}


def _compile_patterns(lang: ModuleType, boundary: bool) -> list[tuple[re.Pattern[str], Entry]]:
    """One regex per cue. Separate scans beat one big alternation here: each pattern keeps
    re's literal-prefix search, and a failed scan costs about a microsecond."""
    specs = [(p, Entry(Kind.NEG, w)) for p, w in lang.NEG_PATTERNS]
    specs += [(p, Entry(Kind.POS, w)) for p, w in lang.POS_PATTERNS]
    specs += [(p, Entry(Kind.SHADOW, 0.0)) for p in lang.SHADOW_PATTERNS]
    return [
        (re.compile(_bounded(f"(?:{p})", "a", "a") if boundary else p), entry) for p, entry in specs
    ]


def _compile_any(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


LITERALS = _literal_table()
_LITERAL_LENGTHS = _index_literals(LITERALS)
_ZH_PATTERNS = _compile_patterns(zh, boundary=False)
_EN_PATTERNS = _compile_patterns(en, boundary=True)
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
_LITERAL_START = re.compile(r"[a-z0-9]+|[^a-z0-9]", re.DOTALL)
_HAS_LATIN = re.compile(r"[a-z]")
_QUESTION_RE = _compile_any(zh.QUESTION_PATTERNS + en.QUESTION_PATTERNS)
_REQUEST_RE = _compile_any(
    zh.REQUEST_PATTERNS + en.REQUEST_PATTERNS + zh.ACK_PATTERNS + en.ACK_PATTERNS
)
_POLICY_RE = _compile_any(zh.POLICY_QUESTION_PATTERNS + en.POLICY_QUESTION_PATTERNS)
_RESOLUTION_RE = _compile_any(zh.RESOLUTION_PATTERNS + en.RESOLUTION_PATTERNS)
_SENTENCE_RE = re.compile(r"[^.!?。\n]+[.!?。\n]*|[.!?。\n]+")
_CLAUSE_PUNCT = re.compile(r"[,.!?;:。、\n]")
_UNIT_RE = re.compile(r"[a-z0-9']+|[\u3400-\u9fff]")
_EXCLAIM_RE = re.compile(r"!{2,}|!\s*!")
_DOUBLE_Q_RE = re.compile(r"\?{2,}")
_TRIPLE_Q_RE = re.compile(r"\?{3,}")
_CAPS_RE = re.compile(r"\b[A-Z]{3,}\b")
# Upper-case words that are codes, not shouting.
_CAPS_OK = shared.words(
    "USB|DHL|UPS|USPS|EMS|SF|ETA|FAQ|ASAP|USA|UK|EU|ID|SKU|OK|PDF|VIP|APP|CEO|LED|HDMI|XXL|XXXL|"
    "NFC|GPS|TV|PC|CS|COD|VAT|GST|AM|PM|FEDEX|DPD|TNT|SMS|URL|QR"
)


# --------------------------------------------------------------------------- matching


def _literal_at(text: str, i: int) -> str | None:
    """Longest lexicon key starting at ``i`` that respects ASCII word boundaries."""
    lengths = _LITERAL_LENGTHS.get(text[i])
    if not lengths:
        return None
    if _is_ascii_alnum(text[i]) and i > 0 and _is_ascii_alnum(text[i - 1]):
        return None  # inside an English word
    size = len(text)
    for length in lengths:
        end = i + length
        if end > size:
            continue
        key = text[i:end]
        if key in LITERALS and not (
            end < size and _is_ascii_alnum(key[-1]) and _is_ascii_alnum(text[end])
        ):
            return key
    return None


def _match(text: str) -> list[Token]:
    """All cue matches, then a left-to-right longest-first pass that drops overlaps."""
    found: list[Token] = []
    # Only where a key may start: not inside an English word (a 2,000-letter one is 1 try).
    for i in (m.start() for m in _LITERAL_START.finditer(text)):
        key = _literal_at(text, i)
        if key is not None:
            found.append(Token(i, i + len(key), key, LITERALS[key]))
    for patterns, gate in ((_ZH_PATTERNS, _HAS_CJK), (_EN_PATTERNS, _HAS_LATIN)):
        if not gate.search(text):
            continue  # most messages are one language: skip the other scan
        for pattern, entry in patterns:
            for m in pattern.finditer(text):
                if m.end() > m.start():
                    found.append(Token(m.start(), m.end(), m.group(0), entry))
    found.sort(key=lambda t: (t.start, t.start - t.end))
    chosen: list[Token] = []
    last_end = 0
    for token in found:
        if token.start >= last_end:
            chosen.append(token)
            last_end = token.end
    return chosen


# --------------------------------------------------------------------------- scoring


@dataclass(slots=True)
class _Context:
    """Per-message facts the rules need: where clauses and question sentences are."""

    text: str
    clause_starts: list[int]
    sentence_spans: list[tuple[int, int, bool]]
    sentence_starts: list[int]

    @classmethod
    def build(cls, text: str) -> _Context:
        clause_starts = [0] + [m.end() for m in _CLAUSE_PUNCT.finditer(text)]
        spans = []
        for m in _SENTENCE_RE.finditer(text):
            sentence = m.group(0).strip()
            spans.append((m.start(), m.end(), bool(sentence and _QUESTION_RE.search(sentence))))
        return cls(text, clause_starts, spans, [start for start, _, _ in spans])

    def clause_of(self, pos: int) -> int:
        return bisect_right(self.clause_starts, pos)

    def sentence_of(self, pos: int) -> tuple[int, bool]:
        index = bisect_right(self.sentence_starts, pos) - 1
        if index >= 0:
            _, end, is_question = self.sentence_spans[index]
            if pos < end:
                return index, is_question
        return len(self.sentence_spans), False

    def units_between(self, start: int, end: int) -> int:
        return len(_UNIT_RE.findall(self.text, start, end))

    def at_most_units(self, start: int, end: int, most: int) -> bool:
        """``units_between(start, end) <= most``, reading no further than it must."""
        return len(list(islice(_UNIT_RE.finditer(self.text, start, end), most + 1))) <= most


@dataclass(slots=True)
class _Marks:
    """The tokens of one kind, in text order, found by position with a binary search."""

    tokens: list[Token]
    starts: list[int]

    @classmethod
    def of(cls, tokens: list[Token], kind: Kind) -> _Marks:
        found = [t for t in tokens if t.entry.kind is kind]
        return cls(found, [t.start for t in found])

    def last_before(self, pos: int) -> Token | None:
        index = bisect_left(self.starts, pos)
        return self.tokens[index - 1] if index else None

    def first_after(self, pos: int) -> Token | None:
        index = bisect_right(self.starts, pos)
        return self.tokens[index] if index < len(self.tokens) else None


def _within_reach(modifiers: list[Token], pos: int) -> list[Token]:
    """The modifiers (in text order, all before ``pos``) that end within reach of it."""
    first = len(modifiers)
    while first and pos - modifiers[first - 1].end < MAX_REACH_CHARS:
        first -= 1
    return modifiers[first:]


def _in_scope(
    ctx: _Context, modifier: Token | None, token: Token, window: int, skip: int = 0
) -> bool:
    """A modifier applies to a cue in the same clause, at most ``window`` units before it
    (``skip`` units of intensifiers in between are not counted)."""
    if modifier is None or modifier.end > token.start:
        return False
    if token.start - modifier.end >= MAX_REACH_CHARS:
        return False
    if ctx.clause_of(modifier.start) != ctx.clause_of(token.start):
        return False
    return ctx.units_between(modifier.end, token.start) - skip <= window


def _negated(ctx: _Context, negator: Token | None, token: Token, boosts: list[Token]) -> bool:
    if negator is None or token.start - negator.end >= MAX_REACH_CHARS:
        return False
    skip = sum(
        ctx.units_between(b.start, b.end)
        for b in _within_reach(boosts, token.start)
        if negator.end <= b.start and b.end <= token.start
    )
    if negator.text.isascii():
        return _in_scope(ctx, negator, token, NEGATION_WINDOW_EN, skip)
    gap = ctx.text[negator.end : token.start]
    if any(ch not in ZH_NEGATION_GAP for ch in gap if not ch.isspace()):
        return False
    return _in_scope(ctx, negator, token, NEGATION_WINDOW_ZH, skip)


def _base_contributions(ctx: _Context, tokens: list[Token], polite_damped: bool) -> None:
    """Weight × negation × intensity × question/condition damping, per cue."""
    negator: Token | None = None
    boosts: list[Token] = []
    conditions = _Marks.of(tokens, Kind.CONDITIONAL)
    post_conditions = _Marks.of(tokens, Kind.CONDITIONAL_POST)
    for token in tokens:
        kind = token.entry.kind
        if kind is Kind.NEGATOR:
            negator = token
            continue
        if kind in (Kind.INTENSIFIER, Kind.DOWNTONER):
            boosts.append(token)
            continue
        if kind not in SCORED:
            continue
        value = token.entry.weight * min(_multiplier(ctx, boosts, token), MAX_MULTIPLIER)
        if kind is not Kind.SARCASM and _negated(ctx, negator, token, boosts):
            value *= NEGATED_POSITIVE if value > 0 else NEGATED_NEGATIVE
        value *= _damping(ctx, token, value, conditions, post_conditions)
        if kind is Kind.POLITE and polite_damped:
            value *= POLITE_DAMPING
        token.contrib = value


def _multiplier(ctx: _Context, boosts: list[Token], token: Token) -> float:
    """The product of the intensifiers and downtoners in scope of ``token``. Scope ends at
    the nearest one out of it: those before it are further away, or in an earlier clause."""
    nearest = takewhile(
        lambda boost: _in_scope(ctx, boost, token, MODIFIER_WINDOW), reversed(boosts)
    )
    return math.prod(boost.entry.weight for boost in reversed(list(nearest)))


def _damping(
    ctx: _Context,
    token: Token,
    value: float,
    conditions: _Marks,
    post_conditions: _Marks,
) -> float:
    """Hypothetical and interrogative cues count for less. Sentences and clauses are spans:
    a condition shares the cue's if the nearest one on that side does."""
    sentence, is_question = ctx.sentence_of(token.start)
    factor = 1.0
    cond = conditions.last_before(token.start)
    if cond is not None and ctx.sentence_of(cond.start)[0] == sentence:
        factor *= CONDITIONAL_DAMPING
    cond = post_conditions.first_after(token.start)
    if cond is not None and ctx.clause_of(cond.start) == ctx.clause_of(token.start):
        factor *= CONDITIONAL_DAMPING
    if is_question:
        if value > 0:
            factor *= QUESTION_POS_DAMPING
        elif abs(token.entry.weight) < QUESTION_PROOF_WEIGHT:
            factor *= QUESTION_NEG_DAMPING
    return factor


def _is_complaint(token: Token) -> bool:
    return token.contrib <= -COMPLAINT_WEIGHT


def _apply_contrast(tokens: list[Token]) -> None:
    """What follows "but / 但是" is what the customer means."""
    contrasts = [t.start for t in tokens if t.entry.kind is Kind.CONTRAST]
    if not contrasts:
        return
    pivot = contrasts[-1]
    for token in tokens:
        if token.contrib:
            token.contrib *= BEFORE_CONTRAST if token.start < pivot else AFTER_CONTRAST


def _apply_sarcasm(ctx: _Context, tokens: list[Token]) -> bool:
    """Praise next to a complaint is sarcasm: 太好了,又延迟了 / "great, another delay"."""
    praise = [t for t in tokens if t.contrib > 0 and t.entry.kind in (Kind.POS, Kind.POLITE)]
    if not praise:
        return False
    if _RESOLUTION_RE.search(ctx.text):
        return False  # "was broken, the replacement works great": sincere
    complaints = [t for t in tokens if _is_complaint(t)]
    strong_marker = any(t.entry.kind is Kind.SARCASM for t in tokens)
    weak_marker = any(t.entry.kind is Kind.SARCASM_WEAK for t in tokens) or _scare_quotes(ctx.text)
    flip = (
        strong_marker
        or (bool(complaints) and weak_marker)
        or (bool(complaints) and _praise_before_complaint(tokens, praise, complaints))
        or _curt_praise_after_complaint(ctx, praise, _complaint_cues(tokens))
    )
    if flip:
        for token in praise:
            token.contrib = SARCASM_FLIP * token.contrib
    return flip


def _praise_before_complaint(
    tokens: list[Token], praise: list[Token], complaints: list[Token]
) -> bool:
    last_complaint = complaints[-1].start
    first_praise = praise[0].start
    if first_praise > last_complaint:
        return False
    between = (t for t in tokens if first_praise < t.start < last_complaint)
    return not any(t.entry.kind is Kind.CONTRAST for t in between)


def _complaint_cues(tokens: list[Token]) -> list[Token]:
    """Complaint cues by lexicon weight, even when a question damped them ("doesn't apply?")."""
    return [
        t
        for t in tokens
        if t.entry.kind is Kind.NEG and t.entry.weight <= -COMPLAINT_WEIGHT and t.contrib < 0
    ]


def _curt_praise_after_complaint(
    ctx: _Context, praise: list[Token], complaints: list[Token]
) -> bool:
    """ "Package lost. Great." A one-word verdict after a complaint is not praise."""
    if not complaints:
        return False
    first_complaint = complaints[0].start
    for token in praise:
        if token.start < first_complaint:
            continue
        index, _ = ctx.sentence_of(token.start)
        start, end, _ = ctx.sentence_spans[index]
        if ctx.at_most_units(start, end, 2):
            return True
    return False


def _scare_quotes(text: str) -> bool:
    # "express" shipping: a short quoted phrase is a common sarcasm device.
    return bool(re.search(r'"[^"]{1,30}"', text))


def _polite_damped(text: str, tokens: list[Token]) -> bool:
    """Thanks in a request, a question, an acknowledgement or next to a complaint is not praise."""
    if _REQUEST_RE.search(text) or _QUESTION_RE.search(text):
        return True
    return any(t.entry.kind is Kind.NEG and t.entry.weight <= -COMPLAINT_WEIGHT for t in tokens)


def _policy_damping(text: str, tokens: list[Token]) -> None:
    """不满意能退吗 / "can I return it if ..." asks about policy; it is not a complaint."""
    if not _POLICY_RE.search(text):
        return
    for token in tokens:
        if 0 > token.contrib > -0.75:
            token.contrib *= QUESTION_NEG_DAMPING


def _contextual(tokens: list[Token]) -> None:
    """绝了 / lol: the rest of the message decides the sign."""
    rest = sum(t.contrib for t in tokens if t.entry.kind is not Kind.CONTEXTUAL)
    for token in tokens:
        if token.entry.kind is Kind.CONTEXTUAL:
            sign = 1.0 if rest > 0.1 else -1.0 if rest < -0.1 else 0.0
            token.contrib = sign * token.entry.weight


def _repetition_bonus(tokens: list[Token]) -> float:
    """又 / again / third time: more of a complaint, never a complaint on its own."""
    if not any(_is_complaint(t) for t in tokens):
        return 0.0
    count = sum(1 for t in tokens if t.entry.kind is Kind.REPETITION)
    return -0.3 * min(count, 2)


def _punctuation(raw: float, original: str) -> float:
    """!!, ?? and SHOUTING scale the message's polarity."""
    if _TRIPLE_Q_RE.search(original) and raw <= 0:
        raw -= 0.35  # "人呢?????": impatience even without a cue word
    elif raw < 0 and _DOUBLE_Q_RE.search(original):
        raw -= 0.3
    if _EXCLAIM_RE.search(original):
        raw *= 1.25
    caps = [w for w in _CAPS_RE.findall(original) if w not in _CAPS_OK]
    if caps and raw < 0:
        raw *= 1.2
    return raw


def _raw_score(original: str, text: str) -> tuple[float, list[Token]]:
    tokens = _match(text)
    ctx = _Context.build(text)
    _base_contributions(ctx, tokens, _polite_damped(text, tokens))
    _policy_damping(text, tokens)
    _apply_contrast(tokens)
    _apply_sarcasm(ctx, tokens)
    _contextual(tokens)
    raw = sum(t.contrib for t in tokens) + _repetition_bonus(tokens)
    normalized_punct = unicodedata.normalize("NFKC", original)
    return _punctuation(raw, normalized_punct), tokens


def _label(score: float) -> Label:
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    return "neutral"


def _fallback(normalized: str, tokens: list[Token], raw: float) -> SentimentResult | None:
    """Ask the Naive Bayes only about cue-less statements; questions and acks stay neutral."""
    if raw or any(t.entry.kind in SCORED or t.entry.kind is Kind.CONTEXTUAL for t in tokens):
        return None
    if _QUESTION_RE.search(normalized) or _REQUEST_RE.search(normalized):
        return None
    label, margin = fallback.default_model().predict(normalized)
    if label == "neutral" or margin < FALLBACK_MARGIN:
        return None
    magnitude = min(FALLBACK_BASE_SCORE + FALLBACK_SCORE_PER_MARGIN * margin, FALLBACK_MAX_SCORE)
    score = magnitude if label == "positive" else -magnitude
    return SentimentResult(_label(score), round(score, 4), cues=(f"nb:{label}:{margin:.1f}",))


def tag(text: str) -> SentimentResult:
    """Tag one chat message. Never raises on odd input; an empty message is neutral."""
    if not isinstance(text, str):
        raise TypeError(f"tag() expects str, got {type(text).__name__}")
    normalized = normalize(text)
    if not normalized:
        return SentimentResult("neutral", 0.0)
    raw, tokens = _raw_score(text, normalized)
    guessed = _fallback(normalized, tokens, raw)
    if guessed is not None:
        return guessed
    score = round(math.tanh(raw / SCORE_SCALE), 4)
    label = _label(score)
    cues = tuple(f"{t.text}:{t.contrib:+.2f}" for t in tokens if t.contrib)
    return SentimentResult(label, score, strong=score <= STRONG_NEGATIVE_SCORE, cues=cues)
