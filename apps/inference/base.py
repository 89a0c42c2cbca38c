"""The small interface every inference backend implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


class BackendError(Exception):
    """A backend could not produce (or finish) a reply.

    ``retryable`` tells the router whether another attempt on the same backend may
    succeed later (timeouts, overload) or not (a bad model path, a dead engine).
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int
    temperature: float = 0.0


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
    name: str

    def submit(
        self, messages: list[dict[str, str]], *, cache_key: str, params: GenerationParams
    ) -> BackendStream: ...
