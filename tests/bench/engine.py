"""`make bench-engine`: the local engine's throughput, KV reuse, stalls and memory.

Everything is measured side by side in one run on one bench model (random weights,
~25M parameters, built once into var/bench-model), and printed as one JSON line:
sequential vs batched throughput at c=8 and c=16, the same 16 requests against a real
`mlx_lm.server` on loopback, turn-5 TTFT with and without KV reuse, the longest gap
between a running stream's tokens while long prompts arrive, and RSS: after the model
loads, and over a soak of new conversations once the KV store has reached its byte cap.
``--model DIR`` runs it all on another mlx-lm model instead, e.g. the imported SmolLM2
(``make bench-engine BENCH_MODEL=var/models/smollm2-135m-instruct``).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.bench.common import emit, progress, setup_django
from tests.stack import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BENCH_MODEL = ROOT / "var" / "bench-model"
NEW_TOKENS = 64
REQUESTS = 16
SOAK_ROUNDS = 6
WORDS = [
    "order",
    "shipping",
    "refund",
    "size",
    "coupon",
    "invoice",
    "退款",
    "发货",
    "尺码",
    "优惠券",
    "发票",
    "地址",
    "delivery",
    "return",
    "exchange",
    "presale",
    "deposit",
    "points",
    "warranty",
    "gift",
    "wrap",
]


def prompt_text(seed: int, words: int) -> str:
    """Distinct text per seed, so no engine gets to reuse one request's prompt for another."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words))


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # macOS: peak RSS is what we can read
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_one(engine, messages, key: str, max_tokens: int = NEW_TOKENS) -> dict:
    """One request's figures, timed at the token (random weights decode to text in bursts)."""
    from apps.inference.base import GenerationParams

    started = time.perf_counter()
    stream = engine.submit(messages, cache_key=key, params=GenerationParams(max_tokens=max_tokens))
    text = "".join(stream)
    wall = time.perf_counter() - started
    ttft = stream.usage.extra.get("first_token_ms", wall * 1000) / 1000
    return {
        "ttft_s": ttft,
        "decode_s": wall - ttft,
        "wall_s": wall,
        "tokens": stream.usage.tokens_out,
        "text": text,
        "max_gap_ms": stream.usage.extra.get("max_token_gap_ms", 0),
    }


def throughput(engine, requests: list, concurrency: int) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda m: run_one(engine, m, str(uuid.uuid4())), requests))
    wall = time.perf_counter() - started
    return sum(r["tokens"] for r in results) / wall, results


def stream_rate(results: list[dict]) -> float:
    rates = [(r["tokens"] - 1) / r["decode_s"] for r in results if r["decode_s"] > 0]
    return sum(rates) / len(rates)


def kv_reuse(engine, build_messages, Turn) -> tuple[float, float]:
    """Turn-5 TTFT of one conversation, with its cache and cold, on a ~1.5k-token history."""
    key = "bench-reuse"
    history: list = []
    for turn in range(4):
        history.append(Turn("user", prompt_text(turn, 120)))
        reply = run_one(engine, build_messages(history), key)["text"]
        history.append(Turn("assistant", reply))
    history.append(Turn("user", prompt_text(9, 60)))
    messages = build_messages(history)
    reuse = run_one(engine, messages, key, max_tokens=2)["ttft_s"]
    full = run_one(engine, messages, "bench-cold", max_tokens=2)["ttft_s"]
    return full, reuse


def max_stall(engine, build_messages, Turn) -> int:
    """The longest token gap of a running stream while 8 prompts of ~1,000 tokens arrive."""
    with ThreadPoolExecutor(9) as pool:
        runner = pool.submit(
            run_one, engine, build_messages([Turn("user", prompt_text(1, 40))]), "runner", 400
        )
        time.sleep(0.5)
        arrivals = [
            pool.submit(
                run_one, engine, build_messages([Turn("user", prompt_text(i, 420))]), f"a{i}", 8
            )
            for i in range(8)
        ]
        for arrival in arrivals:
            arrival.result()
        return runner.result()["max_gap_ms"]


