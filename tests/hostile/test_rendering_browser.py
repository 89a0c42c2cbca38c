"""Hostile text in real Chromium renders inert wherever it lands: the customer widget (live
and server-rendered), the staff console and Django admin. No dialog opens, nothing is
asked of another host, no element is built from message text, and the text reads as sent.
The same holds for reply text the desk itself sends: a staff reply and an FAQ answer.
"""

from __future__ import annotations

import urllib.parse

import pytest
from django.contrib.auth.models import User

from apps.conversations.models import Conversation, Message
from apps.faq.formats import RawRow
from apps.faq.services import faq_import_rows
from apps.ops.services import flags_update
from tests.hostile.inputs import INPUTS, MARKERS
from tests.stack import LiveStack, stacks_reread_shop

pytestmark = [pytest.mark.slow, pytest.mark.browser]

RENDERED = [entry.text for entry in INPUTS if entry.renders and entry.text]
PER_SESSION = 12  # with their replies' time, under a session's 30 messages a minute
STAFF_PASSWORD = "pw-for-hostile-tests"
# Active markup in a reply the desk sends: as staff would paste it, or a shop's FAQ edit.
STAFF_TEXTS = [
    entry.text for entry in INPUTS if entry.renders and entry.kind in {"xss", "markdown"}
]
FAQ_QUESTION = "Do you offer moonbeam gift wrapping?"
FAQ_ANSWER = (
    "<img src=x onerror=alert(1)> [wrap it](javascript:alert(1)) "
    "![bow](http://evil.example/bow.png) <script>alert(1)</script> **yes**"
)

# Every element and attribute on the page that carries a marker of a hostile payload. A
# form field may hold hostile text as its value, and an admin link keeps the search in
# its query string (a link within the site); neither is markup.
INJECTED = """
(markers) => {
  const found = [];
  const carries = (value) => markers.some((marker) => value.includes(marker));
  for (const el of document.querySelectorAll("*")) {
    const field = el.matches("input, textarea");
    for (const attr of el.attributes) {
      const selfLink = attr.name === "href" && /^([?]|[/](?![/]))/.test(attr.value);
      if (attr.name.startsWith("on") || (!field && !selfLink && carries(attr.value))) {
        found.push(`<${el.tagName.toLowerCase()} ${attr.name}="${attr.value}">`);
      }
    }
    if (["SCRIPT", "STYLE"].includes(el.tagName) && carries(el.textContent)) {
      found.push(`<${el.tagName.toLowerCase()}>${el.textContent}`);
    }
  }
  if (window.__pwned !== undefined) found.push("window.__pwned");
  return found;
}
"""
# The widget speaks the conversation's language: "online" in its own words.
ONLINE = "() => document.getElementById('chat-status').textContent === chat.dataset.textOnline"
SENT = """n => document.querySelectorAll('.msg--agent').length >= n
              && document.getElementById('reply-text').value === ''
              && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"""
TEXTS_OF = "(selector) => [...document.querySelectorAll(selector)].map((el) => el.textContent)"


