"""No module under apps/ imports the test suite: what ships must run without tests/ beside it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

APPS = Path(__file__).resolve().parents[1] / "apps"


def imported_modules(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):  # walk, not body: function-level imports count too
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_it_finds_no_import_of_tests_under_apps() -> None:
    offenders = [
        f"{path.relative_to(APPS.parent)}: {name}"
        for path in sorted(APPS.rglob("*.py"))
        for name in imported_modules(ast.parse(path.read_text(encoding="utf-8")))
        if name == "tests" or name.startswith("tests.")
    ]
    assert offenders == []


def test_it_sees_function_level_imports() -> None:
    source = "def f():\n    from tests.bench.faq_cache import cache_hit_e2e\n"
    assert list(imported_modules(ast.parse(source))) == ["tests.bench.faq_cache"]
