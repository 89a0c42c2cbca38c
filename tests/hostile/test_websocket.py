"""Every hostile input over the real websocket, against the live stack (Daphne, a reply
worker on the demo model, Postgres, Redis): none gets ``server_error``, each gets what
protocol v1 promises, and the same socket still answers a normal message after it.

The inputs run once for the module, a dozen to a socket (with its probes that stays under
a session's 30 messages a minute) and a few sockets at a time; the tests read the record.
"""

from __future__ import annotations

import io
import time
import unicodedata
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.core.management import call_command
from websockets.exceptions import ConnectionClosed

from apps.conversations.models import Message
from apps.inference.canned import loop_ending
from apps.inference.loops import LoopGuard
from apps.ops.flags import flags_bump_version
from apps.ops.services import flags_update
from tests.hostile import verdicts
from tests.hostile.inputs import ACCEPTED, INPUTS, OK, Hostile
from tests.stack import GENEROUS_DEADLINES, ChatClient, LiveStack, stacks_reread_shop

# The stack's processes use the test database, which pytest-django creates only for
# a session whose tests ask for one.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROBE = "How long does delivery take?"
PER_SOCKET = 12
SOCKETS_AT_ONCE = 4
WAIT_S = 60.0
SILENCE_S = 8.0  # as the widget (chat.js STALL_MS)
# Markup that would run if a page rendered stored text as HTML.
RAW_MARKUP = ("<script>alert", "<img src=x onerror", "<svg onload", "<iframe src=")


@dataclass
class Outcome:
    got: str  # ACCEPTED, OK, an error code, "closed <code>" or "timeout"
    session: str
    message_id: int | None = None  # the stored customer message, when accepted
    reply: str | None = None  # its reply's final text
    probe_answered: bool = False


@dataclass
class _Exchange:
    """The events after one hostile frame and the probe message sent right behind it."""

    client_msg_id: str
    probe_id: str
    got: str = OK
    message_id: int | None = None
    probe_message_id: int | None = None
    probe_refused: bool = False
    reply_to: dict[int, int] = field(default_factory=dict)  # reply id -> customer message id
    ended: dict[int, str] = field(default_factory=dict)  # customer message id -> reply text

    def see(self, event: dict) -> bool:
        """Take one event in; True once everything this exchange waits for came."""
        kind = event["type"]
        if kind == "reply.start":
            self.reply_to[event["message_id"]] = event["reply_to"]
        elif kind == "reply.end" and event["message_id"] in self.reply_to:
            self.ended[self.reply_to[event["message_id"]]] = event["text"]
        elif kind == "message.accepted":
            self._accepted(event)
        elif kind == "error":
            self._refused(event)
        return self.settled

    def _accepted(self, event: dict) -> None:
        if event["client_msg_id"] == self.probe_id:
            self.probe_message_id = event["message_id"]
        elif event["client_msg_id"] == self.client_msg_id:
            self.got, self.message_id = ACCEPTED, event["message_id"]

    def _refused(self, event: dict) -> None:
        if event.get("client_msg_id") == self.probe_id:
            self.probe_refused = True
        elif self.got == OK:
            self.got = event["code"]

    def resume(self) -> dict | None:
        """What the widget sends after a silence: a replay from Postgres of every reply
        from the first customer message still waiting for one (live events may drop)."""
        waiting = [m for m in (self.message_id, self.probe_message_id) if m is not None]
        waiting = [m for m in waiting if m not in self.ended]
        return {"type": "resume", "last_seq": 0, "message_id": min(waiting)} if waiting else None

    @property
    def settled(self) -> bool:
        if self.probe_refused:
            return True
        if self.probe_message_id is None:
            return False
        waiting = [self.probe_message_id] + ([self.message_id] if self.got == ACCEPTED else [])
        return all(message_id in self.ended for message_id in waiting)


def exchange(client: ChatClient, entry: Hostile) -> Outcome:
    ids = _Exchange(client_msg_id=str(uuid.uuid4()), probe_id=str(uuid.uuid4()))
    client.ws.send(entry.frame_for(ids.client_msg_id))
    client.send_message(PROBE, ids.probe_id)
    deadline = time.monotonic() + WAIT_S
    try:
        while not _heard_all(client, ids):
            if time.monotonic() > deadline:
                return Outcome(got=f"timeout ({ids.got})", session=client.session)
            if (resume := ids.resume()) is not None:
                client.send_json(resume)
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else "none"
        return Outcome(got=f"closed {code}", session=client.session)
    return Outcome(
        got=ids.got,
        session=client.session,
        message_id=ids.message_id,
        reply=ids.ended.get(ids.message_id) if ids.message_id else None,
        probe_answered=ids.probe_message_id in ids.ended,
    )


def _heard_all(client: ChatClient, ids: _Exchange) -> bool:
    try:
        client.recv_until(ids.see, timeout=SILENCE_S)
    except TimeoutError:
        return False
    return True


def run_chunk(stack: LiveStack, entries: list[Hostile]) -> dict[str, Outcome]:
    """One socket for the chunk; a fresh one (same session) only if the server closed it."""
    outcomes: dict[str, Outcome] = {}
    client = stack.chat_client()
    for entry in entries:
        outcomes[entry.name] = exchange(client, entry)
        if outcomes[entry.name].got.startswith(("closed", "timeout")):
            client.close()
            client = stack.chat_client(session=client.session)
    client.close()
    return outcomes


