"""`make bench-engine`: the local engine against `mlx_lm.server`, fairly, plus KV reuse,
stalls and memory.

Both arms run the same model (``--model PATH``; by default a random-weight ~25M-parameter
model built once into var/bench-model), the same prompts through the model's own chat
template, the same ``max_tokens``, greedy, the same sampling penalty (the engine's
deployed repetition penalty, sent to the server per request) and the same EOS handling,
streaming. ``--eos ignore`` (the default: a random-weight model ends at random) makes both
arms write exactly ``max_tokens`` (the engine does not stop at the end token; the server
is sent a logit bias that bans it); ``--eos stop`` lets both stop at it, as in serving,
for a real model. ``tokens_per_reply`` shows each arm's.
Each arm is warmed up on a prompt of its own first; every timed run gets prompts never
seen before (the server keeps a prompt cache across requests too), and runs ``--runs``
times (3), the median reported.

Printed as one JSON line: sequential vs batched throughput at c=8 and c=16 beside the
decode-only ceiling (the model's own forward passes at that batch size against batch 1,
no engine: what batching can give on this hardware), ours ÷ the server at c=16, turn-5
TTFT with and without KV reuse, the longest gap between a running stream's tokens while
long prompts arrive, RSS over a soak once the KV store has reached its byte cap, and
``goals`` (issue 16) met or not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
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


def prompts(build_messages, Turn, run: int, words: int = 150) -> list:
    """The REQUESTS prompts of one timed run: new in every run, the same for both arms."""
    return [
        build_messages([Turn("user", prompt_text(10_000 * (run + 1) + i, words))])
        for i in range(REQUESTS)
    ]


def run_one(engine, messages, key: str, max_tokens: int) -> dict:
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


def timed(ask: Callable[[list], int], requests: list, concurrency: int) -> dict:
    """Tokens/s of ``requests`` sent ``concurrency`` at a time; ``ask`` returns its tokens."""
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        tokens = list(pool.map(ask, requests))
    wall = time.perf_counter() - started
    return {"tok_s": sum(tokens) / wall, "tokens_per_reply": sum(tokens) / len(tokens)}


def median_of(runs: list[dict]) -> dict:
    progress("  runs: " + ", ".join(f"{run['tok_s']:.1f} tok/s" for run in runs))
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def engine_arm(engine, build_messages, Turn, concurrency: int, runs: int, max_tokens: int):
    def ask(messages) -> int:
        return run_one(engine, messages, str(uuid.uuid4()), max_tokens)["tokens"]

    return median_of(
        [timed(ask, prompts(build_messages, Turn, run), concurrency) for run in range(runs)]
    )


def kv_reuse(engine, build_messages, Turn, max_tokens: int, runs: int) -> tuple[float, float]:
    """Turn-5 TTFT of a conversation, with its cache and cold, on a ~1.5k-token history
    (medians over ``runs`` conversations)."""
    full, reuse = [], []
    for run in range(runs):
        key, history = f"bench-reuse-{run}", []
        for turn in range(4):
            history.append(Turn("user", prompt_text(100 * run + turn, 120)))
            reply = run_one(engine, build_messages(history), key, max_tokens)["text"]
            history.append(Turn("assistant", reply))
        history.append(Turn("user", prompt_text(100 * run + 9, 60)))
        messages = build_messages(history)
        reuse.append(run_one(engine, messages, key, max_tokens=2)["ttft_s"])
        full.append(run_one(engine, messages, f"bench-cold-{run}", max_tokens=2)["ttft_s"])
    return statistics.median(full), statistics.median(reuse)


def max_stall(engine, build_messages, Turn) -> int:
    """The longest token gap of a running stream while 8 prompts of ~1,000 tokens arrive."""
    from apps.inference.base import GenerationParams

    runner = engine.submit(
        build_messages([Turn("user", prompt_text(1, 40))]),
        cache_key="runner",
        params=GenerationParams(max_tokens=100_000),  # it runs until the arrivals are in
    )
    tokens = iter(runner)
    next(tokens)
    with ThreadPoolExecutor(8) as pool:
        arrivals = [
            pool.submit(
                run_one, engine, build_messages([Turn("user", prompt_text(i, 420))]), f"a{i}", 8
            )
            for i in range(8)
        ]
        for _ in tokens:  # read the runner while the arrivals are processed
            if all(arrival.done() for arrival in arrivals):
                break
    runner.cancel()
    for _ in tokens:
        pass
    return runner.usage.extra.get("max_token_gap_ms", 0)


def decode_ceiling(model_dir: Path, batch_sizes: tuple[int, ...], steps: int = 32) -> dict:
    """Decode-only tokens/s at each batch size over batch 1: the model's forward passes with a
    ~300-token KV cache, no engine, no prefill in the timing. What batching can give here."""
    import mlx.core as mx
    from mlx_lm import load
    from mlx_lm.models.cache import make_prompt_cache

    loaded = load(str(model_dir))
    model = loaded[0]

    def rate(batch: int) -> float:
        cache = make_prompt_cache(model)
        tokens = mx.array([[1 + (i % 50) for i in range(300)]] * batch)
        logits = model(tokens, cache=cache)
        token = mx.argmax(logits[:, -1, :], axis=-1)
        mx.eval(token)
        started = time.perf_counter()
        for _ in range(steps):
            token = mx.argmax(model(token[:, None], cache=cache)[:, -1, :], axis=-1)
            mx.eval(token)
        return batch * steps / (time.perf_counter() - started)

    rate(1)  # warm-up
    single = statistics.median(rate(1) for _ in range(3))
    return {
        batch: statistics.median(rate(batch) for _ in range(3)) / single for batch in batch_sizes
    }


class PeerServer:
    """A real mlx_lm.server on loopback serving the same model: the peer arm."""

    def __init__(self, model_dir: Path) -> None:
        self.port = free_port()
        hub = tempfile.mkdtemp(prefix="hf-hub-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mlx_lm.server", "--model", str(model_dir),
             "--host", "127.0.0.1", "--port", str(self.port)],
            env={**os.environ, "HF_HUB_CACHE": hub, "HF_HUB_OFFLINE": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, 120)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)

    def ask(self, messages, max_tokens: int, sampling: dict) -> int:
        """One streamed completion, greedy, sampled as ``sampling`` says; returns its tokens."""
        body = {
            "model": "default_model", "messages": messages, "max_tokens": max_tokens,
            "temperature": 0, "stream": True, "stream_options": {"include_usage": True},
            **sampling,
        }  # fmt: skip
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        tokens = 0
        with urllib.request.urlopen(request, timeout=600) as response:
            for line in response:
                if line.startswith(b"data: {"):
                    usage = json.loads(line[6:]).get("usage")
                    tokens = usage["completion_tokens"] if usage else tokens
        return tokens


def server_arm(server: PeerServer, build_messages, Turn, runs: int, max_tokens: int, engine):
    """The server sampled as the engine samples: its penalty and, when the engine does not
    stop at the end token, a bias that keeps the server from writing it."""
    config = engine.config
    penalty = config.repetition_penalty
    sampling: dict = {
        "repetition_penalty": penalty if penalty != 1.0 else 0,
        "repetition_context_size": config.repetition_context,
    }
    if not config.stop_on_eos:
        (resident,) = engine.shelf.residents
        sampling["logit_bias"] = {str(t): -1e9 for t in resident.tokenizer.eos_token_ids}

    def ask(messages) -> int:
        return server.ask(messages, max_tokens, sampling)

    ask(build_messages([Turn("user", prompt_text(-1, 150))]))  # warm-up, not timed
    timed_runs = [timed(ask, prompts(build_messages, Turn, run), REQUESTS) for run in range(runs)]
    return median_of(timed_runs)


def goals(figures: dict) -> dict:
    """Issue 16's goals, each with its value and whether it is met; the batching goals
    beside the decode-only ceiling (a goal over the ceiling cannot be met on this hardware)."""

    def goal(value: float, target: float, at_most: bool = False, **extra: float) -> dict:
        met = value <= target if at_most else value >= target
        return {"value": value, "goal": target, "met": met, **extra}

    return {
        "batching_c8": goal(figures["ratio_c8"], 3.5, ceiling=figures["decode_ceiling_c8"]),
        "batching_c16": goal(figures["ratio_c16"], 5.0, ceiling=figures["decode_ceiling_c16"]),
        "vs_server_c16": goal(figures["vs_server_c16"], 1.15),
        "kv_reuse": goal(figures["kv_reuse_ratio"], 6.0),
        "max_stall_ms": goal(figures["max_stall_ms"], 500, at_most=True),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=BENCH_MODEL, help="mlx-lm model directory")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per arm (median)")
    parser.add_argument("--max-tokens", type=int, default=NEW_TOKENS)
    parser.add_argument("--eos", choices=("ignore", "stop"), default="ignore")
    parser.add_argument("--soak-rounds", type=int, default=SOAK_ROUNDS)
    args = parser.parse_args(argv)
    setup_django()
    from django.conf import settings

    from apps.demo_model.build import build_bench_model
    from apps.inference.backends.local_mlx import EngineConfig, LocalEngine
    from apps.inference.prompts import Turn, build_messages

    model_dir: Path = args.model
    if model_dir == BENCH_MODEL and not (BENCH_MODEL / "model.safetensors").exists():
        progress(f"building the bench model into {BENCH_MODEL}...")
        build_bench_model(BENCH_MODEL)
    config = EngineConfig(
        models=(str(model_dir),),
        max_batch=REQUESTS,
        max_prompt_tokens=4096,
        kv_cache_bytes=128 * 2**20,
        repetition_penalty=settings.LOCAL_REPETITION_PENALTY,
        repetition_context=settings.LOCAL_REPETITION_CONTEXT,
        stop_on_eos=args.eos == "stop",
    )
    engine = LocalEngine(config)
    engine.warm_up()
    run_one(engine, build_messages([Turn("user", prompt_text(-1, 150))]), "warm", args.max_tokens)
    rss_start = rss_mb()

    runs, max_tokens = args.runs, args.max_tokens
    progress(f"ours: sequential, c=8, c=16, {runs} runs each...")
    seq = engine_arm(engine, build_messages, Turn, 1, runs, max_tokens)
    c8 = engine_arm(engine, build_messages, Turn, 8, runs, max_tokens)
    c16 = engine_arm(engine, build_messages, Turn, 16, runs, max_tokens)
    progress("decode-only ceiling...")
    ceiling = decode_ceiling(model_dir, (8, 16))
    progress("KV reuse...")
    full_s, reuse_s = kv_reuse(engine, build_messages, Turn, max_tokens, runs)
    progress("stall while long prompts arrive...")
    stall_ms = max_stall(engine, build_messages, Turn)
    rss_end = rss_mb()
    progress(f"soak: {args.soak_rounds} rounds of {REQUESTS} new conversations...")
    soak = []
    for _ in range(args.soak_rounds):
        engine_arm(engine, build_messages, Turn, REQUESTS, 1, max_tokens)
        soak.append(rss_mb())
    progress(f"mlx_lm.server: c=16, {runs} runs...")
    server = PeerServer(model_dir)
    try:
        peer = server_arm(server, build_messages, Turn, runs, max_tokens, engine)
    finally:
        server.close()

    figures = {
        "model": model_dir.name,
        "model_params_m": round(_param_count(model_dir) / 1e6, 1),
        "runs": runs,
        "prompt_tokens": engine.stats.prompt_tokens // max(engine.stats.submitted, 1),
        "max_tokens": max_tokens,
        "repetition_penalty": config.repetition_penalty,
        "eos": args.eos,
        "tokens_per_reply": round(c16["tokens_per_reply"], 1),
        "server_tokens_per_reply": round(peer["tokens_per_reply"], 1),
        "seq_tok_s": round(seq["tok_s"], 1),
        "batched_tok_s_c8": round(c8["tok_s"], 1),
        "batched_tok_s_c16": round(c16["tok_s"], 1),
        "ratio_c8": round(c8["tok_s"] / seq["tok_s"], 2),
        "ratio_c16": round(c16["tok_s"] / seq["tok_s"], 2),
        "decode_ceiling_c8": round(ceiling[8], 2),
        "decode_ceiling_c16": round(ceiling[16], 2),
        "server_tok_s_c16": round(peer["tok_s"], 1),
        "vs_server_c16": round(c16["tok_s"] / peer["tok_s"], 2),
        "ttft_turn5_full_ms": round(full_s * 1000, 1),
        "ttft_turn5_reuse_ms": round(reuse_s * 1000, 1),
        "kv_reuse_ratio": round(full_s / reuse_s, 2),
        "max_stall_ms": stall_ms,
        "rss_mb_start": round(rss_start, 1),
        "rss_mb_end": round(rss_end, 1),
        "rss_mb_soak_first": round(soak[0], 1),
        "rss_mb_soak_last": round(soak[-1], 1),
        "rss_soak_growth_pct": round((soak[-1] / soak[0] - 1) * 100, 1),
        "kv_store_mb": round(engine.cache_store.total_bytes / 2**20, 1),
        "kv_evictions": engine.cache_store.counters.evictions,
        "kv_hits": engine.cache_store.counters.hits,
    }
    emit({**figures, "goals": goals(figures)})


def _param_count(model_dir: Path) -> int:
    import mlx.core as mx

    weights: dict = {}
    for shard in sorted(model_dir.glob("*.safetensors")):
        weights |= mx.load(str(shard))
    return sum(w.size for w in weights.values())


if __name__ == "__main__":
    main()
