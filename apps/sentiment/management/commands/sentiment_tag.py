"""``manage.py sentiment_tag``: tag JSONL messages from stdin, one JSON line out per line in.

The I/O format is used by an external evaluation; keep it stable.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from django.core.management.base import BaseCommand

from apps.sentiment.tagger import tag

# Best effort: recover the id from a line that is not valid JSON, so the caller can match it up.
_ID_IN_BROKEN_LINE = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)')


def _salvage_id(line: str) -> Any:
    match = _ID_IN_BROKEN_LINE.search(line)
    if not match:
        return None
    try:
        return json.loads(match.group(1))
    except json.JSONDecodeError:
        return None


def tag_line(line: str) -> dict[str, Any]:
    """One input line → one output object; never raises."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": _salvage_id(line), "error": f"invalid JSON: {exc.msg} at column {exc.colno}"}
    if not isinstance(record, dict):
        return {"id": None, "error": 'expected a JSON object with "id" and "text"'}
    record_id = record.get("id")
    text = record.get("text")
    if not isinstance(text, str):
        return {"id": record_id, "error": 'missing or non-string "text"'}
    try:
        result = tag(text)
    except Exception as exc:  # a tagger bug must not stop the stream
        return {"id": record_id, "error": f"tagger failed: {type(exc).__name__}: {exc}"}
    return {"id": record_id, "label": result.label, "score": result.score}


def tag_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Blank lines are skipped; every other line yields exactly one object, in order."""
    for raw in lines:
        line = raw.strip()
        if line:
            yield tag_line(line)


def _force_utf8(stream: Any, *, errors: str) -> None:
    """Real stdio under a non-UTF-8 locale would mangle Chinese; StringIO has no encoding."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if encoding and encoding != "utf8" and hasattr(stream, "reconfigure"):
        stream.reconfigure(encoding="utf-8", errors=errors)


class Command(BaseCommand):
    help = (
        'Read JSONL messages {"id", "text"} on stdin and write one JSON line per message, '
        'in input order: {"id", "label", "score"} with label negative|neutral|positive and '
        "score in [-1, 1] (negative < 0). A malformed line (invalid JSON, not an object, "
        'missing or non-string "text") gets {"id": <id or null>, "error": "..."} on its line '
        "and processing continues; blank lines are skipped. Output is UTF-8 "
        "(ensure_ascii=False) and flushed after every line. Needs no database."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False
    # call_command(..., stdin=io.StringIO(...)) is accepted, as for createsuperuser.
    stealth_options = ("stdin",)

    def handle(self, *args: Any, **options: Any) -> None:
        source: TextIO = options.get("stdin") or sys.stdin  # resolved late: tests patch it
        _force_utf8(source, errors="replace")  # a stray bad byte must not end the stream
        _force_utf8(self.stdout, errors="strict")
        for result in tag_lines(source):
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            self.stdout.flush()
