"""Bad frames get an error with a stable code; the socket stays usable; nothing is stored."""

from __future__ import annotations

import json

import pytest

from apps.conversations.models import Message

pytestmark = pytest.mark.slow

LONG = "x" * 2001
CID = "2f1a2b3c-0000-4000-8000-000000000001"

BAD_FRAMES = {
    "not json": ("{not json", "invalid_json"),
    "nested twenty thousand deep": ("[" * 20000, "invalid_json"),
    "a NUL in the text": (
        json.dumps({"type": "message", "client_msg_id": CID, "text": "a\x00b"}),
        "invalid_text",
    ),
    "a lone surrogate": (
        json.dumps({"type": "message", "client_msg_id": CID, "text": "\ud800"}),  # escaped
        "invalid_text",
    ),
    "json array": ("[1, 2]", "invalid_json"),
    "unknown type": (json.dumps({"type": "shout", "text": "hi"}), "unknown_type"),
    "missing type": (json.dumps({"text": "hi"}), "unknown_type"),
    "missing text": (
        json.dumps({"type": "message", "client_msg_id": "2f1a2b3c-0000-4000-8000-000000000001"}),
        "invalid_field",
    ),
    "text not a string": (
        json.dumps(
            {"type": "message", "client_msg_id": "2f1a2b3c-0000-4000-8000-000000000002", "text": 5}
        ),
        "invalid_field",
    ),
    "whitespace text": (
        json.dumps(
            {
                "type": "message",
                "client_msg_id": "2f1a2b3c-0000-4000-8000-000000000003",
                "text": " \n\t ",
            }
        ),
        "empty_text",
    ),
    "text over the cap": (
        json.dumps(
            {
                "type": "message",
                "client_msg_id": "2f1a2b3c-0000-4000-8000-000000000004",
                "text": LONG,
            }
        ),
        "text_too_long",
    ),
    "bad client_msg_id": (
        json.dumps({"type": "message", "client_msg_id": "not-a-uuid", "text": "hi"}),
        "invalid_client_msg_id",
    ),
    "missing client_msg_id": (
        json.dumps({"type": "message", "text": "hi"}),
        "invalid_client_msg_id",
    ),
    "bad last_seq": (json.dumps({"type": "resume", "last_seq": "7"}), "invalid_field"),
    "huge frame": ("[" + "1," * 40000 + "1]", "frame_too_large"),
}


@pytest.mark.parametrize("frame, code", BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
def test_it_rejects_a_bad_frame_and_stays_usable(chat, frame, code):
    client = chat()
    client.ws.send(frame)
    error = client.recv(timeout=10)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["detail"]
    assert not Message.objects.exists()

    # The same socket still works.
    client.send_json({"type": "resume", "last_seq": 0})
    client.send_json({"type": "shout"})
    assert client.recv(timeout=10)["code"] == "unknown_type"


def test_it_rejects_binary_frames(chat):
    client = chat()
    client.ws.send(b"\x00\x01")
    error = client.recv(timeout=10)
    assert error == {"type": "error", "code": "binary_not_supported", "detail": "send text frames"}
    assert not Message.objects.exists()


def test_it_refuses_a_socket_from_a_foreign_origin(live_stack):
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus):
        live_stack.chat_client(origin="http://evil.example")
