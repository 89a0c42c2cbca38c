"""Reads for ops pages: the flags row and its audit trail."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from apps.ops.models import RoutingFlags


@dataclass(frozen=True)
class FlagChange:
    changed_at: datetime
    changed_by: str
    field: str
    old: object
    new: object


def flags_row() -> RoutingFlags:
    """The flags row as stored, or an unsaved row of defaults before the first save."""
    return RoutingFlags.objects.filter(pk=1).first() or RoutingFlags(pk=1)


def flag_changes(limit: int = 20) -> list[FlagChange]:
    """Field-level changes, newest first: each history record diffed against the one before."""
    records = list(
        RoutingFlags.history.filter(id=1)
        .select_related("history_user")
        .order_by("-history_id")[: limit + 1]
    )
    changes: list[FlagChange] = []
    for newer, older in itertools.pairwise(records):
        who = newer.history_user.get_username() if newer.history_user else "system"
        for change in newer.diff_against(older).changes:
            changes.append(
                FlagChange(newer.history_date, who, change.field, change.old, change.new)
            )
    return changes[:limit]
