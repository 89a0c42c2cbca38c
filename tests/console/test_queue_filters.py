"""The queue in a surge: filters with counts, waiting conversations on top, pages of 50."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from apps.console.selectors import (
    QUEUE_PAGE_SIZE,
    InvalidQueueView,
    QueueView,
    queue_page,
    queue_view,
)
from apps.conversations.models import Conversation
from tests.console.conftest import make_surge

pytestmark = pytest.mark.django_db

AI, WAITING = 255, 5
BAD_VIEWS = [{"filter": "angry"}, {"page": "0"}, {"page": "-1"}, {"page": "2x"}, {"page": "1e9"}]


def ids(page) -> list[int]:
    return [row.conversation.id for row in page.rows]


def test_a_surge_is_filtered_counted_and_paged_with_the_waiting_on_top(alice, alice_client):
    surge = make_surge(ai=AI, waiting=WAITING)
    mine = surge[7]
    Conversation.objects.filter(id=mine.id).update(status="human", assigned_agent=alice)

    first = queue_page(QueueView(), alice)
    negatives = len(range(0, AI, 10))
    assert {tab.name: tab.count for tab in first.filters} == {
        "waiting": WAITING,
        "negative": negatives,
        "mine": 1,
        "all": AI + WAITING,
    }
    assert set(ids(first)[:WAITING]) == {c.id for c in surge[AI:]}
    assert len(first.rows) == QUEUE_PAGE_SIZE and first.pages == 6

    # Every conversation is on exactly one page.
    pages = [queue_page(QueueView("all", number), alice) for number in range(1, 7)]
    seen = [conversation_id for page in pages for conversation_id in ids(page)]
    assert len(seen) == len(set(seen)) == AI + WAITING
    assert pages[-1].next is None and pages[-1].previous == QueueView("all", 5)
    # The queue shrank under the agent: a page past the end shows the last one.
    assert queue_page(QueueView("all", 99), alice).view == QueueView("all", 6)

    waiting = queue_page(QueueView("waiting"), alice).rows
    assert {row.conversation.status for row in waiting} == {"waiting_human"}
    negative = queue_page(QueueView("negative"), alice).rows
    assert len(negative) == negatives and {r.conversation.sentiment for r in negative} == {
        "negative"
    }
    assert ids(queue_page(QueueView("mine"), alice)) == [mine.id]
    assert queue_page(QueueView("mine"), AnonymousUser()).rows == []

    # The page, its links and its socket all name the same filter and page.
    body = alice_client.get("/console/", {"filter": "all", "page": "2"}).content.decode()
    assert 'ws-connect="/ws/console/queue/?filter=all&amp;page=2"' in body
    assert 'href="?filter=all&amp;page=3"' in body and 'href="?filter=all&amp;page=1"' in body
    assert f'data-count="waiting">{WAITING}<' in body


def test_it_refuses_a_filter_or_page_that_does_not_exist(alice_client):
    for params in BAD_VIEWS:
        with pytest.raises(InvalidQueueView):
            queue_view(params)
        for url in ("/console/", "/console/queue/"):
            response = alice_client.get(url, params)
            assert response.status_code == 400, (url, params)
            assert response["Content-Type"].startswith("text/plain")
