"""End to end with the real pretrained model: websocket → consumer → Celery worker → cloud
route on ``mlx_lm.server`` serving the imported SmolLM2 → reply deltas, in English and in
Chinese, multi-byte characters whole."""

from __future__ import annotations

import io
from itertools import accumulate

import pytest
from django.core.management import call_command

from apps.conversations.models import Message
from apps.ops.services import flags_update
from tests.inference.fixtures import smollm2_dir, smollm2_server  # noqa: F401
from tests.stack import GENEROUS_DEADLINES, stacks_reread_shop, start_live_stack

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def real_model_stack(smollm2_server, django_db_setup, django_db_blocker, tmp_path_factory):  # noqa: F811
    """Daphne and a reply worker whose cloud is the real model, for both languages' tests."""
    with django_db_blocker.unblock():
        stack = start_live_stack(
            tmp_path_factory.mktemp("real-model-stack"), CLOUD_BASE_URL=smollm2_server.base_url
        )
    yield stack
    stack.stop()


@pytest.fixture
def cloud_only_shop(transactional_db):
    """The demo FAQ (the prompt's references) and every reply on the cloud route; a few
    tokens each, as CPU decoding is slow."""
    call_command("load_demo_faq", stdout=io.StringIO())
    flags_update(user=None, changes={"mode": "cloud_only", "max_tokens": 16, **GENEROUS_DEADLINES})
    yield
    stacks_reread_shop()


def is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff"


@pytest.mark.parametrize(
    ("question", "language_is_han"),
    # SmolLM2 answers the Chinese one from its Chinese reference, and max_tokens cuts it in
    # the middle of a character (which the cloud backend drops).
    [("How long does delivery take?", False), ("退款多久能到账？", True)],
)
def test_a_real_model_reply_streams_whole_through_the_pipeline(
    real_model_stack, cloud_only_shop, question: str, language_is_han: bool
):
    events = real_model_stack.ask(question, timeout=240)
    deltas = [event for event in events if event["type"] == "reply.delta"]
    streamed = "".join(event["delta"] for event in deltas)
    end = events[-1]
    assert not [event for event in events if event["type"] == "reply.restart"]
    assert (end["route"], end["text"]) == ("cloud", streamed)
    assert streamed.strip() and "\ufffd" not in streamed
    assert any(is_han(char) for char in streamed) == language_is_han
    # seq counts code points: a character split over tokens arrived as one.
    assert [event["seq"] for event in deltas] == list(accumulate(len(e["delta"]) for e in deltas))
    row = Message.objects.get(id=end["message_id"])
    assert (row.text, row.route, row.status) == (streamed, "cloud", "done")
    assert row.grounded_on  # the prompt carried the FAQ's answer as its reference
