"""A Celery worker loads the local model and the FAQ index at start, not on the first
customer's message. Connected from ``InferenceConfig.ready``."""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery.signals import worker_ready

from apps.config.queues import INTERACTIVE_QUEUE, consumes

logger = logging.getLogger(__name__)


def warm_up_models(sender: Any, **kwargs: Any) -> None:
    """Only in a reply worker (a background worker never needs the model), and only in a
    pool without fork: MLX work in a parent process hangs forked children, so a prefork
    pool loads lazily in each child instead."""
    if not consumes(sender, INTERACTIVE_QUEUE):
        return
    if sender.controller.pool_cls.__module__.endswith("prefork"):
        return
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()


def _warm_up() -> None:
    # Imported here, not at the top: the web process loads this module too and must not
    # import MLX (a heavy SDK) it never uses.
    from apps.faq.retrieval import warm_up as warm_up_faq
    from apps.inference.backends.local_mlx import get_engine

    for name, step in (("local model", get_engine().warm_up), ("FAQ index", warm_up_faq)):
        try:
            step()
            logger.info("%s ready", name)
        except Exception:
            logger.exception("%s failed to warm up; it loads on first use", name)


# Connected by a call, not the decorator: celery ships no types, and this module is strict.
worker_ready.connect(warm_up_models)
