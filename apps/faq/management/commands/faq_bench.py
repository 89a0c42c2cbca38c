from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from apps.faq import bench


class Command(BaseCommand):
    help = (
        "Accuracy and latency of FAQ retrieval on the evaluation set, and answer-cache hits "
        "end to end over the websocket; prints one JSON line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--eval", default=str(bench.DEFAULT_EVAL), help="eval JSONL path")
        parser.add_argument("--catalog", default=str(bench.DEFAULT_CATALOG), help="catalog JSONL")
        parser.add_argument("--filler", type=int, default=1000, help="synthetic entries for timing")
        parser.add_argument("--rounds", type=int, default=5, help="timing passes over the set")
        parser.add_argument(
            "--cache-hits",
            type=int,
            default=50,
            help="answer-cache hits to time over the websocket (starts the stack); 0 skips",
        )

    def handle(
        self, *args, eval: str, catalog: str, filler: int, rounds: int, cache_hits: int, **options
    ):
        result = bench.run(eval_path=eval, catalog_path=catalog, filler=filler, rounds=rounds)
        if cache_hits:
            # The live stack (Daphne + a Celery worker) is test tooling, so it lives in tests/.
            from tests.bench.faq_cache import cache_hit_e2e

            result |= cache_hit_e2e(cache_hits)
        self.stdout.write(json.dumps(result))
