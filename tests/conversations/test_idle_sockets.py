"""Sockets left idle for a minute stay open and still get their next event: the channel
layer's blocking reads outlast redis-py's socket timeout (every idle socket used to die
with 1011 within 5-26 s)."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from websockets.sync.client import connect

from apps.conversations.models import Conversation

pytestmark = [pytest.mark.slow, pytest.mark.browser]

IDLE_S = 65
WATCH_STATUS = """
() => {
  window.__statuses = [];
  new MutationObserver(() => window.__statuses.push(
    document.getElementById('chat-status').textContent)
  ).observe(document.getElementById('chat-status'), {childList: true, characterData: true,
                                                      subtree: true});
}
"""


def agent_cookie() -> str:
    agent = User.objects.create_user("idle-agent", password="x")
    agent.groups.add(Group.objects.get_or_create(name="agent")[0])
    client = Client()
    client.force_login(agent)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def staff_socket(live_stack, path: str, cookie: str):
    return connect(
        f"ws://127.0.0.1:{live_stack.port}{path}",
        origin=live_stack.base_url,
        additional_headers={"Cookie": cookie},
        open_timeout=10,
        legacy=True,
    )


def test_idle_sockets_and_an_idle_widget_still_get_their_next_event(
    live_stack, transactional_db, browser
):
    page = browser.new_page()
    page.goto(live_stack.base_url + "/")
    page.wait_for_selector("#chat-status:text('online')")
    page.evaluate(WATCH_STATUS)
    session = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    customer = live_stack.chat_client()
    conversation = Conversation.objects.get(session_key=customer.session)
    cookie = agent_cookie()
    queue = staff_socket(live_stack, "/ws/console/queue/", cookie)
    queue.recv(timeout=10)  # the list, sent on connect
    watch = staff_socket(live_stack, f"/ws/console/conversations/{conversation.id}/", cookie)

    time.sleep(IDLE_S)

    customer.send_message("How long does delivery take?")
    events = customer.reply_events(timeout=30)
    assert events[-1]["type"] == "reply.end" and events[-1]["text"]
    assert any(e["type"] == "reply.start" for e in events)  # through the channel layer
    assert "queue-list" in queue.recv(timeout=10)
    assert json.loads(watch.recv(timeout=10))["type"] == "row"

    page.fill("#chat-input", "Can I return shoes?")
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".msg--assistant[data-status='done']", timeout=30_000)
    assert page.evaluate("window.__statuses") == []  # never left "online"
    widget_conversation = Conversation.objects.get(session_key=session)
    web_log = (live_stack.workdir / "web.log").read_text()
    opened = web_log.count(f"chat socket opened for conversation {widget_conversation.uuid}")
    assert opened == 1  # no reconnect
    for socket in (queue, watch):
        socket.close()
    page.close()
