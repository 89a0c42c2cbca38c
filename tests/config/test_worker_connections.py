"""A reply worker keeps its Postgres connections from task to task, as Django keeps a web
process's (CONN_MAX_AGE): Celery's Django fix-up would close them after every task, and
each reply paid for a new connection before its first token.

The real stack's worker; Postgres itself says which connections it holds, since when, and
the last statement each ran (pg_stat_activity, by the worker's ``application_name``).
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from django.db import connection

from tests.stack import process_db_name

pytestmark = pytest.mark.slow


def _now() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def _kept_since(name: str, before: datetime, timeout: float = 5.0) -> list[int]:
    """The worker's idle connections that ended a task's transaction and were opened
    before ``before``: a task's connection that outlived it, for the tasks after."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
                " AND datname = current_database() AND state = 'idle' AND query = 'COMMIT'"
                " AND backend_start < %s",
                [name, before],
            )
            pids = [pid for (pid,) in cursor.fetchall()]
        if pids or time.monotonic() > deadline:
            return pids
        time.sleep(0.1)


def test_a_reply_worker_keeps_its_connection_for_the_next_task(live_stack, chat):
    name = process_db_name(live_stack.env, "worker")
    client = chat()
    client.send_message("How long does delivery take?")
    assert client.reply_events(timeout=60)[-1]["type"] == "reply.end"
    before_second = _now()
    client.send_message("Do you ship to Hong Kong?")
    assert client.reply_events(timeout=60)[-1]["type"] == "reply.end"
    # The fix-up closed a task's connection as the task ended: none was ever left idle.
    assert _kept_since(name, before_second)
