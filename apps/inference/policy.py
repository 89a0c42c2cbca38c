"""What a model's reply may say: refunds, coupons and prices are the shop's word, never the model's.

``reply_check(text, knowledge)`` holds back a reply that states what the shop's knowledge
base (the FAQ's answers) does not: a coupon or promo code, an amount of money or a
percentage (``¥``, ``$``, ``元``, ``%``, ``折``), a refund, compensation or coupon promise no
entry backs, or a long quote of the system prompt. Claims are compared with the knowledge
base's own text, so an edited FAQ changes what passes, with no list of allowed sentences.

It runs on model text only (``ReplyStream`` checks every model route as it streams); FAQ
answers are the shop's own, and the answer cache only holds replies that passed.

A promise is backed when one entry states most of it, compared in the FAQ retrieval's units
(shop concepts shared by Chinese and English, so a Chinese promise may be backed by an
English entry). Not recognised: numbers written out in English words, and a prompt quoted
in translation.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from apps.faq.retrieval import faq_answers
from apps.faq.text import analyze
from apps.inference.prompts import system_prompt

logger = logging.getLogger(__name__)


class HeldReason(StrEnum):
    """Why a reply was held back (``Message.held_reason``)."""

    COUPON_CODE = "coupon_code"
    AMOUNT = "amount"
    PROMISE = "refund_promise"
    PROMPT_LEAK = "prompt_leak"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""  # a HeldReason when not allowed


ALLOWED = Verdict(allowed=True)


@dataclass(frozen=True)
class Knowledge:
    """The claims the shop's knowledge base makes, in the form replies are compared in."""

    amounts: frozenset[tuple[str, Decimal]]  # ("CNY", 299), ("percent", 12)
    codes: frozenset[str]  # code-like tokens, upper-cased
    promises: tuple[frozenset[str], ...]  # content units of each text that speaks of refunds


# -- amounts -------------------------------------------------------------------------

_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+"
_CURRENCY = {"$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD"}
_CURRENCY |= {"bucks": "USD", "美元": "USD", "美金": "USD", "hk$": "HKD", "港币": "HKD"}
_MONEY_BEFORE = re.compile(
    rf"(?<![A-Za-z])(?P<cur>US\$|HK\$|\$|¥|￥|RMB|CNY|USD)\s?(?P<num>{_NUM})", re.IGNORECASE
)
_MONEY_AFTER = re.compile(
    rf"(?P<num>{_NUM})\s?(?P<cur>元|块|人民币|美元|美金|港币|yuan|rmb|cny|usd|dollars?|bucks)"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)
_PERCENT = re.compile(rf"(?P<num>{_NUM})\s?(?:%|％|percent\b|per cent\b)|百分之(?P<zh>{_NUM})")
_ZHE = re.compile(rf"(?P<num>{_NUM})\s?折")  # 88折 = you pay 88%: 12% off


def _number(text: str) -> Decimal:
    if text[0].isdigit():
        return Decimal(text.replace(",", ""))
    if not any(c in _ZH_UNITS for c in text):  # 八八 (as in 八八折) is read digit by digit
        return Decimal("".join(str(_ZH_DIGITS[c]) for c in text))
    total = section = digit = 0
    for char in text:
        if char in _ZH_DIGITS:
            digit = _ZH_DIGITS[char]
        elif char == "万":
            total, section, digit = total + (section + digit) * 10000, 0, 0
        else:
            section, digit = section + (digit or 1) * _ZH_UNITS[char], 0
    return Decimal(total + section + digit)


def _percent_off(paid: Decimal) -> Decimal:
    return 100 - (paid * 10 if paid < 10 else paid)


def amounts_in(text: str) -> set[tuple[str, Decimal]]:
    """Every amount of money and percentage in ``text``, a 折 discount as its percent off."""
    found = {
        (_CURRENCY.get(m["cur"].lower(), "CNY"), _number(m["num"]))
        for pattern in (_MONEY_BEFORE, _MONEY_AFTER)
        for m in pattern.finditer(text)
    }
    found |= {("percent", _number(m["num"] or m["zh"])) for m in _PERCENT.finditer(text)}
    found |= {("percent", _percent_off(_number(m["num"]))) for m in _ZHE.finditer(text)}
    return found


# -- coupon codes --------------------------------------------------------------------

_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9][A-Za-z0-9-]{3,19}(?![A-Za-z0-9])")
_COUPON_WORD = re.compile(
    r"优惠码|优惠券|折扣码|兑换码|券码|代金券|礼券|红包|口令|coupon|promo|voucher|code",
    re.IGNORECASE,
)
_CODE_BEFORE, _CODE_AFTER = 24, 32  # how near a coupon word a code stands, in characters


def _code_like(token: str) -> bool:
    letters, digits = any(c.isalpha() for c in token), any(c.isdigit() for c in token)
    caps = token.isalpha() and token.isupper() and len(token) >= 5  # WELCOME, FREESHIP
    return (letters and digits) or caps or (token.isdigit() and len(token) >= 6)


