"""The Celery lanes, named once. Every task names its lane (tests/test_celery_queues.py).

- ``interactive``: customer replies, nothing else. Its workers run the local model and
  the reply reaper; a customer never waits behind batch work.
- ``background``: everything else (FAQ hit counts and embedding today), on a small worker
  of its own.

There is no ``default`` lane: the default queue is ``background``, so a task that slipped
past the guard test still lands where it cannot delay a reply, and is still consumed.
"""

from __future__ import annotations

from typing import Any

INTERACTIVE_QUEUE = "interactive"
BACKGROUND_QUEUE = "background"
LANES = (INTERACTIVE_QUEUE, BACKGROUND_QUEUE)


def consumes(worker: Any, queue: str) -> bool:
    """Whether the worker (the ``sender`` of ``worker_ready``) consumes ``queue`` (``-Q``)."""
    return queue in worker.app.amqp.queues.consume_from
