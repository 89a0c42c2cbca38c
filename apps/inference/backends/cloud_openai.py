"""The cloud backend: any OpenAI-compatible chat endpoint, streamed with the official SDK.

Timeouts are explicit (the SDK's 600 s default would hold a customer hostage) and the
SDK's retries default to off: the fallback chain is the one retry layer. A failure in
the middle of a stream is a failure of this backend, like one before it starts.

The SDK is imported on first use: a web process that never calls the cloud never loads it.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings

from apps.inference.base import BackendError, BackendRequest, GenerationParams, Usage
from apps.ops.vocabulary import Route

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletionMessageParam

logger = logging.getLogger(__name__)


def _is_retryable(exc: openai.OpenAIError) -> bool:
    """Worth another try later (overload, network); anything else is a configuration problem."""
    import openai

    retryable = (
        openai.APIConnectionError,  # includes APITimeoutError
        openai.RateLimitError,
        openai.InternalServerError,
    )
    return isinstance(exc, retryable)


class CloudStream:
    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        messages: list[dict[str, str]],
        params: GenerationParams,
    ) -> None:
        self._client = client
        self._model = model
        self._messages = messages
        self._params = params
        self._response: Any = None
        self._cancelled = threading.Event()
        self.usage = Usage(model_name=model)

    def __iter__(self) -> Iterator[str]:
        import openai

        try:
            yield from _without_cut_character(self._deltas(), self.usage)
        except BackendError:
            raise
        except Exception as exc:
            if self._cancelled.is_set():
                return  # our own cancel broke the connection
            if isinstance(exc, openai.OpenAIError):
                raise BackendError(f"cloud: {exc}", retryable=_is_retryable(exc)) from exc
            # A broken stream surfaces as a raw transport error.
            raise BackendError(f"cloud stream broke: {exc!r}", retryable=True) from exc

    def cancel(self) -> None:
        """Close the HTTP response; the server stops generating when the socket closes.

        Closing alone does not wake a read blocked on another thread (the reply's pump)
        before the read timeout, so the socket is shut down first. Until the response
        headers arrive there is no response to close: that wait ends at the read timeout.
        """
        self._cancelled.set()
        response = self._response
        if response is not None:
            _shut_down_socket(response)
            response.close()

    def _deltas(self) -> Iterator[str]:
        self._response = self._client.chat.completions.create(
            model=self._model,
            # Plain role/content dicts: the shape of the SDK's message TypedDicts.
            messages=cast("list[ChatCompletionMessageParam]", self._messages),
            max_tokens=self._params.max_tokens,
            temperature=self._params.temperature,
            stream=True,
            stream_options={"include_usage": True},
        )
        with self._response:
            for chunk in self._response:
                if self._cancelled.is_set():
                    return
                yield from self._read_chunk(chunk)
        if not self.usage.finish_reason and not self._cancelled.is_set():
            raise BackendError("cloud stream ended without a finish reason", retryable=True)

    def _read_chunk(self, chunk: Any) -> Iterator[str]:
        if chunk.usage is not None:
            self.usage.tokens_in = chunk.usage.prompt_tokens or 0
            self.usage.tokens_out = chunk.usage.completion_tokens or 0
        for choice in chunk.choices:
            if choice.finish_reason:
                self.usage.finish_reason = choice.finish_reason
            if choice.delta and choice.delta.content:
                yield choice.delta.content


REPLACEMENT_CHARACTER = "\ufffd"


def _without_cut_character(deltas: Iterator[str], usage: Usage) -> Iterator[str]:
    """Drop the half of a character that ``max_tokens`` cut off. mlx_lm.server decodes it
    as U+FFFD (its detokenizer ends with errors="replace"), in the last text before the
    finish, and byte-level BPE splits most Chinese characters over two tokens. So a trailing
    U+FFFD waits for the next delta, and goes if the stream then ends at its length limit.
    """
    held = ""
    for delta in deltas:
        text = held + delta
        settled = text.rstrip(REPLACEMENT_CHARACTER)
        held = text[len(settled) :]
        if settled:
            yield settled
    if held and usage.finish_reason != "length":
        yield held


def _shut_down_socket(response: Any) -> None:
    stream = response.response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed by the server
            sock.shutdown(socket.SHUT_RDWR)


class CloudBackend:
    route = Route.CLOUD
    is_model = True
    remembered = True

    def open(self, request: BackendRequest) -> CloudStream:
        # The cache key is unused: the server keeps (or not) its own prompt cache.
        return CloudStream(cloud_client(), settings.CLOUD_MODEL, request.messages(), request.params)


_lock = threading.Lock()
_clients: dict[tuple[str, str, int, int, int], openai.OpenAI] = {}


def cloud_client() -> openai.OpenAI:
    """One client (and connection pool) per process and configuration."""
    import openai

    key = (
        settings.CLOUD_BASE_URL,
        settings.CLOUD_API_KEY,
        settings.CLOUD_CONNECT_TIMEOUT_MS,
        settings.CLOUD_READ_TIMEOUT_MS,
        settings.CLOUD_MAX_RETRIES,
    )
    base_url, api_key, connect_ms, read_ms, max_retries = key
    with _lock:
        if key not in _clients:
            _clients[key] = openai.OpenAI(
                base_url=base_url,
                api_key=api_key,
                timeout=openai.Timeout(read_ms / 1000, connect=connect_ms / 1000),
                max_retries=max_retries,
            )
        return _clients[key]
