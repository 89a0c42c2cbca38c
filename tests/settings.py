"""The suite's settings: the app's own, on a Redis db of the suite's.

pytest-django sets Django up before any conftest is read, so the choice of db is made here.
The demo (`make run`) keeps db 0; the suite takes db 15, and under pytest-xdist each worker
(gw0, gw1, …) takes its own, as it has its own test database: gw0 db 15, gw1 db 14, and so
on, so the workers' stacks, counters, flags and queues never meet. TEST_REDIS_URL keeps the
run's first choice (REDIS_URL if set, else db 15), since the workers inherit the environment
the controller set. Stacks and other processes the tests start run `apps.config.settings`
with REDIS_URL set to this one, and this environment (tests/stack.py).
"""

import os

_TEST_REDIS_URL = os.environ.setdefault(
    "TEST_REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
)
_REDIS_SERVER, _, _REDIS_DB = _TEST_REDIS_URL.rpartition("/")
_XDIST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
os.environ["REDIS_URL"] = f"{_REDIS_SERVER}/{int(_REDIS_DB) - _XDIST_WORKER}"
# Each xdist worker runs stacks of its own beside the session's, all on one Postgres of 100
# connections, and every database thread of a web keeps one: fewer threads per web here
# than a shop's 16 (the benches, which run one stack, keep the shipped default).
os.environ.setdefault("CHAT_DB_THREADS", "8")

from apps.config.settings import *  # noqa: E402, F403
