"""`make bench`: end-to-end TTFT over real websockets against the running stack.

It starts Daphne and a Celery worker on the configured database, sends the same
questions from 1 and then 8 concurrent conversations, and measures send → first
`reply.delta`. In the same run it measures the raw engine's TTFT (submit → first
delta) on the same prompts at the same concurrency: each question with the FAQ
references a worker retrieves for it (retrieved before the engine's clock starts, since
retrieving is the desk's own cost), and the question alone too, as earlier runs measured
it. It prints the ratios and the pipeline's own share (e2e minus the engine on the same
prompt, p50), with the median time to each event before it. Then it restarts Daphne
with its websocket database work on asgiref's single thread (``CHAT_DB_THREADS=0``:
Django's default, which its 5.2 async ORM uses too) and measures again, side by side.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.bench.common import emit, progress, setup_django, summary

QUESTIONS = [
    "How long does delivery take?",
    "Can I return shoes I already wore once?",
    "退款多久能到账？",
    "你们支持哪些付款方式？",
    "Do you ship to Hong Kong?",
    "How do I use two coupons on one order?",
    "发票怎么开？",
    "What are your customer service hours?",
]
ROUNDS = 3
RUN = uuid.uuid4().hex[:4]  # answers cached by an earlier run must not count


def _variants(concurrency: int, arm: str = "") -> list[list[str]]:
    """Batches of questions, each asked once (per ``arm`` too): a repeated first question
    would be answered from the answer cache, and this bench measures the model path."""
    asked = [f"{q} ({RUN}{arm}{concurrency}.{n})" for n in range(ROUNDS) for q in QUESTIONS]
    return [asked[i : i + concurrency] for i in range(0, len(asked), concurrency)]


# Where the first token's time goes, as a client sees it: send → each of these events.
STAGES = ("message.accepted", "reply.start", "reply.delta")


async def _one_conversation(stack, question: str, routes: Counter | None = None) -> dict:
    """Milliseconds from send to the first event of each stage, and the worker's own TTFT
    (``reply.end.ttft_ms``: from the reply's stream starting to its first text)."""
    import websockets

    session = await asyncio.to_thread(stack.new_session)
    async with websockets.connect(
        f"ws://127.0.0.1:{stack.port}/ws/chat/",
        origin=stack.base_url,
        additional_headers={"Cookie": f"sessionid={session}"},
    ) as ws:
        sent = time.perf_counter()
        await ws.send(
            json.dumps({"type": "message", "client_msg_id": str(uuid.uuid4()), "text": question})
        )
        seen: dict = {}
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 120))
            seen.setdefault(event["type"], (time.perf_counter() - sent) * 1000)
            if event["type"] == "reply.end":
                if routes is not None:
                    routes[event["route"]] += 1
                seen.setdefault("reply.delta", seen["reply.end"])
                seen["worker_ttft"] = event["ttft_ms"]
                return seen


async def _e2e(stack, concurrency: int, routes: Counter, arm: str) -> list[dict]:
    samples: list[dict] = []
    for batch in _variants(concurrency, arm):
        samples += await asyncio.gather(*(_one_conversation(stack, q, routes) for q in batch))
    return samples


def _stages(samples: list[dict]) -> dict:
    """Median ms from send to each stage, and the worker's median TTFT."""
    return {
        stage: round(statistics.median(s[stage] for s in samples if s.get(stage) is not None), 1)
        for stage in (*STAGES, "worker_ttft")
    }


