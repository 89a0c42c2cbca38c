from __future__ import annotations

import json
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.faq import retrieval


class Command(BaseCommand):
    help = (
        'Match questions read as JSONL {"id", "text"} on stdin; writes one line per input, '
        'in order: {"id", "faq_id": str|null, "score": float}. faq_id is null below the '
        "threshold; score is still the best entry's."
    )

    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--threshold", type=float, help="default: FAQ_MATCH_THRESHOLD")

    def handle(self, *args, threshold: float | None, **options):
        stdin = options.get("stdin") or sys.stdin.buffer
        retrieval.warm_up()
        for line in stdin:
            line = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
            if line.strip():
                self.stdout.write(json.dumps(_answer(line, threshold), ensure_ascii=False))
                self.stdout.flush()


def _answer(line: str, threshold: float | None) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return _error(None, f"invalid JSON: {exc.msg}")
    if not isinstance(data, dict):
        return _error(None, "expected a JSON object")
    if not isinstance(data.get("text"), str):
        return _error(data.get("id"), "missing 'text'")
    best = retrieval.rank(data["text"], limit=1)
    if not best:
        return {"id": data.get("id"), "faq_id": None, "score": 0.0}
    limit = settings.FAQ_MATCH_THRESHOLD if threshold is None else threshold
    accepted = best[0].score >= limit and best[0].score > 0
    return {
        "id": data.get("id"),
        "faq_id": best[0].faq_id if accepted else None,
        "score": best[0].score,
    }


def _error(row_id: Any, message: str) -> dict[str, Any]:
    return {"id": row_id, "faq_id": None, "score": 0.0, "error": message}
