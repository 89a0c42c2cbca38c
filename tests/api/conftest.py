from __future__ import annotations

import io
import json
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.cookiejar import CookieJar
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai
import pytest
from django.core.management import call_command

from apps.api.services import NewKey, key_create
from tests.console.conftest import PASSWORD, make_user
from tests.stack import stacks_reread_shop


@pytest.fixture
def api_key(transactional_db) -> NewKey:
    return key_create(name="shop-app")


@pytest.fixture
def sdk(live_stack, api_key) -> openai.OpenAI:
    """The official SDK pointed at the live stack's Daphne, with no retries of its own."""
    return openai.OpenAI(
        base_url=f"{live_stack.base_url}/v1",
        api_key=api_key.secret,
        max_retries=0,
        timeout=openai.Timeout(90, connect=5),
    )


@pytest.fixture
def demo_faq(transactional_db) -> Iterator[None]:
    """The demo shop's FAQ: what a reply is grounded on."""
    call_command("load_demo_faq", stdout=io.StringIO())
    yield
    stacks_reread_shop()


@dataclass
class Received:
    headers: Message  # case-insensitive, as HTTP header names are
    body: bytes


@dataclass
class WebhookReceiver:
    """An integrator's webhook endpoint on loopback: it records every POST."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def json(self, index: int = 0) -> dict:
        return json.loads(self.received[index].body)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver: WebhookReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.received.append(Received(self.headers, body))
            receiver.arrived.set()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    receiver = WebhookReceiver(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


class ConsoleAgent:
    """A staff member using the live stack's console over HTTP, as a browser does (login
    form, CSRF token), so staff actions run in the stack's own Daphne."""

    def __init__(self, base_url: str, username: str) -> None:
        self.base_url = base_url
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self._open("/console/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None, page
        self.post("/console/login/", username=username, password=PASSWORD,
                  csrfmiddlewaretoken=token.group(1))  # fmt: skip

    def _open(self, path: str, data: bytes | None = None) -> Any:
        csrf = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        request = urllib.request.Request(
            self.base_url + path, data=data,
            headers={"X-CSRFToken": csrf, "Referer": self.base_url + path},
        )  # fmt: skip
        return self.opener.open(request, timeout=30)

    def post(self, path: str, **form: str) -> None:
        with self._open(path, urllib.parse.urlencode(form).encode()) as response:
            assert response.status == 200, response.status


@pytest.fixture
def console_agent(live_stack, transactional_db) -> ConsoleAgent:
    make_user("alice", "agent")
    return ConsoleAgent(live_stack.base_url, "alice")
