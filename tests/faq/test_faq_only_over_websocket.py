"""Over the real websocket, with the mode set to faq_only: the catalog answers, route faq saved."""

from __future__ import annotations

import pytest

from apps.conversations.models import Message
from apps.faq.models import FaqEntry
from apps.ops.services import flags_update
from tests.stack import wait_until

pytestmark = pytest.mark.slow


def test_faq_only_answers_from_the_catalog_and_saves_route_faq(stack_faq_keys, demo_catalog, chat):
    flags_update(user=None, changes={"mode": "faq_only"})
    client = chat()
    client.send_message("how long will delivery take")
    end = client.reply_events()[-1]

    answer = FaqEntry.objects.get(external_id="ship-time").answer
    assert (end["route"], end["text"]) == ("faq", answer)
    saved = Message.objects.get(id=end["message_id"])
    assert (saved.route, saved.status, saved.text) == ("faq", "done", answer)
    assert saved.fallback_reason == "flag"  # the models were left out by the mode
    # Counted by the stack's background worker, after the reply.
    wait_until(lambda: FaqEntry.objects.get(external_id="ship-time").hit_count == 1)
