"""In real Chromium, /ops/ draws its live charts from the rollups, and a scripted burst of
customers over real websockets makes them and the AI outcome figures move, with no CSP
violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.config.test_content_security_policy_browser import violations, watched_page
from tests.console.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.slow, pytest.mark.browser]
BURST = ["How long does delivery take?", "退货政策是什么？", "This is useless, nothing works!"]
# Counts only add up; a TTFT percentile moves either way as replies join its bin.
GREW = (
    "([chart, before]) => Number(document.querySelector(`#plot-${chart}`).dataset.total) > before"
)
MOVED = (
    "([chart, before]) => Number(document.querySelector(`#plot-${chart}`).dataset.total) != before"
)


# The range's total row of the AI outcomes table (htmx reloads it every 10 s).
OUTCOME = "#outcome-table tr.outcomes__total td[data-figure='{}']"
OUTCOME_GREW = (
    "([selector, before]) => parseInt(document.querySelector(selector).textContent) >= before"
)


def chart_total(page, chart: str) -> float:
    return float(page.get_attribute(f"#plot-{chart}", "data-total") or 0)


def outcome(page, figure: str) -> int:
    return int(page.inner_text(OUTCOME.format(figure)).split()[0])


def test_a_burst_moves_the_live_charts(live_stack, transactional_db, browser, artifacts_dir):
    make_user("olivia", "ops")
    page, console = watched_page(browser)
    page.set_viewport_size({"width": 1400, "height": 1300})
    page.goto(live_stack.base_url + "/ops/")
    page.fill("#id_username", "olivia")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#live-plots[data-state='live'] #plot-waiting")
    assert page.locator("#plots figure canvas").count() == 7  # one uPlot per chart
    before = {chart: chart_total(page, chart) for chart in ("replies", "sentiment", "ttft")}
    outcomes_before = {figure: outcome(page, figure) for figure in ("conversations", "replies")}

    customers = [live_stack.chat_client() for _ in BURST]
    try:
        for customer, text in zip(customers, BURST, strict=True):
            customer.send_message(text)
        for customer in customers:
            customer.reply_events()
    finally:
        for customer in customers:
            customer.close()

    for chart, total in before.items():  # the page polls every 5 s
        check = MOVED if chart == "ttft" else GREW
        try:
            page.wait_for_function(check, arg=[chart, total], timeout=20_000)
        except PlaywrightTimeoutError:
            pytest.fail(f"the {chart} chart stayed at {chart_total(page, chart)} (was {total})")
    for figure, count in outcomes_before.items():  # each customer started a conversation
        selector = OUTCOME.format(figure)
        page.wait_for_function(OUTCOME_GREW, arg=[selector, count + len(BURST)], timeout=25_000)
    path = artifacts_dir / "ops-dashboard.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")

    page.click("button[data-window='24h']")
    page.wait_for_function("() => document.querySelector('#plot-replies').dataset.points === '144'")
    assert chart_total(page, "replies") > 0
    assert violations(page, console) == []
