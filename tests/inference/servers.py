"""Real parts for cloud and fallback tests: mlx_lm.server on loopback, a faulty TCP proxy, and
a scripted completion server."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings

from tests.stack import WORKER_NICENESS, free_port, start_process, stop_process


def demo_model_dir(scratch: Path) -> Path:
    """The shipped demo model; before it is built, a tiny random Qwen2 with a fresh tokenizer.

    The cloud tests only need a server that streams tokens, not good answers.
    """
    weights = Path(settings.DEMO_MODEL_DIR)
    if (weights / "config.json").exists() and (weights / "model.safetensors").exists():
        return weights
    from apps.demo_model.build import build_bench_model
    from apps.demo_model.data import load_corpus
    from apps.demo_model.tokenizer import save_tokenizer, train_tokenizer

    tokenizer_dir = scratch / "tokenizer"
    save_tokenizer(train_tokenizer(load_corpus().all_texts()), tokenizer_dir)
    out = scratch / "tiny-model"
    build_bench_model(
        out, hidden=64, layers=2, heads=2, kv_heads=1, intermediate=128,
        tokenizer_dir=tokenizer_dir,
    )  # fmt: skip
    shutil.rmtree(tokenizer_dir)
    return out


class MlxServer:
    """``python -m mlx_lm.server`` on a fixed loopback port, so it can stop and come back."""

    def __init__(self, model_dir: Path, workdir: Path, *, openblas: bool = False) -> None:
        self.model_dir = model_dir
        self.workdir = workdir
        self.openblas = openblas  # keep make's OpenBLAS preload: a real model's matmuls need it
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 90.0) -> None:
        if self.running:
            return
        hub = self.workdir / "hf-hub"  # /v1/models answers empty without an existing cache dir
        hub.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HF_HUB_CACHE": str(hub), "PYTHONUNBUFFERED": "1"}
        if not self.openblas:
            env.pop("LD_PRELOAD", None)
        self.starts += 1
        # Niced as docker/Procfile's demo cloud: a model beside the web processes.
        self.proc = start_process(
            ["nice", "-n", WORKER_NICENESS, sys.executable, "-m", "mlx_lm.server",
             "--model", str(self.model_dir), "--host", "127.0.0.1", "--port", str(self.port)],
            self.workdir / f"mlx-server-{self.starts}.log",
            env,
        )  # fmt: skip
        self._wait_healthy(timeout)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError("mlx_lm.server exited early; see " + str(self.workdir))
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"mlx_lm.server not healthy after {timeout}s")


class FaultyProxy:
    """A loopback TCP proxy in front of a server that can delay or stall its responses.

    ``delay_s`` holds back the first response byte; ``pace_s`` holds back every response
    chunk, each server-sent event apart (a backend that streams at a trickle);
    ``stall_after`` forwards that many response bytes and then nothing more; ``cut`` breaks
    the link until ``heal``. An upstream that refuses (a stopped server) closes the client's
    connection, and an upstream that ends closes the client's side.

    What a test can observe: ``connections`` (accepted clients), ``delayed`` (responses
    held back by ``delay_s``), ``response_bytes`` (forwarded to clients) and ``hangups``
    (clients that closed while their response was still coming: a cancelled stream).
    """

    def __init__(
        self,
        target_port: int,
        *,
        delay_s: float = 0.0,
        pace_s: float = 0.0,
        stall_after: int | None = None,
    ):
        self.target_port = target_port
        self.delay_s = delay_s
        self.pace_s = pace_s
        self.stall_after = stall_after
        self.connections = 0
        self.delayed = 0
        self.response_bytes = 0
        self.hangups = 0
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self.cut_off = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def wait_for_hangups(self, count: int, timeout: float = 10.0) -> bool:
        """True once ``count`` clients hung up early; the timeout only keeps a test finite."""
        deadline = time.monotonic() + timeout
        while self.hangups < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.hangups >= count

    def close(self) -> None:
        self._closed.set()
        self._drop([self._listener, *self._sockets])

    def cut(self) -> None:
        """The network fails: open connections break and new ones are hung up at once."""
        self.cut_off = True
        sockets, self._sockets = self._sockets, []
        self._drop(sockets)

    def heal(self) -> None:
        self.cut_off = False

    @staticmethod
    def _drop(sockets: list[socket.socket]) -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes threads blocked in recv
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.cut_off:
                client.close()
                continue
            self.connections += 1
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:  # the server is down: the client sees its connection close
                client.close()
                continue
            self._sockets += [client, upstream]
            response_done = threading.Event()
            threading.Thread(
                target=self._forward, args=(client, upstream, response_done), daemon=True
            ).start()
            threading.Thread(
                target=self._respond, args=(upstream, client, response_done), daemon=True
            ).start()

    def _forward(
        self, client: socket.socket, upstream: socket.socket, response_done: threading.Event
    ) -> None:
        try:
            while data := client.recv(4096):
                upstream.sendall(data)
        except OSError:
            return
        if not (response_done.is_set() or self._closed.is_set() or self.cut_off):
            self.hangups += 1  # the client left before its response ended
        _close_writes(upstream)

    def _respond(
        self, upstream: socket.socket, client: socket.socket, response_done: threading.Event
    ) -> None:
        delay, sent, limit = self.delay_s, 0, self.stall_after
        try:
            while data := upstream.recv(4096):
                for piece in self._pieces(data):
                    if delay:
                        self.delayed += 1
                        time.sleep(delay)
                        delay = 0.0
                    elif self.pace_s:
                        time.sleep(self.pace_s)
                    if limit is not None:
                        piece = piece[: max(limit - sent, 0)]
                    if piece:
                        client.sendall(piece)
                        sent += len(piece)
                        self.response_bytes += len(piece)
                    if limit is not None and sent >= limit:
                        self._closed.wait()  # stall: keep both sockets open, send nothing
                        return
        except OSError:
            return
        response_done.set()
        _close_writes(client)

    def _pieces(self, data: bytes) -> list[bytes]:
        """What one read holds, paced apart: with ``pace_s``, each server-sent event on its
        own, since a busy machine hands the proxy several events in one read."""
        if not self.pace_s:
            return [data]
        *events, rest = data.split(b"\n\n")
        return [event + b"\n\n" for event in events] + ([rest] if rest else [])


def _close_writes(sock: socket.socket) -> None:
    """Pass an end of stream on, as a real proxy does."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)


