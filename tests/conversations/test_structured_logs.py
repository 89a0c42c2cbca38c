"""The real stack's logs are JSON lines that carry a reply's conversation, message and
task ids, and never a word the customer wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.conversations.models import Message
from tests.stack import wait_until

pytestmark = pytest.mark.slow

# Words no log line may hold; not a question the FAQ or the answer cache could answer.
PRIVATE = "Zebulon Quixote, card 4111 1111 1111 1111, 42 Wallaby Way"


def log_lines(workdir: Path) -> list[dict]:
    lines = []
    for path in workdir.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
    return lines


def test_a_replys_logs_carry_its_ids_and_never_the_customers_words(chat, live_stack):
    client = chat()
    client.send_message(PRIVATE)
    end = client.reply_events()[-1]
    reply = Message.objects.get(id=end["message_id"])

    def finished() -> list[dict]:
        return [
            line
            for line in log_lines(live_stack.workdir)
            if line["event"] == "reply finished" and line.get("message_id") == reply.id
        ]

    wait_until(lambda: bool(finished()), timeout=10)
    (line,) = finished()
    assert line["conversation_id"] == reply.conversation_id
    assert line["route"] == end["route"] and line["logger"] == "apps.conversations.replies"
    assert line["task_id"]  # written by the worker's task, which bound its id
    opened = [
        line
        for line in log_lines(live_stack.workdir)
        if line["event"].startswith("chat socket opened")
        and line.get("conversation_id") == reply.conversation_id
    ]
    assert opened, "the web process's lines for this socket carry its conversation"
    for path in live_stack.workdir.glob("*.log"):
        text = path.read_text(errors="replace")
        # The card number whole: "4111" alone turns up in task ids, ports and row ids.
        for word in ("Zebulon", "Quixote", "4111 1111 1111 1111", "Wallaby"):
            assert word not in text, f"{path.name} logged the customer's words"
