"""``manage.py sentiment_tag`` I/O contract (used by an external evaluation). No database."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.core.management import call_command

from apps.sentiment.management.commands.sentiment_tag import tag_line


def run(stdin_text: str) -> list[dict]:
    out = io.StringIO()
    call_command("sentiment_tag", stdin=io.StringIO(stdin_text), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_line_per_message_in_input_order() -> None:
    lines = [
        {"id": "m1", "text": "退款怎么还没到"},
        {"id": 2, "text": "How do I get a refund?"},
        {"id": "m3", "text": "Thanks, problem solved!"},
    ]
    results = run("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    assert [r["id"] for r in results] == ["m1", 2, "m3"]
    assert [r["label"] for r in results] == ["negative", "neutral", "positive"]
    for result in results:
        assert set(result) == {"id", "label", "score"}
        assert isinstance(result["score"], float)
        assert -1.0 <= result["score"] <= 1.0
    assert results[0]["score"] < 0


def test_output_is_utf8_not_escaped() -> None:
    out = io.StringIO()
    call_command(
        "sentiment_tag", stdin=io.StringIO('{"id": "消息一", "text": "很好"}\n'), stdout=out
    )
    assert '"消息一"' in out.getvalue()
    assert "\\u" not in out.getvalue()


def test_reads_sys_stdin_when_no_stdin_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"id": 7, "text": "质量太差"}\n'))
    out = io.StringIO()
    call_command("sentiment_tag", stdout=out)
    (line,) = out.getvalue().splitlines()
    result = json.loads(line)
    assert (result["id"], result["label"]) == (7, "negative")
    assert result["score"] < 0


def test_malformed_lines_get_an_error_and_processing_continues() -> None:
    stdin = "\n".join(
        [
            '{"id": "ok1", "text": "不错"}',
            "this is not json",
            '{"id": "broken", "text": "unterminated',
            '["not", "an", "object"]',
            '{"id": "no-text"}',
            '{"id": "bad-text", "text": 42}',
            "",
            '{"id": "ok2", "text": "太慢了"}',
        ]
    )
    results = run(stdin)
    assert len(results) == 7  # the blank line is skipped, every other line answered
    assert results[0] == {"id": "ok1", "label": "positive", "score": results[0]["score"]}
    assert results[1]["id"] is None and "invalid JSON" in results[1]["error"]
    assert results[2]["id"] == "broken" and "invalid JSON" in results[2]["error"]
    assert results[3]["id"] is None and "object" in results[3]["error"]
    assert results[4] == {"id": "no-text", "error": 'missing or non-string "text"'}
    assert results[5]["id"] == "bad-text" and "error" in results[5]
    assert results[6]["id"] == "ok2" and results[6]["label"] == "negative"


def test_missing_id_is_null() -> None:
    assert run('{"text": "hello"}\n') == [{"id": None, "label": "neutral", "score": 0.0}]


def test_flushes_after_every_line() -> None:
    class CountingStream(io.StringIO):
        flushes = 0

        def flush(self) -> None:
            self.flushes += 1
            super().flush()

    out = CountingStream()
    call_command(
        "sentiment_tag", stdin=io.StringIO('{"id":1,"text":"a"}\n{"id":2,"text":"b"}\n'), stdout=out
    )
    assert out.flushes >= 2


def test_help_mentions_malformed_lines(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        call_command("sentiment_tag", "--help")
    help_text = capsys.readouterr().out
    assert "malformed" in help_text
    assert '"error"' in help_text


def test_tag_line_never_raises_on_garbage() -> None:
    for line in ["{", "null", "1", '"text"', '{"id": {"nested": 1}, "text": "ok"}']:
        result = tag_line(line)
        assert "id" in result
