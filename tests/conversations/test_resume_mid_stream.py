"""A socket dropped mid-reply, again and again: the client reconnects, resumes from what
it holds, and ends with exactly the stored text, no gap and no repeated characters."""

from __future__ import annotations

import random

import pytest

from apps.conversations.models import Message
from tests.faults import ResumingClient

pytestmark = [pytest.mark.slow]

DROPS = 10
# Distinct wordings: the answer cache would otherwise serve the repeats in one piece.
PLACES = ["Berlin", "Lyon", "Osaka", "Austin", "Porto", "Gdansk", "Leeds", "Turin", "Quebec",
          "Malmo", "Cork", "Graz"]  # fmt: skip


@pytest.fixture
def paced_stack(paced_cloud, tmp_path):
    from tests.stack import start_live_stack

    stack = start_live_stack(tmp_path, CLOUD_BASE_URL=paced_cloud.base_url, REPLY_FLUSH_MS="10")
    yield stack
    stack.stop()


def test_drops_at_random_chunks_leave_no_gap_and_no_duplicate(paced_stack):
    rng = random.Random(11)
    for place in PLACES[:DROPS]:
        client = ResumingClient(paced_stack)
        question = f"How long does delivery to {place} take?"
        reply = client.ask(question, drop_after_deltas=[rng.randint(1, 3)])
        stored = Message.objects.get(id=client.reply_id)
        client.close()
        assert client.drops == 1
        assert reply.final == stored.text != ""
        assert reply.compare(stored.text) == (0, 0)  # merged deltas == stored text
