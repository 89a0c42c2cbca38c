"""The one entry point of inference: given a conversation's history, stream a reply.

It knows nothing of conversation models: callers pass plain turns and an opaque
cache key, iterate the stream, then read ``outcome``.

Each reply follows a route plan (``router.plan_routes``) built from the live ops flags
and the shared breaker states. Model routes run under their backend's circuit breaker
and two deadlines (first token, whole reply); on a failure the next route is tried,
ending with an FAQ match and then an honest apology, so the customer always gets an
answer.

A context-free question (see ``router`` for the rule and for why the cache is used in every
mode) first tries the answer cache: a hit is the whole reply, with route ``cache`` and no
``fallback_reason`` (the cache is a choice, not a failure); a miss is silent and the plan goes
on. A reply to such a question is remembered for the next customer only when it is whole and
good: it came from ``local``, ``cloud`` or ``faq`` (never the apology), with no restart, no
cancellation, no truncation at ``max_tokens``, and under the same flags it started with.

The stream yields ``str`` deltas and, rarely, a ``Restart`` marker: a route failed
after some of its text had been yielded, and the text of the next route replaces
all the text yielded before the marker. See ``apps/conversations/PROTOCOL.md``
(``reply.restart``).

Model text is checked as it streams (``policy``): a word or number still forming, or an
unfinished sentence that promises a refund or a coupon, waits for its end, and the first claim the
shop's knowledge base does not hold stops the model. The reply is then held back: a
``Restart`` (reason ``held``) if any of it was yielded, and an honest answer that offers a
person, with route ``canned`` and ``outcome.held_reason``. A held reply is never remembered.

Model text that repeats itself back to back (``loops``: the same n-gram again and again, in
any script, with or without spaces) is not shown while the repetition runs; once it is a
loop the model is stopped, the reply keeps its text up to the loop's first copy and ends with
an honest line that offers a person, and ``outcome.finish_reason`` is ``loop``. Such a reply
is never remembered either.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field

import pybreaker
from django.conf import settings

from apps.config.languages import detect_language
from apps.faq.retrieval import Match
from apps.faq.retrieval import confident as faq_confident
from apps.inference.backends.answer_cache import remember_reply
from apps.inference.base import (
    Backend,
    BackendError,
    BackendRequest,
    BackendStream,
    GenerationParams,
    NoAnswer,
    Usage,
)
from apps.inference.breakers import AttemptCancelled, breaker_states, get_breaker
from apps.inference.canned import held_answer, loop_ending
from apps.inference.loops import LOOP_FINISH, LoopGuard
from apps.inference.policy import Knowledge, reply_check, settled_length, shop_knowledge
from apps.inference.prompts import Turn
from apps.inference.registry import MODEL_ROUTES, REMEMBERED_ROUTES, backend_for
from apps.inference.router import RoutePlan, RouteRequest, Step, plan_routes
from apps.ops.flags import Flags, current_flags
from apps.ops.vocabulary import Route

logger = logging.getLogger(__name__)

_DONE = object()


@dataclass
class ReplyOutcome:
    route: str = ""
    model_name: str = ""
    ttft_ms: int | None = None
    total_ms: int = 0
    tokens_in: int | None = None
    tokens_out: int | None = None
    # Why the reply did not come from the first route of the plan: the first skip or
    # failure (breaker_open, ttft_deadline, total_deadline, error, killed, flag).
    fallback_reason: str = ""
    attempts: list[tuple[str, str]] = field(default_factory=list)  # (route, why it failed)
    restarts: int = 0
    # "length": the reply was cut at max_tokens; "loop": the model repeated itself (``loops``)
    finish_reason: str = ""
    remembered: bool = False  # saved to the answer cache for the next customer
    held_reason: str = ""  # the model's text was held back (``policy.HeldReason``)
    grounded_on: tuple[str, ...] = ()  # FAQ ids the model's prompt carried as references


@dataclass(frozen=True)
class Restart:
    """Yielded between deltas: discard the reply text yielded so far; a new route follows."""

    failed_route: str
    reason: str


class RouteFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplyHeld(Exception):
    """The model said what the shop's knowledge base does not hold (``policy``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplyStream:
    """Iterate for ``str`` deltas and ``Restart`` markers; ``outcome`` is complete at the end."""

    def __init__(
        self,
        history: Sequence[Turn],
        *,
        cache_key: str,
        conversation_status: str = "ai",
        queue_depth: int = 0,
        over_deadline: bool = False,
        without_models: bool = False,
        flags: Flags | None = None,
    ) -> None:
        self.history = list(history)
        self.cache_key = cache_key
        self.conversation_status = conversation_status
        self.queue_depth = queue_depth
        self.over_deadline = over_deadline
        self.without_models = without_models  # stop before the first model it would try
        self.flags = flags
        self.outcome = ReplyOutcome()
        self._backend_stream: _Pump | None = None
        self._cancelled = False
        self._grounding: list[Match] | None = None
        self._simple = False  # the plan's: a simple intent, for the small local model

    def cancel(self) -> None:
        self._cancelled = True
        if self._backend_stream is not None:
            self._backend_stream.cancel()

    def __iter__(self) -> Iterator[str | Restart]:
        started = time.monotonic()
        flags = self.flags or current_flags()
        plan = self.plan(flags)
        self._simple = plan.simple
        yielded_text = False
        text = ""  # the current route's text: the whole reply once a route succeeds
        for step in plan.steps:
            if self._cancelled or (self.without_models and _runs_a_model(step)):
                break
            if step.skip_reason:
                self._note_failure(step.route, step.skip_reason)
                continue
            restart_due = yielded_text
            text = ""
            try:
                for delta in self._attempt(step.route, flags):
                    if restart_due:
                        restart_due = False
                        yield self._restart()
                    if self.outcome.ttft_ms is None:
                        self.outcome.ttft_ms = _elapsed_ms(started)
                    yielded_text = True
                    text += delta
                    yield delta
            except RouteFailed as exc:
                if not step.shortcut:  # a shortcut that misses is no fallback
                    self._note_failure(step.route, exc.reason)
                continue
            except ReplyHeld as held:
                yield from self._held(step.route, held.reason, yielded_text, started)
                break
            self.outcome.route = step.route
            self.outcome.fallback_reason = self.outcome.fallback_reason or step.chosen_because
            if step.route in MODEL_ROUTES:
                self.outcome.grounded_on = tuple(m.faq_id for m in self._references())
            break
        self.outcome.total_ms = _elapsed_ms(started)
        if plan.cacheable and self._worth_remembering(flags):
            self.outcome.remembered = remember_reply(self._last_user_text(), text)

    def plan(self, flags: Flags) -> RoutePlan:
        user_turns = [t for t in self.history if t.role == "user"]
        request = RouteRequest(
            text=user_turns[-1].text if user_turns else "",
            user_turns=len(user_turns),
            conversation_status=self.conversation_status,
            queue_depth=self.queue_depth,
            over_deadline=self.over_deadline,
        )
        return plan_routes(flags, breaker_states(), request)

    # -- one route ---------------------------------------------------------------

    def _attempt(self, route: str, flags: Flags) -> Iterator[str]:
        backend = backend_for(route)
        request = BackendRequest(
            history=tuple(self.history),
            cache_key=self.cache_key,
            params=GenerationParams(max_tokens=flags.max_tokens),
            references=tuple(m.answer for m in self._references()) if backend.is_model else (),
            simple=self._simple,
        )
        if backend.is_model:
            yield from self._checked(self._model(backend, request, flags))
        else:
            yield from self._answer(backend, request)

    def _answer(self, backend: Backend, request: BackendRequest) -> Iterator[str]:
        """A backend that answers from memory: no breaker, no deadline, no token counts."""
        try:
            stream = backend.open(request)
        except Exception as exc:  # a broken FAQ or cache must not break the chain
            raise _route_failed(backend.route, exc) from exc
        self.outcome.model_name = stream.usage.model_name
        self.outcome.finish_reason = stream.usage.finish_reason
        yield from stream

    def _model(self, backend: Backend, request: BackendRequest, flags: Flags) -> Generator[str]:
        try:
            with get_breaker(backend.route).calling():
                yield from self._guarded_model(backend, request, flags)
        except pybreaker.CircuitBreakerError as exc:
            raise RouteFailed("breaker_open") from exc
        except AttemptCancelled:
            return
        except Exception as exc:
            raise _route_failed(backend.route, exc) from exc

    def _guarded_model(
        self, backend: Backend, request: BackendRequest, flags: Flags
    ) -> Iterator[str]:
        """Runs inside the breaker: every exception raised here counts against the backend."""
        pump = _Pump(lambda: backend.open(request))
        self._backend_stream = pump
        produced = False
        for delta in pump.deltas(flags.ttft_deadline_ms / 1000, flags.total_deadline_ms / 1000):
            produced = True
            yield delta
        if self._cancelled:
            raise AttemptCancelled
        if not produced:
            raise BackendError(f"{backend.route} produced an empty reply")
        self._record_usage(pump.usage)

    def _checked(self, deltas: Generator[str]) -> Iterator[str]:
        """The model's text, passed on once ``policy`` allows it and no repetition it may be
        starting is running (``loops``). ``ReplyHeld`` stops the model (closing its stream
        cancels it) at the first claim it must not make; a loop stops it too, and the reply
        ends after the loop's first copy with an honest closing line."""
        knowledge = shop_knowledge()
        guard = LoopGuard()
        text, shown = "", 0
        with closing(deltas):
            for delta in deltas:
                text += delta
                if guard.feed(text):
                    break
                if (settled := min(settled_length(text), guard.safe_length(text))) > shown:
                    yield _allowed_part(text, shown, settled, knowledge)
                    shown = settled
        end = guard.cut(text)
        if end > shown and not self._cancelled:
            yield _allowed_part(text, shown, end, knowledge)
        if guard.looping and not self._cancelled:
            yield from self._loop_ended()

    def _loop_ended(self) -> Iterator[str]:
        """The model repeated itself: it was stopped, and the reply says so plainly."""
        logger.warning("model reply stopped: it repeated itself")
        if self._backend_stream is not None:
            self._record_usage(self._backend_stream.usage)
        self.outcome.finish_reason = LOOP_FINISH
        yield loop_ending(detect_language(self._last_user_text()))

    def _held(
        self, route: str, reason: str, shown: bool, started: float
    ) -> Iterator[str | Restart]:
        """Hold the model's reply back: void what it showed, then say so honestly."""
        logger.warning("%s reply held back: %s", route, reason)
        self._note_failure(route, "held")
        self.outcome.held_reason = reason
        self.outcome.route = Route.CANNED
        if shown:
            yield self._restart()
        self.outcome.ttft_ms = _elapsed_ms(started)
        yield held_answer(detect_language(self._last_user_text()))

    def _references(self) -> list[Match]:
        """The FAQ entries confident for the customer's latest question, looked up once per
        reply: a model answers from the shop's facts, not from what it remembers."""
        if self._grounding is None:
            wanted = settings.GROUNDING_REFERENCES
            try:
                found = faq_confident(self._last_user_text(), limit=wanted) if wanted else []
            except Exception:  # the FAQ unreadable: the model answers ungrounded, not never
                logger.warning("no references: the FAQ could not be read", exc_info=True)
                found = []
            self._grounding = found
        return self._grounding

    # -- bookkeeping -------------------------------------------------------------

    def _note_failure(self, route: str, reason: str) -> None:
        self.outcome.attempts.append((route, reason))
        if not self.outcome.fallback_reason:
            self.outcome.fallback_reason = reason

    def _worth_remembering(self, flags: Flags) -> bool:
        """A whole, good reply, written under flags that still hold (a change mid-reply
        emptied the cache; an answer from the old routing must not refill it)."""
        outcome = self.outcome
        return (
            outcome.route in REMEMBERED_ROUTES
            and not self._cancelled
            and outcome.restarts == 0
            and outcome.finish_reason not in ("length", LOOP_FINISH)
            and (self.flags is not None or current_flags() == flags)
        )

    def _restart(self) -> Restart:
        failed_route, reason = self.outcome.attempts[-1]
        self.outcome.restarts += 1
        self.outcome.ttft_ms = None  # the text the customer keeps starts now
        return Restart(failed_route=failed_route, reason=reason)

    def _record_usage(self, usage: Usage | None) -> None:
        if usage is None:
            return
        self.outcome.model_name = usage.model_name
        self.outcome.finish_reason = usage.finish_reason
        self.outcome.tokens_in = usage.tokens_in
        self.outcome.tokens_out = usage.tokens_out

    def _last_user_text(self) -> str:
        return next((t.text for t in reversed(self.history) if t.role == "user"), "")


