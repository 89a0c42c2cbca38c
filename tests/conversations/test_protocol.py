from __future__ import annotations

import json
import uuid

import pytest

from apps.conversations.protocol import (
    Handoff,
    PostMessage,
    ProtocolError,
    Resume,
    parse_client_event,
)


def frame(**fields) -> str:
    return json.dumps(fields)


def test_it_parses_a_message_and_strips_its_text():
    cid = uuid.uuid4()
    event = parse_client_event(frame(type="message", client_msg_id=str(cid), text="  hi  "))
    assert event == PostMessage(client_msg_id=cid, text="hi")


def test_it_parses_resume_and_handoff():
    assert parse_client_event(frame(type="resume", last_seq=3)) == Resume(3, None)
    assert parse_client_event(frame(type="resume", last_seq=0, message_id=9)) == Resume(0, 9)
    assert parse_client_event(frame(type="handoff")) == Handoff()


@pytest.mark.parametrize(
    "raw, code",
    [
        ("nope", "invalid_json"),
        ('"a string"', "invalid_json"),
        (frame(type=7), "unknown_type"),
        (frame(type="message", client_msg_id=str(uuid.uuid4()), text=["x"]), "invalid_field"),
        (frame(type="message", client_msg_id=str(uuid.uuid4()), text=""), "empty_text"),
        (frame(type="message", client_msg_id=str(uuid.uuid4()), text="字" * 2001), "text_too_long"),
        (frame(type="message", client_msg_id=123, text="hi"), "invalid_client_msg_id"),
        (frame(type="resume", last_seq=-1), "invalid_field"),
        (frame(type="resume", last_seq=True), "invalid_field"),
        (frame(type="resume", last_seq=1, message_id="x"), "invalid_field"),
        (frame(type="message", client_msg_id=str(uuid.uuid4()), text="a\x00b"), "invalid_text"),
        (frame(type="message", client_msg_id=str(uuid.uuid4()), text="\ud800"), "invalid_text"),
        ("[" * 20000, "invalid_json"),
    ],
)
def test_it_rejects_with_a_stable_code(raw, code):
    with pytest.raises(ProtocolError) as info:
        parse_client_event(raw)
    assert info.value.code == code


def test_it_accepts_text_at_exactly_the_cap():
    event = parse_client_event(
        frame(type="message", client_msg_id=str(uuid.uuid4()), text="字" * 2000)
    )
    assert len(event.text) == 2000
