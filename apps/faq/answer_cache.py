"""Answer cache: a finished reply to a generic question, reused for the same question later.

Keys hold a generation number and the routing flags' version. ``invalidate_all`` bumps the
generation (FAQ edits) and every flags change bumps the version (``apps.ops.flags``), so every
cached answer dies at once without scanning keys; the old ones expire by TTL.
Questions about the customer's own order are never cached (``is_cacheable``).
Redis trouble makes the cache miss and log; it never breaks a reply.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata

import redis
from django.conf import settings

from apps.faq.redis_client import get_redis, key
from apps.ops.flags import VERSION_KEY as FLAGS_VERSION_KEY

logger = logging.getLogger(__name__)

MAX_CACHEABLE_CHARS = 300

_PUNCTUATION = re.compile(r"[^\w\u3400-\u9fff]+|_")
_SPACE_NEXT_TO_HAN = re.compile(r"(?<=[\u3400-\u9fff]) | (?=[\u3400-\u9fff])")

# Anything that ties a question to one customer: their order, parcel, account or contact.
_PERSONAL_PATTERNS = [
    r"\d{6,}",  # order, tracking, phone or card numbers
    r"\d{3,4}[\s-]\d{3,4}[\s-]?\d{3,4}",  # numbers written in groups
    r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{8,}\b",  # tracking codes like sf1234567890
    r"(?<![\w.+-])[\w.+-]++@[\w-]+\.[\w.]+",  # e-mail addresses (from the start of a run: linear)
    r"#\s*\d+",
    r"\b(my|our)\s+(order|orders|package|parcel|shipment|delivery|refund|return|exchange|"
    r"item|items|purchase|account|tracking|invoice|payment|address|points|balance|coupon)\b",
    r"\b(order|tracking|waybill|phone|mobile)\s*(number|no|num|id|code)\b",
    r"\bi\s+(ordered|bought|paid|purchased|returned|sent)\b",
    r"\bwhere\s+is\s+(it|mine)\b",
    r"我的(订单|快递|包裹|货|退款|退货|账号|账户|帐号|地址|积分|发票|手机|电话|优惠券|余额)",
    r"(订单|快递|运单|物流)?单号|订单号|手机号|电话号|身份证|我买的|我下的|我退的|我的单",
]
_PERSONAL = re.compile("|".join(f"(?:{p})" for p in _PERSONAL_PATTERNS), re.IGNORECASE)


def normalize_question(text: str) -> str:
    """Fold width (NFKC), case, punctuation (Chinese included) and whitespace."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = " ".join(_PUNCTUATION.sub(" ", text).split())
    return _SPACE_NEXT_TO_HAN.sub("", text)


def is_cacheable(text: str) -> bool:
    """False for questions whose answer depends on who asks (orders, numbers, contacts)."""
    if not text or len(text) > MAX_CACHEABLE_CHARS or not normalize_question(text):
        return False
    folded = unicodedata.normalize("NFKC", text)
    return _PERSONAL.search(folded) is None


def cached_answer(text: str) -> str | None:
    """The cached answer to this question, if any; counts a hit or a miss."""
    if not is_cacheable(text):
        return None
    try:
        client = get_redis()
        answer = _text(client.get(_answer_key(client, text)))
        client.incr(key("answers", "hits" if answer is not None else "misses"))
    except redis.RedisError:
        logger.warning("answer cache read failed: Redis unreachable")
        return None
    return answer


def remember_answer(text: str, answer: str) -> bool:
    """Cache an answer for ``ANSWER_CACHE_TTL_S``; False when the question is not cacheable."""
    if not answer or not is_cacheable(text):
        return False
    try:
        client = get_redis()
        client.set(_answer_key(client, text), answer, ex=settings.ANSWER_CACHE_TTL_S)
    except redis.RedisError:
        logger.warning("answer cache write failed: Redis unreachable")
        return False
    return True


def invalidate_all() -> None:
    """Make every cached answer unreachable at once, in every process."""
    try:
        get_redis().incr(key("answers", "generation"))
    except redis.RedisError:
        # Entries still expire by TTL; nothing else can be done without Redis.
        logger.error("answer cache invalidation failed: Redis unreachable")


def answer_cache_stats() -> dict[str, float]:
    """Hits, misses and hit rate since the counters were created, and the generation."""
    try:
        counters = get_redis().mget(
            key("answers", "hits"), key("answers", "misses"), key("answers", "generation")
        )
    except redis.RedisError:
        return {"hits": 0, "misses": 0, "hit_rate": 0.0, "generation": 0}
    hits, misses, generation = (int(value or 0) for value in counters)
    total = hits + misses
    return {
        "hits": hits,
        "misses": misses,
        "hit_rate": round(hits / total, 4) if total else 0.0,
        "generation": generation,
    }


def _answer_key(client: redis.Redis, text: str) -> str:
    # An answer belongs to the FAQ generation and the routing flags it was produced under.
    generation, flags_version = client.mget(key("answers", "generation"), FLAGS_VERSION_KEY)
    digest = hashlib.sha256(normalize_question(text).encode()).hexdigest()[:32]
    return key("answers", _text(generation) or 0, _text(flags_version) or 0, digest)


def _text(raw: bytes | str | None) -> str | None:
    """A stored answer as text (the FAQ client decodes; a raw client would give bytes)."""
    return raw.decode() if isinstance(raw, bytes) else raw
