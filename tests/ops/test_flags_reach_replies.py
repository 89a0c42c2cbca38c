"""A mode set on /ops/ decides the very next reply, with no restart of anything."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from apps.inference.prompts import Turn
from apps.inference.service import stream_reply
from tests.inference.fixtures import REFUND_ANSWER
from tests.ops.test_flags_edit import form_data
from tests.stack import ROOT, stack_env

HISTORY = [Turn("user", "When will my refund arrive?")]


def reply():
    stream = stream_reply(HISTORY, cache_key="live")  # flags: the live ops flags
    return "".join(stream), stream.outcome


def set_flags(client, **changes) -> None:
    response = client.post("/ops/flags/", form_data(max_tokens=16, **changes))
    assert response.status_code == 302


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_breakers", "demo_faq")
def test_faq_only_set_on_the_ops_page_routes_the_next_reply_to_faq(ops_client, cloud_server):
    set_flags(ops_client, mode="cloud_only")
    assert reply()[1].route == "cloud"  # this process now holds a cached copy of the flags

    set_flags(ops_client, mode="faq_only")
    text, outcome = reply()
    assert (text, outcome.route, outcome.fallback_reason) == (REFUND_ANSWER, "faq", "flag")

    set_flags(ops_client, mode="cloud_only", kill_cloud=True)
    assert reply()[1].fallback_reason == "killed"


READ_FLAGS = """
import django, time
django.setup()
from apps.ops.flags import current_flags
print(current_flags().mode, flush=True)
input()
print(current_flags().mode, flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_another_running_process_sees_a_change_on_its_next_read(ops_client):
    set_flags(ops_client, mode="local_only")
    worker = subprocess.Popen(
        [sys.executable, "-c", READ_FLAGS],
        cwd=ROOT, env={**os.environ, **stack_env()}, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert worker.stdout.readline().strip() == "local_only"
        set_flags(ops_client, mode="faq_only")
        worker.stdin.write("\n")
        worker.stdin.flush()
        assert worker.stdout.readline().strip() == "faq_only"
    finally:
        worker.kill()
        worker.wait()
    assert settings.OPS_FLAGS_TTL_S > 1  # so the TTL alone could not explain it
