"""Helpers shared by the benchmark commands: percentiles and one-line JSON output."""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Sequence


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.config.settings")
    import django

    django.setup()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; fine for the few hundred samples a bench takes."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(values: list[float], prefix: str) -> dict[str, float]:
    return {
        f"{prefix}_p50": round(statistics.median(values), 2),
        f"{prefix}_p95": round(percentile(values, 95), 2),
    }


def percentiles(
    values: Sequence[float], prefix: str, pcts: tuple[float, ...] = (50, 95, 99)
) -> dict[str, float | None]:
    """``{prefix}_p{pct}`` for each of ``pcts``, nearest rank; None where there is no sample."""
    return {
        f"{prefix}_p{pct:g}": round(percentile(list(values), pct), 2) if values else None
        for pct in pcts
    }


def emit(figures: dict) -> None:
    """The one JSON line a bench prints on stdout; progress goes to stderr."""
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
