"""Fuzzing the frame parser: it raises nothing but ProtocolError, and a message it
accepts holds clean, visible text within the cap."""

from __future__ import annotations

import json
import unicodedata
import uuid

from hypothesis import given
from hypothesis import strategies as st

from apps.conversations.protocol import (
    MAX_JSON_DEPTH,
    PostMessage,
    ProtocolError,
    normalize_text,
    parse_client_event,
)
from tests.hostile_text import CAP, FUZZ, hostile_text

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
frames = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "resume", "handoff", "shout"])},
    optional={
        "client_msg_id": st.uuids().map(str) | json_values,
        "text": hostile_text | json_values,
        "last_seq": st.integers() | json_values,
        "message_id": st.integers() | json_values,
    },
)
# Surrogates included: JSON escapes them, as a browser's JSON.stringify does.
raw_text = st.text(st.characters(exclude_categories=()), max_size=CAP)
nesting = st.integers(0, 3 * MAX_JSON_DEPTH).map(lambda n: "[" * n + "]" * n)


def parse(raw: str) -> object:
    try:
        return parse_client_event(raw)
    except ProtocolError as exc:
        assert exc.code and exc.detail
        return exc


def assert_clean(text: str) -> None:
    assert 0 < len(text) <= CAP
    assert text == text.strip()
    for ch in text:
        category = unicodedata.category(ch)
        assert category != "Cc" or ch in "\n\t"
        assert category != "Cf" or ch in "\u200c\u200d"
    assert normalize_text(text) == text


@FUZZ
@given(frames.map(json.dumps) | raw_text | nesting | raw_text.map(json.dumps))
def test_any_frame_parses_or_gets_a_protocol_error(raw):
    event = parse(raw)
    if isinstance(event, PostMessage):
        assert_clean(event.text)


@FUZZ
@given(raw_text | hostile_text)
def test_an_accepted_message_text_is_clean(text):
    frame = json.dumps({"type": "message", "client_msg_id": str(uuid.uuid4()), "text": text})
    event = parse(frame)
    if isinstance(event, PostMessage):
        assert_clean(event.text)
    else:
        assert event.code in {"empty_text", "invalid_text", "text_too_long", "frame_too_large"}
