"""The local backend: one continuously batched mlx-lm engine per worker process.

One engine thread loads the models and runs every MLX computation (MLX streams belong
to the thread that made them, and MLX work in a parent process hangs forked children,
so nothing here runs at import time). Task threads submit requests and iterate their
deltas; requests join and leave their model's running ``BatchGenerator`` at every step.

An engine may hold several models (``LOCAL_MODELS``): each loads on its first request,
and when loading one would pass the byte cap, idle models are unloaded, least recently
used first (``local_models``); a request whose model finds no room waits until a model
holding it is idle. The models take turns, one step each, on the one engine thread.

Sampling penalises tokens repeated within the last few (mlx-lm's repetition penalty), so
a model is less likely to loop at all; ``inference.loops`` stops one that does anyway.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from apps.inference import engine_stats
from apps.inference.backends.local_models import ModelShelf, Resident
from apps.inference.base import BackendError, BackendRequest, GenerationParams, Usage
from apps.inference.kv_cache import PromptCacheStore, ReplyRecord
from apps.ops.vocabulary import Route

logger = logging.getLogger(__name__)

_END = object()


@dataclass(frozen=True)
class EngineConfig:
    # Model directories (or hub ids); a request names one of them, else gets the first.
    models: tuple[str, ...]
    max_model_bytes: int = 2 * 2**30  # weights of the models loaded at once
    # mlx-lm's (sign-aware, multiplicative) penalty on tokens seen in the last
    # ``repetition_context`` tokens; 1.0 turns it off.
    repetition_penalty: float = 1.0
    repetition_context: int = 20
    max_batch: int = 16
    max_prompt_tokens: int = 1536
    kv_cache_bytes: int = 256 * 1024 * 1024
    # While a reply streams, prompt processing gets steps of about this long, so no
    # arrival freezes it; the chunk size follows the measured prefill speed.
    prefill_stall_ms: int = 250
    # MLX keeps freed buffers for reuse; past this it returns them, so RSS stays flat.
    mlx_cache_limit_mb: int = 256
    load_timeout_s: float = 300.0  # warm_up waits this long for its model
    stall_timeout_s: float = 60.0
    publish_stats: bool = False
    stop_on_eos: bool = True  # benchmarks turn it off to generate exactly max_tokens


@dataclass
class EngineStats:
    submitted: int = 0
    finished: int = 0
    cancelled: int = 0
    steps: int = 0
    max_decode_batch: int = 0
    batched_steps: int = 0  # decode steps that advanced more than one request
    truncated_prompts: int = 0
    generated_tokens: int = 0
    prompt_tokens: int = 0


class LocalStream:
    """One request's stream of text deltas; iterate it from the submitting thread."""

    def __init__(
        self,
        engine: LocalEngine,
        messages: list[dict[str, str]],
        model: str,
        cache_key: str,
        params: GenerationParams,
    ) -> None:
        self.engine = engine
        self.messages = messages
        self.model = model
        # A KV cache belongs to the model that computed it.
        self.cache_key = f"{model}\0{cache_key}"
        self.params = params
        self.usage = Usage(model_name=model)
        self.cancelled = threading.Event()
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # Engine-thread state.
        self.resident: Resident | None = None
        self.uid: int | None = None
        self.prompt_tokens: list[int] = []
        self.detokenizer: Any = None
        self.submitted_at = time.perf_counter()
        self.first_token_at = 0.0
        self.last_token_at = 0.0
        self.reply_tokens: list[int] = []
        self.reply_text = ""

    def __iter__(self) -> Iterator[str]:
        while True:
            try:
                event = self._events.get(timeout=self.engine.config.stall_timeout_s)
            except queue.Empty:
                self.cancel()
                raise BackendError("local engine stalled", retryable=True) from None
            if event is _END:
                self.engine.report()
                return
            if isinstance(event, BaseException):
                raise event
            yield event

    def cancel(self) -> None:
        if not self.cancelled.is_set():
            self.cancelled.set()
            self.engine._post(("cancel", self))

    # Called by the engine thread only.
    def _emit(self, item: Any) -> None:
        self._events.put(item)


