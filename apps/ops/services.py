"""Writes for ops: change the routing flags (audited, and seen by every worker at once)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from apps.ops.flags import flags_bump_version
from apps.ops.models import RoutingFlags

EDITABLE_FIELDS = (
    "mode",
    "kill_local",
    "kill_cloud",
    "kill_faq",
    "default_backend",
    "local_keywords",
    "cloud_keywords",
    "complaint_min_turns",
    "long_message_chars",
    "max_tokens",
    "ttft_deadline_ms",
    "total_deadline_ms",
    "surge_queue_depth",
    "admission_control",
    "escalation_negative_streak",
    "escalation_strong_negative",
    "ai_helps_while_waiting",
    "business_tz",
    "business_open",
    "business_close",
)


@transaction.atomic
def flags_update(
    *, user: AbstractBaseUser | AnonymousUser | None, changes: Mapping[str, Any]
) -> RoutingFlags:
    """Apply ``changes`` to the flags row; raises ValidationError on an invalid value.

    simple-history records who, when and the full row, so old and new values are both kept.
    """
    RoutingFlags.objects.get_or_create(pk=1)
    flags = RoutingFlags.objects.select_for_update().get(pk=1)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable flags: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(flags, name, value)
    flags.full_clean()
    # django-simple-history records the change's author from this attribute.
    flags._history_user = (  # type: ignore[attr-defined]
        user if user is not None and user.is_authenticated else None
    )
    flags.save()
    # The bump also retires every cached answer: the answer cache keys on the flags version
    # (``apps.faq.answer_cache``), so a mode or a kill switch is never undone by an answer
    # produced under the old routing.
    transaction.on_commit(flags_bump_version)
    return flags