class Watch:
    """What no page may do: open a dialog, ask another host for anything, answer 5xx."""

    def __init__(self, stack: LiveStack) -> None:
        self.host = urllib.parse.urlsplit(stack.base_url).hostname
        self.dialogs: list[str] = []
        self.foreign: list[str] = []
        self.failed: list[str] = []

    def page(self, context):
        page = context.new_page()
        page.on("dialog", self._dialog)
        page.on("request", lambda request: self._reached(request.url))
        page.on("websocket", lambda socket: self._reached(socket.url))
        page.on("response", self._response)
        return page

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _reached(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname != self.host:
            self.foreign.append(url)

    def _response(self, response) -> None:
        if response.status >= 500:
            self.failed.append(f"{response.status} {response.url}")

    def assert_quiet(self) -> None:
        assert (self.dialogs, self.foreign, self.failed) == ([], [], [])


def assert_inert(page, where: str) -> None:
    assert page.evaluate(INJECTED, list(MARKERS)) == [], where


def texts(page, selector: str) -> list[str]:
    return page.evaluate(TEXTS_OF, selector)


@pytest.fixture
def staff(transactional_db) -> User:
    """Staff who may use both the console and Django admin."""
    return User.objects.create_superuser("hostile-staff", password=STAFF_PASSWORD)


def sign_in(watch: Watch, browser, stack: LiveStack):
    page = watch.page(browser.new_context(viewport={"width": 1200, "height": 900}))
    page.goto(stack.base_url + "/console/")
    page.fill("#id_username", "hostile-staff")
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(stack.base_url + "/console/")
    return page


def open_widget(watch: Watch, browser, stack: LiveStack):
    page = watch.page(browser.new_context(viewport={"width": 390, "height": 800}))
    page.goto(stack.base_url + "/")
    page.wait_for_function(ONLINE)
    return page


def say(page, text: str) -> None:
    """Type ``text`` into the widget and wait for its reply to end."""
    done = page.locator(".msg--assistant[data-status='done']").count()
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll(\".msg--assistant[data-status='done']\").length > n",
        arg=done,
        timeout=60_000,
    )


def conversation_of(page) -> Conversation:
    session = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    return Conversation.objects.get(session_key=session)


def assert_widget_shows(page, customer: list[str], where: str) -> None:
    assert texts(page, ".msg--customer") == customer, where
    assert page.locator("#chat-log li *").count() == 0, where  # text only, no elements
    assert_inert(page, where)


def type_into_widget(watch: Watch, browser, stack: LiveStack, chunk: list[str]) -> Conversation:
    page = open_widget(watch, browser, stack)
    for text in chunk:
        say(page, text)
    assert_widget_shows(page, chunk, "widget, live")
    page.reload()
    page.wait_for_function(ONLINE)
    assert_widget_shows(page, chunk, "widget, server-rendered")
    conversation = conversation_of(page)
    page.context.close()
    return conversation


def check_console(page, stack: LiveStack, conversation: Conversation, customer: list[str]):
    page.goto(f"{stack.base_url}/console/{conversation.id}/")
    page.wait_for_selector("#conversation[data-live='true']")
    assert texts(page, ".msg--customer .msg__text") == customer, conversation.id
    assert page.locator("#transcript .msg__text *").count() == 0
    assert_inert(page, f"console {conversation.id}")


def check_admin(page, stack: LiveStack, conversation: Conversation) -> None:
    admin = f"{stack.base_url}/admin/conversations"
    page.goto(f"{admin}/conversation/{conversation.id}/change/")
    assert page.locator("td.field-text p *:not(br)").count() == 0
    assert_inert(page, f"admin conversation {conversation.id}")
    for message in conversation.messages.filter(role=Message.Role.CUSTOMER):
        page.goto(f"{admin}/message/{message.id}/change/")
        assert page.input_value("textarea[name=text]") == message.text
        assert_inert(page, f"admin message {message.id}")
        page.goto(f"{admin}/message/?q={urllib.parse.quote(message.text)}")
        # A one-line field drops line breaks from its value.
        assert page.input_value("#searchbar") == message.text.replace("\n", "")
        assert_inert(page, f"admin search for message {message.id}")


def test_hostile_customer_text_renders_inert_in_widget_console_and_admin(
    live_stack, staff, browser
):
    watch = Watch(live_stack)
    chunks = [RENDERED[i : i + PER_SESSION] for i in range(0, len(RENDERED), PER_SESSION)]
    conversations = [type_into_widget(watch, browser, live_stack, chunk) for chunk in chunks]
    staff_page = sign_in(watch, browser, live_stack)
    for conversation, chunk in zip(conversations, chunks, strict=True):
        check_console(staff_page, live_stack, conversation, chunk)
        check_admin(staff_page, live_stack, conversation)
    watch.assert_quiet()


def test_a_hostile_staff_reply_renders_inert_for_the_customer(live_stack, staff, browser):
    watch = Watch(live_stack)
    customer = open_widget(watch, browser, live_stack)
    say(customer, "Where is my order?")
    conversation = conversation_of(customer)
    agent = sign_in(watch, browser, live_stack)
    agent.goto(f"{live_stack.base_url}/console/{conversation.id}/")
    agent.wait_for_selector("#conversation[data-live='true']")
    agent.click("#take-over")
    agent.wait_for_selector("#hand-back")
    for count, text in enumerate(STAFF_TEXTS, start=1):
        agent.fill("#reply-text", text)
        agent.press("#reply-text", "Enter")
        # The form is swapped for an empty one once the reply is stored; until htmx has
        # settled the new one, Enter would submit it natively.
        agent.wait_for_function(SENT, arg=count)
        customer.wait_for_function(
            "n => document.querySelectorAll('.msg--agent').length >= n", arg=count
        )

    assert texts(customer, ".msg--agent") == STAFF_TEXTS
    assert customer.locator("#chat-log li *").count() == 0
    assert_inert(customer, "widget, live staff replies")
    customer.reload()
    customer.wait_for_function(ONLINE)
    assert texts(customer, ".msg--agent") == STAFF_TEXTS
    assert_inert(customer, "widget, server-rendered staff replies")
    assert texts(agent, ".msg--agent .msg__text") == STAFF_TEXTS
    assert_inert(agent, "console, staff replies")
    watch.assert_quiet()


@pytest.fixture
def hostile_faq(transactional_db):
    """An FAQ entry whose answer is active markup, and every reply from the FAQ."""
    report = faq_import_rows(
        rows=[
            RawRow(
                line=1,
                data={
                    "id": "hostile-wrap",
                    "question": FAQ_QUESTION,
                    "answer": FAQ_ANSWER,
                    "lang": "en",
                },
            )
        ]
    )
    assert report.imported == 1, report.summary()
    flags_update(user=None, changes={"mode": "faq_only"})
    yield
    stacks_reread_shop()  # other stacks drop this test's flags and FAQ once its rows are gone


def test_a_hostile_faq_answer_renders_inert_for_the_customer(
    live_stack, hostile_faq, staff, browser
):
    watch = Watch(live_stack)
    customer = open_widget(watch, browser, live_stack)
    say(customer, FAQ_QUESTION)

    reply = customer.locator(".msg--assistant[data-status='done']")
    assert (reply.get_attribute("data-route"), reply.text_content()) == ("faq", FAQ_ANSWER)
    assert customer.locator("#chat-log li *").count() == 0
    assert_inert(customer, "widget, FAQ answer")
    conversation = conversation_of(customer)
    agent = sign_in(watch, browser, live_stack)
    agent.goto(f"{live_stack.base_url}/console/{conversation.id}/")
    assert texts(agent, ".msg--assistant .msg__text") == [FAQ_ANSWER]
    assert_inert(agent, "console, FAQ answer")
    watch.assert_quiet()
