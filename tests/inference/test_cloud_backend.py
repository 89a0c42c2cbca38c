"""The cloud backend against a real OpenAI-compatible server (mlx_lm.server on loopback)."""

from __future__ import annotations

import pytest

from apps.inference.backends.cloud_openai import cloud_client
from apps.inference.base import BackendError, BackendRequest, GenerationParams
from apps.inference.prompts import Turn
from apps.inference.registry import backend_for
from tests.inference.servers import ScriptedCompletionServer
from tests.stack import free_port

pytestmark = pytest.mark.slow

HISTORY = (Turn("user", "How long does delivery take?"),)
PARAMS = GenerationParams(max_tokens=12)


def open_stream(params: GenerationParams = PARAMS):
    request = BackendRequest(history=HISTORY, cache_key="k", params=params)
    return backend_for("cloud").open(request)


def test_it_streams_deltas_and_usage(cloud_server):
    stream = open_stream()
    deltas = list(stream)
    assert deltas and all(isinstance(d, str) and d for d in deltas)
    assert stream.usage.finish_reason in {"stop", "length"}
    assert stream.usage.tokens_in > 0
    assert 0 < stream.usage.tokens_out <= PARAMS.max_tokens


def test_it_sets_explicit_timeouts_and_no_sdk_retries(settings):
    settings.CLOUD_CONNECT_TIMEOUT_MS = 1500
    settings.CLOUD_READ_TIMEOUT_MS = 7000
    client = cloud_client()
    assert client.max_retries == 0
    assert client.timeout.connect == 1.5
    assert client.timeout.read == 7.0


def test_a_refused_connection_is_a_retryable_error(settings):
    settings.CLOUD_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(BackendError) as caught:
        list(open_stream())
    assert caught.value.retryable


def test_an_unreachable_server_is_tried_once_the_fallback_chain_is_the_retry(proxy_factory):
    proxy = proxy_factory(free_port())  # accepts, then closes: nothing listens behind it
    with pytest.raises(BackendError) as caught:
        list(open_stream())
    assert caught.value.retryable
    assert proxy.connections == 1, "no SDK retries"


def test_a_stream_cut_in_the_middle_is_a_backend_error(cloud_server, proxy_factory, settings):
    settings.CLOUD_READ_TIMEOUT_MS = 5000  # bounds the test even if the cut went unnoticed
    proxy = proxy_factory(cloud_server.port, stall_after=1200)
    stream = open_stream(GenerationParams(max_tokens=200))
    received = []
    with pytest.raises(BackendError):
        for delta in stream:
            received.append(delta)
            if len(received) == 1:
                proxy.close()  # the connection drops mid-stream
    assert received


def test_a_wrong_model_name_is_not_retryable(cloud_server, settings):
    settings.CLOUD_MODEL = "no-such-model"
    with pytest.raises(BackendError) as caught:
        list(open_stream())
    assert not caught.value.retryable
    assert caught.value.permanent


def test_a_cancelled_stream_ends_quietly_and_hangs_up(cloud_server, proxy_factory):
    proxy = proxy_factory(cloud_server.port, stall_after=1200)  # then silence, socket open
    stream = open_stream(GenerationParams(max_tokens=200))
    deltas = iter(stream)
    next(deltas)
    stream.cancel()  # from this thread; a reply's pump reads on another, see the next test
    assert list(deltas) == []
    assert proxy.wait_for_hangups(1)


@pytest.mark.parametrize(
    ("chunks", "finish_reason", "text"),
    [
        # A Chinese character cut by max_tokens: mlx_lm.server sends its first byte as U+FFFD.
        (["仓库收到", "退款后5个", "\ufffd"], "length", "仓库收到退款后5个"),
        (["仓库收到\ufffd"], "length", "仓库收到"),
        # A U+FFFD the model wrote itself, mid-text or at a natural end, stays.
        (["bad \ufffd", " byte"], "length", "bad \ufffd byte"),
        (["bad byte \ufffd"], "stop", "bad byte \ufffd"),
    ],
)
def test_a_character_cut_at_the_length_limit_is_dropped(
    settings, chunks: list[str], finish_reason: str, text: str
):
    server = ScriptedCompletionServer(chunks, finish_reason=finish_reason)
    settings.CLOUD_BASE_URL = server.base_url
    try:
        stream = open_stream()
        assert "".join(stream) == text
        assert stream.usage.finish_reason == finish_reason
    finally:
        server.close()
