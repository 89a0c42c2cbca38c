"""Bad input to the API gets a 4xx in OpenAI's error shape, never a 5xx: sent raw to the
live Daphne, as a broken or hostile client would."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def chat(text: str) -> bytes:
    return json.dumps({"model": "m", "messages": [{"role": "user", "content": text}]}).encode()


def body(**fields: object) -> bytes:
    return json.dumps({"model": "m", **fields}).encode()


USER = {"role": "user", "content": "hi"}
# name: (raw body, status, error.code or error.param it names)
BAD_INPUT = {
    "malformed JSON": (b'{"model": "m", "messages": [', 400, "invalid_json"),
    "not UTF-8": (b'{"model": "m", "messages": "\xff"}', 400, "invalid_json"),
    "not an object": (b"[]", 400, "invalid_json"),
    "deep nesting": (b"[" * 50_000, 400, "invalid_json"),
    "huge body": (chat("x" * 3_000_000), 413, "request_too_large"),
    "empty messages": (body(messages=[]), 400, "messages"),
    "no messages": (body(), 400, "messages"),
    "messages not a list": (body(messages="hi"), 400, "messages"),
    "a message not an object": (body(messages=["hi"]), 400, "messages[0]"),
    "tool role": (body(messages=[{"role": "tool", "content": "x"}]), 400, "messages[0].role"),
    "unknown role": (body(messages=[USER, {"role": "boss", "content": "x"}]), 400,
                     "messages[1].role"),
    "last turn not the customer's": (
        body(messages=[USER, {"role": "assistant", "content": "ok"}]), 400, "messages"),
    "lone surrogate": (b'{"model":"m","messages":[{"role":"user","content":"\\ud800"}]}', 400,
                       "invalid_text"),
    "invisible text only": (chat("\u200b\u2066 "), 400, "empty_text"),
    "text over the cap": (chat("x" * 2001), 400, "text_too_long"),
    "content a number": (body(messages=[{"role": "user", "content": 5}]), 400,
                         "messages[0].content"),
    "image part": (body(messages=[{"role": "user", "content": [{"type": "image_url"}]}]), 400,
                   "messages[0].content"),
    "model missing": (json.dumps({"messages": [USER]}).encode(), 400, "model"),
    "stream not a boolean": (body(messages=[USER], stream="yes"), 400, "stream"),
    "user not a string": (body(messages=[USER], user=7), 400, "user"),
    "two choices asked": (body(messages=[USER], n=2), 400, "n"),
}  # fmt: skip


def post(url: str, raw: bytes, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=raw, method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def test_bad_input_gets_a_4xx_in_openais_error_shape(live_stack, api_key):
    url = f"{live_stack.base_url}/v1/chat/completions"
    got = {}
    for name, (raw, _, _) in BAD_INPUT.items():
        status, answer = post(url, raw, api_key.secret)
        error = answer["error"]
        assert set(error) == {"message", "type", "param", "code"}, name
        got[name] = (status, error["code"] if error["code"] else error["param"])
    assert got == {name: (status, named) for name, (_, status, named) in BAD_INPUT.items()}
