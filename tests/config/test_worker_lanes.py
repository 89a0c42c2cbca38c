"""A worker knows its lanes from ``-Q``: only a reply worker loads the model and reaps."""

from __future__ import annotations

from types import SimpleNamespace

from celery import Celery

from apps.config.queues import BACKGROUND_QUEUE, INTERACTIVE_QUEUE, consumes


def worker_started_with(*queues: str) -> SimpleNamespace:
    """What ``worker_ready`` sends, as far as lanes go: a consumer of a started app."""
    app = Celery(set_as_current=False)
    app.amqp.queues.select(list(queues))  # what ``celery worker -Q`` does
    return SimpleNamespace(app=app)


def test_a_background_worker_is_no_reply_worker():
    worker = worker_started_with(BACKGROUND_QUEUE)
    assert consumes(worker, BACKGROUND_QUEUE)
    assert not consumes(worker, INTERACTIVE_QUEUE)


def test_a_reply_worker_consumes_the_interactive_lane():
    worker = worker_started_with(INTERACTIVE_QUEUE)
    assert consumes(worker, INTERACTIVE_QUEUE)
    assert not consumes(worker, BACKGROUND_QUEUE)
