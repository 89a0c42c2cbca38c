"""FAQ work off the reply path, on the ``background`` lane: thin tasks that take ids."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.config.queues import BACKGROUND_QUEUE
from apps.faq.services import EMBED_ENTRIES_TASK, faq_entries_embed, faq_record_hit

logger = logging.getLogger(__name__)

RECORD_HIT_TASK = "faq.record_hit"


@shared_task(name=RECORD_HIT_TASK, queue=BACKGROUND_QUEUE, ignore_result=True)
def record_hit(faq_id: str) -> None:
    faq_record_hit(faq_id=faq_id)


@shared_task(name=EMBED_ENTRIES_TASK, queue=BACKGROUND_QUEUE, ignore_result=True)
def embed_entries(entry_ids: list[int]) -> None:
    """Queued after an import or a save (``services._embed_later``)."""
    report = faq_entries_embed(entry_ids=entry_ids)
    if report.error:
        logger.warning("faq embedding: %d entries left lexical-only: %s", report.left, report.error)
    logger.info(
        "faq embedding: %d embedded, %d already current", report.embedded, report.already_current
    )


def hit_enqueue(faq_id: str) -> None:
    """Queue one hit for the entry with catalog id ``faq_id``.

    Best effort: the reply that served the answer never fails on the count, and a broker
    that cannot take it costs one hit, logged.
    """
    if not faq_id:  # an entry imported without a catalog id
        return
    try:
        record_hit.apply_async(args=(faq_id,))
    except Exception:
        logger.warning("could not queue a hit for FAQ entry %s", faq_id, exc_info=True)
