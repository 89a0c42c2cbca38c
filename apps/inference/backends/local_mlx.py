"""The local backend: one continuously batched mlx-lm engine per worker process.

One engine thread loads the model and runs every MLX computation (MLX streams belong
to the thread that made them, and MLX work in a parent process hangs forked children,
so nothing here runs at import time). Task threads submit requests and iterate their
deltas; requests join and leave the running ``BatchGenerator`` at every step.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from apps.inference import engine_stats
from apps.inference.base import BackendError, BackendRequest, GenerationParams, Usage
from apps.inference.kv_cache import PromptCacheStore, ReplyRecord
from apps.ops.vocabulary import Route

logger = logging.getLogger(__name__)

_END = object()


@dataclass(frozen=True)
class EngineConfig:
    model: str
    max_batch: int = 16
    max_prompt_tokens: int = 1536
    kv_cache_bytes: int = 256 * 1024 * 1024
    # While a reply streams, prompt processing gets steps of about this long, so no
    # arrival freezes it; the chunk size follows the measured prefill speed.
    prefill_stall_ms: int = 250
    # MLX keeps freed buffers for reuse; past this it returns them, so RSS stays flat.
    mlx_cache_limit_mb: int = 256
    load_timeout_s: float = 300.0
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
        cache_key: str,
        params: GenerationParams,
    ) -> None:
        self.engine = engine
        self.messages = messages
        self.cache_key = cache_key
        self.params = params
        self.usage = Usage(model_name=engine.config.model)
        self.cancelled = threading.Event()
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # Engine-thread state.
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


class LocalEngine:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.stats = EngineStats()
        self.cache_store = PromptCacheStore(config.kv_cache_bytes)
        self.fatal: BaseException | None = None
        self._inbox: queue.SimpleQueue[tuple[str, LocalStream]] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._active: dict[int, LocalStream] = {}
        self._generator: Any = None
        self._tokenizer: Any = None
        self._prefill_tok_s = 0.0  # measured prompt-processing speed (EMA)

    # -- public API, any thread ------------------------------------------------

    @property
    def healthy(self) -> bool:
        return self.fatal is None and (self._thread is None or self._thread.is_alive())

    def submit(
        self, messages: list[dict[str, str]], *, cache_key: str, params: GenerationParams
    ) -> LocalStream:
        """Submit a chat request; it joins the running batch at the next step."""
        self._ensure_running()
        stream = LocalStream(self, messages, cache_key, params)
        self._post(("submit", stream))
        return stream

    def warm_up(self) -> None:
        self._ensure_running()

    def snapshot(self) -> dict[str, int]:
        counters = self.cache_store.counters
        return {
            "healthy": int(self.healthy),
            "submitted": self.stats.submitted,
            "finished": self.stats.finished,
            "cancelled": self.stats.cancelled,
            "active": len(self._active),
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
            engine_stats.publish(self.snapshot())
        except Exception:
            logger.warning("could not publish engine stats", exc_info=True)

    # -- internals -------------------------------------------------------------

    def _post(self, item: tuple[str, LocalStream]) -> None:
        self._inbox.put(item)

    def _ensure_running(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mlx-engine", daemon=True)
                self._thread.start()
        if not self._ready.wait(self.config.load_timeout_s):
            raise BackendError("local model is still loading", retryable=True)
        if not self.healthy:
            raise BackendError(f"local engine is down: {self.fatal}", retryable=False)

    def _run(self) -> None:
        try:
            self._load()
        except Exception as exc:
            logger.exception("local model failed to load from %s", self.config.model)
            self.fatal = exc
            self._ready.set()
            self.report()
            return
        self._ready.set()
        try:
            while True:
                self._drain_inbox(block=not self._active)
                if self._active:
                    self._step()
        except BaseException as exc:
            logger.exception("local engine thread died")
            self.fatal = exc
            self._fail_all(BackendError(f"local engine died: {exc}", retryable=False))
            self.report()
            raise

    def _load(self) -> None:
        import mlx.core as mx
        from mlx_lm import load
        from mlx_lm.generate import BatchGenerator

        mx.set_cache_limit(self.config.mlx_cache_limit_mb * 2**20)
        loaded = load(self.config.model)  # (model, tokenizer), typed as maybe with a config
        model, tokenizer = loaded[0], loaded[1]
        self._tokenizer = tokenizer
        self._generator = BatchGenerator(
            model,
            stop_tokens=[[t] for t in tokenizer.eos_token_ids] if self.config.stop_on_eos else None,
            completion_batch_size=self.config.max_batch,
            prefill_batch_size=self.config.max_batch,
            prefill_step_size=self.config.max_prompt_tokens,
        )

    def _drain_inbox(self, *, block: bool) -> None:
        try:
            item = self._inbox.get(timeout=None if block else 0)
        except queue.Empty:
            return
        while True:
            kind, stream = item
            if kind == "submit":
                self._admit(stream)
            else:
                self._remove(stream)
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return

    def _admit(self, stream: LocalStream) -> None:
        if stream.cancelled.is_set():
            stream._emit(_END)
            return
        try:
            tokens = self._with_own_reply_tokens(stream, self._encode(stream.messages))
        except Exception as exc:
            stream._emit(BackendError(f"could not encode prompt: {exc}", retryable=False))
            return
        cache, cached = self.cache_store.take(stream.cache_key, tokens)
        stream.prompt_tokens = tokens
        stream.detokenizer = self._tokenizer.detokenizer
        stream.usage.tokens_in = len(tokens)
        stream.usage.extra["cached_tokens"] = cached
        (uid,) = self._generator.insert(
            [tokens[cached:]],
            max_tokens=[stream.params.max_tokens],
            caches=[cache] if cache is not None else None,
            all_tokens=[tokens[:cached]],
        )
        stream.uid = uid
        self._active[uid] = stream
        self.stats.submitted += 1
        self.stats.prompt_tokens += len(tokens) - cached

    def _remove(self, stream: LocalStream) -> None:
        if stream.uid is not None and self._active.pop(stream.uid, None) is not None:
            self._generator.remove([stream.uid])
            self.stats.cancelled += 1
        stream._emit(_END)

    def _step(self) -> None:
        self._schedule_prefill()
        with self._generator.stats() as step:
            _, responses = self._generator.next()
        if step.prompt_tokens and step.prompt_time > 0:
            speed = step.prompt_tokens / step.prompt_time
            self._prefill_tok_s = (
                speed if not self._prefill_tok_s else (0.8 * self._prefill_tok_s + 0.2 * speed)
            )
        self.stats.steps += 1
        self.stats.max_decode_batch = max(self.stats.max_decode_batch, len(responses))
        self.stats.batched_steps += len(responses) > 1
        for response in responses:
            stream = self._active.get(response.uid)
            if stream is not None:
                self._deliver(stream, response)

    def _schedule_prefill(self) -> None:
        """Whole prompts, many at once, while nothing streams (the fastest way through a
        burst); once a reply streams, one prompt at a time in chunks sized to the stall
        budget, because mlx-lm processes prompts inside the same step as decoding.

        Prompts never exceed ``max_prompt_tokens``, so a batch started whole always
        finishes in one step and never outlives the switch to small chunks.
        """
        generator = self._generator
        if not any(s.first_token_at for s in self._active.values()):
            generator.prefill_batch_size = self.config.max_batch
            generator.prefill_step_size = self.config.max_prompt_tokens
            return
        budget_s = self.config.prefill_stall_ms / 1000
        chunk = int(budget_s * self._prefill_tok_s) if self._prefill_tok_s else 64
        generator.prefill_batch_size = 1
        generator.prefill_step_size = max(16, min(chunk, self.config.max_prompt_tokens))

    def _deliver(self, stream: LocalStream, response: Any) -> None:
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
        del self._active[response.uid]
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

    def _with_own_reply_tokens(self, stream: LocalStream, tokens: list[int]) -> list[int]:
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
        encoded = list(self._tokenizer.encode(record.reply_text, add_special_tokens=False))
        if rest[: len(encoded)] != encoded:
            return tokens
        return record.prompt + record.reply_tokens + rest[len(encoded) :]

    def _encode(self, messages: list[dict[str, str]]) -> list[int]:
        tokens, truncated = fit_prompt(messages, self._template, self.config.max_prompt_tokens)
        self.stats.truncated_prompts += truncated
        return tokens

    def _template(self, messages: list[dict[str, str]]) -> list[int]:
        return list(self._tokenizer.apply_chat_template(messages, add_generation_prompt=True))

    def _fail_all(self, error: BackendError) -> None:
        for stream in list(self._active.values()):
            stream._emit(error)
        self._active.clear()
        while True:
            try:
                _, stream = self._inbox.get_nowait()
            except queue.Empty:
                return
            stream._emit(error)


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
            request.messages(), cache_key=request.cache_key, params=request.params
        )


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
                    model=settings.LOCAL_MODEL,
                    max_batch=settings.LOCAL_MAX_BATCH,
                    max_prompt_tokens=settings.LOCAL_MAX_PROMPT_TOKENS,
                    kv_cache_bytes=settings.LOCAL_KV_CACHE_MB * 1024 * 1024,
                    prefill_stall_ms=settings.LOCAL_PREFILL_STALL_MS,
                    publish_stats=True,
                )
            )
        return _engine
