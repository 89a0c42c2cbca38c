"""Imports run one way, down the floors:

    roof (dashboard) → (console, api) → conversations → inference → (faq, sentiment) → ops
    → config

An app may import its own modules and any app on a lower floor. Apps that share a floor
(console and the OpenAI-compatible api; faq and sentiment) do not import each other.
Nothing imports the roof. The config modules that wire every app together (settings, URL
confs, ASGI) sit above the roof, and nothing imports them. The demo model's builder stands on
the roof too: build tooling, nothing imports it. No module under apps/ imports the test suite.

Every import counts: module-level, function-level (a function-level import must not hide
an upward one), and the string given to ``import_module`` or ``import_string``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

APPS_DIR = Path(__file__).resolve().parent.parent / "apps"

FLOORS = {
    "config": 0,
    "ops": 1,
    "faq": 2,
    "sentiment": 2,
    "inference": 3,
    "conversations": 4,
    "console": 5,
    "api": 5,  # the OpenAI-compatible API: a channel to conversations, as the console is
    "dashboard": 6,
    "demo_model": 6,  # build tooling (manage.py build_demo_model): imports no app
}
# The composition root: INSTALLED_APPS and the dotted paths in settings, the URL confs and
# the ASGI application name every app, and the web process's entry point warms up what
# the edge answers from. They may import anything.
WIRING = (
    "apps.config.settings",
    "apps.config.urls",
    "apps.config.websocket_urls",
    "apps.config.asgi",
    "apps.config.web",
)
WIRING_FLOOR = max(FLOORS.values()) + 1
DYNAMIC_IMPORTERS = {"import_module", "import_string"}


@dataclass(frozen=True)
class Import:
    target: str
    line: int


def _is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def floor_of(module: str) -> int | None:
    """The floor of an ``apps.*`` module; None for anything else (Django, libraries)."""
    if any(_is_within(module, wiring) for wiring in WIRING):
        return WIRING_FLOOR
    parts = module.split(".")
    if parts[0] != "apps" or len(parts) < 2:
        return None
    return FLOORS.get(parts[1], WIRING_FLOOR + 1)  # an app without a floor fails any import


def _app(module: str) -> str:
    return module.split(".")[1]


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module of ``from [.]x import y``."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str, source: str, *, is_package: bool = False) -> list[Import]:
    """Every module ``source`` imports, wherever the import stands."""
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node)
            found += [Import(f"{base}.{alias.name}", node.lineno) for alias in node.names]
        elif isinstance(node, ast.Call) and _dynamic_target(node):
            found.append(Import(_dynamic_target(node), node.lineno))
    return found


def _dynamic_target(call: ast.Call) -> str:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in DYNAMIC_IMPORTERS or not call.args:
        return ""
    first = call.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""


def violation(module: str, target: str) -> str | None:
    """Why ``module`` may not import ``target``, or None when it may."""
    if _is_within(target, "tests"):
        return "imports the test suite"
    source_floor, target_floor = floor_of(module), floor_of(target)
    if target_floor is None or source_floor is None:
        return None
    if _app(module) == _app(target) and source_floor == target_floor:
        return None
    if target_floor < source_floor:
        return None
    return f"imports a floor at or above its own ({_app(target)})"


def violations(module: str, source: str, *, path: str = "", is_package: bool = False) -> list[str]:
    where = path or module
    problems = []
    for found in imports_of(module, source, is_package=is_package):
        reason = violation(module, found.target)
        if reason:
            problems.append(f"{where}:{found.line}: {module} {reason}: {found.target}")
    return problems


def module_name(path: Path) -> str:
    parts = path.relative_to(APPS_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_it_finds_no_import_against_the_floors():
    problems = []
    for path in sorted(APPS_DIR.rglob("*.py")):
        module = module_name(path)
        source = path.read_text(encoding="utf-8")
        problems += violations(
            module, source, path=str(path), is_package=path.name == "__init__.py"
        )
    assert not problems, "\n".join(problems)


def test_it_gives_every_app_a_floor():
    apps = {p.parent.name for p in APPS_DIR.glob("*/__init__.py")}
    assert apps == set(FLOORS), "add the new app to FLOORS (and to the README's layout table)"


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("apps.ops.services", "from apps.faq.answer_cache import invalidate_all\n"),
        ("apps.ops.flags", "def load():\n    from apps.inference import breakers\n"),
        ("apps.inference.router", "import apps.conversations.selectors\n"),
        ("apps.faq.retrieval", "from apps.sentiment import tagger\n"),  # same floor
        ("apps.api.views", "from apps.console import selectors\n"),  # same floor
        ("apps.conversations.staff", "from apps.api.tasks import push_agent_message\n"),
        ("apps.console.views", "from apps.dashboard.health import health_report\n"),
        ("apps.ops.permissions", "from apps.config import urls\n"),
        ("apps.conversations.services", "from tests.stack import LiveStack\n"),
        ("apps.inference.service", "import_module('apps.console.selectors')\n"),
        (
            "apps.faq.text",
            "from django.utils.module_loading import import_string\n"
            "f = import_string('apps.inference.service.stream_reply')\n",
        ),
        ("apps.ops.models", "from ..faq import models\n"),
    ],
)
def test_it_catches_an_upward_import(module: str, source: str):
    assert len(violations(module, source)) == 1, source


def test_it_allows_imports_down_the_floors():
    source = (
        "from apps.conversations.selectors import replies_waiting\n"
        "from apps.inference import engine_stats\n"
        "from apps.ops.counters import observe_reply\n"
        "from apps.config.redis_client import shared_redis\n"
        "from . import metrics\n"
        "import django.db\n"
    )
    assert violations("apps.dashboard.views", source) == []
    assert violations("apps.config.urls", "from apps.dashboard import views\n") == []
