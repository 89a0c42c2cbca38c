"""Rate limits per session and per client IP (the ``limits`` library, on the real Redis)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from apps.conversations.consumers import ChatConsumer
from apps.conversations.ratelimit import client_ip, retry_after
from tests.conversations.test_consumer_faults import new_session
from tests.stack import free_port


def unique_ip() -> str:
    """An address of the documentation range no other test counts against."""
    number = uuid.uuid4().int
    return f"198.51.{number % 256}.{(number >> 8) % 256}"


def count(action: str, times: int, *, ip: str, sessions: int = 1) -> list[int | None]:
    async def hits() -> list[int | None]:
        run = uuid.uuid4().hex
        return [
            await retry_after(action, session=f"{run}-{n % sessions}", ip=ip) for n in range(times)
        ]

    return asyncio.run(hits())


def test_a_session_is_refused_past_its_limit_and_told_when_to_retry(settings):
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "handoff": {
        "session": "3/minute", "ip": "100/minute"}}  # fmt: skip
    answers = count("handoff", 4, ip=unique_ip())
    assert answers[:3] == [None, None, None]
    assert answers[3] is not None and 1 <= answers[3] <= 60


def test_fresh_sessions_do_not_escape_the_limit_of_their_address(settings):
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "message": {
        "session": "100/minute", "ip": "5/minute"}}  # fmt: skip
    answers = count("message", 6, ip=unique_ip(), sessions=6)  # a new session each time
    assert answers[:5] == [None] * 5
    assert answers[5] is not None


def test_each_action_has_limits_of_its_own(settings):
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "handoff": {
        "session": "1/minute", "ip": "100/minute"}}  # fmt: skip
    ip = unique_ip()
    assert count("handoff", 2, ip=ip)[1] is not None
    assert count("resume", 1, ip=ip) == [None]


def test_handoffs_of_all_sessions_together_have_a_cap(settings):
    settings.CELERY_KEY_PREFIX = f"test-{uuid.uuid4().hex}:"  # a global count of its own
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "handoff": {
        "session": "10/minute", "ip": "100/minute", "global": "3/minute"}}  # fmt: skip
    answers = [count("handoff", 1, ip=unique_ip())[0] for _ in range(4)]  # 4 visitors
    assert answers[:3] == [None, None, None]
    assert answers[3] is not None and 1 <= answers[3] <= 60


@pytest.mark.django_db
def test_new_sessions_past_an_address_limit_get_429_with_retry_after(settings):
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "session": {"ip": "2/minute"}}
    ip = unique_ip()
    visitors = [Client(REMOTE_ADDR=ip) for _ in range(3)]
    answers = [visitor.get("/") for visitor in visitors]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60
    # A visitor who has a session is not minting one: the limit does not apply.
    assert visitors[0].get("/").status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_socket_opens_past_an_address_limit_are_closed_with_4429(settings):
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "socket": {"ip": "1/minute"}}
    ip = unique_ip()
    first, second = await open_socket(ip), await open_socket(ip)
    assert (await first.connect())[0]
    assert (await second.connect())[0]  # accepted, so that the code reaches the client
    refused = await second.receive_json_from(timeout=5)
    assert refused["code"] == "rate_limited" and refused["retry_after"] >= 1
    assert (await second.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4429}
    await first.disconnect()


async def open_socket(ip: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/")
    communicator.scope["session"] = await new_session()
    communicator.scope["client"] = (ip, 50000)
    return communicator


def test_without_redis_nothing_is_refused(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "handoff": {
        "session": "1/minute", "ip": "1/minute"}}  # fmt: skip
    assert count("handoff", 3, ip=unique_ip()) == [None, None, None]


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", None, [], "203.0.113.9"),
        # Anyone can send the header: from an untrusted peer it is ignored.
        ("203.0.113.9", "1.2.3.4", [], "203.0.113.9"),
        ("10.0.0.2", "1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),
        # The far end of the header is the client's to write; the nearest hop is not.
        ("10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.1", ["10.0.0.0/8"], "1.2.3.4"),
        ("10.0.0.2", "10.0.0.3", ["10.0.0.0/8"], "10.0.0.2"),
        (None, None, [], "unknown"),
    ],
)
def test_the_client_address_comes_from_a_trusted_proxy_only(
    settings, peer, forwarded, trusted, expected
):
    settings.TRUSTED_PROXIES = trusted
    assert client_ip(peer, forwarded) == expected


def test_a_refused_frame_leaves_the_socket_usable(chat):
    client = chat()
    for _ in range(10):  # the shipped handoff limit of a session
        client.send_json({"type": "handoff"})
        assert client.recv_until(lambda e: e["type"] in ("notice", "error"))[-1]["type"] == "notice"
    client.send_json({"type": "handoff"})
    refused = client.recv_until(lambda e: e["type"] == "error")[-1]
    assert refused["code"] == "rate_limited" and refused["retry_after"] >= 1
    client.send_message("How long does delivery take?")
    assert client.reply_events()[-1]["type"] == "reply.end"
