"""In Chromium: the notices a customer gets show live in the agent's transcript, the
handoff panel follows the conversation, and after the agent closes it the customer rates
the chat in the widget and the agent sees the rating."""

from __future__ import annotations

import pytest

from apps.conversations.models import Conversation, Csat
from tests.console.conftest import make_user
from tests.console.test_console_browser import customer_says, open_customer, sign_in_agent

pytestmark = [pytest.mark.slow, pytest.mark.browser]
COMMENT = "Quick <b>and</b> kind"


def test_a_customer_rates_the_chat_after_the_agent_closes_it(
    live_stack, transactional_db, browser, artifacts_dir
):
    make_user("alice", "agent")
    agent = sign_in_agent(browser, live_stack.base_url)
    customer = open_customer(browser, live_stack.base_url)
    customer_says(customer, "Where is my order?", done_replies=1)
    session = next(c["value"] for c in customer.context.cookies() if c["name"] == "sessionid")
    conversation = Conversation.objects.get(session_key=session)

    agent.goto(f"{live_stack.base_url}/console/{conversation.id}/")
    agent.wait_for_selector("#conversation[data-live='true']")
    agent.evaluate("window.__notReloaded = true")
    assert "Asked For Human" not in agent.inner_text("#handoff-context")

    # The customer asks for a person: the agent's page shows the notice the customer got,
    # word for word, and the handoff panel's escalation, without a reload.
    customer.click("#chat-handoff")
    told = customer.inner_text(".msg--notice[data-kind='handoff']")
    notice = agent.wait_for_selector(".msg--notice[data-notice-kind='handoff']", timeout=10_000)
    assert notice.inner_text().endswith(told)
    agent.wait_for_selector("#handoff-context:has-text('Asked For Human')", timeout=10_000)
    agent.wait_for_selector("#conv-actions[data-status='waiting_human']")
    assert agent.evaluate("window.__notReloaded") is True
    print(f"screenshot: {artifacts_dir / 'csat-console-notice.png'}")
    agent.screenshot(path=str(artifacts_dir / "csat-console-notice.png"), full_page=True)

    agent.click("#take-over")
    agent.wait_for_selector("#hand-back")
    agent.on("dialog", lambda dialog: dialog.accept())  # "Close this conversation?"
    agent.click("#close")
    agent.wait_for_selector("#conv-actions[data-status='closed']")

    # The widget asks once; the customer picks 4 and writes a comment.
    customer.wait_for_selector(".msg--notice[data-kind='closed']")
    customer.wait_for_selector("#chat-csat:not([hidden])", timeout=10_000)
    assert "1" in customer.inner_text("#chat-csat-question")
    customer.click("#chat-csat label:has(input[value='4'])")
    customer.fill("#chat-csat-comment", COMMENT)
    print(f"screenshot: {artifacts_dir / 'csat-widget-asks.png'}")
    customer.screenshot(path=str(artifacts_dir / "csat-widget-asks.png"))
    customer.click("#chat-csat-send")
    customer.wait_for_selector(".msg--notice[data-kind='csat_thanks']")
    assert customer.is_hidden("#chat-csat")
    print(f"screenshot: {artifacts_dir / 'csat-widget-thanks.png'}")
    customer.screenshot(path=str(artifacts_dir / "csat-widget-thanks.png"))

    # The agent's transcript shows the rating and the comment, as text, live.
    rating = agent.wait_for_selector(".csat[data-rating='4']", timeout=10_000)
    assert COMMENT in rating.inner_text()
    assert agent.locator("#transcript b").count() == 0
    print(f"screenshot: {artifacts_dir / 'csat-console-rating.png'}")
    agent.screenshot(path=str(artifacts_dir / "csat-console-rating.png"), full_page=True)

    csat = Csat.objects.get(conversation=conversation)
    assert (csat.rating, csat.comment, csat.trigger) == (4, COMMENT, "closed")
    agent.context.close()
    customer.context.close()
