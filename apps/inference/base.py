"""The one interface every route implements, and the errors and streams it speaks.

Each route (``apps.ops.vocabulary.Route``) has one backend object in ``registry``. A backend
opens a stream for a request; the reply stream (``service``) iterates it. A *model* backend
(``is_model``) runs under its circuit breaker and the TTFT/total deadlines on a thread of
its own; the others answer from memory at once (FAQ, answer cache, apology).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from apps.config.languages import detect_language
from apps.inference.prompts import Turn, build_messages


class BackendError(Exception):
    """A backend could not produce (or finish) a reply. Its flags tell the stream what to do.

    ``retryable``: another attempt on the same backend may succeed later (timeouts,
    overload); when False the error is *permanent* (a bad model path, a dead engine) and is
    logged as an error, since someone must fix it. ``reason`` is the fallback reason the
    reply records (``error``, ``ttft_deadline``, ``total_deadline``, ``miss``).
    """

    def __init__(self, message: str, *, retryable: bool = True, reason: str = "error") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.reason = reason

    @property
    def permanent(self) -> bool:
        return not self.retryable


class NoAnswer(BackendError):
    """The backend works but has nothing for this question (no FAQ match, a cache miss).

    Normal, so never logged; the chain moves on.
    """

    def __init__(self, message: str, *, reason: str = "error") -> None:
        super().__init__(message, retryable=False, reason=reason)


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int
    temperature: float = 0.0


@dataclass(frozen=True)
class BackendRequest:
    """What a backend gets: plain turns (no conversation models) and an opaque cache key."""

    history: tuple[Turn, ...]
    cache_key: str
    params: GenerationParams
    references: tuple[str, ...] = ()  # the shop's facts the answer is to come from
    # A simple intent (``router.simple_intent``): a backend with a small model may use it.
    simple: bool = False

    @property
    def question(self) -> str:
        """The customer's latest message: what the FAQ and the cache look up."""
        return next((t.text for t in reversed(self.history) if t.role == "user"), "")

    @property
    def language(self) -> str:
        return detect_language(self.question)

    def messages(self) -> list[dict[str, str]]:
        """The chat prompt a model backend sends."""
        return build_messages(self.history, self.references)


@dataclass
class Usage:
    """Filled in by a stream while it runs; complete once iteration ends."""

    model_name: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    finish_reason: str = ""
    extra: dict[str, int] = field(default_factory=dict)


class BackendStream(Protocol):
    usage: Usage

    def __iter__(self) -> Iterator[str]:
        """Text deltas, in order. Raises BackendError on failure."""
        ...

    def cancel(self) -> None:
        """Stop generating as soon as possible and free the backend's resources."""
        ...


class Backend(Protocol):
    """One route's backend; ``registry`` holds one per route. Class attributes will do."""

    @property
    def route(self) -> str: ...

    @property
    def is_model(self) -> bool:
        """A language model: runs under its breaker and the deadlines; ops may make it the
        default."""
        ...

    @property
    def remembered(self) -> bool:
        """A whole reply from it may be saved to the answer cache (never the cache's own
        answers or the apology)."""
        ...

    def open(self, request: BackendRequest) -> BackendStream:
        """A stream for ``request``; raises BackendError (or NoAnswer) when it cannot start."""
        ...


class AnswerStream:
    """A whole answer known up front (FAQ, cache, apology): one delta, nothing to cancel.

    ``delivered`` runs once the answer has been handed over, i.e. when the caller asks for
    what comes after it, so a reply abandoned at that point does not count as served.
    """

    def __init__(
        self, answer: str, usage: Usage, *, delivered: Callable[[], None] | None = None
    ) -> None:
        self._answer = answer
        self._delivered = delivered
        self.usage = usage

    def __iter__(self) -> Iterator[str]:
        yield self._answer
        if self._delivered is not None:
            self._delivered()

    def cancel(self) -> None:
        pass
