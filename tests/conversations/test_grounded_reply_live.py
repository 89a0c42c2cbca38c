"""A cloud reply about a policy carries the FAQ's fact, and the console names its reference.

The real stack (Daphne, a Celery worker) and the real "cloud" (``mlx_lm.server`` with the
demo model), with the demo FAQ, asked the question issue 15 found answered with the restock
entry: the prompt carries the shipping entry, the reply says its fact and records it.
"""

from __future__ import annotations

import pytest

from apps.conversations.models import Message
from tests.stack import start_live_stack

pytestmark = pytest.mark.slow

QUESTION = "下单后多久发货?"
ENTRY = "ship-time-zh"
FACT = "1-2天内发货"


def test_a_cloud_reply_is_grounded_in_the_faq_and_the_console_names_its_entry(
    paced_cloud, tmp_path, admin_client
):
    stack = start_live_stack(tmp_path, CLOUD_BASE_URL=paced_cloud.base_url)
    try:
        client = stack.chat_client()
        client.send_message(QUESTION)
        end = client.reply_events(timeout=90)[-1]
    finally:
        stack.stop()
    assert end["route"] == "cloud"
    assert FACT in end["text"]
    reply = Message.objects.get(id=end["message_id"])
    assert reply.grounded_on == [ENTRY]
    page = admin_client.get(f"/console/{reply.conversation_id}/")
    assert page.status_code == 200
    assert f'data-grounded-on="{ENTRY}"' in page.content.decode()
