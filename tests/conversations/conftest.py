from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from apps.ops.services import flags_update
from tests.inference.fixtures import mlx_server  # noqa: F401
from tests.inference.servers import FaultyProxy
from tests.stack import GENEROUS_DEADLINES, stacks_reread_shop


@pytest.fixture
def paced_cloud(transactional_db, mlx_server):  # noqa: F811
    """Replies from the real "cloud" server (``mlx_lm.server``), each streamed chunk held
    30 ms by a loopback proxy, as a hosted model streams: long enough to interrupt.

    The flags say ``cloud_only``, with long deadlines; stacks started after this see it.
    Yields the proxy; a stack reaches it at ``CLOUD_BASE_URL=proxy.base_url``.
    """
    mlx_server.start()
    # The shop's knowledge base: the reply policy holds back an amount no entry states.
    call_command("load_demo_faq", stdout=io.StringIO())
    proxy = FaultyProxy(mlx_server.port, pace_s=0.03)
    flags_update(user=None, changes={"mode": "cloud_only", **GENEROUS_DEADLINES})
    yield proxy
    proxy.close()
    stacks_reread_shop()  # other stacks drop this test's flags and FAQ
