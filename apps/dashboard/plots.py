"""The dashboard's live plots: the ops floor's per-minute rollups, binned for a window.

A window is shown in bins: one minute each for 15 min and 1 h, ten minutes for 24 h.
Counts add up over a bin's minutes (rates are over the whole bin, so the newest point
grows as its bin fills), peaks take the highest, and TTFT percentiles come from the bin's
merged histogram. A level (the queue's depth, who waits
for a person, a breaker's state) that did not move in a bin keeps its last value; before
the first sample in the window it is unknown (a gap in the plot).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from apps.ops import rollups
from apps.ops.vocabulary import MODEL_ROUTES, Route


@dataclass(frozen=True)
class Window:
    minutes: int
    bin_minutes: int


WINDOWS = {"15m": Window(15, 1), "1h": Window(60, 1), "24h": Window(1440, 10)}
REPLY_ROUTES = tuple(route for route in Route if route != Route.AGENT)
SENTIMENTS = ("negative", "neutral", "positive")
# Upper bound of the histogram's open bucket, for a percentile that falls in it.
TTFT_CEILING_MS = 2 * rollups.TTFT_BUCKETS_MS[-1]


@dataclass(frozen=True)
class Bin:
    start: int
    seconds: int
    counts: Counter[str]
    peaks: dict[str, float]
    last: dict[str, float]


def plot_data(window_name: str, now: float | None = None) -> dict:
    """Every chart's series over the window, for the dashboard's script (JSON)."""
    window = WINDOWS[window_name]
    now = time.time() if now is None else now
    step_s = window.bin_minutes * rollups.MINUTE_S
    newest = rollups.minute_of(now)
    # Bins start on multiples of their size, so a point keeps its place as time goes by.
    first = (newest - (window.minutes - window.bin_minutes) * rollups.MINUTE_S) // step_s * step_s
    bins = _binned(rollups.minutes_between(first, newest), window.bin_minutes)
    return {
        "window": window_name,
        "step_s": step_s,
        "t": [b.start for b in bins],
        "charts": _charts(bins),
    }


def _binned(minutes: Sequence[rollups.Minute], size: int) -> list[Bin]:
    bins = []
    for first in range(0, len(minutes), size):
        group = minutes[first : first + size]
        counts: Counter[str] = Counter()
        peaks: dict[str, float] = {}
        last: dict[str, float] = {}
        for minute in group:
            counts.update(minute.counts)
            for name, value in minute.peaks.items():
                peaks[name] = max(value, peaks.get(name, value))
            last.update(minute.last)
        bins.append(Bin(group[0].start, size * rollups.MINUTE_S, counts, peaks, last))
    return bins


def _charts(bins: list[Bin]) -> dict[str, dict]:
    reasons = sorted({name for b in bins for name in b.counts if name.startswith("fallback:")})
    return {
        "ttft": _chart("TTFT", "ms", {f"p{p}": _ttft(bins, p / 100) for p in (50, 95)}),
        "queue": _chart(
            "Queue depth and longest wait",
            "replies · s",
            {
                "depth (peak)": _level(bins, "queue_depth"),
                "longest wait (s)": [_seconds(b.peaks.get("queue_wait_ms")) for b in bins],
            },
        ),
        "replies": _chart(
            "Replies by route",
            "replies/s",
            {route: _rate(bins, f"reply:{route}") for route in REPLY_ROUTES},
        ),
        "fallbacks": _chart(
            "Fallback reasons",
            "replies/min",
            {name.removeprefix("fallback:"): _per_minute(bins, name) for name in reasons},
        ),
        "breakers": _chart(
            "Breaker state",
            "0 closed · 1 half-open · 2 open",
            {route: _level(bins, f"breaker:{route}") for route in MODEL_ROUTES},
        ),
        "sentiment": _chart(
            "Sentiment of customer messages",
            "messages/min",
            {label: _per_minute(bins, f"sentiment:{label}") for label in SENTIMENTS},
        ),
        "waiting": _chart(
            "Waiting for a person",
            "conversations",
            {"waiting (peak)": _level(bins, "waiting_human")},
        ),
    }


def _chart(title: str, unit: str, series: dict[str, list[float | None]]) -> dict:
    return {"title": title, "unit": unit, "series": series}


def _rate(bins: Iterable[Bin], name: str) -> list[float | None]:
    return [round(b.counts[name] / b.seconds, 3) for b in bins]


def _per_minute(bins: Iterable[Bin], name: str) -> list[float | None]:
    return [round(b.counts[name] * rollups.MINUTE_S / b.seconds, 2) for b in bins]


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 2)


def _level(bins: Iterable[Bin], name: str) -> list[float | None]:
    """The gauge's peak in each bin; a bin with no sample keeps the last value before it."""
    values: list[float | None] = []
    carried: float | None = None
    for b in bins:
        values.append(b.peaks.get(name, carried))
        carried = b.last.get(name, carried)
    return values


def _ttft(bins: Iterable[Bin], fraction: float) -> list[float | None]:
    return [ttft_percentile(b.counts, fraction) for b in bins]


def ttft_percentile(counts: Counter[str], fraction: float) -> float | None:
    """The TTFT (ms) below which ``fraction`` of the bin's replies started, interpolated
    within its histogram bucket; None when no reply in the bin had a first token."""
    bounds = (*rollups.TTFT_BUCKETS_MS, TTFT_CEILING_MS)
    names = (*map(str, rollups.TTFT_BUCKETS_MS), "inf")
    sizes = [counts[f"ttft:{name}"] for name in names]
    total = sum(sizes)
    if not total:
        return None
    rank = fraction * total
    below, lower = 0, 0.0
    for size, upper in zip(sizes, bounds, strict=True):
        if size and below + size >= rank:
            return round(lower + (upper - lower) * (rank - below) / size, 1)
        below, lower = below + size, float(upper)
    return float(bounds[-1])
