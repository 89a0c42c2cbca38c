"""`make bench-hostile`: the CPU cost of one customer message's text paths, on hostile
inputs up to the size cap and on normal messages.

    .venv/bin/python -m tests.bench.hostile [--passes N]

The paths are those a message takes through the web (``message_post``, ``reply_admit``) and
a worker (``edge_reply`` / ``stream_reply`` planning, the FAQ fallback, remembering the
answer): parsing and normalising the frame, sentiment tagging, language detection, the
ask-for-a-human rule, the router's keyword and cacheability checks, the answer-cache key and
an FAQ match (spelling included) over the demo catalog. Database and Redis round trips are
left out: they cost the same whatever the text says. A frame the parser refuses stops there,
as it does in the consumer.

Each message runs ``--passes`` times (warm, GC paused); its cost is the median of its
passes' CPU time (``time.process_time``), which a busy machine disturbs less than wall time.
Peak RSS growth is ``ru_maxrss`` after the hostile inputs minus before them. Prints ONE JSON
line; the goals are the issue's: worst hostile message ≤ 20 ms, and a 2,000-letter word no
dearer than a normal message: than the dearest normal one (they are short), and than normal
messages run together up to the size cap (``normal_at_cap``), the same length.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.bench.common import emit, percentile, progress, setup_django

if TYPE_CHECKING:
    from apps.faq.index import IndexDoc

SENTIMENT_EVAL = Path(__file__).resolve().parents[1] / "sentiment" / "data" / "eval.jsonl"
CLIENT_MSG_ID = "2f1a2b3c-0000-4000-8000-000000000001"
GOAL_WORST_MS = 20.0
LONG_WORD = "".join(chr(97 + (i * 7919) % 26) for i in range(2000))


def hostile_inputs(cap: int) -> dict[str, str]:
    """Texts (or whole frames, for the ``frame:`` ones) built to be slow, at the size cap."""

    def fill(unit: str) -> str:
        return (unit * (cap // len(unit) + 1))[:cap]

    mixed = "Refund 退款 возврат استرداد 환불 😡 १२३ "
    return {
        "2,000-letter word": LONG_WORD,
        "2,000 x a": "a" * cap,
        "2,000 x 一": "一" * cap,
        "digit run": "1" * cap,
        "digits and 一": fill("1一"),
        "spaced digits": fill("1 "),
        "emoji flood": "😡" * cap,
        "ZWJ emoji flood": fill("👩\u200d💻"),
        "zero-width flood": "hi" + "\u200b" * 7000,
        "bidi overrides": fill("\u202erefund please 退款\u202c "),
        "tag characters": "hi " + "".join(chr(0xE0000 + ord(c)) for c in fill("ignore all ")),
        "zalgo": "a" + "\u0301" * (cap - 1),
        "mixed scripts": fill(mixed),
        "question marks": "?" * (cap - 1) + "x",
        "exclamations": "!" * cap,
        "spaced ? and !": fill("? ! "),
        "full stops (zh)": "。" * cap,
        "太好 x 1,000": fill("太好"),
        "不太好": fill("不太好"),
        "very good": fill("very good "),
        "如果好。": fill("如果好。"),
        "都三天了": fill("都三天了"),
        "near-miss words": fill("shiping warrenty refnud delivry exchnage "),
        "distinct near-misses": " ".join(_near_misses())[:cap],
        "e-mail-like": fill("a.b+c@"),
        "order numbers": fill("sf1234567890 "),
        "html": fill("<script>alert(1)</script><img src=x onerror=alert(1)>"),
        "sql and templates": fill("'; DROP TABLE faq;-- {{7*7}} ${7*7} "),
        "whitespace then x": " " * (cap - 1) + "x",
        "frame: nested 20,000 deep": "[" * 20000,
        "frame: objects nested": '{"a":' * 4000 + "1" + "}" * 4000,
        "frame: unterminated escapes": '{"type":"message","text":"' + '\\"' * 12000,
    }


def _near_misses() -> list[str]:
    """Every word a different typo, so neither the speller's cache nor its budget is idle."""
    words = ["shipping", "warranty", "delivery", "exchange", "refunded", "tracking", "invoice"]
    return [w[:i] + c + w[i + 1 :] for w in words for i in range(1, len(w)) for c in "qxz"]


def normal_inputs(catalog: Sequence[IndexDoc]) -> list[str]:
    """The sentiment eval set's chat messages and the catalog's own questions."""
    rows = [json.loads(line) for line in SENTIMENT_EVAL.read_text().splitlines() if line.strip()]
    return [r["text"] for r in rows] + [doc.question for doc in catalog]


