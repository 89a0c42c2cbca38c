from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from apps.faq.formats import read_rows
from apps.faq.models import FaqEntry
from apps.faq.services import faq_import_rows

pytestmark = pytest.mark.django_db


def _jsonl(*rows: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows)


def _row(id: str, **extra) -> dict:
    return {
        "id": id,
        "question": f"Question {id}?",
        "answer": f"Answer {id}.",
        "lang": "en",
    } | extra


def _import(content: str, fmt: str = "jsonl"):
    return faq_import_rows(rows=read_rows(io.BytesIO(content.encode()), fmt))


def test_it_creates_entries_from_jsonl():
    report = _import(_jsonl(_row("a", tags=["Shipping", "fees", "shipping"]), _row("b")))
    assert (report.created, report.updated, report.unchanged, report.rejected) == (2, 0, 0, [])
    entry = FaqEntry.objects.get(external_id="a")
    assert entry.tags == ["shipping", "fees"]
    assert entry.enabled is True


def test_it_is_idempotent_on_reimport():
    content = _jsonl(_row("a"), _row("b"))
    _import(content)
    report = _import(content)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert FaqEntry.objects.count() == 2


def test_it_updates_a_changed_entry_and_keeps_its_hit_count():
    _import(_jsonl(_row("a")))
    FaqEntry.objects.filter(external_id="a").update(hit_count=5)
    report = _import(_jsonl(_row("a", answer="New answer.")))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    entry = FaqEntry.objects.get(external_id="a")
    assert (entry.answer, entry.hit_count) == ("New answer.", 5)


def test_it_rejects_bad_rows_by_line_and_keeps_the_good_ones():
    content = _jsonl(
        _row("good-1"),
        "{not json",
        {"id": "no-answer", "question": "Q?", "lang": "en"},
        _row("bad-lang", lang="fr"),
        _row("bad id"),
        "[1, 2]",
        "",
        _row("good-2"),
    )
    report = _import(content)
    assert report.created == 2
    lines = {e.line: e.message for e in report.rejected}
    assert sorted(lines) == [2, 3, 4, 5, 6]
    assert "invalid JSON" in lines[2]
    assert lines[3] == "missing 'answer'"
    assert "'lang' must be 'zh' or 'en'" in lines[4]
    assert "may only hold" in lines[5]
    assert lines[6] == "expected a JSON object"
    assert set(FaqEntry.objects.values_list("external_id", flat=True)) == {"good-1", "good-2"}


def test_a_tag_with_a_separator_is_rejected():
    report = _import(_jsonl(_row("a", tags=["fees|shipping"])))
    assert [e.message for e in report.rejected] == [
        "tag 'fees|shipping' may not contain '|' or ','"
    ]


def test_a_repeated_id_keeps_the_last_row_and_is_reported():
    report = _import(_jsonl(_row("a", answer="first"), _row("b"), _row("a", answer="last")))
    assert report.created == 2
    assert report.duplicates == {"a": [1, 3]}
    assert FaqEntry.objects.get(external_id="a").answer == "last"


def test_it_detects_the_language_when_lang_is_empty():
    _import(_jsonl({"id": "zh-1", "question": "怎么退款？", "answer": "原路退回。"}))
    assert FaqEntry.objects.get(external_id="zh-1").language == "zh"


def test_enabled_is_kept_when_the_row_does_not_say():
    _import(_jsonl(_row("a", enabled=False)))
    report = _import(_jsonl(_row("a")))
    assert report.unchanged == 1
    assert FaqEntry.objects.get(external_id="a").enabled is False


def test_it_reads_csv_with_pipe_or_comma_tags():
    content = (
        "id,question,answer,lang,tags\n"
        'a,"How much, roughly?",Cheap.,en,shipping|fees\n'
        'b,退款多久？,五天。,zh,"returns, refunds"\n'
        "c,,missing question,en,\n"
    )
    report = _import(content, "csv")
    assert report.created == 2
    assert [(e.line, e.message) for e in report.rejected] == [(4, "missing 'question'")]
    assert FaqEntry.objects.get(external_id="a").tags == ["shipping", "fees"]
    assert FaqEntry.objects.get(external_id="b").tags == ["returns", "refunds"]


def test_csv_line_numbers_count_multiline_cells():
    content = 'id,question,answer,lang\na,"Two\nlines?",Yes.,en\nb,Q?,,en\n'
    report = _import(content, "csv")
    assert [e.line for e in report.rejected] == [4]


def test_the_command_prints_counts_and_fails_on_rejected_rows(write_file):
    path = write_file("faq.jsonl", _jsonl(_row("a"), "oops", _row("b")))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 row"):
        call_command("faq_import", str(path), no_progress=True, stdout=out, stderr=err)
    assert "created 2, updated 0, unchanged 0, rejected 1" in out.getvalue()
    assert "line 2" in err.getvalue()
    assert FaqEntry.objects.count() == 2


def test_the_command_reads_csv_by_suffix(write_file):
    path = write_file("faq.csv", "id,question,answer,lang,tags\na,Q?,A.,en,x|y\n")
    out = io.StringIO()
    call_command("faq_import", str(path), no_progress=True, stdout=out)
    assert "created 1" in out.getvalue()


def test_the_command_rejects_a_csv_without_required_columns(write_file):
    path = write_file("faq.csv", "id,question\na,Q?\n")
    with pytest.raises(CommandError, match="answer"):
        call_command("faq_import", str(path), no_progress=True, stdout=io.StringIO())


def test_the_command_reads_stdin():
    out = io.StringIO()
    stdin = io.StringIO(_jsonl(_row("a")))
    call_command("faq_import", "-", format="jsonl", no_progress=True, stdin=stdin, stdout=out)
    assert "created 1" in out.getvalue()


def test_the_demo_catalog_imports_cleanly():
    out = io.StringIO()
    call_command("load_demo_faq", stdout=out)
    assert "created 47, updated 0, unchanged 0, rejected 0" in out.getvalue()


def test_keywords_come_in_as_a_list_in_jsonl_and_a_cell_in_csv():
    _import(_jsonl(_row("a", keywords=["Teamwear", "团服", "teamwear"])))
    csv = 'id,question,answer,keywords\nb,Question b?,Answer b.,"kit | 队服"\n'
    _import(csv, "csv")
    assert FaqEntry.objects.get(external_id="a").keywords == ["teamwear", "团服"]
    assert FaqEntry.objects.get(external_id="b").keywords == ["kit", "队服"]


def test_changed_keywords_update_an_entry_and_bad_ones_are_rejected_clearly():
    _import(_jsonl(_row("a")))
    report = _import(_jsonl(_row("a", keywords=["kit"]), _row("b", keywords={"kit": 1})))
    assert report.updated == 1
    assert [str(e) for e in report.rejected] == [
        "line 2 (id 'b'): 'keywords' must be a list of strings or a '|'-separated string"
    ]
