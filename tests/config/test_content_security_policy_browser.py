"""Under the Content-Security-Policy, real Chromium reports no violation: the widget
connects and chats, the console goes live over its websocket, the ops page polls with
htmx, and the admin works."""

from __future__ import annotations

import pytest

from tests.console.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Installed before any page script runs (by the browser, so the CSP does not apply to it).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


def watched_page(browser):
    """A page that records CSP violations, both as events and as console messages."""
    page = browser.new_context().new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    return page, console


def violations(page, console: list[str]) -> list[str]:
    csp_messages = [text for text in console if "Content Security Policy" in text]
    return page.evaluate("window.__violations") + csp_messages


def test_the_widget_connects_and_chats_with_no_violation(live_stack, transactional_db, browser):
    page, console = watched_page(browser)
    page.goto(live_stack.base_url + "/")
    page.wait_for_selector("#chat-status:text('online')")
    page.fill("#chat-input", "How long does delivery take?")
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".msg--assistant[data-status='done']", timeout=60_000)
    assert page.inner_text(".msg--assistant[data-status='done']").strip()
    assert violations(page, console) == []


def test_the_staff_pages_work_with_no_violation(live_stack, transactional_db, browser):
    user = make_user("alice", "agent", "ops")
    user.is_staff = user.is_superuser = True  # the admin's changelists too
    user.save()
    page, console = watched_page(browser)
    page.goto(live_stack.base_url + "/console/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-live='true']")  # its websocket is open
    assert violations(page, console) == []

    with page.expect_response(lambda r: "/ops/status/" in r.url, timeout=15_000):
        page.goto(live_stack.base_url + "/ops/")  # htmx polls the status every 3 s
    assert violations(page, console) == []

    page.goto(live_stack.base_url + "/admin/conversations/conversation/")
    page.wait_for_selector("#changelist")
    assert violations(page, console) == []
