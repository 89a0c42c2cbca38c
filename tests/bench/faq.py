"""`make bench-faq`: FAQ retrieval accuracy and latency, then answer-cache hits end to end.

    .venv/bin/python -m tests.bench.faq [--eval PATH] [--catalog PATH] [--dev DIR]
                                        [--blind DIR | --no-blind] [--cache-hits N]

Three sets are scored apart: the demo set (``--eval`` over ``--catalog``, the top-level keys),
the dev set (``tests/faq/data/dev_shop/``, the ``dev`` key) and the blind set
(``tests/faq/data/blind_shop/``: another shop's catalog and questions, written before any
tuning; the ``blind`` key), then ``goals`` (issue 15) on the blind figures. The method's
weights and threshold were chosen on demo and dev (``sets`` says so); blind never tuned it.
Accuracy uses an index built from the catalog file, and the latency figure uses a
``FaqRetriever`` over the catalog plus synthetic filler entries, with the real per-match Redis
version check included (so the figure is what a worker pays per ``match``); the rebuild figure
is what that retriever pays on its next match after an edit. None of it writes to the
database. The cache-hit figures come from ``tests.bench.faq_cache``, which starts the live
stack on the dev database (``--cache-hits 0`` skips it). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from apps.faq import DEMO_CATALOG
from apps.faq.formats import read_rows, validate_row
from apps.faq.index import FaqIndex, IndexDoc
from tests.bench.common import emit, setup_django
from tests.bench.faq_cache import cache_hit_e2e

DATA = Path(__file__).resolve().parents[1] / "faq" / "data"
DEFAULT_EVAL = DATA / "eval.jsonl"
DEV_DIR = DATA / "dev_shop"  # the method was tuned on it
BLIND_DIR = DATA / "blind_shop"  # never tune on it: see its README

# Issue 15's goals, on the blind set; latency and rebuild with about 1,000 entries loaded.
GOAL_TOP1 = 0.90
GOAL_ABSTAIN = 0.90
GOAL_CROSS_LANG_TOP1 = 0.85
GOAL_MATCH_P99_MS = 10.0
GOAL_REBUILD_MS = 1000.0


def run(
    *,
    eval_path: str | Path,
    catalog_path: str | Path,
    dev_dir: Path | None = DEV_DIR,
    blind_dir: Path | None = BLIND_DIR,
    filler: int = 1000,
    rounds: int = 5,
) -> dict[str, Any]:
    from django.conf import settings

    threshold = settings.FAQ_MATCH_THRESHOLD
    result = score_set(eval_path, catalog_path, threshold, filler, rounds)
    result |= {"threshold": threshold, "sets": {"demo": "tuned"}}
    if dev_dir is not None:
        result["dev"] = score_shop(dev_dir, threshold, filler, rounds)
        result["sets"]["dev"] = "tuned"
    if blind_dir is not None:
        blind = score_shop(blind_dir, threshold, filler, rounds)
        result |= {"blind": blind, "goals": goals(blind)}
        result["sets"]["blind"] = "blind: never tuned on"
    return result


def score_shop(folder: Path, threshold: float, filler: int, rounds: int) -> dict[str, Any]:
    """A shop's folder: its ``catalog.jsonl`` and the ``questions.jsonl`` asked of it."""
    return score_set(
        folder / "questions.jsonl", folder / "catalog.jsonl", threshold, filler, rounds
    )


def score_set(
    eval_path: str | Path, catalog_path: str | Path, threshold: float, filler: int, rounds: int
) -> dict[str, Any]:
    """One catalog and its questions: accuracy, then match and rebuild timings with filler."""
    catalog = load_catalog(catalog_path)
    cases = [json.loads(line) for line in Path(eval_path).read_text().splitlines() if line.strip()]
    result = accuracy(FaqIndex.build(catalog), catalog, cases, threshold)
    loaded = [*catalog, *filler_docs(filler)]
    result["top1_accuracy_with_filler"] = accuracy(
        FaqIndex.build(loaded), catalog, cases, threshold
    )["top1_accuracy"]
    result.update(latency(loaded, cases, rounds))
    result.update(rebuild_latency(loaded, rounds))
    return result