def mlx_server_throughput(model_dir: Path, requests: list) -> float:
    """The same requests, all at once, against a real mlx_lm.server serving the model."""
    import openai

    port = free_port()
    hub = tempfile.mkdtemp(prefix="hf-hub-")
    server = subprocess.Popen(
        [sys.executable, "-m", "mlx_lm.server", "--model", str(model_dir),
         "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "HF_HUB_CACHE": hub, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, 120)
        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1", api_key="none", max_retries=0, timeout=600
        )

        def ask(messages) -> int:
            reply = client.chat.completions.create(
                model="default_model", messages=messages, max_tokens=NEW_TOKENS, temperature=0
            )
            return reply.usage.completion_tokens

        ask(requests[0])  # warm-up
        started = time.perf_counter()
        with ThreadPoolExecutor(len(requests)) as pool:
            tokens = sum(pool.map(ask, requests))
        return tokens / (time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(30)


def bench_model(model: Path | None) -> Path:
    """The model given, or the random-weight bench model, built on first use."""
    from apps.demo_model.build import build_bench_model

    if model is not None:
        return model
    if not (BENCH_MODEL / "model.safetensors").exists():
        progress(f"building the bench model into {BENCH_MODEL}...")
        build_bench_model(BENCH_MODEL)
    return BENCH_MODEL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="an mlx-lm model directory")
    model = parser.parse_args().model
    setup_django()
    model_dir = bench_model(model)
    from apps.inference.backends.local_mlx import EngineConfig, LocalEngine
    from apps.inference.prompts import Turn, build_messages

    engine = LocalEngine(
        EngineConfig(
            model=str(model_dir),
            max_batch=REQUESTS,
            max_prompt_tokens=4096,
            kv_cache_bytes=128 * 2**20,
            stop_on_eos=False,
        )
    )
    engine.warm_up()
    requests = [build_messages([Turn("user", prompt_text(i, 150))]) for i in range(REQUESTS)]
    run_one(engine, requests[0], "warm-up")
    rss_start = rss_mb()

    progress("sequential...")
    seq_tok_s, seq_results = throughput(engine, requests, 1)
    progress("batched c=8, c=16...")
    c8_tok_s, c8_results = throughput(engine, requests, 8)
    c16_tok_s, _ = throughput(engine, requests, 16)
    progress("KV reuse...")
    full_s, reuse_s = kv_reuse(engine, build_messages, Turn)
    progress("stall while long prompts arrive...")
    stall_ms = max_stall(engine, build_messages, Turn)
    rss_end = rss_mb()
    progress(f"soak: {SOAK_ROUNDS} rounds of {REQUESTS} new conversations...")
    soak = []
    for round_ in range(SOAK_ROUNDS):
        batch = [build_messages([Turn("user", prompt_text(1000 + round_ * 100 + i, 150))])
                 for i in range(REQUESTS)]  # fmt: skip
        throughput(engine, batch, REQUESTS)
        soak.append(rss_mb())
    progress("mlx_lm.server c=16...")
    server_tok_s = mlx_server_throughput(model_dir, requests)

    emit(
        {
            "model": model_dir.name,
            "model_params_m": round(_param_count(model_dir) / 1e6, 1),
            "prompt_tokens": engine.stats.prompt_tokens // max(engine.stats.submitted, 1),
            "new_tokens": NEW_TOKENS,
            "seq_tok_s": round(seq_tok_s, 1),
            "batched_tok_s_c8": round(c8_tok_s, 1),
            "batched_tok_s_c16": round(c16_tok_s, 1),
            "ratio_c8": round(c8_tok_s / seq_tok_s, 2),
            "ratio_c16": round(c16_tok_s / seq_tok_s, 2),
            "per_stream_ratio_c8": round(stream_rate(c8_results) / stream_rate(seq_results), 2),
            "ttft_turn5_full_ms": round(full_s * 1000, 1),
            "ttft_turn5_reuse_ms": round(reuse_s * 1000, 1),
            "kv_reuse_ratio": round(full_s / reuse_s, 2),
            "max_stall_ms": stall_ms,
            "server_tok_s_c16": round(server_tok_s, 1),
            "vs_server_c16": round(c16_tok_s / server_tok_s, 2),
            "rss_mb_start": round(rss_start, 1),
            "rss_mb_end": round(rss_end, 1),
            "rss_mb_soak_first": round(soak[0], 1),
            "rss_mb_soak_last": round(soak[-1], 1),
            "rss_soak_growth_pct": round((soak[-1] / soak[0] - 1) * 100, 1),
            "kv_store_mb": round(engine.cache_store.total_bytes / 2**20, 1),
            "kv_evictions": engine.cache_store.counters.evictions,
            "kv_hits": engine.cache_store.counters.hits,
        }
    )


def _param_count(model_dir: Path) -> int:
    import mlx.core as mx

    weights = mx.load(str(model_dir / "model.safetensors"))
    return sum(w.size for w in weights.values())


if __name__ == "__main__":
    main()