def stream_reply(
    history: Sequence[Turn],
    *,
    cache_key: str,
    conversation_status: str = "ai",
    queue_depth: int = 0,
    flags: Flags | None = None,
) -> ReplyStream:
    """A reply for ``history``; ``flags`` defaults to the live ops flags.

    ``queue_depth`` is how many replies wait for a worker: past the ops surge threshold a
    confident FAQ answer goes first.
    """
    return ReplyStream(
        history,
        cache_key=cache_key,
        conversation_status=conversation_status,
        queue_depth=queue_depth,
        flags=flags,
    )


@dataclass(frozen=True)
class EdgeReply:
    text: str
    outcome: ReplyOutcome


def edge_reply(
    history: Sequence[Turn],
    *,
    cache_key: str,
    conversation_status: str,
    over_deadline: bool,
    flags: Flags | None = None,
) -> EdgeReply | None:
    """The reply the web process can give at once, with no worker: the plan followed up to
    the first model it would try. That is the cached answer to the same question; when the
    line is too long for a model reply to start within its deadline (``over_deadline``), a
    confident FAQ answer; and with no model to try (``faq_only``, both models killed or
    their breakers open), the FAQ or the apology. None: the reply needs a worker.
    """
    stream = ReplyStream(
        history,
        cache_key=cache_key,
        conversation_status=conversation_status,
        over_deadline=over_deadline,
        without_models=True,
        flags=flags,
    )
    text = "".join(delta for delta in stream if isinstance(delta, str))
    return EdgeReply(text, stream.outcome) if stream.outcome.route else None


