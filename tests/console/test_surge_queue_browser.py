"""In Chromium, a queue of a surge's size: the waiting conversations are on top and have a
filter of their own, the list pages past 200 rows, and a live update keeps the agent's
page and scroll position."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.conversations.models import Conversation
from apps.conversations.realtime import publish_queue_change
from tests.console.conftest import make_surge, make_user
from tests.console.test_console_browser import sign_in_agent

pytestmark = [pytest.mark.slow, pytest.mark.browser]
AI, WAITING = 255, 3
SCROLLED_TO = 700


def statuses(page) -> list[str]:
    return page.eval_on_selector_all(
        "#queue-list tr.queue__row", "rows => rows.map(r => r.dataset.status)"
    )


def count(page, name: str) -> str:
    return page.inner_text(f"[data-count='{name}']")


def test_a_surge_queue_filters_pages_and_updates_live_without_moving(
    live_stack, transactional_db, browser, artifacts_dir
):
    make_user("alice", "agent")
    surge = make_surge(ai=AI, waiting=WAITING)
    agent = sign_in_agent(browser, live_stack.base_url)

    assert statuses(agent)[:WAITING] == ["waiting_human"] * WAITING
    assert set(statuses(agent)[WAITING:]) == {"ai"}
    assert (count(agent, "waiting"), count(agent, "all")) == (str(WAITING), str(AI + WAITING))
    print(f"screenshot: {artifacts_dir / 'surge-queue-all.png'}")
    agent.screenshot(path=str(artifacts_dir / "surge-queue-all.png"))

    agent.click("a.queue__filter[data-filter='waiting']")
    agent.wait_for_selector("#queue-list[data-filter='waiting']")
    agent.wait_for_selector("body[data-live='true']")
    assert statuses(agent) == ["waiting_human"] * WAITING
    print(f"screenshot: {artifacts_dir / 'surge-queue-waiting.png'}")
    agent.screenshot(path=str(artifacts_dir / "surge-queue-waiting.png"))

    agent.click("a.queue__filter[data-filter='all']")
    agent.wait_for_selector("#queue-list[data-filter='all']")
    agent.click("a.queue__next")
    agent.wait_for_selector("#queue-list[data-page='2']")
    agent.wait_for_selector("body[data-live='true']")
    assert len(statuses(agent)) == 50 and set(statuses(agent)) == {"ai"}
    agent.evaluate(f"window.__notReloaded = true; window.scrollTo(0, {SCROLLED_TO})")
    assert agent.evaluate("window.scrollY") == SCROLLED_TO

    # Someone else's conversation starts waiting for a person: the counts on this page
    # change, live, and the agent stays on page 2 where they were.
    escalated = surge[AI - 1]
    Conversation.objects.filter(id=escalated.id).update(
        status="waiting_human", waiting_since=timezone.now(), escalation_reason="asked_for_human"
    )
    publish_queue_change(escalated.id)
    agent.wait_for_function(
        "n => document.querySelector(\"[data-count='waiting']\").textContent === n",
        arg=str(WAITING + 1),
        timeout=15_000,
    )
    assert agent.evaluate("window.__notReloaded") is True
    assert agent.evaluate("window.scrollY") == SCROLLED_TO
    assert agent.get_attribute("#queue-list", "data-page") == "2"
    assert agent.url.endswith("?filter=all&page=2")
    print(f"screenshot: {artifacts_dir / 'surge-queue-page-2-live.png'}")
    agent.screenshot(path=str(artifacts_dir / "surge-queue-page-2-live.png"))
    agent.context.close()