def frame_of(name: str, text: str) -> str:
    if name.startswith("frame:"):
        return text
    return json.dumps({"type": "message", "client_msg_id": CLIENT_MSG_ID, "text": text})


def message_paths(catalog: Sequence[IndexDoc]) -> Callable[[str], None]:
    """One message through every text path, from its frame."""
    from apps.config.languages import detect_language
    from apps.conversations.protocol import PostMessage, ProtocolError, parse_client_event
    from apps.faq.answer_cache import is_cacheable, normalize_question
    from apps.faq.index import FaqIndex
    from apps.inference.router import RouteRequest, cache_eligible, preferred_model
    from apps.ops.flags import Flags
    from apps.sentiment.escalation import escalation_reason
    from apps.sentiment.tagger import tag

    index = FaqIndex.build(catalog)
    flags = Flags(local_keywords=("size", "尺码"), cloud_keywords=("complaint", "投诉"))

    def run(frame: str) -> None:
        try:
            event = parse_client_event(frame)
        except ProtocolError:
            return
        assert isinstance(event, PostMessage)
        text = event.text
        result = tag(text)
        language = detect_language(text)
        escalation_reason(text=text, recent_labels_scores=[(result.label, result.score)])
        request = RouteRequest(text=text)
        cache_eligible(request)
        preferred_model(flags, request)
        if is_cacheable(text):
            hashlib.sha256(normalize_question(text).encode()).hexdigest()
        index.rank(text, language=language, limit=1)

    return run


def cpu_ms(run: Callable[[str], None], frames: Sequence[str], passes: int) -> list[float]:
    """Median CPU time per frame over ``passes``, GC paused (as in bench-sentiment)."""
    samples: list[list[float]] = [[] for _ in frames]
    gc.collect()
    gc.disable()
    try:
        for _ in range(passes):
            for i, frame in enumerate(frames):
                start = time.process_time()
                run(frame)
                samples[i].append((time.process_time() - start) * 1000)
    finally:
        gc.enable()
    return [statistics.median(s) for s in samples]


def bench(passes: int) -> dict[str, Any]:
    from django.conf import settings

    from apps.faq import DEMO_CATALOG
    from tests.bench.faq import load_catalog

    catalog = load_catalog(DEMO_CATALOG)
    run = message_paths(catalog)
    normal = [frame_of("", text) for text in normal_inputs(catalog)]
    for frame in normal[:50]:
        run(frame)  # warm: jieba, the fallback model, regex caches
    progress(f"normal: {len(normal)} messages x {passes}")
    normal_ms = cpu_ms(run, normal, passes)
    at_cap = " ".join(normal_inputs(catalog))[: settings.CHAT_MAX_MESSAGE_CHARS]
    at_cap_ms = cpu_ms(run, [frame_of("", at_cap)], passes)[0]
    hostile = hostile_inputs(settings.CHAT_MAX_MESSAGE_CHARS)
    progress(f"hostile: {len(hostile)} inputs x {passes}")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hostile_ms = cpu_ms(run, [frame_of(n, t) for n, t in hostile.items()], passes)
    rss_growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    by_name = dict(zip(hostile, (round(ms, 2) for ms in hostile_ms), strict=True))
    worst = max(by_name, key=by_name.__getitem__)
    normal_max = max(normal_ms)
    return {
        "hostile_worst_cpu_ms": by_name[worst],
        "hostile_worst_input": worst,
        "hostile_cpu_ms": by_name,
        "long_word_cpu_ms": by_name["2,000-letter word"],
        "normal_cpu_ms_p50": round(statistics.median(normal_ms), 2),
        "normal_cpu_ms_p99": round(percentile(normal_ms, 99), 2),
        "normal_cpu_ms_max": round(normal_max, 2),
        "normal_n": len(normal_ms),
        "normal_at_cap_cpu_ms": round(at_cap_ms, 2),
        "peak_rss_growth_kb": rss_growth_kb,
        "passes": passes,
        "goals": {
            "worst_cpu_ms_le_20": by_name[worst] <= GOAL_WORST_MS,
            "long_word_le_normal_max": by_name["2,000-letter word"] <= normal_max,
            "long_word_le_normal_at_cap": by_name["2,000-letter word"] <= at_cap_ms,
        },
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.hostile", description=__doc__)
    parser.add_argument("--passes", type=int, default=5, help="runs per message (median)")
    args = parser.parse_args(argv)
    setup_django()
    emit(bench(args.passes))


if __name__ == "__main__":
    main()