class DeadlineExceeded(BackendError):
    """The backend missed the first-token or the whole-reply deadline: its fault, retryable."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"missed its {reason}", retryable=True, reason=reason)


class _Pump:
    """Runs one backend request on its own thread, so the task thread can keep deadlines.

    Submitting happens on the pump thread too: a backend may block in ``submit`` (a model
    still loading, a connect that hangs), and that time counts against the deadline.
    """

    def __init__(self, submit: Callable[[], BackendStream]) -> None:
        self._submit = submit
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._stream: BackendStream | None = None
        self._cancelled = threading.Event()

    @property
    def usage(self) -> Usage | None:
        return self._stream.usage if self._stream is not None else None

    def cancel(self) -> None:
        self._cancelled.set()
        if self._stream is not None:
            self._stream.cancel()

    def deltas(self, ttft_s: float, total_s: float) -> Iterator[str]:
        started = time.monotonic()
        threading.Thread(target=self._run, name="inference-pump", daemon=True).start()
        first, finished = True, False
        try:
            while True:
                limit = min(ttft_s, total_s) if first else total_s
                item = self._next(started + limit, "ttft_deadline" if first else "total_deadline")
                if item is _DONE or self._cancelled.is_set():
                    # Cancelled: what the backend sent before it stopped is not passed on.
                    finished = item is _DONE
                    return
                if isinstance(item, BaseException):
                    raise item
                first = False
                yield item  # type: ignore[misc]
        finally:
            if not finished:  # a deadline, an error or the caller left: free the backend
                self.cancel()

    def _next(self, deadline: float, reason: str) -> object:
        try:
            return self._queue.get(timeout=max(deadline - time.monotonic(), 0))
        except queue.Empty:
            raise DeadlineExceeded(reason) from None

    def _run(self) -> None:
        try:
            self._stream = self._submit()
            if self._cancelled.is_set():
                self._stream.cancel()
            for delta in self._stream:
                if delta:
                    self._queue.put(delta)
            self._queue.put(_DONE)
        except BaseException as exc:
            self._queue.put(exc)


def _allowed_part(text: str, start: int, end: int, knowledge: Knowledge) -> str:
    verdict = reply_check(text[:end], knowledge)
    if not verdict.allowed:
        raise ReplyHeld(verdict.reason)
    return text[start:end]


def _runs_a_model(step: Step) -> bool:
    return not step.skip_reason and step.route in MODEL_ROUTES


def _route_failed(route: str, exc: Exception) -> RouteFailed:
    """Log a failed attempt as its flags say, and name the reason the reply records."""
    if isinstance(exc, NoAnswer):
        pass  # nothing to say for this question: normal
    elif isinstance(exc, BackendError):
        level = logging.ERROR if exc.permanent else logging.WARNING
        logger.log(level, "%s route failed: %s", route, exc)
    else:  # not a backend's report but a bug
        logger.exception("%s route failed", route)
        return RouteFailed("error")
    return RouteFailed(exc.reason)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