def codes_in(text: str) -> set[str]:
    return {m[0].upper() for m in _TOKEN.finditer(text) if _code_like(m[0])}


def coupon_codes_in(text: str) -> set[str]:
    """Code-like tokens near a coupon word: what a customer would type at checkout."""
    codes: set[str] = set()
    for word in _COUPON_WORD.finditer(text):
        codes |= codes_in(text[max(word.start() - _CODE_BEFORE, 0) : word.end() + _CODE_AFTER])
    return codes


# -- promises ------------------------------------------------------------------------

_PROMISE_WORD = re.compile(
    r"refund|reimburs|compensat|money back|cash ?back|coupon|voucher"
    r"|退款|退钱|退还|退回|返还|返现|赔|补偿|优惠券|代金券|红包",
    re.IGNORECASE,
)
_COMMITMENT = re.compile(
    r"\b(?:will|shall|can|guarantee\w*|promise\w*|going to|right away|immediately|full|fully)\b"
    r"|'ll\b|\b(?:we|i)\s+(?:\w+\s+)?(?:refund|compensate|reimburse|credit|pay|give|send|issue)"
    r"|会|将|给您|给你|为您|为你|帮您|帮你|保证|承诺|马上|立即|立刻|一定|全额|可以|可申请|可获|可领|送您|送你",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?。！？;；\n]")
BACKED_SHARE = 0.5  # an entry must state more than this share of a promise's units


def content_units(text: str) -> frozenset[str]:
    """The FAQ retrieval's units: shop concepts shared by both languages, then words."""
    return frozenset(analyze(text))


def promises_in(text: str) -> list[str]:
    """The sentences that commit the shop to a refund, compensation or a coupon."""
    return [
        sentence
        for sentence in _SENTENCE_END.split(text)
        if _PROMISE_WORD.search(sentence) and _COMMITMENT.search(sentence)
    ]


def _backed(promise: str, knowledge: Knowledge) -> bool:
    units = content_units(promise)
    needed = BACKED_SHARE * max(len(units), 1)
    return any(len(units & entry) > needed for entry in knowledge.promises)


# -- the system prompt ---------------------------------------------------------------

LEAK_WORDS = 12  # a quarter of the prompt: more than an assistant introducing itself says


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i : i + LEAK_WORDS]) for i in range(len(words) - LEAK_WORDS + 1)}


@lru_cache(maxsize=2)
def _prompt_shingles(prompt: str) -> frozenset[tuple[str, ...]]:
    return frozenset(_shingles(prompt))


# -- the check -----------------------------------------------------------------------


@lru_cache(maxsize=4)
def knowledge_from(texts: tuple[str, ...]) -> Knowledge:
    """The claims ``texts`` (the FAQ's answers) make; cached, as they rarely change."""
    return Knowledge(
        amounts=frozenset(a for text in texts for a in amounts_in(text)),
        codes=frozenset(c for text in texts for c in codes_in(text)),
        promises=tuple(content_units(t) for t in texts if _PROMISE_WORD.search(t)),
    )


def shop_knowledge() -> Knowledge:
    """What the FAQ says now. If it cannot be read, nothing: every claim is held back."""
    try:
        return knowledge_from(faq_answers())
    except Exception:
        logger.warning("FAQ unreadable: model replies are checked against an empty one")
        return knowledge_from(())


def reply_check(text: str, knowledge: Knowledge) -> Verdict:
    """Allowed, or held back with the first reason found (a quoted prompt first: its own
    rules would read as promises)."""
    if _shingles(text) & _prompt_shingles(system_prompt()):
        return Verdict(False, HeldReason.PROMPT_LEAK)
    if not coupon_codes_in(text) <= knowledge.codes:
        return Verdict(False, HeldReason.COUPON_CODE)
    if not amounts_in(text) <= knowledge.amounts:
        return Verdict(False, HeldReason.AMOUNT)
    if not all(_backed(promise, knowledge) for promise in promises_in(text)):
        return Verdict(False, HeldReason.PROMISE)
    return ALLOWED


# -- streaming -----------------------------------------------------------------------

# A word or number may still be growing while the text ends in one of these: "¥5" may
# become "¥50", "SAVE" may become "SAVE20".
_FORMING = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789¥￥$%％.,:-"
    "零〇一二两三四五六七八九十百千万"
)


def settled_length(text: str) -> int:
    """How much of a reply still being written can be checked and shown now.

    Not a word or number still forming at the end, and not an unfinished promise: whether
    an entry backs it depends on its last words.
    """
    end = len(text)
    while end and text[end - 1] in _FORMING:
        end -= 1
    sentence_start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, end)), default=0)
    if promises_in(text[sentence_start:end]):
        return sentence_start
    return end
