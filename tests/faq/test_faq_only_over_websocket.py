"""Over the real websocket, with the mode set to faq_only: the catalog answers, route faq saved."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from apps.conversations.models import Message
from apps.faq import retrieval
from apps.faq.answer_cache import invalidate_all
from apps.faq.models import FaqEntry
from apps.ops.flags import flags_bump_version
from apps.ops.services import flags_update

pytestmark = pytest.mark.slow

# Read before any test overrides it: the prefix the live stack's processes use.
STACK_FAQ_PREFIX = django_settings.FAQ_REDIS_PREFIX


@pytest.fixture
def stack_faq_keys(settings):
    """Share the stack's FAQ keys, so its worker sees this test's catalog and cache.

    Requested first, it tears down after the database is emptied: the worker then drops the
    catalog and the flags it read from this test, and the answers it cached.
    """
    settings.FAQ_REDIS_PREFIX = STACK_FAQ_PREFIX
    invalidate_all()
    yield
    retrieval.mark_stale()
    invalidate_all()
    flags_bump_version()


def test_faq_only_answers_from_the_catalog_and_saves_route_faq(stack_faq_keys, demo_catalog, chat):
    flags_update(user=None, changes={"mode": "faq_only"})
    client = chat()
    client.send_message("how long will delivery take")
    end = client.reply_events()[-1]

    answer = FaqEntry.objects.get(external_id="ship-time").answer
    assert (end["route"], end["text"]) == ("faq", answer)
    saved = Message.objects.get(id=end["message_id"])
    assert (saved.route, saved.status, saved.text) == ("faq", "done", answer)
    assert saved.fallback_reason == "flag"  # the models were left out by the mode
    assert FaqEntry.objects.get(external_id="ship-time").hit_count == 1