@dataclass
class _LoadOrder:
    """``warm_up``'s request: load this model now, and say when it is done."""

    model: str
    done: threading.Event = field(default_factory=threading.Event)
    error: BackendError | None = None


class LocalEngine:
    def __init__(self, config: EngineConfig) -> None:
        if not config.models:
            raise ValueError("an engine needs at least one model")
        self.config = config
        self.stats = EngineStats()
        self.cache_store = PromptCacheStore(config.kv_cache_bytes)
        self.shelf = ModelShelf(config.max_model_bytes, self._new_generator, self._forget_caches)
        self.fatal: BaseException | None = None
        self.load_errors: dict[str, str] = {}  # model -> why it could not load
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._parked: deque[LocalStream] = deque()  # waiting for room to load their model

    # -- public API, any thread ------------------------------------------------

    @property
    def healthy(self) -> bool:
        alive = self._thread is None or self._thread.is_alive()
        return self.fatal is None and alive and not self.load_errors

    def submit(
        self,
        messages: list[dict[str, str]],
        *,
        cache_key: str,
        params: GenerationParams,
        model: str | None = None,
    ) -> LocalStream:
        """Submit a chat request to ``model`` (default: the first); it joins that model's
        running batch at the next step, once the model is loaded."""
        model = model or self.config.models[0]
        if model not in self.config.models:
            raise BackendError(f"{model} is not one of this engine's models", retryable=False)
        self._ensure_running()
        stream = LocalStream(self, messages, model, cache_key, params)
        self._post(("submit", stream))
        return stream

    def warm_up(self, model: str | None = None) -> None:
        """Load ``model`` (default: the first) now rather than on its first request."""
        self._ensure_running()
        order = _LoadOrder(model or self.config.models[0])
        self._post(("load", order))
        if not order.done.wait(self.config.load_timeout_s):
            raise BackendError("local model is still loading", retryable=True)
        if order.error is not None:
            raise order.error

    def loaded_models(self) -> dict[str, int]:
        """The models in memory now, and their weights' bytes."""
        return self.shelf.loaded()

    def snapshot(self) -> dict[str, int]:
        counters = self.cache_store.counters
        return {
            "healthy": int(self.healthy),
            "submitted": self.stats.submitted,
            "finished": self.stats.finished,
            "cancelled": self.stats.cancelled,
            "active": sum(len(r.active) for r in self.shelf.residents),
            "parked": len(self._parked),
            "models_loaded": len(self.shelf.residents),
            "model_bytes": self.shelf.total_bytes,
            "model_bytes_cap": self.shelf.max_bytes,
            "model_loads": self.shelf.loads,
            "model_unloads": self.shelf.unloads,
            "max_decode_batch": self.stats.max_decode_batch,
            "batched_steps": self.stats.batched_steps,
            "truncated_prompts": self.stats.truncated_prompts,
            "kv_hits": counters.hits,
            "kv_misses": counters.misses,
            "kv_evictions": counters.evictions,
            "kv_reused_tokens": counters.reused_tokens,
            "kv_bytes": self.cache_store.total_bytes,
            "kv_entries": len(self.cache_store),
        }

    def report(self) -> None:
        """Publish the figures; best effort, as a Redis hiccup must not fail a reply."""
        if not self.config.publish_stats:
            return
        try:
            engine_stats.publish(self.snapshot(), self.loaded_models())
        except Exception:
            logger.warning("could not publish engine stats", exc_info=True)

    # -- internals -------------------------------------------------------------

    def _post(self, item: tuple[str, Any]) -> None:
        self._inbox.put(item)

    def _ensure_running(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mlx-engine", daemon=True)
                self._thread.start()
        if self.fatal is not None or not self._thread.is_alive():
            raise BackendError(f"local engine is down: {self.fatal}", retryable=False)

    def _run(self) -> None:
        import mlx.core as mx

        mx.set_cache_limit(self.config.mlx_cache_limit_mb * 2**20)
        try:
            while True:
                busy = any(r.active for r in self.shelf.residents)
                self._drain_inbox(block=not busy and not self._parked)
                self._admit_parked()
                for resident in self.shelf.residents:
                    if resident.active:
                        self._step(resident)
        except BaseException as exc:
            logger.exception("local engine thread died")
            self.fatal = exc
            self._fail_all(BackendError(f"local engine died: {exc}", retryable=False))
            self.report()
            raise

    def _new_generator(self, model: Any, tokenizer: Any) -> Any:
        from mlx_lm.generate import BatchGenerator
        from mlx_lm.sample_utils import make_logits_processors

        config = self.config
        penalty = config.repetition_penalty if config.repetition_penalty != 1.0 else None
        return BatchGenerator(
            model,
            stop_tokens=[[t] for t in tokenizer.eos_token_ids] if config.stop_on_eos else None,
            logits_processors=make_logits_processors(
                repetition_penalty=penalty, repetition_context_size=config.repetition_context
            ),
            completion_batch_size=config.max_batch,
            prefill_batch_size=config.max_batch,
            prefill_step_size=config.max_prompt_tokens,
        )

    def _forget_caches(self, model: str) -> None:
        self.cache_store.forget(f"{model}\0")

    def _drain_inbox(self, *, block: bool) -> None:
        try:
            item = self._inbox.get(timeout=None if block else 0)
        except queue.Empty:
            return
        while True:
            kind, payload = item
            if kind == "submit":
                self._admit(payload)
            elif kind == "load":
                self._load_now(payload)
            else:
                self._remove(payload)
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return

    def _load_now(self, order: _LoadOrder) -> None:
        try:
            self._resident_for(order.model)
        except BackendError as exc:
            order.error = exc
        order.done.set()

    def _resident_for(self, model: str) -> Resident | None:
        """The model loaded (None: no room yet); a model that cannot load is reported."""
        try:
            return self.shelf.resident(model)
        except BackendError as exc:
            logger.error("%s", exc)
            self.load_errors[model] = str(exc)
            self.report()
            raise

    def _admit_parked(self) -> None:
        for _ in range(len(self._parked)):
            self._admit(self._parked.popleft())

    def _admit(self, stream: LocalStream) -> None:
        if stream.cancelled.is_set():
            stream._emit(_END)
            return
        try:
            resident = self._resident_for(stream.model)
        except BackendError as exc:
            stream._emit(exc)
            return
        if resident is None:
            self._parked.append(stream)
            return
        tokenizer = resident.tokenizer
        try:
            prompt = self._encode(tokenizer, stream.messages)
            tokens = self._with_own_reply_tokens(stream, tokenizer, prompt)
        except Exception as exc:
            stream._emit(BackendError(f"could not encode prompt: {exc}", retryable=False))
            return
        cache, cached = self.cache_store.take(stream.cache_key, tokens)
        stream.prompt_tokens = tokens
        stream.detokenizer = tokenizer.detokenizer
        stream.usage.tokens_in = len(tokens)
        stream.usage.extra["cached_tokens"] = cached
        (uid,) = resident.generator.insert(
            [tokens[cached:]],
            max_tokens=[stream.params.max_tokens],
            caches=[cache] if cache is not None else None,
            all_tokens=[tokens[:cached]],
        )
        stream.resident, stream.uid = resident, uid
        resident.active[uid] = stream
        self.stats.submitted += 1
        self.stats.prompt_tokens += len(tokens) - cached

    def _remove(self, stream: LocalStream) -> None:
        resident = stream.resident
        if stream in self._parked:
            self._parked.remove(stream)
        elif (
            resident is not None
            and stream.uid is not None
            and resident.active.pop(stream.uid, None) is not None
        ):
            resident.generator.remove([stream.uid])
            self.stats.cancelled += 1
        stream._emit(_END)

    def _step(self, resident: Resident) -> None:
        generator = resident.generator
        self._schedule_prefill(resident)
        with generator.stats() as step:
            _, responses = generator.next()
        if step.prompt_tokens and step.prompt_time > 0:
            speed = step.prompt_tokens / step.prompt_time
            resident.prefill_tok_s = (
                speed
                if not resident.prefill_tok_s
                else (0.8 * resident.prefill_tok_s + 0.2 * speed)
            )
        self.stats.steps += 1
        self.stats.max_decode_batch = max(self.stats.max_decode_batch, len(responses))
        self.stats.batched_steps += len(responses) > 1
        for response in responses:
            stream = resident.active.get(response.uid)
            if stream is not None:
                self._deliver(resident, stream, response)

    def _schedule_prefill(self, resident: Resident) -> None:
        """Whole prompts, many at once, while nothing streams (the fastest way through a
        burst); once a reply streams, one prompt at a time in chunks sized to the stall
        budget, because mlx-lm processes prompts inside the same step as decoding.

        Prompts never exceed ``max_prompt_tokens``, so a batch started whole always
        finishes in one step and never outlives the switch to small chunks.
        """
        generator = resident.generator
        if not any(s.first_token_at for s in resident.active.values()):
            generator.prefill_batch_size = self.config.max_batch
            generator.prefill_step_size = self.config.max_prompt_tokens
            return
        budget_s = self.config.prefill_stall_ms / 1000
        speed = resident.prefill_tok_s
        chunk = int(budget_s * speed) if speed else 64
        generator.prefill_batch_size = 1
        generator.prefill_step_size = max(16, min(chunk, self.config.max_prompt_tokens))

    def _deliver(self, resident: Resident, stream: LocalStream, response: Any) -> None:
        now = time.perf_counter()
        if not stream.first_token_at:
            stream.first_token_at = now
            stream.usage.extra["first_token_ms"] = int((now - stream.submitted_at) * 1000)
        if stream.last_token_at:
            gap_ms = int((now - stream.last_token_at) * 1000)
            stream.usage.extra["max_token_gap_ms"] = max(
                gap_ms, stream.usage.extra.get("max_token_gap_ms", 0)
            )
        stream.last_token_at = now
        detok = stream.detokenizer
        if response.finish_reason != "stop":
            detok.add_token(response.token)
            stream.reply_tokens.append(response.token)
            stream.usage.tokens_out += 1
            self.stats.generated_tokens += 1
        if response.finish_reason is None:
            self._emit_segment(stream)
            return
        detok.finalize()
        self._emit_segment(stream)
        stream.usage.finish_reason = response.finish_reason
        del resident.active[response.uid]
        self.stats.finished += 1
        if response.prompt_cache is not None and response.all_tokens is not None:
            reply = ReplyRecord(stream.prompt_tokens, stream.reply_tokens, stream.reply_text)
            self.cache_store.put(
                stream.cache_key, response.all_tokens, response.prompt_cache, reply
            )
        stream._emit(_END)

    @staticmethod
    def _emit_segment(stream: LocalStream) -> None:
        segment = stream.detokenizer.last_segment  # reading it consumes it
        if segment:
            stream.reply_text += segment
            stream._emit(segment)

    def _with_own_reply_tokens(
        self, stream: LocalStream, tokenizer: Any, tokens: list[int]
    ) -> list[int]:
        """Put back the token ids the model generated for its previous reply.

        The history arrives as text, and re-encoding a reply can give other ids than the
        ones generated, which would end the reusable KV prefix at the start of the reply.
        When the previous prompt and reply text match what this engine produced, the new
        prompt continues the generated ids instead. Anything else keeps the plain encoding.
        """
        record = self.cache_store.reply_of(stream.cache_key)
        messages = stream.messages
        if record is None or len(messages) < 2 or messages[-2]["role"] != "assistant":
            return tokens
        if messages[-2]["content"] != record.reply_text or tokens[: len(record.prompt)] != (
            record.prompt
        ):
            return tokens
        rest = tokens[len(record.prompt) :]
        encoded = list(tokenizer.encode(record.reply_text, add_special_tokens=False))
        if rest[: len(encoded)] != encoded:
            return tokens
        return record.prompt + record.reply_tokens + rest[len(encoded) :]

    def _encode(self, tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
        def template(turns: list[dict[str, str]]) -> list[int]:
            return chat_tokens(tokenizer, turns)

        tokens, truncated = fit_prompt(messages, template, self.config.max_prompt_tokens)
        self.stats.truncated_prompts += truncated
        return tokens

    def _fail_all(self, error: BackendError) -> None:
        for resident in self.shelf.residents:
            for stream in resident.active.values():
                stream._emit(error)
            resident.active.clear()
        while self._parked:
            self._parked.popleft()._emit(error)
        while True:
            try:
                kind, payload = self._inbox.get_nowait()
            except queue.Empty:
                return
            if kind == "load":
                payload.error = error
                payload.done.set()
            else:
                payload._emit(error)


def chat_tokens(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    """The prompt's token ids through the model's own chat template."""
    return list(tokenizer.apply_chat_template(messages, add_generation_prompt=True))


def fit_prompt(
    messages: list[dict[str, str]],
    template: Callable[[list[dict[str, str]]], list[int]],
    budget: int,
) -> tuple[list[int], bool]:
    """Chat-template tokens within ``budget``, and whether anything was dropped.

    Keeps the system prompt, the conversation's first turn (the head), the latest question
    with its references, and as many of the turns between as fit, newest first; a question
    too long on its own keeps its start and end.
    """
    tokens = template(messages)
    if len(tokens) <= budget:
        return tokens, False
    asked = 2 if len(messages) > 2 and messages[-1]["role"] == "system" else 1
    system, question = messages[:1], messages[-asked:]
    first, between = messages[1:2], messages[2:-asked]
    while between:
        between = between[1:]
        tokens = template(system + first + between + question)
        if len(tokens) <= budget:
            return tokens, True
    tokens = template(system + question)
    if len(tokens) <= budget:
        return tokens, True
    return tokens[: budget // 4] + tokens[-(budget - budget // 4) :], True


class LocalBackend:
    route = Route.LOCAL
    is_model = True
    remembered = True

    def open(self, request: BackendRequest) -> LocalStream:
        # The cache key keeps this conversation's KV cache for its next turn.
        return get_engine().submit(
            request.messages(),
            cache_key=request.cache_key,
            params=request.params,
            model=model_for(request),
        )


def model_for(request: BackendRequest) -> str:
    """Simple intents go to the first (small) model of ``LOCAL_MODELS``, the rest to the
    last (the biggest); with one model, both are the same."""
    from django.conf import settings

    models: list[str] = settings.LOCAL_MODELS
    return models[0] if request.simple else models[-1]


_engine: LocalEngine | None = None
_engine_lock = threading.Lock()


def get_engine() -> LocalEngine:
    """The process-wide engine, created on first use (after any fork)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from django.conf import settings

            _engine = LocalEngine(
                EngineConfig(
                    models=tuple(settings.LOCAL_MODELS),
                    max_model_bytes=settings.LOCAL_MODELS_MAX_BYTES,
                    repetition_penalty=settings.LOCAL_REPETITION_PENALTY,
                    repetition_context=settings.LOCAL_REPETITION_CONTEXT,
                    max_batch=settings.LOCAL_MAX_BATCH,
                    max_prompt_tokens=settings.LOCAL_MAX_PROMPT_TOKENS,
                    kv_cache_bytes=settings.LOCAL_KV_CACHE_MB * 1024 * 1024,
                    prefill_stall_ms=settings.LOCAL_PREFILL_STALL_MS,
                    publish_stats=True,
                )
            )
        return _engine
