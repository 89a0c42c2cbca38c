"""`make bench-real-model`: the import check of the real model (SmolLM2-135M-Instruct,
imported from its packaged GGUF by ``manage.py import_gguf``), one JSON line.

- ``perplexity``: of a short English text (``tests.inference.smollm2.ENGLISH_TEXT``), with
  the q/k rows as imported, and put back in llama.cpp's order (the import bug it catches);
- ``speed``: per dtype (float32, float16, q4), TTFT and decode tokens/s of one grounded
  demo question through mlx-lm's own generation (32 new tokens);
- ``grounded``: the held-out English paraphrases of the demo catalog's questions, each with
  its FAQ answer as the prompt's reference (as ``apps.inference.prompts.build_messages``
  builds it for a real reply); a reply is correct when it carries the entry's key fact
  (``apps.demo_model.evaluate``).

Every model is imported afresh into a scratch directory. Timings on a shared machine are
noisy: compare the dtypes with each other.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.bench.common import emit, progress, setup_django
from tests.inference.smollm2 import ENGLISH_TEXT, import_smollm2, perplexity, scramble_rope_pairs

SPEED_QUESTION = "How long does delivery take?"
SPEED_REFERENCE = "Orders leave our warehouse within 1-2 days and usually arrive in 3-5 days."


def speed(model: Any, tokenizer: Any, new_tokens: int = 32) -> dict[str, float]:
    from mlx_lm import stream_generate

    from apps.inference.prompts import Turn, build_messages

    messages = build_messages([Turn("user", SPEED_QUESTION)], [SPEED_REFERENCE])
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
    started = time.perf_counter()
    first = 0.0
    tokens = 0
    for _ in stream_generate(model, tokenizer, prompt, max_tokens=new_tokens):
        tokens += 1
        first = first or time.perf_counter() - started
    decode_s = time.perf_counter() - started - first
    return {
        "prompt_tokens": len(prompt),
        "ttft_ms": round(first * 1000),
        "decode_tok_s": round((tokens - 1) / decode_s, 1) if tokens > 1 else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-tokens", type=int, default=48, help="per grounded reply")
    parser.add_argument("--skip-grounded", action="store_true")
    args = parser.parse_args()
    setup_django()
    from mlx_lm import load

    from apps.demo_model.data import load_corpus
    from apps.demo_model.evaluate import evaluate_model

    figures: dict[str, Any] = {"model": "SmolLM2-135M-Instruct Q4_1 GGUF", "speed": {}}
    with tempfile.TemporaryDirectory(prefix="bench-real-model-") as scratch:
        for dtype in ("float32", "float16", "q4"):
            progress(f"{dtype}: import, speed...")
            model, tokenizer = load(str(import_smollm2(Path(scratch) / dtype, dtype)))[:2]
            figures["speed"][dtype] = speed(model, tokenizer)
            if dtype == "float32":
                progress("perplexity...")
                imported = perplexity(model, tokenizer, ENGLISH_TEXT)
                scramble_rope_pairs(model)
                figures["perplexity"] = {
                    "imported": round(imported, 2),
                    "llama_cpp_row_order": round(perplexity(model, tokenizer, ENGLISH_TEXT), 2),
                }
        if not args.skip_grounded:
            corpus = load_corpus()
            corpus = replace(corpus, heldout=[qa for qa in corpus.heldout if qa.lang == "en"])
            progress(f"grounded: {len(corpus.heldout)} held-out English questions...")
            report = evaluate_model(
                Path(scratch) / "float32", corpus, max_tokens=args.max_tokens,
                modes=("with_reference",),
            )["with_reference"]  # fmt: skip
            figures["grounded_en"] = {key: report[key] for key in ("correct", "total", "pct")} | {
                "failures": report["failures"][:5],
                "max_tokens": args.max_tokens,
            }
    emit(figures)


if __name__ == "__main__":
    main()
