"""The real stack for integration tests: Daphne and Celery workers as subprocesses.

They share the test database (pytest-django's ``test_<name>``) and the test Redis db
with the pytest process, so tests that use them must commit (``transactional_db``).
Workers consume one lane each (``apps.config.queues``), as in production.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

from django.conf import settings
from django.db import connection
from websockets.sync.client import ClientConnection, connect

from apps.config.celery import app as celery_app
from apps.config.queues import BACKGROUND_QUEUE, INTERACTIVE_QUEUE
from apps.config.redis_client import shared_redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


# Deadlines for tests and drills about faults of their own: on a loaded machine the real
# model may be slow to start a reply, and a missed deadline would be another fault.
GENEROUS_DEADLINES = {"ttft_deadline_ms": 20000, "total_deadline_ms": 60000}


def stacks_reread_shop() -> None:
    """After a test's rows are gone: every stack's processes re-read the FAQ and the flags,
    and drop the answers they cached from them (a stack outlives the test that filled it)."""
    from apps.faq import retrieval
    from apps.faq.answer_cache import invalidate_all
    from apps.ops.flags import flags_bump_version

    retrieval.mark_stale()
    invalidate_all()
    flags_bump_version()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait for what another process does (a worker's write); fail if it never happens."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{predicate} still false after {timeout}s")
        time.sleep(0.05)


def wait_for_log(
    path: Path, needle: str, proc: subprocess.Popen, timeout: float = 90.0, skip: int = 0
) -> None:
    """Wait for ``needle`` in the log past its first ``skip`` bytes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in path.read_bytes()[skip:].decode(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited early:\n{path.read_text()[-3000:]}")
        time.sleep(0.2)
    raise TimeoutError(f"{needle!r} not in {path} after {timeout}s:\n{path.read_text()[-3000:]}")


def stack_env(**extra: str) -> dict[str, str]:
    """The environment of the stack's processes: the test database and the test Redis."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SETTINGS_MODULE="apps.config.settings",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_process(
    args: list[str], log_path: Path, env: dict[str, str], *, append: bool = False
) -> subprocess.Popen:
    log = log_path.open("a" if append else "w")
    named = {**env, "DB_APPLICATION_NAME": process_db_name(env, log_path.stem)}
    return subprocess.Popen(
        args, cwd=ROOT, env=named, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def process_db_name(env: dict[str, str], name: str) -> str:
    """The Postgres ``application_name`` of a stack's process: its stack's prefix and name
    (the name of its log)."""
    return f"{env.get('CELERY_KEY_PREFIX', '')}{name}"


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# As in docker/Procfile: on one machine, the model must not starve the web processes,
# which answer at the edge and tell customers their place while the line is long.
WORKER_NICENESS = "10"


def start_worker(
    log_path: Path,
    env: dict[str, str],
    *,
    queue: str = INTERACTIVE_QUEUE,
    concurrency: int = 8,
    append: bool = False,
) -> subprocess.Popen:
    written = log_path.stat().st_size if append and log_path.exists() else 0
    proc = start_process(
        ["nice", "-n", WORKER_NICENESS, str(BIN / "celery"), "-A", "apps.config", "worker",
         "-P", "threads",
         "-c", str(concurrency), "-Q", queue, "-l", "info",
         "--without-heartbeat", "--without-mingle", "--without-gossip"],
        log_path,
        env,
        append=append,
    )  # fmt: skip
    wait_for_log(log_path, "ready.", proc, skip=written)
    return proc


@dataclass
class LiveStack:
    base_url: str
    port: int
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    concurrency: int = 8  # threads of each reply worker
    web_ports: dict[str, int] = field(default_factory=dict)

    @property
    def key_prefix(self) -> str:
        """The prefix of this stack's broker keys (its own Celery queues)."""
        return self.env["CELERY_KEY_PREFIX"]

    def start_worker(self, name: str) -> subprocess.Popen:
        """Start (or start again) the reply worker called ``name``, e.g. after a kill."""
        return self._start_worker(name, INTERACTIVE_QUEUE, self.concurrency)

    def start_background_worker(self) -> subprocess.Popen:
        """Start (or start again) the small worker of the ``background`` lane."""
        return self._start_worker("background", BACKGROUND_QUEUE, 2)

    def _start_worker(self, name: str, queue: str, concurrency: int) -> subprocess.Popen:
        again = name in self.processes
        self.processes[name] = start_worker(
            self.workdir / f"{name}.log", self.env, queue=queue, concurrency=concurrency,
            append=again,
        )  # fmt: skip
        return self.processes[name]

    def start_web(self, name: str = "web") -> subprocess.Popen:
        """Start (or start again) the Daphne called ``name``; another name, another port."""
        port = self.web_ports.setdefault(name, self.port if name == "web" else free_port())
        self.processes[name] = start_process(
            [str(BIN / "python"), "-m", "apps.config.web", "-b", "127.0.0.1", "-p", str(port),
             "apps.config.asgi:application"],
            self.workdir / f"{name}.log",
            self.env,
            append=True,
        )  # fmt: skip
        wait_for_port(port)
        return self.processes[name]

    def enqueue(self, task_name: str, *args: object, queue: str, copies: int = 1) -> None:
        """Queue ``copies`` of a task on this stack's broker, as its own processes would."""
        prefix = {"global_keyprefix": self.key_prefix}
        with celery_app.connection_for_write(transport_options=prefix) as conn:
            producer = conn.Producer()
            for _ in range(copies):
                celery_app.send_task(task_name, args=args, queue=queue, producer=producer)

    def new_session(self) -> str:
        """Open the widget page like a browser does and return the session cookie."""
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(self.base_url + "/", timeout=10) as response:
            assert response.status == 200
        return next(c.value for c in jar if c.name == settings.SESSION_COOKIE_NAME)

    def chat_client(
        self, *, session: str | None = None, origin: str | None = None, web: str = "web"
    ) -> ChatClient:
        """A websocket on the Daphne called ``web``; the origin is the site's either way."""
        session = session or self.new_session()
        socket_ = connect(
            f"ws://127.0.0.1:{self.web_ports[web]}/ws/chat/",
            origin=origin or self.base_url,
            additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
            open_timeout=10,
            legacy=True,
        )
        return ChatClient(socket_, session)

    def ask(self, text: str, timeout: float = 60.0) -> list[dict]:
        """One question from a new customer: the events of its reply, up to ``reply.end``."""
        client = self.chat_client()
        try:
            client.send_message(text)
            return client.reply_events(timeout=timeout)
        finally:
            client.close()

    @contextmanager
    def paused(self, name: str = "worker") -> Iterator[None]:
        """Freeze the process ``name`` (SIGSTOP): a worker takes no task and finishes
        nothing, and the line of replies grows, until the block ends."""
        group = self.processes[name].pid
        os.killpg(group, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(group, signal.SIGCONT)

    def stop(self) -> None:
        for proc in self.processes.values():
            stop_process(proc)
        # Tasks no worker of this stack took (the background lane's, when it ran none).
        keys = list(shared_redis().scan_iter(match=self.key_prefix + "*"))
        if keys:
            shared_redis().delete(*keys)


class ChatClient:
    """A protocol-v1 client that knows only the documented events."""

    def __init__(self, ws: ClientConnection, session: str) -> None:
        self.ws = ws
        self.session = session
        self.received: list[dict] = []

    def send_json(self, event: dict) -> None:
        self.ws.send(json.dumps(event))

    def send_message(self, text: str, client_msg_id: str | None = None) -> str:
        client_msg_id = client_msg_id or str(uuid.uuid4())
        self.send_json({"type": "message", "client_msg_id": client_msg_id, "text": text})
        return client_msg_id

    def recv(self, timeout: float = 30.0) -> dict:
        event = json.loads(self.ws.recv(timeout=timeout))
        self.received.append(event)
        return event

    def recv_until(self, predicate, timeout: float = 60.0) -> list[dict]:
        """Events up to and including the first that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        events = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching event within {timeout}s; got {events}")
            events.append(self.recv(timeout=remaining))
            if predicate(events[-1]):
                return events

    def reply_events(self, timeout: float = 60.0) -> list[dict]:
        return self.recv_until(lambda e: e["type"] == "reply.end", timeout)

    def close(self) -> None:
        self.ws.close()


# Every client of a stack comes from 127.0.0.1, so the per-address limits on new sessions
# and socket opens would count a whole run (or a bench's crowd) as one visitor. A test of
# those limits passes its own values.
LOOPBACK_LIMITS = {
    "CHAT_RATE_LIMIT_SESSIONS_IP_PER_MINUTE": "100000",
    "CHAT_RATE_LIMIT_SOCKETS_IP_PER_MINUTE": "100000",
}


def start_live_stack(
    workdir: Path,
    *,
    workers: int = 1,
    concurrency: int = 8,
    background: bool = False,
    **settings_env: str,
) -> LiveStack:
    """Each stack gets its own Celery queues, so two stacks never take each other's tasks,
    and its own breakers (``BREAKER_NAMESPACE``, unless the caller names one).

    Reply workers are named ``worker``, ``worker2``, … With ``background`` a worker of the
    background lane runs too (``background``); without it, background tasks (FAQ hit
    counts) wait in the stack's broker and are dropped when it stops: most tests are about
    replies, and one more Celery process per stack costs every one of them.
    """
    port = free_port()
    # Breakers of its own: a breaker an earlier stack's faults opened stays shut here.
    own_breakers = {"BREAKER_NAMESPACE": f"{settings.BREAKER_NAMESPACE}:stack{port}"}
    env = stack_env(
        CELERY_KEY_PREFIX=f"stack{port}:", **{**own_breakers, **LOOPBACK_LIMITS, **settings_env}
    )
    stack = LiveStack(
        base_url=f"http://127.0.0.1:{port}", port=port, workdir=workdir, env=env,
        concurrency=concurrency,
    )  # fmt: skip
    try:
        for index in range(workers):
            stack.start_worker("worker" if index == 0 else f"worker{index + 1}")
        if background:
            stack.start_background_worker()
        stack.start_web()
    except BaseException:
        stack.stop()
        raise
    return stack