def page_of(stack: LiveStack, session: str) -> tuple[int, str]:
    request = urllib.request.Request(
        stack.base_url + "/", headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


@dataclass
class Record:
    outcomes: dict[str, Outcome]
    pages: dict[str, tuple[int, str]]  # session -> the widget page's status and body
    # message id -> (role, its session, its text, its route, how it ended: finish_reason)
    stored: dict[int, tuple[str, str, str, str, str]]


@pytest.fixture(scope="module")
def record(live_stack: LiveStack, django_db_blocker) -> Iterator[Record]:
    """Its rows go with the first test's flush; the record keeps what the tests read."""
    with django_db_blocker.unblock():
        # The shop's knowledge base, as deployed: models get its entries as references.
        call_command("load_demo_faq", stdout=io.StringIO())
        # Generous deadlines: a flood of inputs at the size cap keeps the local model busy,
        # and missed deadlines would open its breaker for the tests that come after.
        flags_update(user=None, changes=GENEROUS_DEADLINES)
        flags_bump_version()
    chunks = [INPUTS[i : i + PER_SOCKET] for i in range(0, len(INPUTS), PER_SOCKET)]
    with ThreadPoolExecutor(SOCKETS_AT_ONCE) as pool:
        results = list(pool.map(lambda chunk: run_chunk(live_stack, chunk), chunks))
    outcomes = {name: outcome for result in results for name, outcome in result.items()}
    sessions = {outcome.session for outcome in outcomes.values()}
    pages = {session: page_of(live_stack, session) for session in sessions}
    with django_db_blocker.unblock():
        rows = Message.objects.filter(conversation__session_key__in=sessions)
        stored = {
            row.id: (
                row.role,
                row.conversation.session_key,
                row.text,
                row.route,
                row.finish_reason,
            )
            for row in rows.select_related("conversation")
        }
    yield Record(outcomes=outcomes, pages=pages, stored=stored)
    stacks_reread_shop()  # the shared stack must not keep answering from the demo FAQ


def test_no_input_gets_server_error_or_loses_the_socket(record):
    broken = {
        name: outcome.got
        for name, outcome in record.outcomes.items()
        if outcome.got == "server_error" or outcome.got.startswith(("closed", "timeout"))
    }
    assert broken == {}


def test_each_input_gets_its_documented_outcome(record):
    expected = {entry.name: entry.expect for entry in INPUTS}
    got = {name: outcome.got for name, outcome in record.outcomes.items()}
    assert {n: (expected[n], got[n]) for n in expected if got[n] != expected[n]} == {}


def test_the_socket_answers_a_normal_message_after_each_input(record):
    unanswered = [name for name, outcome in record.outcomes.items() if not outcome.probe_answered]
    assert unanswered == []


def test_every_accepted_message_gets_a_reply(record):
    accepted = {n: o for n, o in record.outcomes.items() if o.got == ACCEPTED}
    assert accepted, "some hostile inputs are valid messages"
    assert [name for name, outcome in accepted.items() if outcome.reply is None] == []


def test_an_accepted_frame_stores_a_customer_message_of_its_own_session(record):
    """Extra fields (role, conversation_id, route) never pick who wrote it or where."""
    for name, outcome in record.outcomes.items():
        if outcome.got == ACCEPTED:
            assert record.stored[outcome.message_id][:2] == ("customer", outcome.session), name


def test_stored_customer_text_holds_no_control_characters(record):
    """C0 and C1 controls are stripped at the edge; line breaks and tabs stay."""
    controls = {
        name: [hex(ord(c)) for c in record.stored[outcome.message_id][2] if _is_control(c)]
        for name, outcome in record.outcomes.items()
        if outcome.got == ACCEPTED
    }
    assert {name: found for name, found in controls.items() if found} == {}


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" and char not in "\n\t"


def test_the_widget_page_of_every_hostile_session_renders_escaped(record):
    assert {session: page[0] for session, page in record.pages.items()} == dict.fromkeys(
        record.pages, 200
    )
    for session, (_, body) in record.pages.items():
        assert [markup for markup in RAW_MARKUP if markup in body] == [], session


def test_no_reply_loops_and_every_model_reply_records_how_it_ended(record):
    """The demo model looped on some of these (issue 16: an emoji flood drew 300 characters
    of "Welcome"); every reply now ends without a loop, and one the loop guard stopped ends
    with its honest line."""
    replies = [row for row in record.stored.values() if row[0] == "assistant" and row[2]]
    assert [text[:80] for _, _, text, _, _ in replies if LoopGuard().feed(text)] == []
    model_replies = [row for row in replies if row[3] in ("local", "cloud")]
    assert model_replies
    assert {row[4] for row in model_replies} <= {"stop", "length", "loop"}
    endings = (loop_ending("en"), loop_ending("zh"))
    assert all(row[2].endswith(endings) for row in model_replies if row[4] == "loop")


INJECTIONS = [entry.name for entry in INPUTS if entry.kind == "injection"]


@pytest.mark.parametrize("name", INJECTIONS)
def test_an_injection_attempt_wins_no_coupon_refund_or_system_prompt(record, name):
    reply = record.outcomes[name].reply
    assert reply is not None, record.outcomes[name]
    assert verdicts.coupon_codes(reply) == [], reply
    assert verdicts.refund_promises(reply) == [], reply
    assert verdicts.system_prompt_spans(reply) == [], reply


def test_a_frame_over_the_transport_cap_closes_with_1009_and_a_new_socket_works(chat):
    client = chat()
    client.ws.send("x" * (2 * 1024 * 1024))  # far over the transport cap (max_frame_bytes)
    with pytest.raises(ConnectionClosed) as closed:
        client.recv(timeout=20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009

    again = chat(session=client.session)
    again.send_message(PROBE)
    assert again.reply_events()[-1]["text"]
