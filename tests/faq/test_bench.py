from __future__ import annotations

import pytest

from tests.bench import faq as bench
from tests.faq.conftest import DATA, DEMO_CATALOG


@pytest.mark.django_db
def test_the_bench_reports_the_agreed_fields():
    result = bench.run(
        eval_path=DATA / "eval.jsonl",
        catalog_path=DEMO_CATALOG,
        dev_dir=None,
        blind_dir=None,
        filler=50,
        rounds=1,
    )
    for name in (
        "top1_accuracy",
        "abstain_accuracy",
        "cross_lang_accuracy",
        "match_ms_p50",
        "match_ms_p99",
        "n_in_scope",
        "n_out_of_scope",
    ):
        assert name in result
    assert result["n_in_scope"] >= 110 and result["n_out_of_scope"] >= 30
    assert result["n_cross_lang"] >= result["n_in_scope"] / 3
    assert result["sets"] == {"demo": "tuned"}


def test_the_eval_set_only_names_catalog_entries():
    ids = {line.split('"id": "')[1].split('"')[0] for line in DEMO_CATALOG.read_text().splitlines()}
    import json

    for name in ("eval.jsonl", "dev.jsonl", "holdout.jsonl"):
        for line in (DATA / name).read_text().splitlines():
            case = json.loads(line)
            assert set(case) == {"text", "faq_id"}
            assert case["faq_id"] is None or case["faq_id"] in ids
