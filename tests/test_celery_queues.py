"""Every Celery task names its queue: a task on the default queue could starve customer replies.

Tasks are found by reading the source of apps/ (not by importing it), so a task in a module
nothing imports yet is checked too. Modelled on open-chat-studio's guard test.
"""

from __future__ import annotations

import ast
from pathlib import Path

APPS = Path(__file__).resolve().parent.parent / "apps"
TASK_DECORATORS = {"shared_task", "task"}  # @shared_task, @app.task, @celery.shared_task


def find_tasks(source: str, filename: str = "<source>") -> dict[str, bool]:
    """``file:line name`` of each task, and whether it declares ``queue=``."""
    tasks = {}
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            if _name(call.func if call is not None else decorator) in TASK_DECORATORS:
                has_queue = call is not None and any(kw.arg == "queue" for kw in call.keywords)
                tasks[f"{filename}:{node.lineno} {node.name}"] = has_queue
    return tasks


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def test_every_task_in_apps_declares_its_queue() -> None:
    tasks: dict[str, bool] = {}
    for path in sorted(APPS.rglob("*.py")):
        tasks |= find_tasks(path.read_text(encoding="utf-8"), str(path.relative_to(APPS)))
    # A guard that found no task at all would pass for ever.
    assert any(where.endswith(" generate_reply") for where in tasks), tasks
    missing = [where for where, has_queue in tasks.items() if not has_queue]
    assert missing == [], "tasks without queue=: " + ", ".join(missing)


def test_the_guard_finds_tasks_without_a_queue() -> None:
    source = """
from celery import shared_task
from apps.config.celery import app

@shared_task
def bare(): ...

@shared_task(ignore_result=True)
def called_without_queue(): ...

@app.task(bind=True)
def on_the_app(self): ...

@shared_task(queue="interactive")
def declared(): ...

@app.task(queue="default")
async def declared_on_the_app(): ...

def plain_function(): ...
"""
    assert find_tasks(source, "bad.py") == {
        "bad.py:6 bare": False,
        "bad.py:9 called_without_queue": False,
        "bad.py:12 on_the_app": False,
        "bad.py:15 declared": True,
        "bad.py:18 declared_on_the_app": True,
    }
