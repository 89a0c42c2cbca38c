"""One language layer: customer texts are gettext messages (``locale/``), not ``{"en": …,
"zh": …}`` dicts, and one ``detect_language`` decides which language a text is in."""

from __future__ import annotations

import ast
from pathlib import Path

APPS_DIR = Path(__file__).resolve().parent.parent / "apps"
LANGUAGE_KEYS = {"en", "zh"}


def _is_text(node: ast.expr) -> bool:
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) and _is_text(node.right)
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _language_items(node: ast.AST) -> dict[str, ast.expr]:
    if isinstance(node, ast.Dict):
        pairs = zip(node.keys, node.values, strict=True)
        return {k.value: v for k, v in pairs if isinstance(k, ast.Constant) and k.value}
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "dict":
        return {kw.arg: kw.value for kw in node.keywords if kw.arg}
    return {}


def language_dicts(source: str) -> list[int]:
    """Lines of texts keyed by language code: ``{"en": "…", "zh": "…"}`` or
    ``dict(en=…, zh=…)``. Word lists keyed by language (training data) are not texts."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        items = _language_items(node)
        if set(items) >= LANGUAGE_KEYS and all(_is_text(items[k]) for k in LANGUAGE_KEYS):
            lines.append(node.lineno)
    return lines


def sources() -> list[tuple[Path, str]]:
    return [(p, p.read_text(encoding="utf-8")) for p in sorted(APPS_DIR.rglob("*.py"))]


def test_it_finds_no_per_language_text_dicts_in_apps():
    found = [f"{path}:{line}" for path, source in sources() for line in language_dicts(source)]
    assert not found, "use gettext (apps.config.languages.customer_text):\n" + "\n".join(found)


def test_it_catches_a_per_language_text_dict():
    assert language_dicts('CLOSED = {"en": "Closed.", "zh": "已结束。"}\n') == [1]
    assert language_dicts('def f():\n    return dict(zh="好", en="ok")["en"]\n') == [2]
    assert language_dicts('Q = {"en": "{n} ahead " + "of you", "zh": f"前面 {n} 位"}\n') == [1]
    assert language_dicts('ROUTES = {"en": 1, "local": 2}\n') == []
    assert language_dicts('OPENERS = {"en": ["hi, "], "zh": ["你好，"]}\n') == []


def test_it_keeps_one_detect_language():
    defined = [
        str(path)
        for path, source in sources()
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef) and node.name == "detect_language"
    ]
    assert defined == [str(APPS_DIR / "config" / "languages.py")]
