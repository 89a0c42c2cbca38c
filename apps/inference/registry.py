"""Which backend serves each route: the one table the router, the breakers and the stream read.

Every route the router may choose (``apps.ops.vocabulary.Route`` minus ``agent``, which
only staff write) has exactly one backend here. Adding a backend means one module under
``backends/`` and one line below.
"""

from __future__ import annotations

from apps.inference.backends.answer_cache import AnswerCacheBackend
from apps.inference.backends.canned import CannedBackend
from apps.inference.backends.cloud_openai import CloudBackend
from apps.inference.backends.faq import FaqBackend
from apps.inference.backends.local_mlx import LocalBackend
from apps.inference.base import Backend

BACKENDS: dict[str, Backend] = {
    backend.route: backend
    for backend in (
        LocalBackend(),
        CloudBackend(),
        FaqBackend(),
        AnswerCacheBackend(),
        CannedBackend(),
    )
}

# Routes running a language model: each has a circuit breaker and keeps the deadlines.
MODEL_ROUTES: tuple[str, ...] = tuple(r for r, b in BACKENDS.items() if b.is_model)
# Routes whose finished reply may be remembered for the next customer.
REMEMBERED_ROUTES: frozenset[str] = frozenset(r for r, b in BACKENDS.items() if b.remembered)


def backend_for(route: str) -> Backend:
    """The backend of ``route``; KeyError for a name that is no inference route."""
    return BACKENDS[route]
