"""Bench: time from a cloud backend failing to the fallback's answer, p50/p95 in ms.

    .venv/bin/python -m tests.bench.fallback [--n 50]

Starts a real mlx_lm.server on loopback (the demo model, or a tiny random one before
it is built) and loads the demo FAQ catalog into a scratch database, so the fallback is the
real retrieval. Then it measures three faults, each reply going through ``stream_reply``:

- ``down``: the server is stopped, the breaker still closed: connect refused -> FAQ.
- ``breaker_open``: the breaker is open: the cloud is skipped -> FAQ.
- ``ttft``: a loopback proxy holds the response for 5 s; the TTFT deadline (500 ms) fires
  -> FAQ. The figure is the time after the deadline.

Uses the test Redis db (15) with a namespace of its own, removed at the end, and a scratch
database (``bench_fallback_<pid>``), dropped at the end.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("BREAKER_NAMESPACE", f"bench:{uuid.uuid4().hex}:breaker")
os.environ.setdefault("BREAKER_FAIL_MAX", "1000000")  # "down" must reach the server each time
os.environ.setdefault("FAQ_REDIS_PREFIX", f"bench:{uuid.uuid4().hex}:faq:")

from tests.bench.common import emit, progress, setup_django, summary

TTFT_DEADLINE_MS = 500


def reply_ms(flags) -> tuple[float, str, str]:
    from apps.inference.prompts import Turn
    from apps.inference.service import stream_reply

    started = time.perf_counter()
    question = "When will my refund arrive?"  # the demo FAQ's refund-time entry
    stream = stream_reply([Turn("user", question)], cache_key="bench", flags=flags)
    for _ in stream:
        pass
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, stream.outcome.route, stream.outcome.fallback_reason


def measure(name: str, flags, n: int, *, minus_ms: float = 0.0) -> dict[str, float]:
    samples = []
    for _ in range(n):
        elapsed, route, reason = reply_ms(flags)
        assert route == "faq", (name, route, reason)
        samples.append(elapsed - minus_ms)
    progress(f"{name}: {n} replies, last reason {reason}")
    return summary(samples, f"{name}_ms")


def run(n: int, workdir: Path) -> dict:
    from django.conf import settings

    from apps.inference.breakers import get_breaker
    from apps.ops.flags import Flags
    from tests.inference.servers import FaultyProxy, MlxServer, demo_model_dir

    flags = Flags(mode="cloud_only", max_tokens=16, ttft_deadline_ms=TTFT_DEADLINE_MS)
    server = MlxServer(demo_model_dir(workdir), workdir)
    server.start()
    proxy = FaultyProxy(server.port, delay_s=5.0)
    try:
        settings.CLOUD_BASE_URL = proxy.base_url
        figures = measure("ttft", flags, n, minus_ms=TTFT_DEADLINE_MS)
        settings.CLOUD_BASE_URL = server.base_url
        server.stop()
        figures |= measure("down", flags, n)
        get_breaker("cloud").open()
        figures |= measure("breaker_open", flags, n)
    finally:
        proxy.close()
        server.stop()
    return {"bench": "fallback", "n": n, "ttft_deadline_ms": TTFT_DEADLINE_MS, **figures}


def cleanup() -> None:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    for namespace in (settings.BREAKER_NAMESPACE, settings.FAQ_REDIS_PREFIX):
        keys = list(client.scan_iter(match=f"{namespace}*"))
        if keys:
            client.delete(*keys)


@contextmanager
def demo_faq_database() -> Iterator[None]:
    """A scratch database holding the demo FAQ catalog, dropped afterwards."""
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    # A name of its own: a test run's database (test_<name>) must never be recreated here.
    connection.settings_dict["TEST"]["NAME"] = f"bench_fallback_{os.getpid()}"
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("load_demo_faq", stdout=io.StringIO())
        yield
    finally:
        teardown_databases(old_config, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()
    setup_django()
    try:
        with demo_faq_database(), tempfile.TemporaryDirectory(prefix="bench-fallback-") as tmp:
            emit(run(args.n, Path(tmp)))
    finally:
        cleanup()


if __name__ == "__main__":
    main()