def goals(blind: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "blind_top1_ge_0.90": _at_least(blind["top1_accuracy"], GOAL_TOP1),
        "blind_abstain_ge_0.90": _at_least(blind["abstain_accuracy"], GOAL_ABSTAIN),
        "blind_cross_lang_top1_ge_0.85": _at_least(
            blind["cross_lang_accuracy"], GOAL_CROSS_LANG_TOP1
        ),
        "match_p99_le_10ms": _at_most(blind["match_ms_p99"], GOAL_MATCH_P99_MS),
        "index_rebuild_le_1s": _at_most(blind["index_rebuild_ms_max"], GOAL_REBUILD_MS),
    }


def _at_least(value: float, floor: float) -> dict[str, Any]:
    return {"met": value >= floor, "value": value, "min": floor}


def _at_most(value: float, ceiling: float) -> dict[str, Any]:
    return {"met": value <= ceiling, "value": value, "max": ceiling}


def load_catalog(path: str | Path) -> list[IndexDoc]:
    with open(path, "rb") as stream:
        rows = [validate_row(raw.data) for raw in read_rows(stream, "jsonl") if raw.data]
    return [
        # No pk: these entries are not in the database, so they have no stored vector.
        IndexDoc(r.external_id, r.question, r.answer, r.language, r.tags, keywords=r.keywords)
        for r in rows
    ]


def accuracy(
    index: FaqIndex, catalog: list[IndexDoc], cases: list[dict], threshold: float
) -> dict[str, Any]:
    languages = {doc.key: doc.language for doc in catalog}
    in_scope = [c for c in cases if c.get("faq_id")]
    out_of_scope = [c for c in cases if not c.get("faq_id")]
    cross = [c for c in in_scope if _language(c["text"]) != languages.get(c["faq_id"])]
    return {
        "top1_accuracy": _share(index, in_scope, threshold),
        "abstain_accuracy": _share(index, out_of_scope, threshold),
        "cross_lang_accuracy": _share(index, cross, threshold),
        "n_in_scope": len(in_scope),
        "n_out_of_scope": len(out_of_scope),
        "n_cross_lang": len(cross),
    }


def _share(index: FaqIndex, cases: list[dict], threshold: float) -> float:
    if not cases:
        return 0.0
    right = sum(_predict(index, c["text"], threshold) == c.get("faq_id") for c in cases)
    return round(right / len(cases), 4)


def _predict(index: FaqIndex, text: str, threshold: float) -> str | None:
    best = index.rank(text, limit=1)
    return best[0].doc.key if best and best[0].score >= threshold else None


def _language(text: str) -> str:
    from apps.config.languages import detect_language

    return detect_language(text)


def latency(docs: list[IndexDoc], cases: list[dict], rounds: int) -> dict[str, Any]:
    from apps.faq.retrieval import FaqRetriever, index_version

    retriever = FaqRetriever(load_docs=lambda: docs, read_version=index_version)
    started = time.perf_counter()
    retriever.index()
    build_ms = (time.perf_counter() - started) * 1000
    wall, cpu = [], []
    for _ in range(rounds):
        for case in cases:
            started, started_cpu = time.perf_counter(), time.process_time()
            retriever.rank(case["text"], limit=1)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    embed_cpu = []
    embedder = retriever.index().embedder
    for case in cases:
        started_cpu = time.process_time()
        embedder.embed([case["text"]])
        embed_cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "match_ms_p50": _percentile(wall, 50),
        "match_ms_p99": _percentile(wall, 99),
        # CPU time is what the code costs; wall time also counts waits for a busy machine.
        "match_cpu_ms_p99": _percentile(cpu, 99),
        # The query's embedding, part of every match: CPU time of the dense model alone.
        "query_embed_cpu_ms_p50": _percentile(embed_cpu, 50),
        "query_embed_cpu_ms_p99": _percentile(embed_cpu, 99),
        "n_entries_timed": len(docs),
        "index_build_ms": round(build_ms, 1),
    }


