"""Every Celery task names its lane: a task on a queue no worker reads is lost, and one on
the reply lane could starve customer replies.

Tasks are found by reading the source of apps/ (not by importing it), so a task in a module
nothing imports yet is checked too; the tasks the app registers are checked as well, with
their queue as Celery resolved it. Modelled on open-chat-studio's guard test.
"""

from __future__ import annotations

import ast
from pathlib import Path

from apps.config import queues
from apps.config.celery import app

APPS = Path(__file__).resolve().parent.parent / "apps"
TASK_DECORATORS = {"shared_task", "task"}  # @shared_task, @app.task, @celery.shared_task


def find_tasks(source: str, filename: str = "<source>") -> dict[str, str | None]:
    """``file:line name`` of each task, and the queue it declares (None: no ``queue=``).

    A queue named by a constant of ``apps.config.queues`` is that constant's value; any
    other expression is returned as written, and is no known lane.
    """
    tasks = {}
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            if _name(call.func if call is not None else decorator) in TASK_DECORATORS:
                tasks[f"{filename}:{node.lineno} {node.name}"] = _queue(call)
    return tasks


def _queue(call: ast.Call | None) -> str | None:
    declared = next((kw.value for kw in call.keywords if kw.arg == "queue"), None) if call else None
    if declared is None:
        return None
    if isinstance(declared, ast.Constant):
        return str(declared.value)
    named = getattr(queues, _name(declared), None) if _name(declared).isupper() else None
    return named if isinstance(named, str) else ast.unparse(declared)


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
    missing = [where for where, queue in tasks.items() if queue is None]
    assert missing == [], "tasks without queue=: " + ", ".join(missing)
    unknown = [f"{where} ({queue})" for where, queue in tasks.items() if queue not in queues.LANES]
    assert unknown == [], "tasks on a queue that is no lane: " + ", ".join(unknown)


def test_every_registered_task_is_on_a_lane() -> None:
    app.loader.import_default_modules()  # the tasks modules of every installed app
    ours = {name: task.queue for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert {"conversations.generate_reply", "faq.record_hit"} <= set(ours), ours
    assert {name: queue for name, queue in ours.items() if queue not in queues.LANES} == {}


def test_the_default_queue_is_the_background_lane() -> None:
    # A task that named no queue would otherwise wait where no worker reads.
    assert app.conf.task_default_queue == queues.BACKGROUND_QUEUE


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

@shared_task(queue=BACKGROUND_QUEUE)
def by_constant(): ...

@shared_task(queue=QUEUE_OF_MY_OWN)
def by_an_unknown_constant(): ...

@shared_task(queue=pick_queue())
def by_a_call(): ...

def plain_function(): ...
"""
    assert find_tasks(source, "bad.py") == {
        "bad.py:6 bare": None,
        "bad.py:9 called_without_queue": None,
        "bad.py:12 on_the_app": None,
        "bad.py:15 declared": "interactive",
        "bad.py:18 declared_on_the_app": "default",
        "bad.py:21 by_constant": "background",
        "bad.py:24 by_an_unknown_constant": "QUEUE_OF_MY_OWN",
        "bad.py:27 by_a_call": "pick_queue()",
    }
    assert [q for q in find_tasks(source).values() if q in queues.LANES] == [
        "interactive",
        "background",
    ]
