"""The web process: Daphne, except that SIGTERM closes every websocket with 1012, and that
a frame over the protocol's cap is refused with 1009.

Stock Daphne cancels its applications and drops the TCP connections, so browsers see an
abnormal close (1006). Code 1012 ("service restart") tells the widget this is a restart:
it reconnects at once to another instance (or this one, back) and resumes from Postgres.

The transport cap is the largest frame a valid client event can be
(``apps.conversations.protocol.max_frame_bytes``), so the app never reads a larger one; a
larger one gets a close frame with 1009 ("message too big"). Stock Daphne caps at 1 MiB
and drops the TCP connection with no close frame.

Run it like daphne: ``python -m apps.config.web -b 127.0.0.1 -p 8000 apps.config.asgi:application``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import reactor, task

from apps.conversations.protocol import max_frame_bytes

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.config.settings")
logger = logging.getLogger(__name__)

CLOSE_SERVICE_RESTART = 1012
# Time for the close frames to leave before the reactor stops.
CLOSE_GRACE_S = 0.5


class GracefulServer(Server):
    def listen_success(self, port: Any) -> None:
        # Daphne builds its websocket factory in run(), just before it listens: no socket
        # can open before this.
        cap = max_frame_bytes()
        # failByDrop=False: autobahn sends the close frame (1009) instead of dropping TCP.
        self.ws_factory.setProtocolOptions(
            maxFramePayloadSize=cap, maxMessagePayloadSize=cap, failByDrop=False
        )
        super().listen_success(port)

    def kill_all_applications(self) -> Any:
        sockets = [
            protocol
            for protocol in self.connections
            if isinstance(protocol, WebSocketProtocol) and protocol.state == protocol.STATE_OPEN
        ]
        for protocol in sockets:
            # autobahn's sendClose accepts only 1000 and 3000-4999 from applications;
            # 1012 is a registered code for exactly this, so send the frame directly.
            protocol.sendCloseFrame(code=CLOSE_SERVICE_RESTART)
        logger.info("closed %d websockets with %d", len(sockets), CLOSE_SERVICE_RESTART)
        waited = task.deferLater(reactor, CLOSE_GRACE_S if sockets else 0, lambda: None)
        return waited.addCallback(lambda _: Server.kill_all_applications(self))


class GracefulCommandLineInterface(CommandLineInterface):
    server_class = GracefulServer


def warm_up() -> None:
    """Build the FAQ index and the sentiment model before listening: the edge answers from
    the index in a surge, and building it (jieba's dictionary first) holds this process's
    GIL for a second or more, which on a first message would stall every socket."""
    import django

    django.setup()
    from django.conf import settings

    from apps.faq.retrieval import warm_up as warm_up_faq
    from apps.sentiment.tagger import tag

    sys.setswitchinterval(settings.WEB_SWITCH_INTERVAL_MS / 1000)
    tag("warm up")
    try:
        warm_up_faq()
    except Exception:  # Postgres away at start: it is built on first use instead
        logger.exception("FAQ index failed to warm up; it loads on first use")


if __name__ == "__main__":
    warm_up()
    from apps.dashboard.metrics import forget_this_process

    try:
        GracefulCommandLineInterface.entrypoint()
    finally:
        forget_this_process()
