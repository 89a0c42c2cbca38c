"""Model replies are grounded in the shop's FAQ: the prompt a model gets carries the entries
confident for the question, and the reply records which
(``grounded_on``). The references come in a system message after the question; the shop's
name, persona and languages come from settings.

The cloud route here is a scripted OpenAI-compatible server on loopback that keeps each
request's body, so the test reads the prompt the backend really sent.
"""

from __future__ import annotations

import uuid

import pytest

from apps.faq.retrieval import confident
from apps.inference.prompts import Turn, system_prompt
from apps.inference.service import ReplyStream
from apps.ops.flags import Flags
from apps.ops.vocabulary import Mode
from tests.demo_questions import OFF_CATALOG
from tests.inference.servers import ScriptedCompletionServer

pytestmark = pytest.mark.usefixtures("fresh_breakers", "demo_faq")

DELIVERY = "How long does delivery take?"
DELIVERY_FACT = "Orders leave our warehouse within 1-2 days and usually arrive in 3-5 days."
CLOUD_ONLY = Flags(mode=Mode.CLOUD_ONLY, max_tokens=32)


@pytest.fixture
def scripted_cloud(settings):
    server = ScriptedCompletionServer(["Orders ship ", "within 1-2 days."])
    settings.CLOUD_BASE_URL = server.base_url
    yield server
    server.close()


def reply_to(question: str) -> ReplyStream:
    stream = ReplyStream([Turn("user", question)], cache_key=uuid.uuid4().hex, flags=CLOUD_ONLY)
    assert "".join(d for d in stream if isinstance(d, str))
    return stream


def messages_sent(server: ScriptedCompletionServer) -> list[dict[str, str]]:
    return server.bodies[-1]["messages"]


def references_sent(server: ScriptedCompletionServer) -> str | None:
    """The system message the backend sent after the customer's question, if any."""
    *_, question, last = messages_sent(server)
    if last["role"] == "user":
        return None
    assert (question["role"], last["role"]) == ("user", "system")
    return last["content"]


def test_the_model_gets_the_confident_entry_as_its_reference_and_the_reply_names_it(
    scripted_cloud,
):
    stream = reply_to(DELIVERY)
    assert references_sent(scripted_cloud) == f"Reference: {DELIVERY_FACT}"
    assert (stream.outcome.route, stream.outcome.grounded_on) == ("cloud", ("ship-time",))


def test_a_question_the_faq_does_not_cover_gets_no_reference(scripted_cloud):
    stream = reply_to(OFF_CATALOG)
    assert references_sent(scripted_cloud) is None
    assert stream.outcome.grounded_on == ()


def test_grounding_can_be_turned_off(scripted_cloud, settings):
    settings.GROUNDING_REFERENCES = 0
    stream = reply_to(DELIVERY)
    assert references_sent(scripted_cloud) is None
    assert stream.outcome.grounded_on == ()


def test_up_to_three_references_best_first_each_on_its_own_line(scripted_cloud, settings):
    settings.GROUNDING_REFERENCES = 3
    expected = confident(DELIVERY, limit=3)
    stream = reply_to(DELIVERY)
    lines = references_sent(scripted_cloud).split("\n")
    assert lines == [f"Reference: {m.answer}" for m in expected]
    assert stream.outcome.grounded_on == tuple(m.faq_id for m in expected)
    assert expected[0].faq_id == "ship-time"


def test_confident_entries_reach_the_threshold_and_come_best_first(settings):
    found = confident(DELIVERY, limit=3)
    assert 1 <= len(found) <= 3
    assert all(m.score >= settings.FAQ_MATCH_THRESHOLD for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert confident(OFF_CATALOG) == []


def test_the_prompt_names_the_configured_shop_and_says_to_answer_only_from_references(
    scripted_cloud, settings
):
    settings.SHOP_NAME = "Hearth & Volt"
    settings.SHOP_PERSONA = "a home-appliance shop"
    settings.SHOP_LANGUAGES = ["English"]
    reply_to(DELIVERY)
    system = messages_sent(scripted_cloud)[0]
    assert system == {"role": "system", "content": system_prompt()}
    assert "Hearth & Volt, a home-appliance shop" in system["content"]
    assert "Maple & Moon" not in system["content"]
    assert "in English, only from the references" in system["content"]
    assert "offer a person" in system["content"]


def test_only_the_latest_question_carries_references_so_earlier_turns_stay_the_same(
    scripted_cloud,
):
    stream = ReplyStream(
        [
            Turn("user", OFF_CATALOG),
            Turn("assistant", "Sorry, I can only help with this shop."),
            Turn("user", DELIVERY),
        ],
        cache_key=uuid.uuid4().hex,
        flags=CLOUD_ONLY,
    )
    assert "".join(d for d in stream if isinstance(d, str))
    sent = messages_sent(scripted_cloud)
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user", "system"]
    assert sent[1:3] == [
        {"role": "user", "content": OFF_CATALOG},
        {"role": "assistant", "content": "Sorry, I can only help with this shop."},
    ]
    assert references_sent(scripted_cloud) == f"Reference: {DELIVERY_FACT}"