def _arm(stack, engine, concurrency: int, arm: str) -> dict:
    """e2e TTFT beside the raw engine's, on the same prompts, one right after the other."""
    routes: Counter = Counter()
    e2e = asyncio.run(_e2e(stack, concurrency, routes, arm))
    raw = _engine(engine, concurrency, arm, grounded=True)
    bare = _engine(engine, concurrency, arm, grounded=False)
    row = summary([s["reply.delta"] for s in e2e], "e2e_ttft_ms") | summary(raw, "engine_ttft_ms")
    # The question alone, without the shop's references: what earlier runs compared with.
    row["engine_bare_prompt_ttft_ms_p50"] = round(statistics.median(bare), 2)
    row["ratio_p50"] = round(row["e2e_ttft_ms_p50"] / row["engine_ttft_ms_p50"], 2)
    row["ratio_p95"] = round(row["e2e_ttft_ms_p95"] / row["engine_ttft_ms_p95"], 2)
    # What the desk adds before the first token, over the engine's own TTFT.
    row["pipeline_ms_p50"] = round(row["e2e_ttft_ms_p50"] - row["engine_ttft_ms_p50"], 1)
    row["stages_ms_p50"] = _stages(e2e)
    row["n"] = len(e2e)
    row["routes"] = dict(routes)
    return row


def _prompt(question: str, *, grounded: bool) -> list[dict[str, str]]:
    """The prompt a worker sends the model for ``question`` as a first turn: with the FAQ
    references it retrieves for it (``grounded``), or the question alone."""
    from django.conf import settings

    from apps.faq.retrieval import confident
    from apps.inference.prompts import Turn, build_messages

    wanted = settings.GROUNDING_REFERENCES if grounded else 0
    found = confident(question, limit=wanted) if wanted else []
    return build_messages([Turn("user", question)], [match.answer for match in found])


def _engine(engine, concurrency: int, arm: str, *, grounded: bool) -> list[float]:
    """The raw engine's TTFT on the questions the arm asked, each prompt built (its
    references retrieved) before its clock starts: retrieving is the desk's own cost."""
    from apps.inference.base import GenerationParams

    def one(messages: list[dict[str, str]]) -> float:
        started = time.perf_counter()
        stream = engine.submit(
            messages,
            cache_key=str(uuid.uuid4()),
            params=GenerationParams(max_tokens=160),
        )
        ttft = None
        for _ in stream:
            if ttft is None:
                ttft = (time.perf_counter() - started) * 1000
        return ttft if ttft is not None else (time.perf_counter() - started) * 1000

    samples: list[float] = []
    with ThreadPoolExecutor(concurrency) as pool:
        for batch in _variants(concurrency, arm):
            prompts = [_prompt(question, grounded=grounded) for question in batch]
            samples += list(pool.map(one, prompts))
    return samples


def restart_web(stack, threads: int) -> None:
    from tests.stack import stop_process

    stop_process(stack.processes["web"])
    stack.env["CHAT_DB_THREADS"] = str(threads)
    stack.start_web()


def main() -> None:
    setup_django()
    from django.conf import settings

    from apps.inference.backends.local_mlx import EngineConfig, LocalEngine
    from tests.stack import start_live_stack

    figures: dict = {"model": Path(settings.LOCAL_MODEL).name}
    engine = LocalEngine(EngineConfig(models=(settings.LOCAL_MODEL,)))
    engine.warm_up()
    stack = start_live_stack(Path(tempfile.mkdtemp(prefix="surgedesk-bench-")))
    try:
        asyncio.run(_one_conversation(stack, "hello"))  # loads the worker's model
        # CHAT_DB_THREADS of the web process: the shipped pool, then Django's one thread.
        for threads in (settings.CHAT_DB_THREADS, 0):
            restart_web(stack, threads)
            for concurrency in (1, 8):
                progress(f"e2e and engine at c={concurrency}, CHAT_DB_THREADS={threads}...")
                row = _arm(stack, engine, concurrency, arm=f"t{threads}-")
                name = f"c{concurrency}" if threads else f"c{concurrency}_one_db_thread"
                figures[name] = row
    finally:
        stack.stop()
    figures["goals"] = {
        "pipeline_ms_p50_c1_within_15": figures["c1"]["pipeline_ms_p50"] <= 15,
        "pipeline_ms_p50_c8_within_30": figures["c8"]["pipeline_ms_p50"] <= 30,
    }
    emit(figures)


if __name__ == "__main__":
    main()
