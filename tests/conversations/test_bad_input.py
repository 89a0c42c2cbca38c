"""Bad frames get an error with a stable code; the socket stays usable; nothing is stored."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

from apps.conversations.models import Message
from apps.conversations.protocol import max_frame_bytes

pytestmark = pytest.mark.slow

LONG = "x" * 2001
CID = "2f1a2b3c-0000-4000-8000-000000000001"

BAD_FRAMES = {
    "not json": ("{not json", "invalid_json"),
    "nested twenty thousand deep": ("[" * 20000, "invalid_json"),
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
    "controls only": (
        json.dumps({"type": "message", "client_msg_id": CID, "text": "\x00\x1b\u200b\u202e"}),
        "empty_text",
    ),
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


def padded_frame(size: int) -> str:
    """An unknown-type frame of exactly ``size`` bytes: the app answers it if it gets it."""
    head, tail = '{"type": "shout", "pad": "', '"}'
    return head + "x" * (size - len(head) - len(tail)) + tail


def test_a_frame_at_the_cap_reaches_the_app(chat):
    client = chat()
    client.ws.send(padded_frame(max_frame_bytes()))
    assert client.recv(timeout=10)["code"] == "unknown_type"


@pytest.mark.parametrize(
    "size", [max_frame_bytes() + 1, 7 * 1024 * 1024], ids=["one byte over", "7 MB"]
)
def test_a_frame_over_the_cap_gets_a_close_with_1009(chat, size):
    client = chat()
    with pytest.raises(ConnectionClosed) as closed:
        # A 7 MB frame may still be going out when the server's close comes: the send
        # then raises it, not the receive.
        client.ws.send(padded_frame(size))
        client.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009

    fresh = chat()
    fresh.send_json({"type": "shout"})
    assert fresh.recv(timeout=10)["code"] == "unknown_type"


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
