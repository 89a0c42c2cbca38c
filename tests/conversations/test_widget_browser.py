"""The customer widget in real Chromium: a question streams into a growing reply bubble."""

from __future__ import annotations

import random
import re

import pytest

from apps.conversations import staff
from apps.conversations.models import Conversation, Message
from tests.demo_questions import OFF_CATALOG, unique_tag
from tests.stack import start_live_stack

pytestmark = [pytest.mark.slow, pytest.mark.browser]

QUESTION = "How long does delivery take?"
RECORD_BUBBLE_LENGTHS = """
() => {
  window.__lengths = [];
  new MutationObserver(() => {
    const bubble = document.querySelector('.msg--assistant:last-of-type');
    if (bubble) window.__lengths.push(bubble.textContent.length);
  }).observe(document.getElementById('chat-log'),
             {subtree: true, childList: true, characterData: true});
}
"""


@pytest.fixture
def trickling_stack(paced_cloud, tmp_path):
    """The tiny local model writes a whole answer in ~50 ms, too fast to watch a bubble
    grow on a busy machine: replies come from the paced cloud instead."""
    stack = start_live_stack(tmp_path, CLOUD_BASE_URL=paced_cloud.base_url, REPLY_FLUSH_MS="10")
    yield stack
    stack.stop()


def test_it_streams_a_reply_into_the_widget_at_phone_width(
    trickling_stack, transactional_db, browser, artifacts_dir
):
    page = browser.new_page(viewport={"width": 360, "height": 720})
    page.goto(trickling_stack.base_url + "/")
    page.wait_for_selector("#chat-status:text('online')")
    page.evaluate(RECORD_BUBBLE_LENGTHS)

    page.fill("#chat-input", QUESTION)
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".msg--assistant[data-status='done']", timeout=60_000)

    final = page.inner_text(".msg--assistant[data-status='done']")
    lengths = page.evaluate("window.__lengths")
    intermediate = {n for n in lengths if 0 < n < len(final)}
    stored = Message.objects.get(role=Message.Role.ASSISTANT)
    assert stored.route == "cloud"
    assert len(intermediate) >= 2, lengths
    assert stored.text == final
    assert page.inner_text(".msg--customer") == QUESTION
    # The page fits a phone: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts_dir / "widget-streamed-reply.png"), full_page=True)
    page.close()


def test_it_renders_model_output_as_inert_text(live_stack, transactional_db, browser):
    """Markup in a reply shows as text: on the server-rendered page and in a live replay."""
    hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>**hi**'
    page = browser.new_page()
    page.goto(live_stack.base_url + "/")
    page.wait_for_selector("#chat-status:text('online')")
    session = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    conversation = Conversation.objects.get(session_key=session)
    Message.objects.create(
        conversation=conversation, role=Message.Role.ASSISTANT, text=hostile, route="local"
    )

    page.reload()
    page.wait_for_selector("#chat-status:text('online')")
    page.wait_for_selector(".msg--assistant")
    assert page.inner_text(".msg--assistant") == hostile
    assert page.locator("#chat-log img, #chat-log script").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.close()


RECORD_BUBBLE_TEXTS = """
() => {
  window.__texts = [];
  new MutationObserver(() => {
    const bubble = document.querySelector('.msg--assistant:last-of-type');
    if (bubble) window.__texts.push(bubble.textContent);
  }).observe(document.getElementById('chat-log'),
             {subtree: true, childList: true, characterData: true});
}
"""


class SocketKiller:
    """Sits between the page and the server and kills the widget's first socket after
    ``after_deltas`` reply deltas; later sockets pass through untouched."""

    def __init__(self, after_deltas: int) -> None:
        self.after_deltas = after_deltas
        self.sockets = 0
        self.killed = False

    def route(self, page_side) -> None:
        server_side = page_side.connect_to_server()
        self.sockets += 1
        if self.killed:
            return  # forwarded both ways by Playwright
        deltas = 0

        def from_server(message) -> None:
            nonlocal deltas
            page_side.send(message)
            deltas += '"reply.delta"' in str(message)
            if deltas >= self.after_deltas and not self.killed:
                self.killed = True
                page_side.close(code=4000, reason="network lost")
                server_side.close()

        server_side.on_message(from_server)
        page_side.on_message(server_side.send)


def test_the_widget_resumes_a_reply_whose_socket_died_mid_stream(
    trickling_stack, transactional_db, browser
):
    killer = SocketKiller(after_deltas=random.Random(7).randint(1, 3))
    page = browser.new_page()
    page.route_web_socket(re.compile(r".*/ws/chat/$"), killer.route)
    page.goto(trickling_stack.base_url + "/")
    page.wait_for_selector("#chat-status:text('online')")
    page.evaluate(RECORD_BUBBLE_TEXTS)

    page.fill("#chat-input", "How long does delivery to Lisbon take?")
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".msg--assistant[data-status='done']", timeout=60_000)

    stored = Message.objects.get(role=Message.Role.ASSISTANT)
    final = page.inner_text(".msg--assistant[data-status='done']")
    assert killer.killed and killer.sockets >= 2  # it died, and the widget came back
    assert final == stored.text != ""
    # Every text the bubble ever showed was a beginning of the stored reply: no gap, no
    # repeated characters, nothing the server did not write.
    texts = page.evaluate("window.__texts")
    assert texts and all(stored.text.startswith(text) for text in texts)
    page.close()


def test_the_widget_shows_one_place_in_line_that_goes_when_the_reply_starts(
    transactional_db, browser, tmp_path, django_user_model, settings
):
    agent = django_user_model.objects.create_user("agent", is_staff=True)
    stack = start_live_stack(tmp_path, QUEUE_NOTICE_AT="1", QUEUE_PLACE_TICK_S="0.2")
    # Staff act from this process here: on the stack's line, as its web process would.
    settings.CELERY_KEY_PREFIX = stack.env["CELERY_KEY_PREFIX"]
    page = browser.new_page()
    try:
        page.goto(stack.base_url + "/")
        page.wait_for_selector("#chat-status:text('online')")
        others = [stack.chat_client() for _ in range(3)]
        with stack.paused("worker"):
            for other in others:
                other.send_message(f"{OFF_CATALOG} {unique_tag()}")
                # message.accepted: its reply is in line (a place told on arrival may
                # come first)
                other.recv_until(lambda e: e["type"] == "message.accepted")
            page.fill("#chat-input", f"{OFF_CATALOG} {unique_tag()}")
            page.press("#chat-input", "Enter")
            waiting = page.wait_for_selector(".msg--notice[data-kind='queued']")
            assert waiting.get_attribute("data-place") == "4"
            # A person takes one conversation ahead over: its reply leaves the line.
            ahead = Conversation.objects.get(session_key=others[0].session)
            staff.conversation_take_over(conversation_id=ahead.id, agent=agent)
            page.wait_for_selector(".msg--notice[data-kind='queued'][data-place='3']")
            assert page.locator(".msg--notice[data-kind='queued']").count() == 1
        page.wait_for_selector(".msg--assistant[data-status='done']", timeout=60_000)
        assert page.locator(".msg--notice[data-kind='queued']").count() == 0
        for other in others:
            other.close()
    finally:
        page.close()
        stack.stop()
