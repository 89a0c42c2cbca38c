"""`make bench-surge`: arrival bursts against the desk, beside a naive bot. One JSON line.

    .venv/bin/python -m tests.bench.surge [--burst-s 4] [--capacity-s 12] [--seed 13]

It starts Daphne and a Celery worker on the configured database (as `make bench` does)
and the demo "cloud" (``mlx_lm.server`` on loopback). Every customer is a real websocket
client that knows only protocol v1 (``tests.bench.surge_client``); all traffic is bounded
in count and in time.

1. Capacity: closed-loop customers, one per worker thread (``THREADS`` a worker), ask
   questions the FAQ cannot answer, each worded once, back to back for ``--capacity-s``.
   Capacity is the replies ended in that window per second; its reply-end p95 is set
   beside the ``total_deadline_ms`` flag.
2. Bursts at 0.5x, 1x, 5x and 10x that capacity (``tests.bench.surge_traffic``: zh and
   en, catalog and off-catalog questions, long complaints, ~30% repeats). Every session
   and socket of a burst is open before it starts; each message goes at its arrival time.
3. The naive arm, right after ours at the same load: the same burst with every question
   worded once and the routing flags of a plain bot (no admission control, no FAQ surge
   shortcut). At 1x and 10x always; at 0.5x and 5x too while the
   run, predicted from the measured capacity, fits ``--budget-s``.
4. A second worker, and capacity again.

Every burst starts with an empty answer cache, so only its own repeats can hit it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from tests.bench.common import emit, percentiles, progress, setup_django
from tests.bench.surge_traffic import Burst, QuestionPool, make_burst, unique

if TYPE_CHECKING:
    from tests.bench.surge_client import Customer
    from tests.stack import LiveStack

THREADS = 8  # a stack worker's threads (tests.stack): closed-loop customers per worker
LOADS = (0.5, 1.0, 5.0, 10.0)
NAIVE_LOADS = (1.0, 10.0)  # always run; the other loads only within the budget
REPLY_BOUND_S = 120.0  # a reply not ended this long after its burst is lost
GRACE_S = 1.0  # after the last reply.end, listen this long for a duplicate
OPENING_AT_ONCE = 8  # sessions and sockets being opened together before a burst
PREP_BOUND_S = 120.0
SETTLE_BOUND_S = 40.0  # four of the line's rate windows
FIRST_VISIBLE_GOAL_MS = 1000.0
RUN = uuid.uuid4().hex[:4]  # in the tags that word a question once: fresh each run


# -- capacity --------------------------------------------------------------------------


async def measure_capacity(
    stack: LiveStack, questions: Iterator[str], *, clients: int, window_s: float
) -> dict:
    from tests.bench.surge_client import open_customer

    firsts = await asyncio.gather(*(open_customer(stack) for _ in range(clients)))
    started = time.perf_counter()
    closes_at = started + window_s
    asked: list[Customer] = []

    async def back_to_back(customer: Customer) -> None:
        while time.perf_counter() < closes_at:
            upcoming = asyncio.create_task(open_customer(stack))  # opens while this one asks
            await ask_once(customer, next(questions))
            asked.append(customer)
            customer = await upcoming
        await customer.close()

    await asyncio.gather(*(back_to_back(c) for c in firsts))
    return capacity_figures(asked, closes_at, window_s) | {"clients": clients}


async def warm_up(stack: LiveStack, customers: int) -> None:
    """A few replies before any figure: the first through a fresh worker pays for set-up."""
    from tests.bench.surge_client import open_customer

    async def one(n: int) -> None:
        await ask_once(await open_customer(stack), unique("Hello there", f"{RUN}w{n}"))

    await asyncio.gather(*(one(n) for n in range(customers)))


async def ask_once(customer: Customer, text: str) -> None:
    stop = asyncio.Event()
    talk = asyncio.create_task(customer.ask(text, stop, scheduled_at=time.perf_counter()))
    with suppress(TimeoutError):
        await asyncio.wait_for(customer.done.wait(), REPLY_BOUND_S)
    stop.set()
    await talk
    await customer.close()


def capacity_figures(asked: list[Customer], closes_at: float, window_s: float) -> dict:
    in_window = [c for c in asked if c.ended_at is not None and c.ended_at <= closes_at]
    ends = _ms(in_window, "ended_at")
    return {
        "replies_per_s": round(len(in_window) / window_s, 2),
        "window_s": window_s,
        "completed_in_window": len(in_window),
        "lost": sum(c.ended_at is None for c in asked),
        **percentiles(ends, "reply_end_ms", (50, 95)),
        "routes": _count(c.route for c in in_window),
    }


# -- one burst -------------------------------------------------------------------------


async def run_burst(stack: LiveStack, burst: Burst, label: str) -> dict:
    opened = time.perf_counter()
    customers = await asyncio.wait_for(open_customers(stack, len(burst.asks)), PREP_BOUND_S)
    prep_s = time.perf_counter() - opened
    stop = asyncio.Event()
    starts_at = time.perf_counter()
    talks = [
        asyncio.create_task(_arrive(c, ask.text, starts_at + offset, stop))
        for c, ask, offset in zip(customers, burst.asks, burst.offsets, strict=True)
    ]
    await wait_for_replies(customers, starts_at + burst.duration_s + REPLY_BOUND_S, label)
    await asyncio.sleep(GRACE_S)
    stop.set()
    await asyncio.gather(*talks)
    await asyncio.gather(*(c.close() for c in customers))
    return burst_figures(burst, customers) | {"prep_s": round(prep_s, 2)}


async def open_customers(stack: LiveStack, count: int) -> list[Customer]:
    """Every widget of a burst, open before it starts, as a real one is before anyone types."""
    from tests.bench.surge_client import open_customer

    gate = asyncio.Semaphore(OPENING_AT_ONCE)

    async def one() -> Customer:
        async with gate:
            return await open_customer(stack)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def _arrive(customer: Customer, text: str, at: float, stop: asyncio.Event) -> None:
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    await customer.ask(text, stop, scheduled_at=at)


async def wait_for_replies(customers: list[Customer], deadline: float, label: str) -> None:
    """Until every reply has ended or the bound has passed, with a bar on stderr."""
    with tqdm(total=len(customers), desc=label, file=sys.stderr, mininterval=1.0) as bar:
        while time.perf_counter() < deadline:
            ended = sum(c.ended_at is not None for c in customers)
            bar.update(ended - bar.n)
            if ended == len(customers):
                return
            await asyncio.sleep(0.25)


def burst_figures(burst: Burst, customers: list[Customer]) -> dict:
    ended = [c for c in customers if c.ended_at is not None]
    lags = [(c.sent_at - c.scheduled_at) * 1000 for c in customers if c.sent_at and c.scheduled_at]
    return {
        "load": burst.load,
        "rate_per_s": round(burst.rate, 2),
        "messages": len(customers),
        "burst_s": round(burst.duration_s, 2),
        **percentiles(_ms(customers, "first_visible_at"), "first_visible_ms"),
        **percentiles(_ms(customers, "accepted_at"), "accepted_ms"),
        **percentiles(_ms(customers, "ended_at"), "reply_end_ms"),
        "completed": len(ended),
        "lost": len(customers) - len(ended),
        "duplicated": sum(c.duplicated for c in customers),
        "short_deltas": sum(c.short_deltas for c in customers),
        "routes": _count(c.route for c in ended),
        "notices": _count(n.kind for c in customers for n in c.notices),
        "queued": queued_figures(customers),
        "errors": _count(code for c in customers for code in c.errors.elements()),
        "resumes": sum(c.resumes for c in customers),
        "reconnects": sum(c.reconnects for c in customers),
        "mix": _count(a.kind for a in burst.asks),
        "languages": _count(a.language for a in burst.asks),
        **percentiles(lags, "send_lag_ms", (99,)),
        "slowest_first_visible": slowest_figures(customers),
    }


def slowest_figures(customers: list[Customer], kept: int = 3) -> list[dict]:
    """The customers who waited longest to see anything: what they saw first (a ``queued``
    notice or the reply's text), when their message was stored and how it was answered."""
    seen = [c for c in customers if c.first_visible_at is not None]
    seen.sort(key=lambda c: c.first_visible_at - c.sent_at, reverse=True)  # type: ignore[operator]
    return [
        {
            "first_visible_ms": _rounded(c.ms_after_send(c.first_visible_at)),
            "by": c.first_visible_by,
            "accepted_ms": _rounded(c.ms_after_send(c.accepted_at)),
            "route": c.route,
        }
        for c in seen[:kept]
    ]


def _rounded(ms: float | None) -> float | None:
    return None if ms is None else round(ms, 1)


def queued_figures(customers: list[Customer]) -> dict:
    """The first ``queued`` notice of each reply: its place and promised wait, and how far
    the promise was from the wait that followed (positive: later than promised)."""
    firsts = [(c, n) for c in customers if (n := c.first_notice("queued")) is not None]
    places = [float(n.place) for _, n in firsts if n.place is not None]
    promised = [(c, n.at, float(n.wait_s)) for c, n in firsts if n.wait_s is not None]
    errors = [c.first_text_at - at - wait for c, at, wait in promised if c.first_text_at]
    return {
        "replies": len(firsts),
        "with_place": len(places),
        **percentiles(places, "place", (50, 100)),
        "with_wait_s": len(promised),
        **percentiles([wait for _, _, wait in promised], "wait_s", (50, 95)),
        **percentiles(errors, "wait_error_s", (5, 50, 95)),
    }


def _ms(customers: list[Customer], attribute: str) -> list[float]:
    after = (c.ms_after_send(getattr(c, attribute)) for c in customers)
    return [ms for ms in after if ms is not None]


def _count(items: Iterable[Any]) -> dict[str, int]:
    return dict(Counter(items))


# -- the naive bot ---------------------------------------------------------------------


@contextmanager
def naive_routing() -> Iterator[dict[str, Any]]:
    """The routing flags of a plain synchronous bot, restored afterwards."""
    from apps.ops.models import RoutingFlags
    from apps.ops.services import flags_update

    # No admission control (every message waits for a worker) and no FAQ surge shortcut.
    changes: dict[str, Any] = {"admission_control": False, "surge_queue_depth": 0}
    row, _ = RoutingFlags.objects.get_or_create(pk=1)
    before = {name: getattr(row, name) for name in changes}
    flags_update(user=None, changes=changes)
    try:
        yield changes
    finally:
        flags_update(user=None, changes=before)


# -- the run ---------------------------------------------------------------------------


class SurgeRun:
    """The phases in order, on one live stack, with the time spent so far."""

    def __init__(self, stack: LiveStack, args: argparse.Namespace, started: float) -> None:
        self.stack = stack
        self.args = args
        self.pool = QuestionPool(random.Random(args.seed))
        self.started = started  # time.monotonic() when the bench began
        self.naive_flags: dict[str, Any] = {}

    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def capacity(self, workers: int) -> dict:
        clients, window_s = THREADS * workers, self.args.capacity_s
        progress(f"capacity, {workers} worker(s): {clients} closed-loop customers for {window_s} s")
        asyncio.run(warm_up(self.stack, clients))
        _fresh_answer_cache()
        questions = self.pool.off_catalog_unique(f"{RUN}c{workers}")
        return asyncio.run(
            measure_capacity(self.stack, questions, clients=clients, window_s=window_s)
        )

    def bursts(self, capacity: float) -> dict[float, Burst]:
        return {load: self._burst(load, load * capacity) for load in LOADS}

    def naive_loads(
        self, bursts: dict[float, Burst], capacity: float, reserve_s: float
    ) -> set[float]:
        """1x and 10x always; the other loads while the run, predicted from the measured
        capacity (a burst lasts its arrivals, then its backlog drains), fits the budget."""

        from apps.conversations.admission import RATE_WINDOW_S  # each arm's settle

        def predicted_s(burst: Burst) -> float:
            return burst.duration_s + len(burst.asks) / capacity + GRACE_S + RATE_WINDOW_S

        chosen = set(NAIVE_LOADS)
        planned = self.elapsed_s() + reserve_s + sum(map(predicted_s, bursts.values()))
        planned += sum(predicted_s(bursts[load]) for load in chosen)
        for load in LOADS:
            if load not in chosen and planned + predicted_s(bursts[load]) <= self.args.budget_s:
                chosen.add(load)
                planned += predicted_s(bursts[load])
        return chosen

    def ours(self, burst: Burst) -> dict:
        return self._run_burst(burst, "ours")

    def naive(self, burst: Burst) -> dict:
        with naive_routing() as changes:
            self.naive_flags = changes
            return self._run_burst(burst.made_unique(f"{RUN}n{burst.load:g}"), "naive")

    def _run_burst(self, burst: Burst, arm: str) -> dict:
        label = f"{arm} {burst.load:g}x"
        settle()
        progress(f"{label}: {len(burst.asks)} customers at {burst.rate:.1f}/s")
        _fresh_answer_cache()
        figures = asyncio.run(run_burst(self.stack, burst, label))
        progress(f"{label}: {_line(figures)}")
        return figures

    def _burst(self, load: float, rate: float) -> Burst:
        count = max(self.args.min_count, min(self.args.max_count, round(rate * self.args.burst_s)))
        return make_burst(self.pool, load=load, rate=rate, count=count, even=self.args.even)


def run(stack: LiveStack, args: argparse.Namespace, started: float) -> dict:
    from apps.ops.flags import current_flags

    surge = SurgeRun(stack, args, started)
    deadline_ms = current_flags().total_deadline_ms
    one_worker = surge.capacity(1)
    capacity = one_worker["replies_per_s"]
    if not capacity:
        raise SystemExit(f"no reply ended while measuring capacity; logs in {stack.workdir}")
    bursts = surge.bursts(capacity)
    # Room for a worker's start and the second capacity phase: as long as the stack's
    # start and the first one took.
    naive_loads = surge.naive_loads(bursts, capacity, reserve_s=surge.elapsed_s())
    ours, naive = {}, {}
    for load, burst in bursts.items():  # side by side, so both meet the same machine
        ours[load] = surge.ours(burst)
        if load in naive_loads:
            naive[load] = surge.naive(burst)
    start_second_worker(stack)
    two_workers = surge.capacity(2)
    figures: dict[str, Any] = {"bench": "surge", "total_deadline_ms": deadline_ms}
    figures |= capacity_section(one_worker, two_workers, deadline_ms)
    figures |= arms_section(ours, naive, surge.naive_flags)
    figures["wall_s"] = round(surge.elapsed_s(), 1)
    return figures


def start_second_worker(stack: LiveStack) -> None:
    from tests.stack import wait_for_log

    progress("starting worker2")
    proc = stack.start_worker("worker2")
    wait_for_log(stack.workdir / "worker2.log", "FAQ index ready", proc)


def capacity_section(one: dict, two: dict, deadline_ms: int) -> dict:
    for figures in (one, two):
        p95 = figures["reply_end_ms_p95"]
        figures["meets_total_deadline"] = p95 is not None and p95 <= deadline_ms
    return {
        "capacity_1w": one["replies_per_s"],
        "capacity_2w": two["replies_per_s"],
        "capacity": {"1w": one, "2w": two},
    }


def arms_section(ours: dict[float, dict], naive: dict[float, dict], naive_flags: dict) -> dict:
    ratios = {
        _label(load): {
            name: _ratio(row[f"{name}_p99"], ours[load][f"{name}_p99"])
            for name in ("first_visible_ms", "reply_end_ms")
        }
        for load, row in naive.items()
    }
    _print_side_by_side(ours, naive)
    return {
        "ours": {_label(load): row for load, row in ours.items()},
        "naive": {_label(load): row for load, row in naive.items()},
        "naive_flags": naive_flags,
        "naive_over_ours_p99": ratios,
        "goals": goals(ours, naive),
    }


def goals(ours: dict[float, dict], naive: dict[float, dict]) -> dict:
    at_10x = ours[10.0]["first_visible_ms_p99"]
    at_half = ours[0.5]["first_visible_ms_p99"]
    every_arm = [*ours.values(), *naive.values()]
    lost = sum(arm["lost"] for arm in every_arm)
    duplicated = sum(arm["duplicated"] for arm in every_arm)
    twice_half = 2 * at_half if at_half is not None else None
    return {
        "first_visible_p99_10x_within_1s": _goal(at_10x, FIRST_VISIBLE_GOAL_MS),
        "first_visible_p99_10x_within_2x_of_0.5x": _goal(at_10x, twice_half),
        "none_lost_or_duplicated": {
            "met": lost == 0 and duplicated == 0, "lost": lost, "duplicated": duplicated,
        },
    }  # fmt: skip


def _goal(value: float | None, limit: float | None) -> dict:
    met = value is not None and limit is not None and value <= limit
    return {"met": met, "value": value, "limit": limit}


def _ratio(naive: float | None, ours: float | None) -> float | None:
    return round(naive / ours, 2) if naive is not None and ours else None


def _label(load: float) -> str:
    return f"{load:g}x"


def _line(figures: dict) -> str:
    return (
        f"first visible p50/p95/p99 {figures['first_visible_ms_p50']}/"
        f"{figures['first_visible_ms_p95']}/{figures['first_visible_ms_p99']} ms, "
        f"reply end p99 {figures['reply_end_ms_p99']} ms, completed {figures['completed']}, "
        f"lost {figures['lost']}, duplicated {figures['duplicated']}, routes {figures['routes']}"
    )


def _print_side_by_side(ours: dict[float, dict], naive: dict[float, dict]) -> None:
    progress("load   first visible p99 ms (ours | naive)   reply end p99 ms (ours | naive)")
    for load, row in ours.items():
        other = naive.get(load, {})
        progress(
            f"{_label(load):>5}  {row['first_visible_ms_p99']!s:>10} | "
            f"{other.get('first_visible_ms_p99', '-')!s:<12}  "
            f"{row['reply_end_ms_p99']!s:>10} | {other.get('reply_end_ms_p99', '-')!s}"
        )


def settle() -> None:
    """Wait for a quiet desk: the line empty and the last phase's pace aged out of the
    workers' measured rate. Each arm then meets its own load only, as a shop's evening
    meets its midnight: without it the 0.5x arm, right after the capacity phase, was told
    the wait of eight customers at once, and each arm inherited the one before."""
    from apps.conversations.admission import line_now

    deadline = time.monotonic() + SETTLE_BOUND_S
    while time.monotonic() < deadline:
        line = line_now()
        if line.depth == 0 and line.rate is None and line.start_s is None:
            return
        time.sleep(0.5)
    progress(f"not settled within {SETTLE_BOUND_S:g} s: {line}")


def _fresh_answer_cache() -> None:
    from apps.ops.flags import flags_bump_version

    flags_bump_version()  # cached answers key on the flags version: every one is retired


# -- entry point -----------------------------------------------------------------------


def require_demo_faq() -> None:
    """The configured database, as `make db` leaves it: migrated, with the demo FAQ."""
    from apps.faq.models import FaqEntry

    if not FaqEntry.objects.exists():
        raise SystemExit("the configured database has no FAQ entries: run `make db` first")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacity-s", type=float, default=12.0)
    parser.add_argument("--burst-s", type=float, default=4.0, help="length of a burst")
    # A p99 of fewer than 100 messages is their slowest one.
    parser.add_argument("--min-count", type=int, default=100, help="fewest messages a burst")
    parser.add_argument("--max-count", type=int, default=300, help="most messages a burst")
    parser.add_argument("--even", action="store_true", help="evenly spaced, not Poisson")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--webs", type=int, default=1, help="web processes, sockets spread")
    parser.add_argument("--budget-s", type=float, default=540.0, help="for the optional arms")
    return parser.parse_args()


def main() -> None:
    started = time.monotonic()
    args = parse_args()
    # A SIGTERM unwinds like Ctrl-C: the flags are restored and every process is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    setup_django()
    require_demo_faq()
    from tests.inference.servers import MlxServer, demo_model_dir
    from tests.stack import start_live_stack, wait_for_log

    workdir = Path(tempfile.mkdtemp(prefix="surgedesk-bench-surge-"))
    progress(f"logs in {workdir}")
    cloud = MlxServer(demo_model_dir(workdir), workdir)
    cloud.start()
    (workdir / "stack").mkdir()
    # Every simulated customer comes from 127.0.0.1: the per-IP limit would count them as
    # one visitor. Per-session limits stay as shipped.
    stack = start_live_stack(
        workdir / "stack", CLOUD_BASE_URL=cloud.base_url, CHAT_RATE_LIMIT_IP_PER_MINUTE="100000"
    )
    try:
        wait_for_log(stack.workdir / "worker.log", "FAQ index ready", stack.processes["worker"])
        for number in range(2, args.webs + 1):
            stack.start_web(f"web{number}")
        figures = run(stack, args, started)
    finally:
        stack.stop()
        cloud.stop()
    emit(figures)


if __name__ == "__main__":
    main()
