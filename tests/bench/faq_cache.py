"""Answer-cache hits end to end: send -> ``reply.end`` over the real websocket.

It starts Daphne and a Celery worker on the configured database (the dev DB ``surgedesk``,
migrated by ``make run``/``make db``), asks one catalog question once so the cache holds its
answer, then lets ``n`` fresh customer sessions ask it again, one after another, and times
each. Every timed reply must come from the cache; the routes seen are part of the result.
``tests.bench.faq`` (``make bench-faq``) merges these figures into its JSON line; run alone
(``python -m tests.bench.faq_cache``) it prints its own.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.bench.common import emit, progress, setup_django, summary

QUESTION = "How long does delivery take?"  # generic, and in the demo catalog


def cache_hit_e2e(n: int = 50) -> dict[str, Any]:
    from tests.stack import start_live_stack

    stack = start_live_stack(Path(tempfile.mkdtemp(prefix="surgedesk-bench-faq-")))
    try:
        fill_route = _ask(stack, QUESTION)[1]
        progress(f"cache filled by route {fill_route!r}; timing {n} cache hits...")
        timed = [_ask(stack, QUESTION) for _ in range(n)]
    finally:
        stack.stop()
    routes = Counter(route for _, route in timed)
    progress(f"routes of the timed replies: {dict(routes)}")
    hits = [ms for ms, route in timed if route == "cache"]
    figures: dict[str, Any] = summary(hits, "cache_hit_e2e_ms") if hits else {}
    return figures | {"cache_fill_route": fill_route, "cache_hit_routes": dict(routes)}


def _ask(stack: Any, question: str) -> tuple[float, str]:
    """One new customer session asks ``question``: (send -> reply.end in ms, the route)."""
    client = stack.chat_client()  # opening the session is not part of the figure
    try:
        started = time.perf_counter()
        client.send_message(question)
        end = client.reply_events(timeout=120)[-1]
        return (time.perf_counter() - started) * 1000, end["route"]
    finally:
        client.close()


def main() -> None:
    setup_django()
    emit(cache_hit_e2e())


if __name__ == "__main__":
    main()
