"""A real shift in Chromium: a customer asks for a person, an agent takes over, replies,
and hands back to the AI, which answers the customer's next message."""

from __future__ import annotations

import pytest

from apps.conversations.models import Conversation, Message
from tests.console.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.slow, pytest.mark.browser]
AGENT_REPLY = "Hi, this is Alice from the team. Your order ships today."


def sign_in_agent(browser, base_url: str):
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.goto(base_url + "/console/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/console/")
    page.wait_for_selector("body[data-live='true']")
    return page


def open_customer(browser, base_url: str):
    page = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    page.goto(base_url + "/")
    page.wait_for_selector("#chat-status:text('online')")
    return page


def customer_says(page, text: str, done_replies: int) -> None:
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll(\".msg--assistant[data-status='done']\").length >= n",
        arg=done_replies,
        timeout=60_000,
    )


def test_an_agent_takes_over_replies_and_hands_back(
    live_stack, transactional_db, browser, artifacts_dir
):
    make_user("alice", "agent")
    agent = sign_in_agent(browser, live_stack.base_url)
    agent.evaluate("window.__notReloaded = true")
    customer = open_customer(browser, live_stack.base_url)

    # 1. The customer asks something, then asks for a person.
    customer_says(customer, "Where is my order?", done_replies=1)
    customer.click("#chat-handoff")
    customer.wait_for_selector(".msg--notice[data-kind='handoff']")
    session = next(c["value"] for c in customer.context.cookies() if c["name"] == "sessionid")
    conversation = Conversation.objects.get(session_key=session)

    # 2. It shows up in the agent's live list, waiting for a person, without a reload (the
    # list's fallback poll runs every 30 s; this must come sooner, through the websocket).
    row = f"tr[data-conversation-id='{conversation.id}']"
    agent.wait_for_selector(f"{row}[data-status='waiting_human']", timeout=10_000)
    assert agent.evaluate("window.__notReloaded") is True
    agent.screenshot(path=str(artifacts_dir / "console-queue.png"), full_page=True)

    agent.click(f"{row} a.queue__open")
    agent.wait_for_selector("#conversation[data-live='true']")
    assert "Where is my order?" in agent.inner_text("#handoff-context")
    agent.click("#take-over")
    agent.wait_for_selector("#hand-back")
    customer.wait_for_selector(".msg--notice[data-kind='agent_joined']")

    # 3. The agent types (the customer sees it) and replies; the customer sees the reply.
    agent.fill("#reply-text", AGENT_REPLY)
    customer.wait_for_selector("#chat-thinking[data-typing='true']:text('alice is typing')")
    agent.press("#reply-text", "Enter")
    agent.wait_for_selector(f".msg--agent:has-text('{AGENT_REPLY}')")
    customer.wait_for_selector(f".msg--agent:text('{AGENT_REPLY}')")
    assert agent.input_value("#reply-text") == ""
    agent.screenshot(path=str(artifacts_dir / "console-conversation.png"), full_page=True)
    customer.screenshot(path=str(artifacts_dir / "console-customer-agent-reply.png"))

    # 4. Hand back: the customer's next message is answered by the AI again.
    agent.click("#hand-back")
    agent.wait_for_selector("#conv-actions[data-status='ai']")
    agent.wait_for_selector(".msg--system[data-event='hand_back']")
    customer.wait_for_selector(".msg--notice[data-kind='handed_back']")
    customer_says(customer, "How long does delivery take?", done_replies=2)
    customer.screenshot(path=str(artifacts_dir / "console-customer-after-hand-back.png"))
    agent.wait_for_function(
        "() => document.querySelectorAll(\".msg--assistant[data-status='done']\").length >= 2",
        timeout=15_000,
    )
    agent.screenshot(path=str(artifacts_dir / "console-after-hand-back.png"), full_page=True)

    last = conversation.messages.order_by("-id").first()
    assert (last.role, last.status) == (Message.Role.ASSISTANT, Message.Status.DONE)
    assert conversation.messages.filter(role="agent", text=AGENT_REPLY).exists()
    agent.context.close()
    customer.context.close()
