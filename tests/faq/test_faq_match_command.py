from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _run(lines: list[str]) -> list[dict]:
    out = io.StringIO()
    call_command("faq_match", stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_it_writes_one_line_per_input_in_order(demo_catalog):
    results = _run(
        [
            json.dumps({"id": "q1", "text": "can I get an invoice?"}),
            json.dumps({"id": 2, "text": "do you sell laptops"}),
            json.dumps({"id": "q3", "text": "退款多久到账"}),
        ]
    )
    assert [r["id"] for r in results] == ["q1", 2, "q3"]
    assert [r["faq_id"] for r in results] == ["invoice", None, "refund-time-zh"]
    assert all(set(r) == {"id", "faq_id", "score"} for r in results)
    assert all(isinstance(r["score"], float) and 0.0 <= r["score"] <= 1.0 for r in results)


def test_a_malformed_line_gets_an_error_and_the_rest_continue(demo_catalog):
    results = _run(["{broken", json.dumps({"id": "x"}), json.dumps({"id": "y", "text": "refund"})])
    assert results[0] == {"id": None, "faq_id": None, "score": 0.0, "error": results[0]["error"]}
    assert results[1]["id"] == "x" and results[1]["error"] == "missing 'text'"
    assert results[2]["faq_id"] == "refund-time"
