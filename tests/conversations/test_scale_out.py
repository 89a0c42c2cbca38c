"""Scale-out on one machine: two Daphnes and two reply workers sharing Redis and Postgres,
customers spread over both Daphnes, and no sticky sessions.

A socket binds to its session's conversation, read from Postgres, and ``resume`` replays
from Postgres, so a reply started through one Daphne is finished through the other with no
gap and no duplicate; and the two workers share one reply queue.
"""

from __future__ import annotations

import pytest

from apps.conversations.models import Message
from tests.faults import ResumingClient, reply_writer

pytestmark = [pytest.mark.slow]

WEBS = ("web", "web2")
PLACES = ["Berlin", "Lyon", "Osaka", "Austin", "Porto", "Gdansk"]  # distinct: no cache hits


@pytest.fixture
def two_by_two(paced_cloud, tmp_path):
    """Two Daphnes and two reply workers of one thread each; slow cloud replies, so that a
    reply is still streaming when the socket drops, and a busy worker leaves the next reply
    to the other."""
    from tests.stack import start_live_stack

    stack = start_live_stack(
        tmp_path, workers=2, concurrency=1, CLOUD_BASE_URL=paced_cloud.base_url,
        REPLY_FLUSH_MS="10",
    )  # fmt: skip
    try:
        stack.start_web("web2")
    except BaseException:
        stack.stop()
        raise
    yield stack
    stack.stop()


def events_until_quiet(client, quiet_s: float = 1.0) -> list[dict]:
    """Whatever else the socket sends (a duplicate ``reply.end`` would show here)."""
    events = []
    while True:
        try:
            events.append(client.recv(timeout=quiet_s))
        except TimeoutError:
            return events


def test_a_reply_started_through_one_web_is_resumed_through_the_other(two_by_two):
    client = ResumingClient(two_by_two, webs=WEBS)
    reply = client.ask("How long does delivery to Berlin take?", drop_after_deltas=[2])
    later = events_until_quiet(client.client)
    client.close()
    stored = Message.objects.get(id=client.reply_id)

    assert (client.drops, client.reconnects) == (1, 1)  # web A, then web B
    assert 0 < client.held_at_drops[0] < len(stored.text)  # dropped mid-reply
    assert stored.status == Message.Status.DONE
    assert reply.final == stored.text != ""
    assert reply.compare(stored.text) == (0, 0)  # merged deltas == stored text
    # One end, and at most one identical replay for each resume the client sent: the live
    # end may reach web B's new socket before the resume's replay does (PROTOCOL.md).
    ends = [e for e in [*reply.events, *later] if e["type"] == "reply.end"]
    assert 1 <= len(ends) <= 1 + client.resumes
    assert {e["text"] for e in ends} == {stored.text}


def test_clients_on_both_webs_get_their_replies_from_both_workers(two_by_two):
    clients = [two_by_two.chat_client(web=WEBS[i % 2]) for i in range(len(PLACES))]
    sent = {}
    for client, place in zip(clients, PLACES, strict=True):
        sent[client] = client.send_message(f"How long does delivery to {place} take?")

    writers = set()
    for client in clients:
        events = client.reply_events(timeout=120)
        accepted = next(e for e in events if e["type"] == "message.accepted")
        assert accepted["client_msg_id"] == sent[client]
        (end,) = [e for e in events if e["type"] == "reply.end"]
        stored = Message.objects.get(id=end["message_id"])
        assert stored.reply_to_id == accepted["message_id"]
        assert (stored.status, stored.text) == (Message.Status.DONE, end["text"])
        writers.add(reply_writer(two_by_two, stored.id))
    for client in clients:
        client.close()

    assert writers == {"worker", "worker2"}
    assert Message.objects.filter(role=Message.Role.ASSISTANT).count() == len(PLACES)