class ScriptedCompletionServer:
    """An OpenAI-compatible chat endpoint on loopback that streams one chosen completion.

    An injected fault at the edge: the model saying what it must not, or a server cutting a
    character at ``max_tokens`` (``finish_reason="length"``). Each chunk of ``chunks`` is one
    streamed delta; ``requests`` counts the completions asked for, and
    ``bodies`` holds what each asked (the prompt a backend sent).
    """

    def __init__(self, chunks: list[str], finish_reason: str = "stop") -> None:
        self.chunks = chunks
        self.finish_reason = finish_reason
        self.requests = 0
        self.bodies: list[dict] = []  # each request's JSON body, as the client sent it
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def events(self) -> list[dict]:
        def chunk(delta: dict, finish: str | None) -> dict:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return {"id": "scripted", "object": "chat.completion.chunk", "created": 0,
                    "model": "scripted", "choices": [choice]}  # fmt: skip

        usage = {"prompt_tokens": 1, "completion_tokens": len(self.chunks), "total_tokens": 0}
        return [
            *(chunk({"content": text}, None) for text in self.chunks),
            chunk({}, self.finish_reason),
            {**chunk({}, None), "choices": [], "usage": usage},
        ]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.bodies.append(json.loads(body or b"{}"))
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                with contextlib.suppress(OSError):  # the client hung up: a held reply
                    for event in server.events():
                        self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")

            def log_message(self, *args: object) -> None:
                pass

        return Handler
