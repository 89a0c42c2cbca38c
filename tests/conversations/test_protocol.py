from __future__ import annotations

import json
import uuid

import pytest

from apps.conversations.protocol import (
    CsatSubmit,
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


def test_it_parses_a_rating_and_normalises_its_comment():
    hostile = "\u202egood\u200b service\x00 "
    rated = parse_client_event(frame(type="csat.submit", rating=5, comment=hostile))
    assert rated == CsatSubmit(rating=5, comment="good service")
    assert parse_client_event(frame(type="csat.submit", rating=1)) == CsatSubmit(1, "")
    invisible = parse_client_event(frame(type="csat.submit", rating=2, comment="\u200b "))
    assert invisible == CsatSubmit(2, "")  # nothing visible left: no comment


# A fixed id: test ids must be the same in every collection (pytest-xdist compares them).
FIXED_ID = "1b6fd1d8-141c-4f78-9522-7f06b9b6336a"


@pytest.mark.parametrize(
    "raw, code",
    [
        ("nope", "invalid_json"),
        ('"a string"', "invalid_json"),
        (frame(type=7), "unknown_type"),
        (frame(type="message", client_msg_id=FIXED_ID, text=["x"]), "invalid_field"),
        (frame(type="message", client_msg_id=FIXED_ID, text=""), "empty_text"),
        (frame(type="message", client_msg_id=FIXED_ID, text="字" * 2001), "text_too_long"),
        (frame(type="message", client_msg_id=123, text="hi"), "invalid_client_msg_id"),
        (frame(type="resume", last_seq=-1), "invalid_field"),
        (frame(type="resume", last_seq=True), "invalid_field"),
        (frame(type="resume", last_seq=1, message_id="x"), "invalid_field"),
        (frame(type="message", client_msg_id=FIXED_ID, text="\ud800"), "invalid_text"),
        ("[" * 20000, "invalid_json"),
        ('{"type": "message", "x": ' + "[" * 8 + "]" * 8 + "}", "invalid_json"),
        (frame(type="resume", last_seq=2**63), "invalid_field"),
        (frame(type="resume", last_seq=0, message_id=10**30), "invalid_field"),
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


def message_text(text: str) -> str:
    event = parse_client_event(frame(type="message", client_msg_id=str(uuid.uuid4()), text=text))
    assert isinstance(event, PostMessage)
    return event.text


def test_it_strips_control_characters_but_newline_and_tab():
    assert message_text("a\x00b\x07c\x1bd\x7fe\x85f\x9fg") == "abcdefg"
    assert message_text("line one\r\n\tline two") == "line one\n\tline two"


def test_it_strips_zero_width_bidi_and_tag_characters_from_words():
    assert message_text("re\u200bfund\ufeff") == "refund"
    assert message_text("order \u202e1234\u202c and \u2066x\u2069") == "order 1234 and x"
    assert message_text("soft\u00adhyphen") == "softhyphen"
    # Tag characters spell hidden ASCII ("ignore"): invisible to staff, not to a model.
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "ignore")
    assert message_text(f"hello{hidden}") == "hello"


def test_it_keeps_joiners_variation_selectors_and_new_emoji():
    family = "\U0001f469\u200d\U0001f4bb"  # woman technologist: a ZWJ sequence
    assert message_text(f"{family} hi") == f"{family} hi"
    assert message_text("\u2764\ufe0f") == "\u2764\ufe0f"
    assert message_text("\U0001fae8") == "\U0001fae8"  # newer than Python 3.11's Unicode


@pytest.mark.parametrize(
    "text",
    [
        "\u200b\u200c\u200d\u2060\ufeff",
        "\u00ad\u202e\u2066\u2069",
        "\ufe0f\ufe0e\U000e0100",
        "\u3000\u00a0\u2028 \n\t",
        "\u3164\u115f\u2800",
        "\u0301\u034f",
        "\x00\x01\x1f",
    ],
    ids=[
        "zero-width",
        "bidi",
        "variation selectors",
        "spaces",
        "blank letters",
        "marks",
        "controls",
    ],
)
def test_text_of_invisible_characters_only_is_empty(text):
    with pytest.raises(ProtocolError) as info:
        message_text(text)
    assert info.value.code == "empty_text"


def test_the_cap_counts_what_is_left_after_stripping():
    assert len(message_text("字" * 2000 + "\u200b" * 500)) == 2000


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert message_text("[" * 50 + '{"a": "\\"}') == "[" * 50 + '{"a": "\\"}'
    shallow = '{"type": "resume", "last_seq": 1, "x": ' + "[" * 7 + "]" * 7 + "}"
    assert parse_client_event(shallow) == Resume(1, None)
