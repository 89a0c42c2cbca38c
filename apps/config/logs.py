"""Structured logs: one JSON object a line, carrying the ids of the work at hand.

Code binds the ids it works on (``log_context`` around a unit of work, ``bind`` for a
websocket consumer's whole life) and every line logged meanwhile carries them, in any
process: ``conversation_id``, ``message_id``, ``task_id``. Fields passed as ``extra=``
are written too. Logs carry ids and figures, never a message's text: a customer's words
stay in Postgres, behind staff login.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_bound: ContextVar[dict[str, object] | None] = ContextVar("log_ids", default=None)
# What every LogRecord has; anything else on a record came in through ``extra=``.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def bound_ids() -> dict[str, object]:
    return dict(_bound.get() or {})


def bind(**ids: object) -> None:
    """Add ``ids`` to every line this context logs from now on (a consumer's task, a
    Celery task's thread until ``unbind_all``)."""
    _bound.set({**bound_ids(), **ids})


def unbind_all() -> None:
    _bound.set(None)


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Add ``ids`` to every line logged inside the block."""
    token = _bound.set({**bound_ids(), **ids})
    try:
        yield
    finally:
        _bound.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            **bound_ids(),
        }
        entry.update((k, v) for k, v in vars(record).items() if k not in _RECORD_FIELDS)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