def rebuild_latency(docs: list[IndexDoc], rounds: int) -> dict[str, Any]:
    """After each of ``rounds`` edits the version moves, so the next match rebuilds the index."""
    from apps.faq.retrieval import FaqRetriever, index_version

    current = list(docs)
    edits = [0]  # the local half of the version: an edit here, as a write service would bump it
    retriever = FaqRetriever(
        load_docs=lambda: current, read_version=lambda: (index_version(), edits[0])
    )
    retriever.index()
    timings = []
    for n in range(rounds):
        edited = n % len(current)
        current[edited] = replace(current[edited], answer=f"{current[edited].answer} (edit {n})")
        edits[0] += 1
        started = time.perf_counter()
        retriever.index()
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "index_rebuild_ms_p50": round(statistics.median(timings), 1),
        "index_rebuild_ms_max": round(max(timings), 1),
    }


def _percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    if pct == 50:
        return round(statistics.median(ordered), 3)
    return round(ordered[max(0, int(len(ordered) * pct / 100) - 1)], 3)


# --- synthetic filler entries: product questions that share the shop's vocabulary -----------

_EN_ITEMS = ["jacket", "sneaker", "hoodie", "backpack", "dress", "mug", "lamp", "scarf", "boot"]
_EN_COLORS = ["black", "navy", "olive", "cream", "red", "grey", "sand", "teal"]
_ZH_ITEMS = ["羽绒服", "运动鞋", "卫衣", "双肩包", "连衣裙", "马克杯", "台灯", "围巾", "靴子"]
_ZH_COLORS = ["黑色", "藏青色", "橄榄绿", "米白色", "红色", "灰色", "卡其色", "湖蓝色"]


def filler_docs(count: int, seed: int = 7) -> list[IndexDoc]:
    rng = random.Random(seed)
    return [_filler(i, rng) for i in range(count)]


def _filler(i: int, rng: random.Random) -> IndexDoc:
    code = f"{rng.choice('ABCDEFGH')}{rng.randint(100, 999)}"
    if i % 2:
        item, color = rng.choice(_ZH_ITEMS), rng.choice(_ZH_COLORS)
        question = f"{item}{code}有{color}吗？是什么面料？"
        answer = f"{item}{code}有{color}，面料为{rng.choice(['纯棉', '涤纶', '羊毛'])}。"
        return IndexDoc(f"filler-{i}", question, answer, "zh", ("products",))
    item, color = rng.choice(_EN_ITEMS), rng.choice(_EN_COLORS)
    question = f"Does the {item} {code} come in {color}? What is it made of?"
    answer = f"The {item} {code} comes in {color} and is made of {rng.choice(['cotton', 'wool'])}."
    return IndexDoc(f"filler-{i}", question, answer, "en", ("products",))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="eval JSONL path")
    parser.add_argument("--catalog", type=Path, default=DEMO_CATALOG, help="catalog JSONL")
    parser.add_argument(
        "--dev",
        type=Path,
        default=DEV_DIR,
        help="folder with the dev set's catalog.jsonl and questions.jsonl (tuned on)",
    )
    parser.add_argument(
        "--blind",
        type=Path,
        default=BLIND_DIR,
        help="folder with the blind set's catalog.jsonl and questions.jsonl",
    )
    parser.add_argument(
        "--no-blind",
        dest="blind",
        action="store_const",
        const=None,
        help="skip the blind set (while tuning on a dev set, do not look at it)",
    )
    parser.add_argument("--filler", type=int, default=1000, help="synthetic entries for timing")
    parser.add_argument("--rounds", type=int, default=5, help="timing passes over the set")
    parser.add_argument(
        "--cache-hits",
        type=int,
        default=50,
        help="answer-cache hits to time over the websocket (starts the stack); 0 skips",
    )
    args = parser.parse_args(argv)
    setup_django()
    result = run(
        eval_path=args.eval,
        catalog_path=args.catalog,
        dev_dir=args.dev,
        blind_dir=args.blind,
        filler=args.filler,
        rounds=args.rounds,
    )
    if args.cache_hits:
        result |= cache_hit_e2e(args.cache_hits)
    emit(result)


if __name__ == "__main__":
    main()
