"""SIGTERM drains: a worker lets its replies finish within WORKER_DRAIN_S and hands the
rest to another worker; Daphne closes customer sockets with 1012 ("service restart")."""

from __future__ import annotations

import os
import signal

import pytest
from websockets.exceptions import ConnectionClosed

from apps.conversations.models import Message
from tests.faults import reply_writer, wait_for_streaming_text
from tests.stack import start_live_stack

pytestmark = [pytest.mark.slow]

# The response headers and the first few streamed chunks of mlx_lm.server.
STALL_AFTER_BYTES = 1500


def ask_and_terminate_its_worker(
    stack, cloud, *, stall: bool
) -> tuple[int, list[dict], int | None]:
    """Ask, SIGTERM the worker writing the reply, and read the reply to its end.

    With ``stall`` the cloud stops after the reply's first words, so the worker cannot
    finish it in time; it streams normally again for whoever writes the reply next.
    """
    client = stack.chat_client()
    cloud.stall_after = STALL_AFTER_BYTES if stall else None
    client.send_message("How long does delivery take?")
    reply_id = client.recv_until(lambda e: e["type"] == "reply.start")[-1]["message_id"]
    wait_for_streaming_text(reply_id)
    worker = stack.processes[reply_writer(stack, reply_id)]
    os.kill(worker.pid, signal.SIGTERM)
    cloud.stall_after = None
    events = client.reply_events(timeout=60)
    return reply_id, events, worker.wait(timeout=60)


@pytest.mark.parametrize(
    ("drain_s", "stall", "attempts"),
    [("30", False, 1), ("0.5", True, 2)],
    ids=["finishes-within-the-bound", "hands-back-past-the-bound"],
)
def test_a_terminated_worker_finishes_or_hands_back_its_reply(
    paced_cloud, tmp_path, drain_s, stall, attempts
):
    stack = start_live_stack(
        tmp_path,
        workers=2,
        CLOUD_BASE_URL=paced_cloud.base_url,
        WORKER_DRAIN_S=drain_s,
        REAPER_INTERVAL_S="0.3",
    )
    try:
        reply_id, events, exit_code = ask_and_terminate_its_worker(stack, paced_cloud, stall=stall)
    finally:
        stack.stop()

    assert exit_code == 0  # a warm shutdown, not a kill
    reply = Message.objects.get(id=reply_id)
    assert reply.status == Message.Status.DONE and reply.attempt == attempts
    ends = [e for e in events if e["type"] == "reply.end"]
    assert len(ends) == 1 and ends[0]["text"] == reply.text != ""


def test_daphne_closes_sockets_with_1012_on_sigterm(live_stack, transactional_db, tmp_path):
    stack = start_live_stack(tmp_path)
    try:
        client = stack.chat_client()
        os.kill(stack.processes["web"].pid, signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=20)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    finally:
        stack.stop()
