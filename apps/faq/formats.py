"""FAQ catalog files: JSONL and CSV rows in, validated rows out, and the reverse for export.

Row fields: ``id``, ``question``, ``answer``, ``lang`` (zh/en; detected from the question when
empty), ``tags``, ``keywords`` and an optional ``enabled``. In JSONL, ``tags`` and ``keywords``
are lists of strings. In CSV each is one cell with items separated by ``|`` (a ``,`` is accepted
too, so "shipping, fees" works), and export writes ``|``. Unknown fields are ignored. Lines are
numbered from 1, as an editor shows them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from apps.config.languages import detect_language

if TYPE_CHECKING:
    from _typeshed import SupportsWrite  # a file, or a management command's stdout

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ["id", "question", "answer", "lang", "tags", "keywords", "enabled"]
REQUIRED_CSV_COLUMNS = {"id", "question", "answer"}
MAX_ID = 100
MAX_QUESTION = 1000
MAX_ANSWER = 4000
MAX_TAG = 50
MAX_KEYWORD = 100

_ID = re.compile(r"^[\w.:-]+$")
_TAG_SEPARATORS = re.compile(r"[|,]")
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}


class FormatError(ValueError):
    """The file as a whole cannot be read (wrong format, missing CSV columns)."""


class RowInvalid(ValueError):
    """One row is unusable; the message says why, for a person fixing the file."""


@dataclass(frozen=True)
class RawRow:
    line: int
    data: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class FaqRow:
    external_id: str
    question: str
    answer: str
    language: str
    tags: tuple[str, ...] = ()
    enabled: bool | None = None  # None: keep what the database has (True for a new entry)
    keywords: tuple[str, ...] = ()


def format_for(path: str, explicit: str | None = None) -> str:
    fmt = explicit or Path(path).suffix.lower().lstrip(".") or "jsonl"
    if fmt in ("json", "ndjson"):
        fmt = "jsonl"
    if fmt not in FORMATS:
        raise FormatError(f"unknown format {fmt!r}: use .jsonl or .csv (or --format)")
    return fmt


# --- reading ---------------------------------------------------------------------------------


def read_rows(stream: IO[bytes], fmt: str) -> Iterator[RawRow]:
    """Raw rows with their line numbers; a line that does not parse is a RawRow with an error."""
    return _read_jsonl(stream) if fmt == "jsonl" else _read_csv(stream)


def _read_jsonl(stream: IO[bytes]) -> Iterator[RawRow]:
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
        except UnicodeDecodeError:
            yield RawRow(number, error="not valid UTF-8")
            continue
        if not line:
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RawRow(number, error=f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(data, dict):
            yield RawRow(number, error="expected a JSON object")
            continue
        yield RawRow(number, data=data)


def _read_csv(stream: IO[bytes]) -> Iterator[RawRow]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    try:
        header = set(reader.fieldnames or ())
    except UnicodeDecodeError as exc:
        raise FormatError("the CSV file is not valid UTF-8") from exc
    missing = REQUIRED_CSV_COLUMNS - header
    if missing:
        raise FormatError(f"CSV header lacks column(s): {', '.join(sorted(missing))}")
    try:
        yield from _csv_records(reader)
    finally:
        text.detach()  # leave the caller's byte stream open


def _csv_records(reader: csv.DictReader) -> Iterator[RawRow]:
    start = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FormatError(f"line {reader.line_num}: unreadable CSV ({exc})") from exc
        yield _csv_row(start, record)
        start = reader.line_num + 1


def _csv_row(line: int, record: dict[str | None, Any]) -> RawRow:
    if None in record:
        return RawRow(line, error="more cells than the header has columns")
    if not any((v or "").strip() for v in record.values()):
        return RawRow(line, error="empty row")
    return RawRow(line, data={k: v for k, v in record.items() if k is not None})


# --- validation ------------------------------------------------------------------------------


def validate_row(data: dict[str, Any]) -> FaqRow:
    """A clean FaqRow, or RowInvalid naming the first problem found."""
    question = _text(data, "question", MAX_QUESTION)
    return FaqRow(
        external_id=_external_id(data.get("id")),
        question=question,
        answer=_text(data, "answer", MAX_ANSWER),
        language=_language(data.get("lang"), question),
        tags=parse_tags(data.get("tags")),
        enabled=_enabled(data.get("enabled")),
        keywords=parse_keywords(data.get("keywords")),
    )


def _external_id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise RowInvalid("missing 'id'")
    value = value.strip()
    if len(value) > MAX_ID:
        raise RowInvalid(f"'id' is longer than {MAX_ID} characters")
    if not _ID.match(value):
        raise RowInvalid(f"'id' {value!r} may only hold letters, digits, '-', '_', '.' and ':'")
    return value


def _text(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RowInvalid(f"missing '{name}'")
    if len(value) > limit:
        raise RowInvalid(f"'{name}' is longer than {limit} characters")
    return value.strip()


def _language(value: Any, question: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return detect_language(question)
    if not isinstance(value, str):
        raise RowInvalid("'lang' must be 'zh' or 'en'")
    code = value.strip().lower().replace("_", "-").split("-")[0]
    if code not in ("zh", "en"):
        raise RowInvalid(f"'lang' must be 'zh' or 'en', got {value!r}")
    return code


def parse_tags(value: Any) -> tuple[str, ...]:
    """Tags from a list or a ``|``/``,``-separated string: trimmed, lower-case, de-duplicated."""
    return _parse_list(value, "tags", "tag", MAX_TAG)


def parse_keywords(value: Any) -> tuple[str, ...]:
    """Keywords, read like tags: the shop's own words for an entry's question."""
    return _parse_list(value, "keywords", "keyword", MAX_KEYWORD)


def _parse_list(value: Any, field: str, item_name: str, limit: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items: Iterable[Any] = _TAG_SEPARATORS.split(value)
    elif isinstance(value, list):
        items = value
    else:
        raise RowInvalid(f"'{field}' must be a list of strings or a '|'-separated string")
    found: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise RowInvalid(f"'{field}' must hold strings only")
        if isinstance(value, list) and _TAG_SEPARATORS.search(item):
            raise RowInvalid(f"{item_name} {item!r} may not contain '|' or ','")  # CSV splits
        word = item.strip().lower()
        if len(word) > limit:
            raise RowInvalid(f"{item_name} {word[:20]!r}... is longer than {limit} characters")
        if word and word not in found:
            found.append(word)
    return tuple(found)


def _enabled(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return None
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
    raise RowInvalid(f"'enabled' must be true or false, got {value!r}")


# --- writing ---------------------------------------------------------------------------------


def write_rows(rows: Iterable[FaqRow], stream: SupportsWrite[str], fmt: str) -> int:
    """Write rows in the import format; returns how many were written."""
    if fmt == "jsonl":
        return _write_jsonl(rows, stream)
    return _write_csv(rows, stream)


def _as_dict(row: FaqRow) -> dict[str, Any]:
    return {
        "id": row.external_id,
        "question": row.question,
        "answer": row.answer,
        "lang": row.language,
        "tags": list(row.tags),
        "keywords": list(row.keywords),
        "enabled": row.enabled is not False,
    }


def _write_jsonl(rows: Iterable[FaqRow], stream: SupportsWrite[str]) -> int:
    count = 0
    for row in rows:
        stream.write(json.dumps(_as_dict(row), ensure_ascii=False) + "\n")
        count += 1
    return count


def _write_csv(rows: Iterable[FaqRow], stream: SupportsWrite[str]) -> int:
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        record = _as_dict(row)
        record["tags"] = "|".join(row.tags)
        record["keywords"] = "|".join(row.keywords)
        record["enabled"] = "true" if record["enabled"] else "false"
        writer.writerow(record)
        count += 1
    return count
