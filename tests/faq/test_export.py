from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from apps.faq.models import FaqEntry
from tests.faq.conftest import DEMO_CATALOG

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple]:
    return list(
        FaqEntry.objects.order_by("external_id").values_list(
            "external_id", "question", "answer", "language", "tags", "keywords", "enabled"
        )
    )


def test_it_exports_the_import_format_to_stdout(demo_catalog):
    out = io.StringIO()
    call_command("faq_export", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    source = [json.loads(line) for line in DEMO_CATALOG.read_text().splitlines()]
    assert len(rows) == 47
    assert [
        {k: r[k] for k in source_row} for r, source_row in zip(rows, source, strict=True)
    ] == source
    assert sum(bool(r["keywords"]) for r in rows) == sum("keywords" in s for s in source) > 0
    assert all(r["enabled"] is True for r in rows)


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_an_export_imports_back_unchanged(demo_catalog, tmp_path, suffix):
    FaqEntry.objects.filter(external_id="invoice").update(enabled=False)
    before = _snapshot()
    path = tmp_path / f"faq.{suffix}"
    call_command("faq_export", str(path))
    out = io.StringIO()
    call_command("faq_import", str(path), no_progress=True, stdout=out)
    assert "created 0, updated 0, unchanged 47, rejected 0" in out.getvalue()
    FaqEntry.objects.all().delete()
    call_command("faq_import", str(path), no_progress=True, stdout=io.StringIO())
    assert _snapshot() == before
